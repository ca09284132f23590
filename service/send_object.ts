/**
 * Sending objects by C-STORE (PS3.4 Annex B) on an association: choosing
 * the presentation context and the bytes for each, converting between
 * uncompressed transfer syntaxes when the peer refused the object's own,
 * and the read-ahead send loop. Shared by `store()` and the C-GET / C-MOVE
 * SCP.
 *
 * @module
 */
import type { Association, NegotiatedPresentationContext } from "../association/mod.ts";
import {
  type Dataset,
  decodePart10Header,
  deflateDataset,
  DicomDecodeError,
  encodeDataset,
  isNativeTransferSyntax,
  readPart10,
} from "../dataset/mod.ts";
import { transferSyntaxInfo } from "../dictionary/mod.ts";
import { DicomError } from "../errors.ts";
import { type DimseChannel, type OutgoingDataset, PRIORITY } from "../dimse/mod.ts";
import { _SyncBudget } from "./_sync_budget.ts";
import { _fileSize, _readSmallFile } from "./_read_file.ts";
import { setImmediate } from "node:timers";

/** An object to send: a file or a data set, with the facts read from it. */
export interface SendableObject {
  /** For messages: the path or a description. */
  readonly name: string;
  /** SOP Class UID. */
  readonly sopClassUid: string;
  /** Transfer syntax of the file, or the one to encode a data set in. */
  readonly transferSyntax: string;
  /** The file to stream, or */
  readonly path?: string | undefined;
  /** the data set to encode. */
  readonly dataset?: Dataset | undefined;
  /** The file's size, when already known (saves a stat). */
  readonly size?: number | undefined;
  /** The whole file, when already read (saves reading it again): sent as it is. */
  readonly bytes?: Uint8Array | undefined;
}

/** What to send on which context. */
export interface PreparedObject {
  /** The presentation context to send on. */
  readonly contextId: number;
  /** Its transfer syntax. */
  readonly transferSyntax: string;
  /** The data set: a stream from the file, or encoded bytes. */
  readonly data: OutgoingDataset;
  /** Byte size when known in advance. */
  readonly size: number | undefined;
}

/**
 * Files up to this size are read whole (one read) rather than streamed:
 * each read is an operation with its own latency, and a C-STORE waits for
 * its data set's last byte.
 */
const SMALL_FILE = 8 << 20;

/** C-STORE requests outstanding at once at most, whatever window the peer granted. */
const MAX_OUTSTANDING = 16;

/** Bytes per read when a larger file is streamed; two reads are kept ahead. */
const READ_CHUNK = 1 << 20;

/** A deflated data set some writer left odd gets the trailing NUL of PS3.5 §A.5. */
function padDeflated(body: Uint8Array, transferSyntax: string): Uint8Array {
  if ((body.length & 1) === 0 || !transferSyntaxInfo(transferSyntax)?.deflated) return body;
  const padded = new Uint8Array(body.length + 1);
  padded.set(body);
  return padded;
}

/**
 * Where the data set of a Part 10 file starts (after the preamble and meta
 * information, PS3.10 §7.1), reading only the head of the file.
 */
async function datasetOffset(file: Deno.FsFile): Promise<number> {
  for (let want = 4096;; want *= 2) {
    const head = new Uint8Array(want);
    await file.seek(0, Deno.SeekMode.Start);
    let length = 0;
    while (length < want) {
      const n = await file.read(head.subarray(length));
      if (n === null) break;
      length += n;
    }
    const complete = length < want;
    try {
      const { datasetOffset } = decodePart10Header(head.subarray(0, length));
      // The meta group ends where an element of another group starts, or at the end of the file.
      if (datasetOffset < length || complete) return datasetOffset;
    } catch (e) {
      if (complete || !(e instanceof DicomDecodeError && e.truncated)) throw e;
    }
  }
}

/**
 * The data set bytes of a file as they are on disk (a deflated one stays
 * deflated), streamed. A deflated data set some writer left odd gets the
 * trailing NUL of PS3.5 §A.5: DCMTK aborts on an odd PDV.
 */
async function openDataset(
  path: string,
  transferSyntax: string,
): Promise<ReadableStream<Uint8Array>> {
  const file = await Deno.open(path);
  try {
    await file.seek(await datasetOffset(file), Deno.SeekMode.Start);
  } catch (e) {
    file.close();
    throw e;
  }
  // Large reads, two kept ahead (FsFile.readable reads 64 KiB at a time).
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = new Uint8Array(READ_CHUNK);
      let n = 0;
      try {
        while (n < READ_CHUNK) {
          const got = await file.read(chunk.subarray(n));
          if (got === null) break;
          n += got;
        }
      } catch (e) {
        file.close();
        throw e;
      }
      if (n > 0) controller.enqueue(chunk.subarray(0, n));
      if (n < READ_CHUNK) {
        file.close();
        controller.close();
      }
    },
    cancel() {
      file.close();
    },
  }, { highWaterMark: 2 });
  if (!transferSyntaxInfo(transferSyntax)?.deflated) return readable;
  let length = 0;
  return readable.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        length += chunk.length;
        controller.enqueue(chunk);
      },
      flush(controller) {
        if (length % 2 === 1) controller.enqueue(new Uint8Array(1));
      },
    }),
  );
}

/**
 * No accepted presentation context fits an object: none for its SOP class,
 * or none in its transfer syntax or one it converts to (PS3.8 §9.3.2.2).
 * Distinct from a file that cannot be read or a peer's failure status.
 *
 * @example Tell it from other failures of a sub-operation
 * ```ts
 * import { NoContextError } from "./send_object.ts";
 *
 * const e = new NoContextError("Cannot send x.dcm", "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.4.91");
 * console.log(e instanceof NoContextError, e.transferSyntax); // true 1.2.840.10008.1.2.4.91
 * ```
 */
export class NoContextError extends DicomError {
  /**
   * Creates the error.
   *
   * @param message What could not be sent and why.
   * @param sopClassUid The object's SOP Class UID.
   * @param transferSyntax The object's transfer syntax.
   */
  constructor(
    message: string,
    readonly sopClassUid: string,
    readonly transferSyntax: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "NoContextError";
  }
}

/**
 * Decodes compressed pixel data for a peer that accepted an object's SOP
 * class only with uncompressed transfer syntaxes. `@dcm/net/codecs`
 * exports one (`transcoder`); this layer only calls it, so that sending
 * stays free of codec dependencies and an object sent as it is never
 * loads them.
 *
 * @example A transcoder that only knows RLE (a real one comes from `@dcm/net/codecs`)
 * ```ts
 * import type { Transcoder } from "./send_object.ts";
 * import { Uid } from "../dictionary/mod.ts";
 *
 * const onlyRle: Transcoder = {
 *   canDecode: (ts) => ts === Uid.RLELossless,
 *   toNative: () => Promise.reject(new Error("not in this example")),
 * };
 * console.log(onlyRle.canDecode(Uid.JPEG2000)); // false
 * ```
 */
export interface Transcoder {
  /** Whether it decodes data sets of this transfer syntax. */
  canDecode(transferSyntax: string): boolean;
  /**
   * The data set with native Pixel Data (to encode in Explicit VR Little
   * Endian or another uncompressed syntax), its Image Pixel Module and
   * Lossy Image Compression attributes updated (PS3.5 §8.2).
   */
  toNative(dataset: Dataset, transferSyntax: string): Promise<Dataset>;
}

/**
 * Picks the accepted context for an object (its own transfer syntax first,
 * else an uncompressed one to convert to, decoding with `transcoder` when
 * the object is compressed) among those `usable` allows, and opens its data.
 *
 * @throws {NoContextError} naming the object when no usable context fits.
 */
export function prepareObject(
  association: Association,
  object: SendableObject,
  usable: (context: NegotiatedPresentationContext) => boolean = () => true,
  transcoder?: Transcoder,
): Promise<PreparedObject> {
  return prepare(association, object, usable, transcoder, undefined);
}

async function prepare(
  association: Association,
  object: SendableObject,
  usable: (context: NegotiatedPresentationContext) => boolean,
  transcoder: Transcoder | undefined,
  budget: _SyncBudget | undefined,
): Promise<PreparedObject> {
  const sop = object.sopClassUid;
  const ts = object.transferSyntax;
  const candidates = association.acceptedContexts.filter((c) =>
    c.abstractSyntax === sop && usable(c)
  );
  const own = candidates.find((c) => c.transferSyntax === ts);
  if (own) {
    if (object.dataset) {
      return { contextId: own.id, transferSyntax: ts, data: object.dataset, size: undefined };
    }
    const path = object.path!;
    // A small file is read whole (two operations) and sent from memory, so
    // that its command and data set can share one PDU and one write.
    const size = object.bytes?.length ?? object.size ?? await _fileSize(path, budget);
    if (size <= SMALL_FILE) {
      const bytes = object.bytes ?? await _readSmallFile(path, size, budget);
      const body = padDeflated(bytes.subarray(decodePart10Header(bytes).datasetOffset), ts);
      return { contextId: own.id, transferSyntax: ts, data: body, size: body.length };
    }
    return {
      contextId: own.id,
      transferSyntax: ts,
      data: await openDataset(path, ts),
      size: undefined,
    };
  }
  // Native data converts to any uncompressed syntax, deflated included (PS3.5 §A.5).
  const native = isNativeTransferSyntax;
  // Compressed data converts when a transcoder decodes it (PS3.5 §8.2).
  const decode = !native(ts) && transcoder?.canDecode(ts) === true;
  const target = native(ts) || decode
    ? candidates.find((c) => native(c.transferSyntax ?? ""))
    : undefined;
  if (!target) {
    const offered = association.presentationContexts.filter((c) => c.abstractSyntax === sop);
    const why = offered.length === 0
      ? "no context was negotiated for its SOP class"
      : candidates.length === 0
      ? "the peer accepted no usable context for its SOP class"
      : native(ts) || !transcoder
      ? "the peer accepted neither its transfer syntax nor an uncompressed one"
      : "the peer accepted neither its transfer syntax nor an uncompressed one, and it cannot be decoded";
    throw new NoContextError(`Cannot send ${object.name} (${sop}, ${ts}): ${why}`, sop, ts);
  }
  let dataset = object.dataset ??
    (await readPart10(object.bytes ?? await Deno.readFile(object.path!))).dataset;
  if (decode) dataset = await transcoder!.toNative(dataset, ts);
  let bytes = encodeDataset(dataset, { transferSyntax: target.transferSyntax! });
  if (transferSyntaxInfo(target.transferSyntax!)?.deflated) bytes = await deflateDataset(bytes);
  return {
    contextId: target.id,
    transferSyntax: target.transferSyntax!,
    data: bytes,
    size: bytes.length,
  };
}

/** An object for {@linkcode sendObjects}: what to send and which instance it is. */
export interface OutgoingObject extends SendableObject {
  /** SOP Instance UID, named in the C-STORE-RQ. */
  readonly sopInstanceUid: string;
}

/** Options of {@linkcode sendObjects}. */
export interface SendObjectsOptions {
  /**
   * Priority of the C-STORE requests.
   *
   * @default {PRIORITY.MEDIUM}
   */
  priority?: number;
  /** Move Originator AE Title and Message ID, when sending C-MOVE sub-operations. */
  moveOriginator?: { aeTitle: string; messageId: number };
  /** The accepted contexts that may be used (C-GET: those where the requestor took the SCP role). */
  usable?: (context: NegotiatedPresentationContext) => boolean;
  /** Stops before the next object. */
  signal?: AbortSignal;
  /**
   * Decodes a compressed object when the peer accepted its SOP class only
   * with uncompressed syntaxes (`transcoder` from `@dcm/net/codecs`).
   * Without it such an object fails with a {@linkcode NoContextError}.
   */
  transcoder?: Transcoder;
}

/** The outcome of one C-STORE sub-operation sent by {@linkcode sendObjects}. */
export interface SentObject {
  /** The C-STORE-RSP status, when there was a response. */
  readonly status: number | undefined;
  /** The response's Error Comment, if any. */
  readonly errorComment: string | undefined;
  /** Why no response came: the object could not be prepared or the send failed. */
  readonly error: Error | undefined;
  /** The transfer syntax it was sent in, once chosen. */
  readonly transferSyntax: string | undefined;
  /** Data set bytes sent. */
  readonly bytes: number;
}

/**
 * Sends objects by C-STORE on `channel`, reading the next one from disk
 * while the peer works on the current one, and yields each outcome in
 * order. One request is outstanding at a time unless the association has an
 * Asynchronous Operations Window (PS3.7 D.3.3.3): then up to its limit (at
 * most 16) go out before the first responses come back. The next request
 * goes out as soon as a response frees its place, whether or not the caller
 * has taken the outcome yet. Stops early when `signal` aborts or the
 * association ends; the objects not yielded were not sent, except those
 * already outstanding when the caller stops iterating (at most one more
 * than the window).
 *
 * @example Send one data set to a Storage SCP started here
 * ```ts
 * import { sendObjects, StoreService, ServiceProvider } from "./mod.ts";
 * import { connect } from "../association/mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { DimseChannel } from "../dimse/mod.ts";
 * import { Tag, Uid } from "../dictionary/mod.ts";
 *
 * await using storage = new StoreService({ handleObject: async (o) => void await o.readDataset() });
 * await using scp = new ServiceProvider({
 *   supportedAbstractSyntaxes: [{
 *     abstractSyntax: Uid.SecondaryCaptureImageStorage,
 *     transferSyntaxes: [Uid.ExplicitVRLittleEndian],
 *   }],
 *   handlers: { "C-STORE-RQ": storage.handler },
 * }, { hostname: "127.0.0.1", port: 0 });
 * await using association = await connect("127.0.0.1", scp.port, {
 *   presentationContexts: [{
 *     abstractSyntax: Uid.SecondaryCaptureImageStorage,
 *     transferSyntaxes: [Uid.ExplicitVRLittleEndian],
 *   }],
 * });
 * const channel = new DimseChannel(association);
 * const dataset = new Dataset()
 *   .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
 *   .set(Tag.SOPInstanceUID, "2.25.5");
 * for await (const [, sent] of sendObjects(channel, [{
 *   name: "2.25.5",
 *   sopClassUid: Uid.SecondaryCaptureImageStorage,
 *   sopInstanceUid: "2.25.5",
 *   transferSyntax: Uid.ExplicitVRLittleEndian,
 *   dataset,
 * }])) console.log(sent.status); // 0
 * await association.release();
 * ```
 */
export async function* sendObjects<T extends OutgoingObject>(
  channel: DimseChannel,
  objects: readonly T[],
  options: SendObjectsOptions = {},
): AsyncGenerator<[T, SentObject], void, undefined> {
  const association = channel.association;
  const budget = new _SyncBudget();
  const usable = options.usable ?? (() => true);
  let next = 0; // the next object to send
  // Objects prepared (read) ahead, by index, until sent; each index is prepared once.
  const prepared: (ReadAhead | undefined)[] = [];
  const prepareAt = (index: number): void => {
    if (index < next || index >= objects.length || prepared[index] !== undefined) return;
    // Once read, the next request may go out if it waits for this one.
    prepared[index] = readAhead(
      prepare(association, objects[index]!, usable, options.transcoder, budget),
      pump,
    );
  };
  // Requests outstanding at once: one unless the peer granted an
  // Asynchronous Operations Window (PS3.7 D.3.3.3), in which case the next
  // requests go out before the first responses come back. The channel keeps
  // to the window; this only bounds the objects held in memory.
  const window = association.asynchronousOperationsWindow;
  const invoked = association.role === "requestor"
    ? window.maxOperationsInvoked
    : window.maxOperationsPerformed;
  const depth = invoked === 0 ? MAX_OUTSTANDING : Math.min(invoked, MAX_OUTSTANDING);
  // Each object's outcome, from when its request is made until it is yielded.
  const outcomes: (Promise<SentObject> | undefined)[] = [];
  let answered = 0; // objects whose request was answered or failed
  let yielded = 0; // objects handed to the caller
  let stopped = false;
  let wake: (() => void) | undefined; // the caller, waiting for the next request to be made
  // The next request goes out as soon as the one before is answered (the
  // one response of a C-STORE, PS3.7 §9.1.1), from that response's turn of
  // the event loop, not once the caller has taken the outcome: the peer
  // waits on us only for what sending takes. At most one answered object
  // waits for the caller beyond the window.
  let pumping = false;
  let again = false;
  const pump = (): void => {
    // An object that fails at once answers within send(): no recursion.
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        startRequests();
      } while (again);
    } finally {
      pumping = false;
    }
    wake?.();
  };
  const startRequests = (): void => {
    while (!stopped && next < objects.length) {
      if (next - answered >= depth || next - yielded > depth) return;
      if (options.signal?.aborted) {
        stopped = true;
        return;
      }
      prepareAt(next);
      const ahead = prepared[next]!;
      if (!ahead.settled) return; // pumped again once read
      const index = next++;
      // The bytes of an object sent are not held after its request.
      prepared[index] = undefined;
      outcomes[index] = send(objects[index]!, ahead, index);
    }
  };
  const send = async (object: T, ahead: ReadAhead, index: number): Promise<SentObject> => {
    let data: OutgoingDataset | undefined;
    let done = false;
    // Once per request: the next one may go out.
    const answer = () => {
      if (done) return;
      done = true;
      answered++;
      pump();
    };
    try {
      if (ahead.error !== undefined) throw ahead.error;
      const prepared = ahead.value!;
      let counted = prepared.size ?? 0;
      data = prepared.data;
      if (data instanceof ReadableStream) {
        data = data.pipeThrough(
          new TransformStream({
            transform(chunk, controller) {
              counted += chunk.length;
              controller.enqueue(chunk);
            },
          }),
        );
      }
      let status: number | undefined;
      let errorComment: string | undefined;
      const request = channel.request(prepared.contextId, {
        type: "C-STORE-RQ",
        hasDataset: true,
        affectedSopClassUid: object.sopClassUid,
        affectedSopInstanceUid: object.sopInstanceUid,
        priority: options.priority ?? PRIORITY.MEDIUM,
        ...(options.moveOriginator
          ? {
            moveOriginatorAeTitle: options.moveOriginator.aeTitle,
            moveOriginatorMessageId: options.moveOriginator.messageId,
          }
          : {}),
      }, data);
      // The next object is read once this request is on its way (its writes
      // are issued within the turn of the event loop that sends it), so that
      // reading overlaps the peer's work, not ours.
      setImmediate(() => prepareAt(index + 1));
      for await (const response of request) {
        status = response.command.status;
        errorComment = response.command.errorComment;
        answer();
      }
      return {
        status,
        errorComment,
        error: undefined,
        transferSyntax: prepared.transferSyntax,
        bytes: counted,
      };
    } catch (e) {
      // A file stream the failed send did not finish still holds the file open.
      if (data instanceof ReadableStream) await data.cancel().catch(() => {});
      return {
        status: undefined,
        errorComment: undefined,
        error: e instanceof Error ? e : new Error(String(e)),
        transferSyntax: ahead.value?.transferSyntax,
        bytes: 0,
      };
    } finally {
      answer();
    }
  };
  prepareAt(0);
  pump();
  try {
    for (let index = 0; index < objects.length; index++) {
      while (outcomes[index] === undefined) {
        if (stopped) return;
        await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
      }
      const result = await outcomes[index]!;
      outcomes[index] = undefined;
      yielded = index + 1;
      pump();
      yield [objects[index]!, result];
      // Nobody to send the rest to.
      if (result.error && association.state !== "Sta6") return;
    }
  } finally {
    stopped = true;
    // Requests sent but not yielded (the caller stopped early) still settle.
    await Promise.allSettled(outcomes.slice(yielded));
    // An object read ahead but never sent still holds its file open.
    for (const ahead of prepared.slice(next)) {
      const unsent = await ahead?.promise.catch(() => undefined);
      if (unsent?.data instanceof ReadableStream) await unsent.data.cancel().catch(() => {});
    }
  }
}

/** An object being read ahead, its outcome kept once known (no promise hop to take it). */
interface ReadAhead {
  readonly promise: Promise<PreparedObject>;
  settled: boolean;
  value: PreparedObject | undefined;
  error: unknown;
}

/** Reads an object ahead; `settled` is called once its outcome is kept. */
function readAhead(promise: Promise<PreparedObject>, settled: () => void): ReadAhead {
  const ahead: ReadAhead = { promise, settled: false, value: undefined, error: undefined };
  promise.then((value) => {
    ahead.settled = true;
    ahead.value = value;
    settled();
  }, (error) => {
    ahead.settled = true;
    ahead.error = error ?? new Error("Cannot prepare the object");
    settled();
  });
  return ahead;
}
