/**
 * C-STORE as an SCU (PS3.4 Annex B): sends files, File-sets (a DICOMDIR
 * stands for the files it references) and data sets, proposing
 * per SOP class the file's own transfer syntax and uncompressed fallbacks,
 * converting between uncompressed syntaxes when the peer refuses the file's
 * own, streaming files from disk, and spreading more than 128 contexts over
 * further associations.
 *
 * @module
 */
import { Tag, Uid } from "../dictionary/mod.ts";
import { connect, type ProposedPresentationContext } from "../association/mod.ts";
import { MAX_PRESENTATION_CONTEXTS } from "../pdu/mod.ts";
import { resolve } from "node:path";
import { Dataset, decodePart10, type Part10File, readPart10 } from "../dataset/mod.ts";
import { readFileSet } from "../media/mod.ts";
import { DimseChannel, formatStatus, statusCategory } from "../dimse/mod.ts";
import { connectOptionsFor, type ScuOptions } from "./scu_options.ts";
import { sendObjects, type Transcoder } from "./send_object.ts";
import { _readSmallFile } from "./_read_file.ts";
import { _SyncBudget } from "./_sync_budget.ts";
import { PROPOSED_TRANSFER_SYNTAXES } from "./accepted_syntaxes.ts";

/**
 * A Part 10 file whose facts are already known (from an index, say): sent
 * without reading its header first. They must be right: a peer refuses a
 * data set that is not the instance its C-STORE-RQ names (A900).
 */
export interface KnownFile {
  /** The file. */
  readonly path: string;
  /** Its SOP Class UID. */
  readonly sopClassUid: string;
  /** Its SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** The transfer syntax of its data set (its meta information's). */
  readonly transferSyntax: string;
  /** Its size in bytes, if known. */
  readonly size?: number;
}

/**
 * Something to send: a file path (its header is read for its SOP class,
 * instance and transfer syntax; a DICOMDIR stands for every file its
 * records reference), a {@linkcode KnownFile}, or a data set (with SOP
 * Class and Instance UIDs).
 */
export type StoreSource = string | KnownFile | Dataset;

/** The outcome of one object. */
export interface StoreResult {
  /** The file path, or `dataset #N` for a data set. */
  readonly source: string;
  /** Its SOP Class UID, when it could be read. */
  readonly sopClassUid: string | undefined;
  /** Its SOP Instance UID, when it could be read. */
  readonly sopInstanceUid: string | undefined;
  /** The C-STORE-RSP status, when there was one. */
  readonly status: number | undefined;
  /** Why it failed, when it did (a failure status, a refused context, an unreadable file). */
  readonly error: Error | undefined;
  /** The transfer syntax it was sent in. */
  readonly transferSyntax: string | undefined;
  /** Data set bytes sent. */
  readonly bytes: number;
}

/** Totals of a {@linkcode store} call. */
export interface StoreSummary {
  /** Every object's outcome, in order. */
  readonly results: readonly StoreResult[];
  /** Objects stored with success. */
  readonly completed: number;
  /** Objects stored with a warning status. */
  readonly warning: number;
  /** Objects not stored. */
  readonly failed: number;
}

/** Options of {@linkcode store}. */
export interface StoreOptions extends ScuOptions {
  /** Called after each object, for progress. */
  onResult?: (result: StoreResult, index: number, total: number) => void;
  /**
   * Priority of the C-STORE requests.
   *
   * @default {PRIORITY.MEDIUM}
   */
  priority?: number;
  /** Move Originator AE Title and Message ID, when storing as a C-MOVE sub-operation. */
  moveOriginator?: { aeTitle: string; messageId: number };
  /**
   * Decodes a compressed object to Explicit VR Little Endian when the peer
   * accepted its SOP class only with uncompressed syntaxes: pass
   * `transcoder` from `@dcm/net/codecs`. Objects the peer takes as they
   * are never reach it.
   */
  transcoder?: Transcoder;
  /**
   * C-STORE requests outstanding at once: more than 1 proposes an
   * Asynchronous Operations Window (PS3.7 D.3.3.3) with this Maximum Number
   * Operations Invoked, used as far as the peer grants it (DCMTK's
   * `storescp` grants none; our Storage SCP does). Each outstanding object is
   * held in memory.
   *
   * @default {1}
   */
  maxOperationsInvoked?: number;
}

interface Item {
  index: number;
  source: StoreSource;
  name: string;
  sopClassUid?: string | undefined;
  sopInstanceUid?: string | undefined;
  transferSyntax?: string | undefined;
  /** File size, when the header scan read the whole file. */
  size?: number | undefined;
  /** The whole file, when the header scan read it and the retention budget allowed keeping it. */
  bytes?: Uint8Array | undefined;
  error?: Error | undefined;
  /** The file is a DICOMDIR (Media Storage Directory Storage, PS3.10 §8.6): to be replaced by what it references. */
  fileSet?: boolean;
}

/**
 * Reads a file's meta information and data set up to SOP Instance UID: from
 * its first 64 KiB when they hold it (one read), else as a stream.
 */
async function readHeader(
  path: string,
  budget: _SyncBudget,
): Promise<Part10File & { size: number | undefined; bytes?: Uint8Array }> {
  // A small file is read whole, synchronously while the disk answers
  // quickly: two calls instead of three asynchronous operations.
  if (budget.allowed) {
    const size = budget.run(() => Deno.statSync(path)).size;
    if (size <= SCAN_WHOLE_FILE && size > 0) {
      const bytes = await _readSmallFile(path, size, budget);
      try {
        const read = decodePart10(bytes, { stopBefore: Tag.SOPInstanceUID + 1 });
        return { ...read, size: bytes.length, bytes };
      } catch {
        // Deflated: the streaming reader copes.
      }
    } else if (size > SCAN_WHOLE_FILE) {
      // A larger one: its first 16 KiB, synchronously too.
      const head = budget.run(() => {
        using file = Deno.openSync(path);
        const head = new Uint8Array(SYNC_HEAD_READ);
        let length = 0;
        for (
          let n;
          length < head.length && (n = file.readSync(head.subarray(length)));
          length += n
        );
        return head.subarray(0, length);
      });
      try {
        const read = decodePart10(head, { stopBefore: Tag.SOPInstanceUID + 1 });
        if (read.dataset.has(Tag.SOPInstanceUID)) return { ...read, size };
      } catch {
        // Deflated, or a header longer than 64 KiB: the streaming reader copes.
      }
    }
  }
  using file = await Deno.open(path);
  const head = new Uint8Array(HEADER_READ);
  let length = 0;
  let short = false;
  while (!short && length < head.length) {
    const n = await file.read(head.subarray(length));
    // A regular file's read comes back short only at its end: no second
    // read to see end of file (the size is a hint either way, see prepareObject).
    short = n === null || n < head.length - length;
    length += n ?? 0;
  }
  try {
    const read = decodePart10(head.subarray(0, length), { stopBefore: Tag.SOPInstanceUID + 1 });
    // A full buffer that ended between elements before (0008,0018) proves nothing.
    const size = length < head.length ? length : undefined; // the whole file was read
    if (size !== undefined || read.dataset.has(Tag.SOPInstanceUID)) return { ...read, size };
  } catch {
    // Deflated, or a header longer than the first read: the streaming reader copes.
  }
  await file.seek(0, Deno.SeekMode.Start);
  const read = await readPart10(file.readable, { stopBefore: Tag.SOPInstanceUID + 1 });
  await read.rest?.cancel();
  return { ...read, size: undefined };
}

const HEADER_READ = 1 << 16;

/**
 * Files up to this size are read whole by the header scan (and may be kept
 * for sending); of a larger one, the first {@linkcode SYNC_HEAD_READ} bytes
 * (the meta information and the elements up to SOP Instance UID, in any
 * usual file), and the whole file once it is next to send, while the peer
 * works on the one before.
 */
const SCAN_WHOLE_FILE = 16 << 10;

/** Bytes of a larger file the scan reads synchronously; a header longer than that is streamed. */
const SYNC_HEAD_READ = 16 << 10;

/**
 * Bytes of whole small files kept from the header scan for sending, per
 * {@linkcode store} call: a file is then read once, not twice.
 */
const RETAINED_BYTES = 64 << 20;

/** What the scan of a {@linkcode store} call shares: the disk's budget, and the bytes it may keep. */
interface ScanState {
  readonly budget: _SyncBudget;
  retained: number;
}

async function scan(item: Item, state: ScanState): Promise<void> {
  try {
    if (item.source instanceof Dataset) {
      item.sopClassUid = item.source.string(Tag.SOPClassUID);
      item.sopInstanceUid = item.source.string(Tag.SOPInstanceUID);
      item.transferSyntax = Uid.ExplicitVRLittleEndian;
    } else if (typeof item.source !== "string") {
      ({
        sopClassUid: item.sopClassUid,
        sopInstanceUid: item.sopInstanceUid,
        transferSyntax: item.transferSyntax,
        size: item.size,
      } = item.source);
    } else {
      const { meta, dataset, transferSyntax, size, bytes } = await readHeader(
        item.source,
        state.budget,
      );
      item.size = size;
      if (bytes !== undefined && state.retained + bytes.length <= RETAINED_BYTES) {
        item.bytes = bytes;
        state.retained += bytes.length;
      }
      if (
        meta.string(Tag.MediaStorageSOPClassUID) === Uid.MediaStorageDirectoryStorage &&
        !dataset.has(Tag.SOPClassUID)
      ) {
        item.fileSet = true;
        return;
      }
      // The command must name what the data set says it is (PS3.4 B.2.3); the
      // meta information is only a fallback.
      item.sopClassUid = dataset.string(Tag.SOPClassUID) ??
        meta.string(Tag.MediaStorageSOPClassUID);
      item.sopInstanceUid = dataset.string(Tag.SOPInstanceUID) ??
        meta.string(Tag.MediaStorageSOPInstanceUID);
      item.transferSyntax = transferSyntax;
    }
    if (!item.sopClassUid || !item.sopInstanceUid) {
      throw new TypeError(`${item.name} has no SOP Class or SOP Instance UID`);
    }
  } catch (e) {
    item.error = e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * The presentation contexts items need: per SOP class, one context for each
 * transfer syntax its objects are in, so that they go unchanged, plus an
 * uncompressed fallback to convert to when the peer refuses one of those.
 */
function contextsFor(items: Item[]): Map<string, ProposedPresentationContext[]> {
  const bySop = new Map<string, ProposedPresentationContext[]>();
  for (const item of items) {
    if (item.error) continue;
    const sop = item.sopClassUid!;
    const list = bySop.get(sop) ?? bySop.set(sop, []).get(sop)!;
    const ts = item.transferSyntax!;
    if (!list.some((c) => c.transferSyntaxes.length === 1 && c.transferSyntaxes[0] === ts)) {
      list.push({ abstractSyntax: sop, transferSyntaxes: [ts] });
    }
  }
  for (const [sop, list] of bySop) {
    if (list.some((c) => c.transferSyntaxes[0] !== Uid.ExplicitVRLittleEndian)) {
      list.push({
        abstractSyntax: sop,
        transferSyntaxes: PROPOSED_TRANSFER_SYNTAXES,
      });
    }
  }
  return bySop;
}

/** Splits SOP classes into groups of at most 128 contexts, keeping a class's contexts together. */
function batches(bySop: Map<string, ProposedPresentationContext[]>): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let count = 0;
  for (const [sop, contexts] of bySop) {
    if (count + contexts.length > MAX_PRESENTATION_CONTEXTS && current.length > 0) {
      out.push(current);
      current = [];
      count = 0;
    }
    current.push(sop);
    count += contexts.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Sends files and data sets to a Storage SCP.
 *
 * @example Send a folder's files, printing progress
 * ```ts ignore
 * import { store } from "./mod.ts";
 * const files = [...Deno.readDirSync("in")].map((e) => `in/${e.name}`);
 * const summary = await store("127.0.0.1", 11112, files, {
 *   calledAeTitle: "STORESCP",
 *   onResult: (r, i, n) => console.log(`${i + 1}/${n} ${r.source} ${r.error?.message ?? "ok"}`),
 * });
 * ```
 *
 * @throws {AssociationRejectedError} when the peer rejects an association.
 */
export async function store(
  hostname: string,
  port: number,
  sources: Iterable<StoreSource>,
  options: StoreOptions = {},
): Promise<StoreSummary> {
  let items: Item[] = [...sources].map((source, index) => ({
    index,
    source,
    name: typeof source === "string"
      ? source
      : source instanceof Dataset
      ? `dataset #${index + 1}`
      : source.path,
  }));
  // Scan headers a few at a time: SOP class, instance and transfer syntax.
  const state: ScanState = { budget: new _SyncBudget(), retained: 0 };
  const scanAll = async (list: Item[]) => {
    for (let i = 0; i < list.length; i += 16) {
      await Promise.all(list.slice(i, i + 16).map((item) => scan(item, state)));
    }
  };
  await scanAll(items);
  if (items.some((i) => i.fileSet)) items = await expandFileSets(items, scanAll);
  const results: (StoreResult | undefined)[] = new Array(items.length);
  const report = (
    item: Item,
    r: Omit<StoreResult, "source" | "sopClassUid" | "sopInstanceUid">,
  ) => {
    const result: StoreResult = {
      source: item.name,
      sopClassUid: item.sopClassUid,
      sopInstanceUid: item.sopInstanceUid,
      ...r,
    };
    results[item.index] = result;
    options.onResult?.(result, item.index, items.length);
  };
  for (const item of items) {
    if (item.error) {
      report(item, { status: undefined, error: item.error, transferSyntax: undefined, bytes: 0 });
    }
  }
  const bySop = contextsFor(items);
  for (const group of batches(bySop)) {
    const classes = new Set(group);
    const todo = items.filter((i) => !i.error && classes.has(i.sopClassUid!));
    const contexts = group.flatMap((sop) => bySop.get(sop)!);
    options.signal?.throwIfAborted();
    const invoked = options.maxOperationsInvoked ?? 1;
    await using association = await connect(hostname, port, {
      ...connectOptionsFor(options, contexts),
      ...(invoked > 1
        ? {
          asynchronousOperationsWindow: {
            maxOperationsInvoked: invoked,
            maxOperationsPerformed: 1,
          },
        }
        : {}),
    });
    const channel = new DimseChannel(
      association,
      options.dimseTimeout === undefined ? {} : { dimseTimeout: options.dimseTimeout },
    );
    const objects = todo.map((item) => ({
      item,
      name: item.name,
      sopClassUid: item.sopClassUid!,
      sopInstanceUid: item.sopInstanceUid!,
      transferSyntax: item.transferSyntax!,
      ...(item.source instanceof Dataset ? { dataset: item.source } : {
        path: typeof item.source === "string" ? item.source : item.source.path,
        size: item.size,
        bytes: item.bytes,
      }),
    }));
    for await (
      const [{ item }, sent] of sendObjects(channel, objects, {
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(options.moveOriginator ? { moveOriginator: options.moveOriginator } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.transcoder ? { transcoder: options.transcoder } : {}),
      })
    ) {
      const failed = sent.status !== undefined && statusCategory(sent.status) === "failure";
      report(item, {
        status: sent.status,
        error: sent.error ??
          (failed
            ? new Error(
              `C-STORE failed with status ${formatStatus(sent.status!)}${
                sent.errorComment ? `: ${sent.errorComment}` : ""
              }`,
            )
            : undefined),
        transferSyntax: sent.transferSyntax,
        bytes: sent.bytes,
      });
    }
    options.signal?.throwIfAborted();
    for (const item of todo) {
      if (!results[item.index]) {
        report(item, {
          status: undefined,
          error: new Error("The association ended before it was sent"),
          transferSyntax: undefined,
          bytes: 0,
        });
      }
    }
    if (association.state === "Sta6") await association.release();
    await channel.closed;
  }
  const all = results as StoreResult[];
  return {
    results: all,
    completed:
      all.filter((r) => r.status !== undefined && statusCategory(r.status) === "success").length,
    warning:
      all.filter((r) => r.status !== undefined && statusCategory(r.status) === "warning").length,
    failed: all.filter((r) => r.error !== undefined).length,
  };
}

/**
 * Replaces each DICOMDIR among `items` by the files its records reference
 * (PS3.3 F.3.2.2, Referenced File ID), in record order, leaving out those
 * that are also sources on their own (a folder given with its DICOMDIR);
 * a DICOMDIR that cannot be read stays, with its error.
 */
async function expandFileSets(
  items: Item[],
  scanAll: (list: Item[]) => Promise<void>,
): Promise<Item[]> {
  const given = new Set(
    items.filter((i) => !i.fileSet && typeof i.source === "string").map((i) =>
      resolve(i.source as string)
    ),
  );
  const out: Item[] = [];
  const added: Item[] = [];
  for (const item of items) {
    if (!item.fileSet) {
      out.push(item);
      continue;
    }
    try {
      const fileSet = await readFileSet(item.source as string);
      for (const { record } of fileSet.walk()) {
        if (record.path === undefined || given.has(resolve(record.path))) continue;
        given.add(resolve(record.path));
        const referenced: Item = { index: 0, source: record.path, name: record.path };
        out.push(referenced);
        added.push(referenced);
      }
    } catch (e) {
      item.error = e instanceof Error ? e : new Error(String(e));
      out.push(item);
    }
  }
  out.forEach((item, index) => item.index = index);
  await scanAll(added);
  return out;
}

/** Lists the files under paths, recursing into folders, in a stable order. */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await Deno.stat(path);
    if (!info.isDirectory) {
      out.push(path);
      continue;
    }
    const entries = [];
    for await (const e of Deno.readDir(path)) entries.push(e);
    entries.sort((a, b) => a.name < b.name ? -1 : 1);
    out.push(
      ...await expandPaths(
        entries.filter((e) => !e.name.startsWith(".")).map((e) => `${path}/${e.name}`),
      ),
    );
  }
  return out;
}
