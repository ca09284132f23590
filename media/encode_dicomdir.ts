/**
 * Encoding a DICOMDIR (PS3.10 §8.6, PS3.3 F.3 Basic Directory IOD) from a
 * tree of directory records, with every record link computed.
 *
 * @module
 */
import {
  createFileMeta,
  Dataset,
  encodeDataset,
  type EncodeDatasetOptions,
  encodeFileMeta,
  generateUid,
} from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { FileSetError } from "./file_set.ts";

/** A record to encode: its keys, and the records of its lower-level directory entity. */
export interface DirectoryTree {
  /** The record's attributes; its link attributes (0004,1400/1410/1420) are set by the encoder. */
  readonly dataset: Dataset;
  /** The records below it, in the order they are linked. */
  readonly children: readonly DirectoryTree[];
}

/** Options of {@linkcode encodeDicomdir}. */
export interface EncodeDicomdirOptions {
  /**
   * File-set ID (0004,1130): up to 16 of A–Z, 0–9, `_` and space (PS3.10 §8.5).
   *
   * @default {""}
   */
  fileSetId?: string;
  /**
   * Media Storage SOP Instance UID of the DICOMDIR, kept across updates.
   *
   * @default {a new 2.25 UID}
   */
  sopInstanceUid?: string;
}

/** Record In-use Flag (0004,1410) of an active record (PS3.3 Table F.3-3). */
const IN_USE = 0xffff;

/** The link attributes the encoder owns in each record. */
const LINKS = new Set<number>([
  Tag.OffsetOfTheNextDirectoryRecord,
  Tag.RecordInUseFlag,
  Tag.OffsetOfReferencedLowerLevelDirectoryEntity,
]);

/** Sequences and items with explicit lengths, as DCMTK writes them by default. */
const EXPLICIT: EncodeDatasetOptions = {
  transferSyntax: Uid.ExplicitVRLittleEndian,
  sequenceLength: "defined",
};

/** A File-set ID component of PS3.10 §8.5: D characters (A–Z, 0–9, `_`) and spaces, at most 16. */
const FILE_SET_ID = /^[A-Z0-9_ ]{0,16}$/;

/**
 * Encodes a DICOMDIR: a Part 10 file (Media Storage Directory Storage, in
 * Explicit VR Little Endian as the General Purpose profiles of PS3.11
 * require) whose Directory Record Sequence holds the records depth first,
 * each parent before its children, and whose offsets (PS3.3 F.3.2.1:
 * from the file's first byte to each record's Item tag) link them. The
 * offsets are found in two passes: every record is encoded once with its
 * links at 0 to learn its size (an offset is a UL: its value never changes
 * a size), then the file is encoded with the offsets set.
 *
 * @example A File-set with one patient
 * ```ts
 * import { decodeFileSet, encodeDicomdir } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 * const patient = new Dataset()
 *   .set(Tag.DirectoryRecordType, "PATIENT")
 *   .set(Tag.PatientID, "P1");
 * const bytes = encodeDicomdir([{ dataset: patient, children: [] }], { fileSetId: "DEMO" });
 * console.log(decodeFileSet(bytes, "/media").records[0]?.type); // "PATIENT"
 * ```
 *
 * @param records The records of the root directory entity, with their children.
 * @param options File-set ID and the DICOMDIR's SOP Instance UID.
 * @returns The DICOMDIR file's bytes.
 * @throws {FileSetError} for a File-set ID that PS3.10 §8.5 does not allow,
 * or records that would start past the 4 GiB a UL offset reaches.
 */
export function encodeDicomdir(
  records: readonly DirectoryTree[],
  options: EncodeDicomdirOptions = {},
): Uint8Array {
  const fileSetId = options.fileSetId ?? "";
  if (!FILE_SET_ID.test(fileSetId)) {
    throw new FileSetError(
      `Cannot use File-set ID ${
        JSON.stringify(fileSetId)
      }: at most 16 of A-Z, 0-9, "_" and space (PS3.10 8.5)`,
    );
  }
  // Depth first, parents before children: each record's item, and where its links point.
  const flat: { item: Dataset; tree: DirectoryTree; next: DirectoryTree | undefined }[] = [];
  const index = new Map<DirectoryTree, number>();
  const flatten = (list: readonly DirectoryTree[]) => {
    list.forEach((tree, i) => {
      const item = new Dataset()
        .set(Tag.OffsetOfTheNextDirectoryRecord, 0, "UL")
        .set(Tag.RecordInUseFlag, IN_USE, "US")
        .set(Tag.OffsetOfReferencedLowerLevelDirectoryEntity, 0, "UL");
      for (const element of tree.dataset) {
        if (!LINKS.has(element.tag) && (element.tag & 0xffff) !== 0) item.setElement(element);
      }
      index.set(tree, flat.length);
      flat.push({ item, tree, next: list[i + 1] });
      flatten(tree.children);
    });
  };
  flatten(records);

  const root = (items: Dataset[]) =>
    new Dataset()
      .set(Tag.FileSetID, fileSetId, "CS")
      .set(Tag.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity, 0, "UL")
      .set(Tag.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity, 0, "UL")
      .set(Tag.FileSetConsistencyFlag, 0, "US")
      .set(Tag.DirectoryRecordSequence, items);
  const head = encodeFileMeta(createFileMeta(undefined, {
    sopClassUid: Uid.MediaStorageDirectoryStorage,
    sopInstanceUid: options.sopInstanceUid ?? generateUid(),
  }));
  // Pass 1: where each item starts. The elements before the sequence, then
  // its 12-byte header (OB/OW/SQ/UN/UT... long form), then the items, each
  // an 8-byte Item header and its defined-length body.
  let at = head.length + encodeDataset(root([]), EXPLICIT).length;
  const offsets: number[] = [];
  for (const { item } of flat) {
    offsets.push(at);
    at += 8 + encodeDataset(item, EXPLICIT).length;
  }
  // An offset is a UL (PS3.3 Table F.3-3): no record may start past 4 GiB.
  if (offsets.length > 0 && offsets.at(-1)! > 0xffff_ffff) {
    throw new FileSetError(
      `Cannot encode a DICOMDIR of ${flat.length} records: a record would start past 4 GiB`,
    );
  }
  // Pass 2: the links (PS3.3 Table F.3-3), then the file.
  const offsetOf = (tree: DirectoryTree | undefined) =>
    tree === undefined ? 0 : offsets[index.get(tree)!]!;
  for (const { item, tree, next } of flat) {
    item.set(Tag.OffsetOfTheNextDirectoryRecord, offsetOf(next), "UL");
    item.set(Tag.OffsetOfReferencedLowerLevelDirectoryEntity, offsetOf(tree.children[0]), "UL");
  }
  const dataset = root(flat.map((f) => f.item))
    .set(Tag.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity, offsetOf(records[0]), "UL")
    .set(
      Tag.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity,
      offsetOf(records.at(-1)),
      "UL",
    );
  const body = encodeDataset(dataset, EXPLICIT);
  if (head.length + body.length !== at) {
    throw new Error(`DICOMDIR sized ${at} bytes but encoded ${head.length + body.length}`);
  }
  const out = new Uint8Array(at);
  out.set(head);
  out.set(body, head.length);
  return out;
}
