/**
 * Generated sample studies, for examples, tests and benchmarks that need an
 * archive with no outside data: small CT/MR images with realistic patient,
 * study, series and instance attributes.
 *
 * @module
 */
import { Dataset } from "../dataset/mod.ts";
import { Uid } from "../dictionary/mod.ts";

/** Options of {@linkcode generateSampleStudies}. */
export interface SampleStudiesOptions {
  /**
   * Number of patients; the first one has Patient ID "1234".
   *
   * @default {10}
   */
  patients?: number;
  /**
   * Studies per patient.
   *
   * @default {2}
   */
  studiesPerPatient?: number;
  /**
   * Series per study.
   *
   * @default {2}
   */
  seriesPerStudy?: number;
  /**
   * Instances per series.
   *
   * @default {10}
   */
  instancesPerSeries?: number;
  /**
   * Rows and columns of each image (16-bit monochrome).
   *
   * @default {16}
   */
  imageSize?: number;
  /**
   * Root of the generated UIDs (a 2.25 UUID-derived root by default, so that
   * every call gives new UIDs).
   */
  uidRoot?: string;
}

const FAMILY = [
  "Doe",
  "Smith",
  "Yamada",
  "Müller",
  "García",
  "Rossi",
  "Novak",
  "Kim",
  "Silva",
  "Dubois",
  "Jensen",
  "Okafor",
];
const GIVEN = [
  "John",
  "Jane",
  "Taro",
  "Anna",
  "Luis",
  "Marco",
  "Eva",
  "Min",
  "Ana",
  "Louis",
  "Freja",
  "Chidi",
];

function root(): string {
  const hex = crypto.randomUUID().replace(/-/g, "");
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}

/**
 * Yields the instances of generated studies, patient by patient. UIDs are
 * `<root>.<patient>.<study>.<series>.<instance>`; study dates run from
 * 2024-01-01 a month apart; modalities alternate CT and MR by series.
 *
 * @example
 * ```ts
 * import { generateSampleStudies } from "./mod.ts";
 * const all = [...generateSampleStudies({ patients: 1, studiesPerPatient: 1, seriesPerStudy: 1, instancesPerSeries: 2 })];
 * console.log(all.length, all[0]!.string("PatientID")); // 2 "1234"
 * ```
 */
export function* generateSampleStudies(options: SampleStudiesOptions = {}): Generator<Dataset> {
  const patients = options.patients ?? 10;
  const studies = options.studiesPerPatient ?? 2;
  const series = options.seriesPerStudy ?? 2;
  const instances = options.instancesPerSeries ?? 10;
  const size = options.imageSize ?? 16;
  const base = options.uidRoot ?? root();
  for (let p = 0; p < patients; p++) {
    const patientId = p === 0 ? "1234" : String(1000 + p * 7);
    const name = `${FAMILY[p % FAMILY.length]}^${GIVEN[(p * 5) % GIVEN.length]}`;
    const birth = `${1940 + ((p * 7) % 60)}${String((p % 12) + 1).padStart(2, "0")}15`;
    for (let s = 0; s < studies; s++) {
      const studyUid = `${base}.${p + 1}.${s + 1}`;
      const month = (p * studies + s) % 12;
      const year = 2024 + Math.floor((p * studies + s) / 12);
      const studyDate = `${year}${String(month + 1).padStart(2, "0")}01`;
      for (let r = 0; r < series; r++) {
        const seriesUid = `${studyUid}.${r + 1}`;
        const modality = r % 2 === 0 ? "CT" : "MR";
        for (let i = 0; i < instances; i++) {
          const pixels = new Uint8Array(size * size * 2);
          for (let k = 0; k < pixels.length; k += 2) pixels[k] = (k + i * 17 + p) & 0xff;
          yield new Dataset()
            .set("SpecificCharacterSet", "ISO_IR 192")
            .set("ImageType", ["ORIGINAL", "PRIMARY", "AXIAL"])
            .set("SOPClassUID", modality === "CT" ? Uid.CTImageStorage : Uid.MRImageStorage)
            .set("SOPInstanceUID", `${seriesUid}.${i + 1}`)
            .set("StudyDate", studyDate)
            .set("SeriesDate", studyDate)
            .set("StudyTime", `${String(8 + s).padStart(2, "0")}3000`)
            .set("AccessionNumber", `A${p + 1}${s + 1}`)
            .set("Modality", modality)
            .set("ReferringPhysicianName", "Referrer^Rita")
            .set("StudyDescription", `${s % 2 === 0 ? "Chest" : "Head"} study ${s + 1}`)
            .set("SeriesDescription", `${modality} series ${r + 1}`)
            .set("PatientName", name)
            .set("PatientID", patientId)
            .set("PatientBirthDate", birth)
            .set("PatientSex", p % 2 === 0 ? "M" : "F")
            .set("StudyInstanceUID", studyUid)
            .set("SeriesInstanceUID", seriesUid)
            .set("StudyID", String(s + 1))
            .set("SeriesNumber", r + 1)
            .set("InstanceNumber", i + 1)
            .set("SamplesPerPixel", 1)
            .set("PhotometricInterpretation", "MONOCHROME2")
            .set("Rows", size)
            .set("Columns", size)
            .set("BitsAllocated", 16)
            .set("BitsStored", 12)
            .set("HighBit", 11)
            .set("PixelRepresentation", 0)
            .set("PixelData", pixels, "OW");
        }
      }
    }
  }
}
