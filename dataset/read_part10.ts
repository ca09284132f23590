/**
 * Reading Part 10 files from streams with bounded memory, including Deflated
 * Explicit VR Little Endian (PS3.5 §A.5), and writing them deflated.
 *
 * @module
 */
import { transferSyntaxInfo, Uid } from "../dictionary/mod.ts";
import { Dataset } from "./dataset.ts";
import { encodingOf } from "./encoding.ts";
import { Decoder } from "./_decoder.ts";
import { UNDEFINED_LENGTH } from "./element.ts";
import { encodeDataset } from "./encode.ts";
import { DicomDecodeError } from "./errors.ts";
import {
  createFileMeta,
  decodePart10,
  decodePart10Header,
  type DecodePart10Options,
  encodeFileMeta,
  type FileMetaOptions,
  type Part10File,
} from "./part10.ts";
import { StreamByteQueue } from "./bytes.ts";
import { inflateRawStream } from "./_inflate.ts";

export { inflateRaw, inflateRawStream } from "./_inflate.ts";

/** Options of {@linkcode readPart10}: those of decodePart10 but `onItem` (offsets are known only for bytes held whole). */
export interface ReadPart10Options extends Omit<DecodePart10Options, "onItem"> {
  /** Cancels the read; the source stream is cancelled too. */
  signal?: AbortSignal;
  /**
   * Top-level values longer than this many bytes (sequences aside) are
   * passed over as they stream by and left out of the data set, so that a
   * header read for indexing holds no large value: neither a 50 MB
   * encapsulated document nor a small deflated file that inflates to a
   * 1 GiB value (a deflate bomb).
   *
   * @default {Infinity}
   */
  skipValuesLongerThan?: number;
}

/** What {@linkcode readPart10} returns. */
export interface Part10Read extends Part10File {
  /**
   * When the read stopped at `stopBefore`: the data set's bytes from that
   * element on (inflated if the file was deflated), for the caller to read or
   * cancel. `undefined` when the whole file was read.
   */
  readonly rest: ReadableStream<Uint8Array> | undefined;
}

/**
 * Reads a Part 10 file from bytes or a stream. With `stopBefore` (e.g.
 * `Tag.PixelData`) only the elements before it are read, so the header of a
 * file of any size is read in memory bounded by its largest element before
 * that point.
 *
 * @example Reading a file's header without its pixel data
 * ```ts ignore
 * import { readPart10 } from "./mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 * using file = await Deno.open("huge.dcm");
 * const { dataset, rest } = await readPart10(file.readable, { stopBefore: Tag.PixelData });
 * await rest?.cancel();
 * console.log(dataset.string(Tag.SOPInstanceUID));
 * ```
 *
 * @throws {DicomDecodeError} for malformed or truncated input.
 */
export async function readPart10(
  source: Uint8Array | ReadableStream<Uint8Array>,
  options: ReadPart10Options = {},
): Promise<Part10Read> {
  options.signal?.throwIfAborted();
  if (source instanceof Uint8Array) {
    // Only the transfer syntax is needed here: decodePart10() reports the warnings.
    const { onWarning: _, ...quiet } = options;
    const header = decodePart10Header(source, quiet);
    if (
      !transferSyntaxInfo(header.transferSyntax)?.deflated && options.stopBefore === undefined &&
      options.skipValuesLongerThan === undefined
    ) {
      return { ...decodePart10(source, options), rest: undefined };
    }
    source = new Blob([source as Uint8Array<ArrayBuffer>]).stream();
  }
  const reader = source.getReader();
  const onAbort = () => reader.cancel(options.signal?.reason).catch(() => {});
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let handedOver = false;
  try {
    let queue = new StreamByteQueue(reader);
    // The header: small, so decoded again from the start when more bytes
    // arrive; only the warnings of the attempt that succeeds are reported.
    let header;
    const headerWarnings: string[] = [];
    for (let want = 1024;; want *= 2) {
      await queue.fill(want);
      headerWarnings.length = 0;
      try {
        header = decodePart10Header(queue.peek(), {
          ...options,
          onWarning: (m) => headerWarnings.push(m),
        });
        // A meta group that ends exactly where the bytes do may go on: read more first.
        if (header.datasetOffset < queue.length || queue.done) break;
      } catch (e) {
        if (queue.done || !(e instanceof DicomDecodeError && e.truncated)) throw e;
        want = Math.max(want, e.needed ?? 0);
      }
    }
    for (const m of headerWarnings) options.onWarning?.(m);
    queue.consume(header.datasetOffset);
    const base = queue.consumed;
    if (transferSyntaxInfo(header.transferSyntax)?.deflated) {
      // Inflated as it is read, in bounded memory (PS3.5 §A.5).
      queue = new StreamByteQueue(inflateRawStream(queue.rest(), options.onWarning).getReader());
    }
    const dataset = new Dataset(options.onWarning ? { onWarning: options.onWarning } : {});
    const encoding = encodingOf(header.transferSyntax);
    const stop = options.stopBefore ?? Infinity;
    const skipLongerThan = options.skipValuesLongerThan ?? Infinity;
    // An element cut off by the end of the buffered bytes is decoded again once
    // more arrive: its warnings are held until it decodes whole, so each is
    // reported once.
    const pending: string[] = [];
    const decoderOptions = { ...options, onWarning: (m: string) => pending.push(m) };
    const flush = () => {
      for (const m of pending) options.onWarning?.(m);
      pending.length = 0;
    };
    for (;;) {
      options.signal?.throwIfAborted();
      if (queue.length === 0 && !(await queue.fill(1))) break;
      const bytes = queue.peek();
      const decoder = new Decoder(bytes, encoding, base + queue.consumed, decoderOptions);
      decoder.complete = queue.done;
      let pos = 0;
      let stopped = false;
      let skip = 0;
      try {
        while (pos < bytes.length) {
          if (pos + 4 <= bytes.length && decoder.tagAt(pos) >= stop) {
            stopped = true;
            break;
          }
          // The header is read twice only when values may be skipped.
          const head = skipLongerThan === Infinity ? undefined : decoder.headerAt(pos, dataset);
          if (
            head !== undefined && head.length !== UNDEFINED_LENGTH && head.vr !== "SQ" &&
            head.length > skipLongerThan
          ) {
            skip = head.headerLength + head.length;
            break;
          }
          pos = decoder.element(dataset, pos, bytes.length, 0);
          flush();
        }
      } catch (e) {
        if (!(e instanceof DicomDecodeError && e.truncated) || queue.done) {
          flush();
          throw e;
        }
        pending.length = 0;
        queue.consume(pos);
        const needed = (e.needed ?? 0) - (base + queue.consumed);
        await queue.fill(Math.max(needed, queue.length + 1));
        continue; // at the end of the stream, decoding again throws the error
      }
      queue.consume(pos);
      if (skip > 0) {
        // Passed over as it streams by: never more than a chunk held at once.
        while (skip > queue.length) {
          skip -= queue.length;
          queue.consume(queue.length);
          if (!(await queue.fill(1))) {
            throw new DicomDecodeError(
              `Cannot pass over a value: the data set ends ${skip} bytes before its end`,
              base + queue.consumed,
              { truncated: true },
            );
          }
        }
        queue.consume(skip);
        continue;
      }
      if (stopped) {
        handedOver = true;
        return { ...header, dataset, rest: queue.rest() };
      }
    }
    return { ...header, dataset, rest: undefined };
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (!handedOver) reader.releaseLock();
  }
}

/** Options of {@linkcode writePart10}. */
export type WritePart10Options = FileMetaOptions;

/**
 * Encodes a Part 10 file in any transfer syntax, deflating the data set for
 * Deflated Explicit VR Little Endian (PS3.5 §A.5) with `CompressionStream`.
 */
export async function writePart10(
  dataset: Dataset,
  options: WritePart10Options = {},
): Promise<Uint8Array> {
  const ts = options.transferSyntax ?? Uid.ExplicitVRLittleEndian;
  const head = encodeFileMeta(createFileMeta(dataset, options));
  let body = encodeDataset(dataset, { transferSyntax: ts });
  if (transferSyntaxInfo(ts)?.deflated) body = await deflateDataset(body);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/**
 * Deflates an encoded data set for Deflated Explicit VR Little Endian (PS3.5
 * §A.5): raw DEFLATE, padded with one NUL byte to an even length.
 */
export async function deflateDataset(bytes: Uint8Array): Promise<Uint8Array> {
  const deflated = await deflateRaw(bytes);
  if ((deflated.length & 1) === 0) return deflated;
  const padded = new Uint8Array(deflated.length + 1);
  padded.set(deflated);
  return padded;
}

/** Deflates bytes as raw DEFLATE (RFC 1951), the form PS3.5 §A.5 uses. */
export async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
