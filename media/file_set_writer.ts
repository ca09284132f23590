/**
 * Creating and updating a File-set (PS3.10 §8–9) as a File-set Creator and
 * Updater of the General Purpose profiles (PS3.11): objects copied in under
 * conformant File IDs, their PATIENT / STUDY / SERIES / instance records
 * (PS3.3 Annex F), instances removed with the records left empty above
 * them, and the DICOMDIR written again as a whole, atomically.
 *
 * @module
 */
import { dirname, join, relative, sep } from "node:path";
import {
  Dataset,
  decodePart10,
  DicomDecodeError,
  generateUid,
  isTextVr,
  readPart10,
} from "../dataset/mod.ts";
import { formatTag, lookupElement, Tag, Uid } from "../dictionary/mod.ts";
import { RECORD_KEYS, recordTypeFor } from "./directory_records.ts";
import { type DirectoryTree, encodeDicomdir } from "./encode_dicomdir.ts";
import { FileSetError, readFileSet } from "./file_set.ts";

/** Options of {@linkcode FileSetWriter.open}. */
export interface FileSetWriterOptions {
  /**
   * File-set ID (0004,1130) of a new File-set, or the new one of an existing
   * File-set: up to 16 of A–Z, 0–9, `_` and space.
   *
   * @default {""} for a new File-set; an existing one keeps its own
   */
  fileSetId?: string;
  /**
   * Fill a key that a record requires (Type 1 in PS3.3 F.5) but the object
   * lacks with a placeholder (as DCMTK's `dcmgpdir +I` does) instead of
   * refusing the object: dates 19000101, times 000000, numbers by position,
   * Modality OT, other text "UNKNOWN". Each one filled is a warning.
   *
   * @default {false}
   */
  invent?: boolean;
}

/** What {@linkcode FileSetWriter.add} did with an object. */
export interface AddedInstance {
  /** The record type that references it, e.g. `"IMAGE"`. */
  readonly type: string;
  /** Its SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** Its File ID components in the File-set, e.g. `["DICOM", "1A2B3C4D", ...]`. */
  readonly fileId: readonly string[];
  /** The path of the copy. */
  readonly path: string;
}

/** A record being built: mutable children. */
interface Node extends DirectoryTree {
  readonly dataset: Dataset;
  readonly children: Node[];
}

/** Where an instance record sits in the tree. */
interface Place {
  readonly leaf: Node;
  readonly series: Node;
  readonly study: Node;
  readonly patient: Node;
}

/** A File ID component (PS3.10 §8.2, PS3.11 General Purpose profiles): 1–8 of A–Z, 0–9, `_`. */
const COMPONENT = /^[A-Z0-9_]{1,8}$/;

/** At most 8 components in a File ID (PS3.10 §8.2). */
const MAX_COMPONENTS = 8;

/** Elements of an object read for its record: everything before Pixel Data, long values skipped. */
const PIXEL_DATA_GROUP = 0x7fe0_0000;
const LONGEST_KEY = 1 << 16;

/** The top folder of the copies; the three below it name the study, series and instance. */
const TOP = "DICOM";

/** `text` hashed to a File ID component: 8 base-36 digits of its SHA-256. */
async function component(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  let n = 0n;
  for (const b of digest.subarray(0, 5)) n = (n << 8n) | BigInt(b);
  return n.toString(36).toUpperCase().padStart(8, "0");
}

/** A placeholder for a missing Type 1 key (see {@linkcode FileSetWriterOptions.invent}). */
function placeholder(tag: number, position: number): string | number | undefined {
  const vr = lookupElement(tag)?.vr;
  if (tag === Tag.Modality) return "OT";
  switch (vr) {
    case "DA":
      return "19000101";
    case "TM":
      return "000000";
    case "IS":
      return position;
    case "SQ":
      return undefined;
    default:
      return "UNKNOWN";
  }
}

/** Whether `tag` is absent or has no value: no items, no bytes, or text that is all padding. */
function isEmpty(object: Dataset, tag: number): boolean {
  const element = object.get(tag);
  switch (element?.kind) {
    case undefined:
      return true;
    case "sequence":
      return element.items.length === 0;
    case "fragments":
      return false;
    case "values":
      return element.values.every((v) => String(v).trim() === "");
    case "bytes":
      return isTextVr(element.vr)
        ? object.strings(tag).join("").trim() === ""
        : element.bytes.length === 0;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Creates or updates a File-set in a folder: {@linkcode FileSetWriter.add}
 * copies objects in and makes their records, {@linkcode FileSetWriter.remove}
 * takes instances out, {@linkcode FileSetWriter.commit} writes `DICOMDIR`
 * (to a temporary file renamed over the old one, so a reader sees the old
 * or the new DICOMDIR, never half of one) and only then deletes the files
 * of removed instances.
 *
 * Copies are named `DICOM/<study>/<series>/<instance>`, each component 8
 * base-36 digits of a hash of the UID: conformant File IDs (PS3.10 §8.2:
 * 1–8 of A–Z, 0–9, `_`; 4 levels of the 8 allowed), the same folder for
 * every instance of a series whichever update adds it. Objects are copied
 * byte for byte; the instance record names their transfer syntax.
 *
 * Records of an existing DICOMDIR are kept as they are (their link
 * attributes aside), whatever their type; inactive records are dropped.
 *
 * @example Making a File-set of two files
 * ```ts ignore
 * import { FileSetWriter } from "./mod.ts";
 * const writer = await FileSetWriter.open("out", { fileSetId: "EXPORT" });
 * await writer.add("CT_small.dcm");
 * await writer.add("MR_small.dcm");
 * await writer.commit(); // out/DICOMDIR, out/DICOM/...
 * ```
 */
export class FileSetWriter {
  readonly #folder: string;
  readonly #records: Node[];
  readonly #places = new Map<string, Place>();
  readonly #fileIds = new Set<string>();
  readonly #options: FileSetWriterOptions;
  readonly #sopInstanceUid: string;
  readonly #removed: string[] = [];
  readonly #copied: string[] = [];
  #fileSetId: string;
  /** Warnings: from reading the existing DICOMDIR, and placeholders filled in. */
  readonly warnings: string[];

  private constructor(
    folder: string,
    records: Node[],
    fileSetId: string,
    sopInstanceUid: string,
    warnings: string[],
    options: FileSetWriterOptions,
  ) {
    this.#folder = folder;
    this.#records = records;
    this.#fileSetId = fileSetId;
    this.#sopInstanceUid = sopInstanceUid;
    this.warnings = warnings;
    this.#options = options;
    for (const patient of records) {
      if (this.#type(patient) !== "PATIENT") continue;
      for (const study of patient.children) {
        for (const series of study.children) {
          for (const leaf of series.children) {
            const uid = leaf.dataset.string(Tag.ReferencedSOPInstanceUIDInFile)?.trim();
            if (uid) this.#places.set(uid, { leaf, series, study, patient });
            const id = leaf.dataset.strings(Tag.ReferencedFileID).map((s) => s.trim());
            if (id.length > 0) this.#fileIds.add(id.join("\\").toUpperCase());
          }
        }
      }
    }
  }

  /**
   * Opens the File-set in `folder` for update, or starts a new one when the
   * folder has no DICOMDIR (the folder is created on {@linkcode commit}).
   *
   * @param folder The File-set's root folder, where DICOMDIR is.
   * @param options File-set ID, placeholders.
   * @throws {FileSetError} for a DICOMDIR whose links cannot be followed.
   * @throws {DicomDecodeError} for a DICOMDIR that does not decode.
   */
  static async open(folder: string, options: FileSetWriterOptions = {}): Promise<FileSetWriter> {
    const path = join(folder, "DICOMDIR");
    let bytes: Uint8Array | undefined;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (bytes === undefined) {
      return new FileSetWriter(folder, [], options.fileSetId ?? "", generateUid(), [], options);
    }
    const fileSet = await readFileSet(path);
    const uid = decodePart10(bytes, { stopBefore: 1 }).meta
      .string(Tag.MediaStorageSOPInstanceUID);
    const copy = (records: typeof fileSet.records): Node[] =>
      records.map((r) => ({ dataset: r.dataset, children: copy(r.children) }));
    return new FileSetWriter(
      folder,
      copy(fileSet.records),
      options.fileSetId ?? fileSet.fileSetId,
      uid || generateUid(),
      [...fileSet.warnings],
      options,
    );
  }

  /** The records of the root directory entity as they will be written. */
  get records(): readonly DirectoryTree[] {
    return this.#records;
  }

  /** SOP Instance UIDs of the instances in the File-set. */
  get instances(): string[] {
    return [...this.#places.keys()];
  }

  #type(node: Node): string {
    return node.dataset.string(Tag.DirectoryRecordType)?.trim() ?? "";
  }

  /**
   * The record's keys from the object (PS3.3 F.5): Type 1 and 2 always
   * (Type 1 with a value, or a placeholder, or an error), Type 3 when the
   * object has them; the Specific Character Set when the object has one.
   */
  #record(type: string, object: Dataset, source: string, position: number): Dataset {
    const record = new Dataset();
    const charset = object.get(Tag.SpecificCharacterSet);
    if (charset) record.setElement(charset);
    record.set(Tag.DirectoryRecordType, type, "CS");
    for (const { tag, type: keyType } of RECORD_KEYS[type] ?? []) {
      const element = object.get(tag);
      const empty = isEmpty(object, tag);
      if (keyType === 1 && empty) {
        const name = lookupElement(tag)?.keyword ?? formatTag(tag);
        const value = this.#options.invent ? placeholder(tag, position) : undefined;
        if (value === undefined) {
          throw new FileSetError(
            `Cannot add ${source} to the File-set: it has no ${name} ${
              formatTag(tag)
            }, which its ${type} record requires (PS3.3 F.5)${
              this.#options.invent || lookupElement(tag)?.vr === "SQ"
                ? ""
                : "; the invent option fills a placeholder"
            }`,
          );
        }
        record.set(tag, value);
        this.warnings.push(
          `${source} has no ${name} ${formatTag(tag)}: ${type} record has ${value}`,
        );
      } else if (element !== undefined) {
        record.setElement(element);
      } else if (keyType === 2) {
        record.set(tag, null);
      }
    }
    return record;
  }

  /** The File ID of a new instance: hashed components, another hash on a clash. */
  async #fileIdFor(study: string, series: string, instance: string): Promise<string[]> {
    const id = [TOP, await component(study), await component(series)];
    for (let attempt = 0;; attempt++) {
      const name = await component(attempt === 0 ? instance : `${instance}#${attempt}`);
      const candidate = [...id, name];
      const key = candidate.join("\\");
      if (!this.#fileIds.has(key) && !await exists(join(this.#folder, ...candidate))) {
        return candidate;
      }
    }
  }

  /**
   * Copies a Part 10 file into the File-set and adds its records: its
   * PATIENT (matched by Patient ID), STUDY and SERIES (by their UIDs) when
   * the File-set has none yet, and the instance record its SOP class calls
   * for (PS3.3 Table F.4-2: IMAGE, SR DOCUMENT, ENCAP DOC, PRESENTATION,
   * RT DOSE, ...). The copy is written to a temporary name and renamed.
   *
   * @param path The file to add.
   * @returns Where it went.
   * @throws {FileSetError} naming the file for an object the File-set
   * cannot take: no Part 10 meta information, no SOP Instance UID, an
   * instance already in the File-set, a SOP class with no record type, a
   * study already filed under another patient, a missing key.
   * @throws {DicomDecodeError} for a file that does not decode.
   */
  async add(path: string): Promise<AddedInstance> {
    let read;
    {
      using file = await Deno.open(path);
      try {
        read = await readPart10(file.readable, {
          stopBefore: PIXEL_DATA_GROUP,
          skipValuesLongerThan: LONGEST_KEY,
        });
      } catch (e) {
        if (e instanceof DicomDecodeError) {
          throw new FileSetError(`Cannot add ${path} to the File-set: ${e.message}`, { cause: e });
        }
        throw e;
      }
      await read.rest?.cancel();
    }
    const { meta, dataset, transferSyntax } = read;
    const fail = (why: string) => new FileSetError(`Cannot add ${path} to the File-set: ${why}`);
    // PS3.10 §7.1: a file of a File-set is a Part 10 file, meta information included.
    if (!meta.has(Tag.TransferSyntaxUID)) {
      throw fail("it has no File Meta Information (PS3.10 7.1)");
    }
    const uid = (tag: number, name: string) => {
      const value = dataset.string(tag)?.trim();
      if (!value) throw fail(`it has no ${name} ${formatTag(tag)}`);
      return value;
    };
    if (meta.string(Tag.MediaStorageSOPClassUID) === Uid.MediaStorageDirectoryStorage) {
      throw fail("it is a DICOMDIR: add the files its records reference (readFileSet)");
    }
    const sopClassUid = dataset.string(Tag.SOPClassUID)?.trim() ||
      uid(Tag.MediaStorageSOPClassUID, "SOP Class UID");
    const sopInstanceUid = uid(Tag.SOPInstanceUID, "SOP Instance UID");
    const studyUid = uid(Tag.StudyInstanceUID, "Study Instance UID");
    const seriesUid = uid(Tag.SeriesInstanceUID, "Series Instance UID");
    const existing = this.#places.get(sopInstanceUid);
    if (existing) {
      const at = existing.leaf.dataset.strings(Tag.ReferencedFileID).join("\\");
      throw fail(`SOP Instance UID ${sopInstanceUid} is already in the File-set, at ${at}`);
    }
    const type = recordTypeFor(sopClassUid);
    if (type === undefined) {
      throw fail(`no directory record type for SOP class ${sopClassUid} (PS3.3 Table F.4-2)`);
    }

    // Find or make the records above it.
    // An invented Patient ID is the one an earlier object without one got: one PATIENT record for them.
    const patientId = dataset.string(Tag.PatientID)?.trim() ||
      (this.#options.invent ? String(placeholder(Tag.PatientID, 1)) : "");
    let study: Node | undefined, patient: Node | undefined, series: Node | undefined;
    for (const p of this.#records) {
      if (this.#type(p) !== "PATIENT") continue;
      for (const s of p.children) {
        if (s.dataset.string(Tag.StudyInstanceUID)?.trim() === studyUid) [patient, study] = [p, s];
      }
    }
    if (patient && (patient.dataset.string(Tag.PatientID)?.trim() ?? "") !== patientId) {
      throw fail(
        `its study ${studyUid} is filed under Patient ID ${
          JSON.stringify(patient.dataset.string(Tag.PatientID)?.trim())
        }, not ${JSON.stringify(patientId)}`,
      );
    }
    patient ??= this.#records.find((p) =>
      this.#type(p) === "PATIENT" && (p.dataset.string(Tag.PatientID)?.trim() ?? "") === patientId
    );
    const made: [Node[], Node][] = [];
    if (!patient) {
      patient = { dataset: this.#record("PATIENT", dataset, path, 1), children: [] };
      made.push([this.#records, patient]);
    }
    if (!study) {
      study = {
        dataset: this.#record("STUDY", dataset, path, patient.children.length + 1),
        children: [],
      };
      made.push([patient.children, study]);
    }
    series = study.children.find((s) =>
      s.dataset.string(Tag.SeriesInstanceUID)?.trim() === seriesUid
    );
    if (!series) {
      series = {
        dataset: this.#record("SERIES", dataset, path, study.children.length + 1),
        children: [],
      };
      made.push([study.children, series]);
    }
    const leafSet = this.#record(type, dataset, path, series.children.length + 1);

    const fileId = await this.#fileIdFor(studyUid, seriesUid, sopInstanceUid);
    if (fileId.length > MAX_COMPONENTS || !fileId.every((c) => COMPONENT.test(c))) {
      throw new Error(`File ID ${fileId.join("\\")} is not conformant`);
    }
    leafSet
      .set(Tag.ReferencedFileID, fileId, "CS")
      .set(Tag.ReferencedSOPClassUIDInFile, sopClassUid, "UI")
      .set(Tag.ReferencedSOPInstanceUIDInFile, sopInstanceUid, "UI")
      .set(Tag.ReferencedTransferSyntaxUIDInFile, transferSyntax, "UI");

    // The copy first, then the records: a failed copy leaves the tree as it was.
    const target = join(this.#folder, ...fileId);
    await Deno.mkdir(dirname(target), { recursive: true });
    const temporary = join(dirname(target), `.${fileId.at(-1)}.${crypto.randomUUID()}.tmp`);
    try {
      await Deno.copyFile(path, temporary);
      await Deno.rename(temporary, target);
    } catch (e) {
      await Deno.remove(temporary).catch(() => {});
      throw e;
    }
    this.#copied.push(target);
    for (const [list, node] of made) list.push(node);
    const leaf: Node = { dataset: leafSet, children: [] };
    series.children.push(leaf);
    this.#places.set(sopInstanceUid, { leaf, series, study, patient });
    this.#fileIds.add(fileId.join("\\"));
    return { type, sopInstanceUid, fileId, path: target };
  }

  /**
   * Takes an instance out of the File-set: its record, and the SERIES,
   * STUDY and PATIENT records it leaves with no record below them. Its file
   * is deleted by {@linkcode commit}, after the new DICOMDIR is in place.
   *
   * @param sopInstanceUid The instance's SOP Instance UID.
   * @returns Whether the File-set had it.
   */
  remove(sopInstanceUid: string): boolean {
    const place = this.#places.get(sopInstanceUid);
    if (!place) return false;
    const { leaf, series, study, patient } = place;
    const drop = (list: Node[], node: Node) => list.splice(list.indexOf(node), 1);
    drop(series.children, leaf);
    if (series.children.length === 0) drop(study.children, series);
    if (study.children.length === 0) drop(patient.children, study);
    if (patient.children.length === 0) drop(this.#records, patient);
    this.#places.delete(sopInstanceUid);
    const id = leaf.dataset.strings(Tag.ReferencedFileID).map((s) => s.trim());
    if (id.length > 0) {
      this.#fileIds.delete(id.join("\\").toUpperCase());
      const path = join(this.#folder, ...id);
      // Never a file outside the File-set's folder (a File ID with "..").
      if (!relative(this.#folder, path).split(sep).includes("..")) this.#removed.push(path);
    }
    return true;
  }

  /**
   * Writes the DICOMDIR: to a temporary file in the folder, flushed to disk,
   * then renamed over `DICOMDIR`; then deletes the files of removed
   * instances and the folders they leave empty.
   *
   * @returns The DICOMDIR's path.
   */
  async commit(): Promise<string> {
    const bytes = encodeDicomdir(this.#records, {
      fileSetId: this.#fileSetId,
      sopInstanceUid: this.#sopInstanceUid,
    });
    await Deno.mkdir(this.#folder, { recursive: true });
    const path = join(this.#folder, "DICOMDIR");
    const temporary = join(this.#folder, `.DICOMDIR.${crypto.randomUUID()}.tmp`);
    try {
      using file = await Deno.open(temporary, { write: true, createNew: true });
      for (let written = 0; written < bytes.length;) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
      await Deno.rename(temporary, path);
    } catch (e) {
      await Deno.remove(temporary).catch(() => {});
      throw e;
    }
    this.#copied.length = 0;
    await this.#delete(this.#removed.splice(0));
    return path;
  }

  /**
   * Deletes the copies {@linkcode add} made since the last
   * {@linkcode commit} (no DICOMDIR references them), for a caller that
   * gives up on an update half way. The writer is not to be used again.
   */
  async discard(): Promise<void> {
    await this.#delete(this.#copied.splice(0));
  }

  /** Deletes files, then the folders they leave empty up to the File-set's root. */
  async #delete(paths: string[]): Promise<void> {
    for (const removed of paths) {
      await Deno.remove(removed).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
      for (
        let dir = dirname(removed);
        relative(this.#folder, dir) !== "" && !relative(this.#folder, dir).startsWith("..");
        dir = dirname(dir)
      ) {
        try {
          await Deno.remove(dir);
        } catch {
          break; // not empty
        }
      }
    }
  }

  /** The File-set ID written by {@linkcode commit}. */
  get fileSetId(): string {
    return this.#fileSetId;
  }
}
