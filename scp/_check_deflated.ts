/**
 * The check of a deflated data set (PS3.5 A.5) a Storage SCP received and
 * wrote: its bytes cannot be checked as they arrive, so the written file is
 * inflated as a stream, in bounded memory, through the same structure check
 * as any other data set, and its header compared with the command's.
 *
 * @module
 */
import { DatasetChecker, DicomDecodeError } from "../dataset/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { headerMatches } from "./_header_check.ts";
import type { ObjectFacts } from "./file_writer.ts";

/**
 * Bytes after the end of a DEFLATE stream tolerated, as some writers leave
 * them (the same limit as `inflateRaw`).
 */
const MAX_TRAILING = 64;

/**
 * Checks the deflated data set in `path` from byte `offset` to the end.
 *
 * @throws {DicomDecodeError} when it does not inflate, or inflates to a
 * malformed or truncated data set.
 * @throws {DimseStatusError} A900 when its SOP Class or Instance UID differ
 * from `facts`.
 */
export async function checkDeflatedFile(
  path: string,
  offset: number,
  facts: ObjectFacts,
): Promise<void> {
  const length = (await Deno.stat(path)).size - offset;
  let first: unknown;
  for (let trim = 0; trim <= Math.min(MAX_TRAILING, length); trim++) {
    try {
      return await inflateAndCheck(path, offset, length - trim, facts);
    } catch (e) {
      // Only a stream that did not inflate is tried again without its last bytes.
      if (!(e instanceof InflateError)) throw e;
      first ??= e.cause;
    }
  }
  throw new DicomDecodeError(
    `Cannot inflate the deflated data set: ${first instanceof Error ? first.message : first}`,
    0,
    { cause: first },
  );
}

/** The DEFLATE stream itself failed (as opposed to the data set it holds). */
class InflateError extends Error {
  constructor(cause: unknown) {
    super("inflate failed", { cause });
    this.name = "InflateError";
  }
}

async function inflateAndCheck(
  path: string,
  offset: number,
  length: number,
  facts: ObjectFacts,
): Promise<void> {
  using file = await Deno.open(path);
  await file.seek(offset, Deno.SeekMode.Start);
  let left = length;
  const deflated = new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      if (left === 0) return controller.close();
      const chunk = new Uint8Array(Math.min(left, 1 << 16));
      const n = await file.read(chunk);
      if (n === null) return controller.close();
      left -= n;
      controller.enqueue(chunk.subarray(0, n));
    },
  });
  const structure = new DatasetChecker(Uid.ExplicitVRLittleEndian);
  let head: Uint8Array | undefined = new Uint8Array(0);
  const reader = deflated.pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (e) {
      throw new InflateError(e);
    }
    if (next.done) break;
    const chunk: Uint8Array = next.value;
    structure.push(chunk);
    if (head !== undefined) {
      const joined: Uint8Array = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      head = headerMatches(joined, Uid.ExplicitVRLittleEndian, facts, false) ? undefined : joined;
    }
  }
  structure.finish();
  if (head !== undefined) headerMatches(head, Uid.ExplicitVRLittleEndian, facts, true);
}
