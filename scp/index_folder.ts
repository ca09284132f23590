/**
 * Indexing the folder a Query/Retrieve SCP serves, File-sets included: when
 * the folder has a DICOMDIR (PS3.10 §9.2: at the File-set's root), the files
 * its records reference are indexed first, in record order, then any other
 * file under the folder (objects C-STOREd since).
 *
 * @module
 */
import { resolve } from "node:path";
import type { Archive } from "../archive/mod.ts";
import { readFileSet } from "../media/mod.ts";

/** Options of {@linkcode indexFolder}. */
export interface IndexFolderOptions {
  /** Told about each file, with why it was skipped if it was. */
  onFile?: (path: string, error: Error | undefined) => void;
  /** Told what the DICOMDIR's reader passed over (missing files, unreachable records). */
  onWarning?: (message: string) => void;
}

/** What {@linkcode indexFolder} did. */
export interface IndexFolderResult {
  /** Files indexed. */
  readonly indexed: number;
  /** Files that are not DICOM, or could not be read. */
  readonly skipped: number;
  /** Instance files the folder's DICOMDIR references, or `undefined` when it has none. */
  readonly referenced: number | undefined;
}

/**
 * Indexes the files under `folder` into `archive`; a File-set's DICOMDIR
 * is read for the files it references rather than indexed as an object.
 *
 * @example Serving a File-set made by a media creator
 * ```ts ignore
 * import { indexFolder, QueryRetrieveScp } from "./mod.ts";
 * import { Archive } from "../archive/mod.ts";
 * using archive = Archive.open();
 * const { indexed, referenced } = await indexFolder(archive, "/media/cdrom");
 * console.log(`${indexed} indexed, ${referenced ?? 0} of them from the DICOMDIR`);
 * await using scp = new QueryRetrieveScp({ port: 11112, archive });
 * ```
 *
 * @param archive The index to fill.
 * @param folder The folder, with or without a DICOMDIR.
 * @param options Callbacks.
 * @returns The counts.
 * @throws {FileSetError} for a DICOMDIR whose record links cannot be followed.
 */
export async function indexFolder(
  archive: Archive,
  folder: string,
  options: IndexFolderOptions = {},
): Promise<IndexFolderResult> {
  const dicomdir = `${folder}/DICOMDIR`;
  let fileSet;
  try {
    fileSet = await readFileSet(dicomdir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const counts = await archive.ingestDirectory(folder, options.onFile);
    return { ...counts, referenced: undefined };
  }
  for (const warning of fileSet.warnings) options.onWarning?.(`${dicomdir}: ${warning}`);
  const done = new Set([resolve(dicomdir)]);
  const referenced: string[] = [];
  for (const { record } of fileSet.walk()) {
    if (record.path === undefined || done.has(resolve(record.path))) continue;
    done.add(resolve(record.path));
    referenced.push(record.path);
  }
  const first = await archive.ingestFiles(referenced, options.onFile);
  const rest = await archive.ingestDirectory(folder, options.onFile, {
    skip: (path) => done.has(resolve(path)),
  });
  return {
    indexed: first.indexed + rest.indexed,
    skipped: first.skipped + rest.skipped,
    referenced: referenced.length,
  };
}
