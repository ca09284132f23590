/**
 * Inflating the raw DEFLATE (RFC 1951) data set of Deflated Explicit VR
 * Little Endian (PS3.5 §A.5) as a stream, in bounded memory.
 *
 * This uses node:zlib rather than `DecompressionStream`: Deno's
 * `DecompressionStream("deflate-raw")` ends without an error when the
 * DEFLATE stream is cut short (a truncated data set whose inflated bytes end
 * between two elements would pass as whole), and fails on bytes after the
 * end of the stream, which the padding of PS3.5 §A.5 and some writers leave.
 * zlib reports the first and stops at the end of the stream.
 *
 * @module
 */
import type { InflateRaw } from "node:zlib";
import { ByteQueue } from "./bytes.ts";
import { DicomDecodeError } from "./errors.ts";

/** How many bytes after the end of a DEFLATE stream are tolerated (with a warning). */
const MAX_TRAILING_BYTES = 64;

/**
 * Inflates `source`, raw DEFLATE (RFC 1951) as in a Deflated Explicit VR
 * Little Endian data set, as it is read: compressed bytes are taken only as
 * the output is used. The stream errors with {@linkcode DicomDecodeError}
 * when the bytes are not a complete DEFLATE stream, or when more than 64
 * follow its end; fewer are ignored, with a warning unless they are the
 * single NUL of PS3.5 §A.5's even-length padding.
 *
 * @example
 * ```ts
 * import { deflateRaw, inflateRawStream } from "./mod.ts";
 * const deflated = await deflateRaw(new TextEncoder().encode("hello"));
 * const inflated = inflateRawStream(ReadableStream.from([deflated]));
 * console.log(await new Response(inflated).text()); // "hello"
 * ```
 */
export function inflateRawStream(
  source: ReadableStream<Uint8Array>,
  onWarning?: (message: string) => void,
): ReadableStream<Uint8Array> {
  // node:zlib is loaded on first use: importing it costs about 5 MiB and
  // 20 ms that a program reading no deflated data set should not pay.
  let zlib!: InflateRaw;
  let ended!: Promise<void>;
  const reader = source.getReader();
  const output: Uint8Array[] = [];
  let input = 0;
  let last = -1;
  let inputDone = false;
  const failure = (e: unknown) =>
    e instanceof DicomDecodeError ? e : new DicomDecodeError(
      `Cannot inflate the deflated data set: ${e instanceof Error ? e.message : e}`,
      zlib.bytesWritten,
      { cause: e },
    );
  // One piece of input at a time, and only when the output is used up: what
  // is held stays bounded (DEFLATE expands at most about 1032 to 1).
  const write = (piece: Uint8Array) =>
    new Promise<void>((resolve, reject) =>
      zlib.write(piece, (e?: Error | null) => (e ? reject(e) : resolve()))
    );
  return new ReadableStream<Uint8Array>({
    async start() {
      zlib = (await loadZlib()).createInflateRaw();
      // Node hands out Buffers; callers get plain views of the same bytes.
      zlib.on("data", (chunk: Uint8Array) => {
        output.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      ended = new Promise<void>((resolve, reject) => {
        zlib.on("end", resolve);
        zlib.on("error", reject);
      });
      ended.catch(() => {}); // awaited once the input is written
    },
    async pull(controller) {
      try {
        while (output.length === 0 && !inputDone) {
          const next = await reader.read();
          if (next.done) {
            inputDone = true;
            zlib.end();
            await ended;
            break;
          }
          const chunk = next.value;
          input += chunk.length;
          if (chunk.length > 0) last = chunk[chunk.length - 1]!;
          for (let at = 0; at < chunk.length; at += INPUT_PIECE) {
            await write(chunk.subarray(at, at + INPUT_PIECE));
          }
        }
      } catch (e) {
        await reader.cancel().catch(() => {});
        throw failure(e);
      }
      const chunk = output.shift();
      if (chunk !== undefined) return controller.enqueue(chunk);
      const trailing = input - zlib.bytesWritten;
      if (trailing > MAX_TRAILING_BYTES) {
        throw new DicomDecodeError(
          `Cannot inflate the deflated data set: ${trailing} bytes follow the end of its DEFLATE stream`,
          zlib.bytesWritten,
        );
      }
      const padding = trailing === 1 && last === 0 && input % 2 === 0;
      if (trailing > 0 && !padding) {
        onWarning?.(`Ignored ${trailing} bytes after the end of the deflated data set`);
      }
      controller.close();
    },
    async cancel(reason) {
      zlib.destroy();
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

let zlibModule: Promise<typeof import("node:zlib")> | undefined;
function loadZlib(): Promise<typeof import("node:zlib")> {
  return zlibModule ??= import("node:zlib");
}

/** Compressed bytes handed to zlib at a time. */
const INPUT_PIECE = 16384;

/**
 * Inflates raw DEFLATE bytes (RFC 1951) whole. Bytes after the end of the
 * DEFLATE stream (up to 64, as some writers leave) are dropped with a
 * warning; see {@linkcode inflateRawStream} to inflate a stream.
 *
 * @throws {DicomDecodeError} when the bytes are not a complete DEFLATE stream.
 */
export async function inflateRaw(
  bytes: Uint8Array,
  onWarning?: (message: string) => void,
): Promise<Uint8Array> {
  const source = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  const inflated = new ByteQueue();
  for await (const chunk of inflateRawStream(source, onWarning)) inflated.push(chunk);
  return inflated.take(inflated.length);
}
