/**
 * The C-STORE service as an SCP (PS3.4 Annex B): a request handler that
 * checks each incoming data set as it streams, hands it to a user handler or
 * writes it as a Part 10 file atomically, and answers success only once the
 * object is safely stored. Used by the Storage SCP and by C-GET SCUs, which
 * receive their objects on their own association.
 *
 * @module
 */
import {
  ByteQueue,
  createFileMeta,
  type Dataset,
  DatasetChecker,
  DicomDecodeError,
  encodeFileMeta,
  readPart10,
  uidProblem,
} from "../dataset/mod.ts";
import { transferSyntaxInfo } from "../dictionary/mod.ts";
import {
  describeStatus,
  DimseStatusError,
  type IncomingRequest,
  type RequestContext,
  type RequestHandler,
  STATUS,
} from "../dimse/mod.ts";
import { _isChannelStream, _recycleChunk } from "../_chunks.ts";
import { DeflatedChecker } from "./_deflated_check.ts";
import { _journalOf, _journalPart10 } from "./_store_journal.ts";
import { headerMatches } from "./_header_check.ts";
import {
  _writePart10Atomically,
  defaultFileName,
  type DeferredSync,
  type Durability,
  type ObjectFacts,
  type TempFilePool,
} from "./file_writer.ts";

/** An object arriving by C-STORE: the command's facts and the data set as a stream. */
export interface IncomingObject extends ObjectFacts {
  /** Message ID of the C-STORE-RQ. */
  readonly messageId: number;
  /** The sender's AE title. */
  readonly callingAeTitle: string;
  /** The AE title the sender called. */
  readonly calledAeTitle: string;
  /** Move Originator AE Title (0000,1030), when sent as a C-MOVE sub-operation. */
  readonly moveOriginatorAeTitle: string | undefined;
  /** Move Originator Message ID (0000,1031), when sent as a C-MOVE sub-operation. */
  readonly moveOriginatorMessageId: number | undefined;
  /**
   * The data set bytes as received, in `transferSyntax`, checked as they
   * pass: the stream errors if they are malformed or truncated (a deflated
   * data set is checked inflated, and passes as received). Read it or call
   * {@linkcode IncomingObject.readDataset}, once.
   */
  readonly dataset: ReadableStream<Uint8Array>;
  /** Reads the whole data set and decodes it (deflate included). */
  readDataset(): Promise<Dataset>;
}

/**
 * Handles an incoming object. Return a status (default 0000 success, or a
 * warning such as B000), or throw: a {@linkcode DimseStatusError} gives its
 * status, a data set error C000 (A900 when it does not match the command), any
 * other error A700 (out of resources).
 */
export type StoreHandler = (object: IncomingObject) => void | number | Promise<void | number>;

/** A file written by the built-in writer. */
export interface StoredFile extends ObjectFacts {
  /** Where it was written. */
  readonly path: string;
  /** Data set bytes written (after the meta information). */
  readonly size: number;
  /** The sender's AE title. */
  readonly callingAeTitle: string;
}

/**
 * How received objects are stored: a handler of yours that takes each
 * object (`handleObject`), or files in a folder (`directory`), with two
 * optional callbacks per file. For each object, in order:
 *
 * 1. `handleObject`, when given, takes the object instead of a file being
 *    written; what it returns or throws is the C-STORE-RSP status. Nothing
 *    else runs.
 * 2. Otherwise the file is written and put under its name (flushed to the
 *    disk first unless `durable` says otherwise);
 * 3. `processFile` is awaited: the store is not complete until it is done;
 * 4. success is answered (C-STORE-RSP);
 * 5. `onFileStored` is told.
 *
 * With `durable: "deferred"` success is answered once the bytes are
 * written, and steps 2, 3 and 5 happen when the file is flushed, before the
 * owner's `flush()` resolves.
 */
export interface StoreTarget {
  /**
   * The intervention handler: takes each object, as a stream, instead of a
   * file being written, and decides its status (see
   * {@linkcode StoreHandler}); the C-STORE-RSP is sent once it settles.
   * Takes precedence over `directory`.
   */
  handleObject?: StoreHandler;
  /**
   * Folder to write `<SOPInstanceUID>.dcm` files into, atomically; the
   * temporary files of writes in progress live in its hidden `.incoming` folder.
   */
  directory?: string;
  /**
   * When each file is flushed to the disk ({@linkcode Durability}): `true`
   * before success is answered; `"deferred"` in the background, success
   * being answered once the bytes are written, with the owner's `flush()`
   * waiting for the disk; `false` never.
   *
   * @default {true}
   */
  durable?: Durability;
  /** Names the file of an object in `directory`. */
  fileName?: (object: ObjectFacts) => string;
  /**
   * Awaited for each file written to `directory` once it is under its name
   * (and on the disk, when `durable`), as the last step of storing it:
   * success is answered only after it (when deferred: the owner's `flush()`
   * resolves only after it, success having been answered). For work that
   * must be done before the sender is told, such as indexing the file. Its
   * errors do not fail the store: the file stays where it is.
   */
  processFile?: (file: StoredFile) => void | Promise<void>;
  /**
   * A notification: told about each file written to `directory` once it is
   * stored, after `processFile` (with the same {@linkcode StoredFile}) and
   * after success is answered (when deferred: once it is flushed and under
   * its name). Not awaited; if it
   * throws, the file stays stored and the answer stands.
   */
  onFileStored?: (file: StoredFile) => void;
  /**
   * Make each object durable through a write-ahead journal instead of
   * flushing its file and folder (ignored with `durable: "deferred"` or
   * `handleObject`): its bytes are appended to a journal in the folder's
   * hidden `.journal` folder and flushed there (when `durable`), one flush
   * serving every association waiting at that moment, while its file is
   * written and renamed into place without a flush of its own. Success is
   * answered once both are done, as without a journal; the files are
   * flushed later, in batches, and written again from the journal at the
   * next start if the process or the machine stopped first. A crash loses
   * no object answered success. Objects above 128 KiB are written directly
   * (on larger ones writing each byte twice costs more than it saves).
   * Linux only; elsewhere, or when another live process journals the
   * folder, files are written as without it (with a warning).
   *
   * @default {false for a StoreService; true for StorageScp and QueryRetrieveScp}
   */
  journal?: boolean;
}

/** What a store handler writing files shares with its owner. */
export interface StoreResources {
  /** Temporary files created ahead of need. */
  temp?: TempFilePool;
  /** Needed when the target's `durable` is `"deferred"`: the owner flushes it. */
  sync?: DeferredSync;
}

/**
 * Checks the data set's structure as it passes ({@linkcode DatasetChecker}),
 * and that it is for the instance the command names: reads the header up to
 * SOP Instance UID (0008,0018) and compares (PS3.4 B.2.3 A900).
 * Bytes are held back until that element has arrived whole, the data set
 * ends, or 64 KiB came without it (`HEADER_CHECK_LIMIT`). A deflated data set
 * passes as it comes, inflated on the side ({@linkcode DeflatedChecker}):
 * the stream errors at its end if the check failed.
 */
function checked(
  source: ReadableStream<Uint8Array>,
  facts: ObjectFacts,
): ReadableStream<Uint8Array> {
  const reader = new CheckedReader(source, facts);
  // A pull-through stream rather than pipeThrough(): one read, check and
  // enqueue per chunk, without the pipe machinery's extra promise hops.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * Reads a data set's chunks checked as {@linkcode checked} describes,
 * without a stream of its own: for a reader that takes the chunks itself
 * (the journal), one promise hop per chunk fewer.
 */
class CheckedReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #structure: DatasetChecker;
  readonly #inflated: DeflatedChecker | undefined;
  readonly #facts: ObjectFacts;
  /** The bytes held back until the header is checked. */
  #held: ByteQueue | undefined;
  /** Chunks checked and not yet given. */
  #ready: Uint8Array[] = [];
  #done = false;
  /** This reader alone sees the channel's chunks, and nothing keeps them once given (see recycle()). */
  readonly #recyclable: boolean;

  constructor(source: ReadableStream<Uint8Array>, facts: ObjectFacts) {
    this.#reader = source.getReader();
    this.#facts = facts;
    this.#structure = new DatasetChecker(facts.transferSyntax);
    // A deflated data set is checked inflated, on the side, as its bytes pass.
    this.#inflated = transferSyntaxInfo(facts.transferSyntax)?.deflated === true
      ? new DeflatedChecker(facts)
      : undefined;
    this.#held = this.#inflated ? undefined : new ByteQueue();
    // The inflating check may still hold a chunk when it is given.
    this.#recyclable = _isChannelStream(source) && this.#inflated === undefined;
  }

  /**
   * Gives a chunk this reader gave back to the channel's pool, once its
   * bytes are written or copied (see _chunks.ts): only chunks of the
   * channel's own stream, which this reader holds locked.
   */
  recycle(chunk: Uint8Array): void {
    if (this.#recyclable) _recycleChunk(chunk);
  }

  /** The next chunk, checked; errors (and cancels the source) when the data set is bad. */
  async read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }> {
    try {
      while (this.#ready.length === 0 && !this.#done) await this.#next();
    } catch (e) {
      // The source is locked to this reader: cancelled here, so that the
      // channel drops the rest of the data set as it arrives instead of
      // waiting for a reader forever.
      this.#inflated?.cancel();
      await this.#reader.cancel(e).catch(() => {});
      throw e;
    }
    const value = this.#ready.shift();
    return value === undefined ? { done: true } : { done: false, value };
  }

  /** Drops the rest of the data set. */
  cancel(reason?: unknown): Promise<void> {
    this.#inflated?.cancel();
    return this.#reader.cancel(reason);
  }

  #verify(final: boolean): boolean {
    return headerMatches(this.#held!.peek(), this.#facts.transferSyntax, this.#facts, final);
  }

  async #next(): Promise<void> {
    const { value: chunk, done } = await this.#reader.read();
    if (done) {
      this.#structure.finish();
      await this.#inflated?.finish();
      if (this.#held !== undefined) {
        this.#verify(true);
        this.#ready.push(...this.#held.drain());
      }
      this.#done = true;
      return;
    }
    this.#structure.push(chunk);
    await this.#inflated?.push(chunk);
    if (this.#held === undefined) return void this.#ready.push(chunk);
    // The header is nearly always in the first chunk: joined (copied) only when it is not.
    this.#held.push(chunk);
    if (this.#verify(false)) {
      this.#ready.push(...this.#held.drain());
      this.#held = undefined;
    }
  }
}

/** The status an error of a store becomes (PS3.4 Table B.2-1). */
export function storeFailureStatus(error: unknown): number {
  if (error instanceof DimseStatusError) return error.status;
  if (error instanceof DicomDecodeError) return STATUS.CANNOT_UNDERSTAND;
  return STATUS.OUT_OF_RESOURCES;
}

/**
 * Builds the C-STORE-RQ handler for a store target; `resources.temp`
 * supplies temporary files created ahead of need (see
 * {@linkcode TempFilePool}), `resources.sync` flushes deferred files.
 */
export function createStoreHandler(
  target: StoreTarget,
  association: { callingAeTitle: string; calledAeTitle: string },
  resources: StoreResources = {},
): RequestHandler<"C-STORE-RQ"> {
  const { temp, sync } = resources;
  const durable = target.durable ?? true;
  const tell = (file: StoredFile) => {
    try {
      target.onFileStored?.(file);
    } catch {
      // The file is stored and was answered so: a callback's failure changes nothing.
    }
  };
  if (durable === "deferred" && target.directory !== undefined && !target.handleObject && !sync) {
    throw new TypeError('durable: "deferred" needs a DeferredSync to flush the files');
  }
  return async (request: IncomingRequest<"C-STORE-RQ">, context: RequestContext<"C-STORE-RQ">) => {
    const c = request.command;
    const facts: ObjectFacts = {
      sopClassUid: c.affectedSopClassUid,
      sopInstanceUid: c.affectedSopInstanceUid,
      transferSyntax: request.transferSyntax,
      sourceAeTitle: association.callingAeTitle,
    };
    // A SOP Instance UID that is no UID (PS3.5 §9.1) would name no file
    // safely (two could map to one name, or to a hidden one): refused before
    // anything is read or written. The rest of its data set is dropped as it
    // arrives once the response is sent.
    const invalid = uidProblem(c.affectedSopInstanceUid);
    if (invalid !== undefined) {
      await request.dataset?.cancel().catch(() => {});
      await context.respond({
        status: STATUS.INVALID_SOP_INSTANCE,
        errorComment: `Affected SOP Instance UID ${invalid}`.slice(0, 64),
      });
      return;
    }
    // One pass checks the structure (truncation, bad lengths) and, before any
    // byte goes on, that the header names the command's SOP instance.
    const raw = request.dataset ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() });
    const journal = target.handleObject === undefined && target.directory !== undefined &&
        durable !== "deferred"
      ? await _journalOf.get(resources)
      : undefined;
    // Files are written from the checked chunks themselves; a handler of
    // the user's gets a stream.
    const reader = target.handleObject === undefined ? new CheckedReader(raw, facts) : undefined;
    const dataset = reader ? undefined : checked(raw, facts);
    const drop = () => (reader ?? dataset!).cancel().catch(() => {});
    let status: number;
    let stored: StoredFile | undefined;
    let comment: string | undefined;
    try {
      if (target.handleObject) {
        let used = false;
        const object: IncomingObject = {
          ...facts,
          messageId: c.messageId,
          callingAeTitle: association.callingAeTitle,
          calledAeTitle: association.calledAeTitle,
          moveOriginatorAeTitle: c.moveOriginatorAeTitle,
          moveOriginatorMessageId: c.moveOriginatorMessageId,
          dataset: dataset!,
          readDataset: async () => {
            if (used) throw new TypeError("The data set was already read");
            used = true;
            const bytes = new Uint8Array(await new Response(dataset!).arrayBuffer());
            // Decoded as a Part 10 body in the context's transfer syntax, inflating if deflated.
            return (await readPart10(withMeta(bytes, facts))).dataset;
          },
        };
        status = (await target.handleObject(object)) ?? STATUS.SUCCESS;
        // A handler that did not read the data set still must not leave it half-received.
        await drop();
      } else if (target.directory !== undefined) {
        const name = (target.fileName ?? defaultFileName)(facts);
        const path = `${target.directory}/${name}`;
        const file = (size: number): StoredFile => ({
          ...facts,
          path,
          size,
          callingAeTitle: association.callingAeTitle,
        });
        if (journal && reader && temp) {
          // Journaled and flushed there, while its file is written (not
          // flushed): both done before success (see StoreTarget.journal).
          const { size, placed } = await _journalPart10(journal, name, path, facts, reader, {
            durable,
            temp,
          });
          await placed;
          stored = file(size);
          await Promise.resolve(target.processFile?.(stored)).catch(() => {});
        } else {
          const { size } = await _writePart10Atomically(path, facts, reader!, {
            durable,
            ...(temp ? { temp } : {}),
            ...(sync ? { sync } : {}),
            // Deferred: the file is in place only later, and is reported then.
            onPlaced: async (size) => {
              const placed = file(size);
              await Promise.resolve(target.processFile?.(placed)).catch(() => {});
              tell(placed);
            },
          });
          if (durable !== "deferred") {
            stored = file(size);
            await Promise.resolve(target.processFile?.(stored)).catch(() => {});
          }
        }
        status = STATUS.SUCCESS;
      } else {
        throw new TypeError("A store target needs handleObject or directory");
      }
    } catch (e) {
      status = storeFailureStatus(e);
      comment = failureComment(e);
      await drop();
    }
    await context.respond({
      status,
      ...(comment ? { errorComment: comment.slice(0, 64) } : {}),
    });
    if (stored) target.onFileStored?.(stored);
  };
}

/**
 * What a peer is told of a failed store: the status's reason and the data
 * set's fault, never an I/O error's message, which names the server's files.
 */
function failureComment(error: unknown): string {
  if (error instanceof DimseStatusError) return error.errorComment ?? describeStatus(error.status);
  if (error instanceof DicomDecodeError) return error.message;
  // A file system error (a folder missing, not a folder, not writable, a full
  // disk) says so, so it is not taken for a negotiation problem (issue 12).
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && error instanceof Error) {
    return `Cannot write to the folder (${error.name}, ${code})`;
  }
  const kind = error instanceof Error && error.name !== "Error" ? ` (${error.name})` : "";
  return `Cannot store the object${kind}`;
}

function withMeta(body: Uint8Array, facts: ObjectFacts): Uint8Array {
  const head = encodeFileMeta(createFileMeta(undefined, facts));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}
