/**
 * A study of compressed and uncompressed objects for the "retrieve as
 * stored" tests (issue 12): pydicom's JPEG Baseline, JPEG Extended, JPEG
 * Lossless SV1, JPEG-LS, JPEG 2000 (lossy and lossless) and RLE files, and
 * Explicit VR LE, Implicit VR LE and Explicit VR BE ones, each restamped
 * with the study's patient, study, series and instance UIDs (the data set
 * is re-encoded in its own transfer syntax; Pixel Data, native or
 * encapsulated, keeps the original's bytes).
 *
 * @module
 */
import { concatBytes, decodePart10, encodePart10, Identifier } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { PYDICOM_DATA } from "./_peers.ts";

/** A source file of the study and the syntax it is stored in. */
export const STORED_SOURCES: readonly { file: string; transferSyntax: string }[] = [
  { file: "SC_rgb_jpeg_dcmtk.dcm", transferSyntax: Uid.JPEGBaseline8Bit },
  { file: "JPGExtended.dcm", transferSyntax: Uid.JPEGExtended12Bit },
  { file: "SC_rgb_jpeg_gdcm.dcm", transferSyntax: Uid.JPEGLosslessSV1 },
  { file: "MR_small_jpeg_ls_lossless.dcm", transferSyntax: Uid.JPEGLSLossless },
  { file: "JPEG2000.dcm", transferSyntax: Uid.JPEG2000 },
  { file: "MR_small_jp2klossless.dcm", transferSyntax: Uid.JPEG2000Lossless },
  { file: "MR_small_RLE.dcm", transferSyntax: Uid.RLELossless },
  { file: "CT_small.dcm", transferSyntax: Uid.ExplicitVRLittleEndian },
  { file: "MR_small_implicit.dcm", transferSyntax: Uid.ImplicitVRLittleEndian },
  { file: "MR_small_bigendian.dcm", transferSyntax: Uid.ExplicitVRBigEndian },
];

/** One object of the study as written. */
export interface StoredObject {
  readonly path: string;
  readonly source: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntax: string;
}

/** The study's identity. */
export interface StoredStudy {
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly objects: readonly StoredObject[];
}

/** A STUDY level C-GET / C-MOVE identifier for the study. */
export function studyQuery(study: StoredStudy): Identifier {
  return new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, study.studyInstanceUid);
}

/**
 * Writes the study into `dir` (created), one series per source file; the
 * UIDs are under `root` (a fresh 2.25 root by default).
 */
export async function writeStoredStudy(
  dir: string,
  root = `2.25.${BigInt("0x" + crypto.randomUUID().replace(/-/g, "")) % 10n ** 30n}`,
): Promise<StoredStudy> {
  await Deno.mkdir(dir, { recursive: true });
  const patientId = "GETSTORED";
  const studyInstanceUid = `${root}.1`;
  const objects: StoredObject[] = [];
  for (const [n, { file, transferSyntax }] of STORED_SOURCES.entries()) {
    const { dataset, transferSyntax: ts } = decodePart10(
      await Deno.readFile(`${PYDICOM_DATA}test_files/${file}`),
    );
    if (ts !== transferSyntax) throw new Error(`${file} is ${ts}, not ${transferSyntax}`);
    const sopInstanceUid = `${root}.1.${n + 1}.1`;
    dataset
      .set(Tag.PatientID, patientId, "LO")
      .set(Tag.PatientName, "Stored^As", "PN")
      .set(Tag.StudyInstanceUID, studyInstanceUid, "UI")
      .set(Tag.SeriesInstanceUID, `${root}.1.${n + 1}`, "UI")
      .set(Tag.SOPInstanceUID, sopInstanceUid, "UI")
      .set(Tag.StudyID, "1", "SH")
      .set(Tag.SeriesNumber, String(n + 1), "IS")
      .set(Tag.InstanceNumber, "1", "IS")
      .set(Tag.StudyDate, "20240215", "DA")
      .set(Tag.StudyTime, "083000", "TM")
      .set(Tag.AccessionNumber, "STORED1", "SH");
    const path = `${dir}/${String(n + 1).padStart(2, "0")}_${file}`;
    await Deno.writeFile(path, encodePart10(dataset, { transferSyntax }));
    objects.push({
      path,
      source: file,
      sopClassUid: dataset.string(Tag.SOPClassUID)!,
      sopInstanceUid,
      transferSyntax,
    });
  }
  return { patientId, studyInstanceUid, objects };
}

/** The Transfer Syntax UID (0002,0010) of a Part 10 file. */
export async function storedSyntaxOf(path: string): Promise<string> {
  return decodePart10(await Deno.readFile(path)).transferSyntax;
}

/** The bytes of a file's Pixel Data value (fragments and offset table included, encapsulated). */
export async function pixelBytesOf(path: string): Promise<Uint8Array> {
  const bytes = await Deno.readFile(path);
  const { dataset } = decodePart10(bytes);
  const el = dataset.get(Tag.PixelData);
  if (el === undefined) throw new Error(`${path} has no Pixel Data`);
  if (el.kind === "fragments") {
    return concatBytes([el.offsetTable ?? new Uint8Array(0), ...el.fragments]);
  }
  if (el.kind === "bytes") return el.bytes;
  throw new Error(`${path}: Pixel Data is ${el.kind}`);
}

/** Twenty image storage SOP classes, for a study that needs more than 128 contexts. */
export const TWENTY_IMAGE_CLASSES: readonly string[] = [
  Uid.CTImageStorage,
  Uid.MRImageStorage,
  Uid.ComputedRadiographyImageStorage,
  Uid.DigitalXRayImageStorageForPresentation,
  Uid.DigitalXRayImageStorageForProcessing,
  Uid.DigitalMammographyXRayImageStorageForPresentation,
  Uid.DigitalMammographyXRayImageStorageForProcessing,
  Uid.UltrasoundImageStorage,
  Uid.UltrasoundMultiFrameImageStorage,
  Uid.SecondaryCaptureImageStorage,
  Uid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
  Uid.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
  Uid.MultiFrameTrueColorSecondaryCaptureImageStorage,
  Uid.XRayAngiographicImageStorage,
  Uid.XRayRadiofluoroscopicImageStorage,
  Uid.NuclearMedicineImageStorage,
  Uid.PositronEmissionTomographyImageStorage,
  Uid.RTImageStorage,
  Uid.VLPhotographicImageStorage,
  Uid.EnhancedCTImageStorage,
];

/**
 * Writes the study's compressed objects again into `dir` once per SOP class of
 * `classes` (SOP Class UID restamped, one series per class): `classes.length`
 * × 7 class × syntax pairs.
 */
export async function writeAcrossClasses(
  study: StoredStudy,
  dir: string,
  classes: readonly string[],
): Promise<StoredObject[]> {
  await Deno.mkdir(dir, { recursive: true });
  const compressed = study.objects.filter((o) =>
    o.transferSyntax.startsWith("1.2.840.10008.1.2.4") || o.transferSyntax === Uid.RLELossless
  );
  const objects: StoredObject[] = [];
  for (const [k, sopClassUid] of classes.entries()) {
    for (const [n, o] of compressed.entries()) {
      const { dataset, transferSyntax } = decodePart10(await Deno.readFile(o.path));
      const sopInstanceUid = `${study.studyInstanceUid}.${k + 1}.${n + 1}`;
      dataset.set(Tag.SOPClassUID, sopClassUid, "UI")
        .set(Tag.SOPInstanceUID, sopInstanceUid, "UI")
        .set(Tag.SeriesInstanceUID, `${study.studyInstanceUid}.${k + 1}`, "UI");
      const path = `${dir}/${sopInstanceUid}.dcm`;
      await Deno.writeFile(path, encodePart10(dataset, { transferSyntax }));
      objects.push({
        path,
        source: `${o.source} as ${sopClassUid}`,
        sopClassUid,
        sopInstanceUid,
        transferSyntax,
      });
    }
  }
  return objects;
}
