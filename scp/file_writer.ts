/**
 * Writes a received object as a Part 10 file atomically: a temporary file in
 * the target folder, the meta information and the data set bytes as received
 * (no re-encoding), fsync, then rename. A crash or error leaves no partial
 * file under the final name (PS3.10 §7 for the file layout).
 *
 * @module
 */
import { createFileMeta, encodeFileMeta } from "../dataset/mod.ts";

/** What {@linkcode writePart10Atomically} needs to know about the object. */
export interface ObjectFacts {
  /** SOP Class UID: Media Storage SOP Class UID of the file. */
  readonly sopClassUid: string;
  /** SOP Instance UID: Media Storage SOP Instance UID of the file. */
  readonly sopInstanceUid: string;
  /** The transfer syntax the data set bytes are in. */
  readonly transferSyntax: string;
  /** Source Application Entity Title (0002,0016): who sent it. */
  readonly sourceAeTitle?: string;
}

/** Bytes gathered before each write to the file. */
const WRITE_BUFFER = 1 << 20;

/** Characters allowed in a file name made from a UID. */
function safeName(uid: string): string {
  const name = uid.replace(/[^0-9A-Za-z._-]/g, "_");
  if (name === "" || name === "." || name === "..") {
    throw new TypeError(`Cannot name a file after UID "${uid}"`);
  }
  return name;
}

/** The default file name of an object: `<SOPInstanceUID>.dcm`. */
export function defaultFileName(facts: ObjectFacts): string {
  return `${safeName(facts.sopInstanceUid)}.dcm`;
}

/**
 * Streams `dataset` into `path` as a Part 10 file, atomically. Returns the
 * number of data set bytes written. On any error the temporary file is
 * removed and the error rethrown; `path` is then untouched.
 */
export async function writePart10Atomically(
  path: string,
  facts: ObjectFacts,
  dataset: ReadableStream<Uint8Array>,
): Promise<number> {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash) || "/" : ".";
  const temp = `${dir}/.${path.slice(slash + 1)}.${crypto.randomUUID()}.partial`;
  const meta = encodeFileMeta(createFileMeta(undefined, {
    sopClassUid: facts.sopClassUid,
    sopInstanceUid: facts.sopInstanceUid,
    transferSyntax: facts.transferSyntax,
    ...(facts.sourceAeTitle ? { sourceAeTitle: facts.sourceAeTitle } : {}),
  }));
  let written = 0;
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
  try {
    try {
      // Coalesce PDV-sized chunks into few large writes: a small object is
      // written (meta information included) in a single call.
      let buffer = new Uint8Array(WRITE_BUFFER);
      buffer.set(meta);
      let filled = meta.length;
      for await (const chunk of dataset) {
        written += chunk.length;
        if (filled + chunk.length > buffer.length) {
          await writeAll(file, buffer.subarray(0, filled));
          filled = 0;
          if (chunk.length >= buffer.length) {
            await writeAll(file, chunk);
            continue;
          }
        }
        buffer.set(chunk, filled);
        filled += chunk.length;
      }
      await writeAll(file, buffer.subarray(0, filled));
      buffer = new Uint8Array(0);
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  }
  await syncDirectory(dir);
  return written;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let p = 0; p < bytes.length;) p += await file.write(bytes.subarray(p));
}

/** Makes the rename durable where the platform allows fsync on a folder. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    using d = await Deno.open(dir, { read: true });
    await d.sync();
  } catch {
    // Not supported everywhere (e.g. Windows); the rename itself is atomic.
  }
}
