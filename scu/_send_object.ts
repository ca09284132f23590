// Choosing the presentation context and the bytes for one object to send by
// C-STORE, converting between uncompressed transfer syntaxes when the peer
// refused the object's own. Shared by store() and the C-GET / C-MOVE SCP.
import type { Association, NegotiatedPresentationContext } from "../association/mod.ts";
import {
  type Dataset,
  decodePart10Header,
  deflateDataset,
  DicomDecodeError,
  encodeDataset,
  readPart10,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from "../dataset/mod.ts";
import { transferSyntaxInfo } from "../dictionary/mod.ts";
import type { OutgoingDataset } from "../dimse/mod.ts";

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
 * Picks the accepted context for an object (its own transfer syntax first,
 * else an uncompressed one to convert to) among those `usable` allows, and
 * opens its data.
 *
 * @throws {Error} naming the object when no usable context fits.
 */
export async function prepareObject(
  association: Association,
  object: SendableObject,
  usable: (context: NegotiatedPresentationContext) => boolean = () => true,
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
    if ((object.size ?? (await Deno.stat(path)).size) <= SMALL_FILE) {
      const bytes = await Deno.readFile(path);
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
  const native = (uid: string) =>
    UNCOMPRESSED_TRANSFER_SYNTAXES.includes(uid) || transferSyntaxInfo(uid)?.deflated === true;
  const target = native(ts) ? candidates.find((c) => native(c.transferSyntax ?? "")) : undefined;
  if (!target) {
    const offered = association.presentationContexts.filter((c) => c.abstractSyntax === sop);
    const why = offered.length === 0
      ? "no context was negotiated for its SOP class"
      : candidates.length === 0
      ? "the peer accepted no usable context for its SOP class"
      : "the peer accepted neither its transfer syntax nor an uncompressed one";
    throw new Error(`Cannot send ${object.name} (${sop}, ${ts}): ${why}`);
  }
  const dataset = object.dataset ?? (await readPart10(await Deno.readFile(object.path!))).dataset;
  let bytes = encodeDataset(dataset, { transferSyntax: target.transferSyntax! });
  if (transferSyntaxInfo(target.transferSyntax!)?.deflated) bytes = await deflateDataset(bytes);
  return {
    contextId: target.id,
    transferSyntax: target.transferSyntax!,
    data: bytes,
    size: bytes.length,
  };
}
