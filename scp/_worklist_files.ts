// Worklist files as DCMTK's wlmscpfs keeps them: one item per file, "*.wl"
// (or "*.dcm"), Part 10 or a bare data set, in a folder per called AE title.
import { type Dataset, readPart10 } from "../dataset/mod.ts";

/** Files longer than this are not worklist items: skipped with a warning. */
export const MAX_WORKLIST_FILE_LENGTH = 4 * 1024 * 1024;

/** Names of worklist files: what wlmscpfs reads (".wl"), and ".dcm". */
const WORKLIST_FILE = /\.(wl|dcm)$/i;

/**
 * An AE title that can name a subfolder: printable, no path separator, not
 * "." or "..". The peer chooses it; it must not lead out of the folder.
 */
function isFolderName(aeTitle: string): boolean {
  return /^[A-Za-z0-9 _.-]{1,16}$/.test(aeTitle) && !/^\.+$/.test(aeTitle);
}

/** Whether `path` is a folder; false when it is absent or anything else. */
async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The folder a query is answered from: `directory/<calledAeTitle>` when
 * there is such a subfolder (wlmscpfs's layout), else `directory` itself.
 */
export async function worklistFolder(directory: string, calledAeTitle: string): Promise<string> {
  const ae = calledAeTitle.trim();
  if (isFolderName(ae) && await isDirectory(`${directory}/${ae}`)) return `${directory}/${ae}`;
  return directory;
}

/** Files read at once ahead of the one being matched: the reads, not the matching, take the time. */
const READ_AHEAD = 16;

/** One worklist file's item, or why it cannot be read. */
async function readWorklistFile(path: string): Promise<Dataset | Error> {
  try {
    const { size } = await Deno.stat(path);
    if (size > MAX_WORKLIST_FILE_LENGTH) {
      throw new RangeError(`${size} bytes, more than ${MAX_WORKLIST_FILE_LENGTH}`);
    }
    return (await readPart10(await Deno.readFile(path))).dataset;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * Reads the worklist items of a folder, in file name order, afresh on each
 * call, up to {@linkcode READ_AHEAD} files ahead. A file that cannot be read
 * or decoded (removed since listed, unreadable, not DICOM) is skipped with a
 * warning; the query goes on.
 */
export async function* readWorklistFolder(
  directory: string,
  calledAeTitle: string,
  onWarning?: (message: string) => void,
): AsyncGenerator<Dataset> {
  const folder = await worklistFolder(directory, calledAeTitle);
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile && WORKLIST_FILE.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  const paths = names.map((name) => `${folder}/${name}`);
  const reads: Promise<Dataset | Error>[] = [];
  let next = 0;
  while (next < paths.length && reads.length < READ_AHEAD) {
    reads.push(readWorklistFile(paths[next++]!));
  }
  for (const path of paths) {
    const item = await reads.shift()!;
    if (next < paths.length) reads.push(readWorklistFile(paths[next++]!));
    if (item instanceof Error) {
      onWarning?.(`Skipping worklist file ${path}: ${item.message}`);
      continue;
    }
    yield item;
  }
}
