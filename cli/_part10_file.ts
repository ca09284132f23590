// A Part 10 file read from disk for the commands that read one whole (dump --frames, transcode).
import { type Part10Read, readPart10 } from "../dataset/mod.ts";
import { fileError } from "./_file_error.ts";

/** A Part 10 file read from disk (deflated too); an unreadable file is a {@linkcode fileError}. */
export async function readPart10File(path: string): Promise<Part10Read> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw fileError(path, e);
  }
  return await readPart10(bytes);
}
