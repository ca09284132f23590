/**
 * The check of a deflated data set (PS3.5 A.5) a Storage SCP received and
 * wrote: its bytes cannot be checked as they arrive, so the written file is
 * inflated as a stream, in bounded memory, through the same structure check
 * as any other data set, and its header compared with the command's.
 *
 * @module
 */
import { DatasetChecker, inflateRawStream } from "../dataset/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { headerMatches } from "./_header_check.ts";
import type { ObjectFacts } from "./file_writer.ts";

/**
 * Checks the deflated data set in `path` from byte `offset` to the end.
 *
 * @throws {DicomDecodeError} when it is not a complete DEFLATE stream, or
 * inflates to a malformed or truncated data set.
 * @throws {DimseStatusError} A900 when its SOP Class or Instance UID differ
 * from `facts`.
 */
export async function checkDeflatedFile(
  path: string,
  offset: number,
  facts: ObjectFacts,
): Promise<void> {
  using file = await Deno.open(path);
  await file.seek(offset, Deno.SeekMode.Start);
  const deflated = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = new Uint8Array(1 << 16);
      const n = await file.read(chunk);
      if (n === null) controller.close();
      else controller.enqueue(chunk.subarray(0, n));
    },
  });
  const structure = new DatasetChecker(Uid.ExplicitVRLittleEndian);
  let head: Uint8Array | undefined = new Uint8Array(0);
  for await (const chunk of inflateRawStream(deflated)) {
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
