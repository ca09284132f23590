/**
 * Reading a DICOM File-set (PS3.10 §8, §9): its DICOMDIR, an instance of the
 * Basic Directory IOD (PS3.3 Annex F), as a tree of directory records.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { type Dataset, decodePart10 } from "../dataset/mod.ts";
import { formatTag, Tag } from "../dictionary/mod.ts";
import { DicomError } from "../errors.ts";

/**
 * The record types of PS3.3 Table F.4-1 met most often; any other Directory
 * Record Type (0004,1430) value is kept as it is written.
 */
export type DirectoryRecordType =
  | "PATIENT"
  | "STUDY"
  | "SERIES"
  | "IMAGE"
  | (string & Record<never, never>);

/** One directory record of a DICOMDIR (PS3.3 F.3.2.2), with the records below it. */
export interface DirectoryRecord {
  /** Directory Record Type (0004,1430), e.g. `"IMAGE"`; `""` when absent. */
  readonly type: DirectoryRecordType;
  /** The record's item: its keys (PatientID, StudyInstanceUID, ...) and link attributes. */
  readonly dataset: Dataset;
  /** The records of the lower-level directory entity, in link order; inactive ones left out. */
  readonly children: DirectoryRecord[];
  /**
   * Referenced File ID (0004,1500) resolved against the DICOMDIR's folder, its
   * components joined with the OS separator; absent when the record references
   * no file.
   */
  readonly path?: string;
  /** Where the record's Item tag (FFFE,E000) is, in bytes from the start of the DICOMDIR. */
  readonly offset: number;
}

/** A record met by {@linkcode FileSet.walk}, with its depth (0 for the root directory entity). */
export interface WalkedRecord {
  /** The record. */
  readonly record: DirectoryRecord;
  /** How many records are above it. */
  readonly depth: number;
}

/** A File-set as its DICOMDIR describes it. */
export interface FileSet {
  /** File-set ID (0004,1130); `""` when empty or absent. */
  readonly fileSetId: string;
  /** The records of the root directory entity, in link order. */
  readonly records: DirectoryRecord[];
  /**
   * What was read past: referenced files that do not exist (one line each,
   * naming the record), File IDs that are not conformant (PS3.10 §8.2) and
   * records that no link reaches.
   */
  readonly warnings: string[];
  /** Every record, depth first, parents before their children. */
  walk(): Generator<WalkedRecord>;
}

/**
 * A DICOMDIR whose record links cannot be followed: an offset that points to
 * no record, a loop, or records with no root offset.
 *
 * @example Telling a broken DICOMDIR from other errors
 * ```ts
 * import { FileSetError } from "./mod.ts";
 * const e = new FileSetError("the STUDY record at offset 510 links to offset 7");
 * console.log(e.name); // "FileSetError"
 * ```
 */
export class FileSetError extends DicomError {
  /**
   * Constructs a new instance.
   *
   * @param message What is wrong, naming the record.
   * @param options The cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FileSetError";
  }
}

/** Record In-use Flag (0004,1410) of an inactive record (PS3.3 Table F.3-3). */
const INACTIVE = 0x0000;

/**
 * A File ID component that stays inside the File-set's folder. PS3.10 §8.2
 * allows only 1–8 of A–Z, 0–9 and `_`; real media break that (lower case,
 * longer names), so only what could leave the folder is refused: empty,
 * `.`, `..`, separators and NUL.
 */
const SAFE_COMPONENT = /^(?!\.{1,2}$)[^/\\\0]+$/;

/** A conformant File ID component (PS3.10 §8.2): 1–8 of A–Z, 0–9 and `_`; at most 8 of them. */
const CONFORMANT_COMPONENT = /^[A-Z0-9_]{1,8}$/;
const MAX_FILE_ID_COMPONENTS = 8;

/** Deepest nesting of directory entities followed (the General Purpose profiles use 4). */
const MAX_DEPTH = 64;

function describe(item: Dataset, offset: number): string {
  const type = item.string(Tag.DirectoryRecordType)?.trim();
  return `the ${type || "untyped"} record at offset ${offset}`;
}

/**
 * A record link or flag (UL/US, PS3.3 Table F.3-3) as a number, 0 when
 * absent; a value that is not a number is a {@linkcode FileSetError} naming
 * where it is, not the TypeError `Dataset.number()` throws.
 */
function link(ds: Dataset, tag: number, where: string): number {
  try {
    return ds.number(tag) ?? 0;
  } catch (e) {
    throw new FileSetError(
      `Cannot read the DICOMDIR: ${where} has ${
        formatTag(tag)
      }, an offset or flag that is not a number`,
      { cause: e },
    );
  }
}

/**
 * Builds the record tree of a decoded DICOMDIR. `offsets` gives each item of
 * the Directory Record Sequence (0004,1220) the offset of its Item tag from
 * the first byte of the file: the offsets the links count (PS3.3 F.3.2.1,
 * Table F.3-3: "the byte offset ... of the first byte of the Item Tag").
 */
function buildTree(
  dataset: Dataset,
  offsets: ReadonlyMap<Dataset, number>,
  folder: string,
  warnings: string[],
): DirectoryRecord[] {
  const byOffset = new Map<number, Dataset>();
  const items = dataset.items(Tag.DirectoryRecordSequence);
  for (const item of items) {
    const at = offsets.get(item);
    if (at !== undefined) byOffset.set(at, item);
  }
  const root = link(
    dataset,
    Tag.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity,
    "the DICOMDIR's header",
  );
  if (root === 0 && items.length > 0) {
    // Without the root offset the tree could only be guessed from the
    // sequence order; a clear error is better than a guessed tree.
    throw new FileSetError(
      `Cannot read the DICOMDIR: ${items.length} directory records but no Offset of the First Directory Record of the Root Directory Entity (0004,1200)`,
    );
  }
  const visited = new Set<number>();
  const chain = (first: number, from: string, depth: number): DirectoryRecord[] => {
    const out: DirectoryRecord[] = [];
    let previous = from;
    for (let offset = first; offset !== 0;) {
      const item = byOffset.get(offset);
      if (item === undefined) {
        throw new FileSetError(
          `Cannot read the DICOMDIR: ${previous} links to offset ${offset}, where no directory record starts`,
        );
      }
      const name = describe(item, offset);
      if (visited.has(offset)) {
        throw new FileSetError(
          `Cannot read the DICOMDIR: ${previous} links back to ${name}, a loop`,
        );
      }
      if (depth >= MAX_DEPTH) {
        throw new FileSetError(
          `Cannot read the DICOMDIR: ${name} is nested deeper than ${MAX_DEPTH} levels`,
        );
      }
      visited.add(offset);
      const lower = link(item, Tag.OffsetOfReferencedLowerLevelDirectoryEntity, name);
      if (link(item, Tag.RecordInUseFlag, name) !== INACTIVE) {
        const ids = item.strings(Tag.ReferencedFileID).map((s) => s.trim());
        const unsafe = ids.find((id) => !SAFE_COMPONENT.test(id));
        if (unsafe !== undefined) {
          warnings.push(
            `${name} has Referenced File ID ${JSON.stringify(ids.join("\\"))}: component ${
              JSON.stringify(unsafe)
            } could leave the File-set; no path given`,
          );
        } else {
          // Readable, but not what a conformant File-set Creator writes.
          const odd = ids.find((id) => !CONFORMANT_COMPONENT.test(id));
          if (odd !== undefined) {
            warnings.push(
              `${name} has Referenced File ID ${JSON.stringify(ids.join("\\"))}: component ${
                JSON.stringify(odd)
              } is not 1 to 8 of A-Z, 0-9 and _ (PS3.10 8.2)`,
            );
          } else if (ids.length > MAX_FILE_ID_COMPONENTS) {
            warnings.push(
              `${name} has Referenced File ID ${
                JSON.stringify(ids.join("\\"))
              }: ${ids.length} components, more than the 8 PS3.10 8.2 allows`,
            );
          }
        }
        const record: DirectoryRecord = {
          type: item.string(Tag.DirectoryRecordType)?.trim() ?? "",
          dataset: item,
          children: chain(lower, name, depth + 1),
          offset,
          ...(ids.length > 0 && unsafe === undefined ? { path: join(folder, ...ids) } : {}),
        };
        out.push(record);
      }
      previous = name;
      offset = link(item, Tag.OffsetOfTheNextDirectoryRecord, name);
    }
    return out;
  };
  const records = chain(root, "the root directory entity", 0);
  const unreached = items.length - visited.size;
  if (unreached > 0) {
    warnings.push(
      `${unreached} of the ${items.length} directory records are not reached by the links from the root through active records: left out`,
    );
  }
  return records;
}

function* walkRecords(records: readonly DirectoryRecord[], depth: number): Generator<WalkedRecord> {
  for (const record of records) {
    yield { record, depth };
    yield* walkRecords(record.children, depth + 1);
  }
}

/**
 * Decodes a DICOMDIR held in memory into its record tree; referenced files
 * are resolved against `folder` but not looked for.
 *
 * @example Reading the records of a DICOMDIR
 * ```ts
 * import { decodeFileSet } from "./mod.ts";
 * const url = new URL(
 *   "../tests/data/pydicom/test_files/dicomdirtests/DICOMDIR",
 *   import.meta.url,
 * );
 * const fileSet = decodeFileSet(await Deno.readFile(url), "/media/cd");
 * console.log(fileSet.records.map((r) => r.type)); // ["PATIENT", "PATIENT"]
 * ```
 *
 * @param bytes The DICOMDIR file.
 * @param folder The folder the DICOMDIR is in.
 * @throws {DicomDecodeError} for a file that does not decode.
 * @throws {FileSetError} for record links that cannot be followed.
 */
export function decodeFileSet(bytes: Uint8Array, folder: string): FileSet {
  const offsets = new Map<Dataset, number>();
  const { dataset } = decodePart10(bytes, { onItem: (item, at) => offsets.set(item, at) });
  const warnings: string[] = [];
  const records = buildTree(dataset, offsets, folder, warnings);
  return {
    fileSetId: dataset.string(Tag.FileSetID)?.trim() ?? "",
    records,
    warnings,
    walk: () => walkRecords(records, 0),
  };
}

/**
 * Reads a File-set from the path of its DICOMDIR (PS3.10 §9.2: the DICOMDIR
 * is in the File-set's root folder): the record tree, inactive records left
 * out, each Referenced File ID resolved to a path. A referenced file that is
 * missing is a warning in `warnings`, not an error; so is a File ID with a
 * component such as `..` that would leave the folder (that record gets no
 * `path`), a File ID that breaks PS3.10 §8.2 otherwise (lower case, longer
 * components: still resolved), and records that no link reaches.
 *
 * Links are followed by their byte offsets (PS3.3 F.3.2.1), not by the order
 * of the Directory Record Sequence; an absent link counts as 0, the end of
 * its list. A DICOMDIR with records but no root offset (0004,1200) is a
 * {@linkcode FileSetError} rather than a tree guessed from the sequence
 * order.
 *
 * @example Listing the images of a File-set
 * ```ts
 * import { readFileSet } from "./mod.ts";
 * const path = new URL(
 *   "../tests/data/pydicom/test_files/dicomdirtests/DICOMDIR",
 *   import.meta.url,
 * ).pathname;
 * const fileSet = await readFileSet(path);
 * for (const { record, depth } of fileSet.walk()) {
 *   if (record.type === "IMAGE") console.log(depth, record.path);
 * }
 * ```
 *
 * @param path The DICOMDIR's path.
 * @throws {DicomDecodeError} for a file that does not decode.
 * @throws {FileSetError} for record links that cannot be followed.
 */
export async function readFileSet(path: string): Promise<FileSet> {
  const fileSet = decodeFileSet(await Deno.readFile(path), dirname(path));
  for (const { record } of fileSet.walk()) {
    if (record.path === undefined) continue;
    try {
      await Deno.stat(record.path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      fileSet.warnings.push(
        `the ${record.type} record at offset ${record.offset} references ${record.path}, which does not exist`,
      );
    }
  }
  return fileSet;
}
