/**
 * Which directory record references an object of a SOP class, and the keys
 * each record type carries (PS3.3 Annex F: Table F.4-2 for the record type
 * of each SOP class, F.5 for the keys of each record type).
 *
 * @module
 */
import { lookupUid, Tag } from "../dictionary/mod.ts";

/** A key of a directory record: the attribute, and its type in the F.5 table (1: a value is required; 2: present, maybe empty). */
export interface RecordKey {
  /** The attribute. */
  readonly tag: number;
  /** 1: required with a value; 2: required, may be empty; 3: copied when the object has it. */
  readonly type: 1 | 2 | 3;
}

const k = (tag: number, type: 1 | 2 | 3): RecordKey => ({ tag, type });

/** Instance Number, Content Date and Content Time: the keys many instance records share. */
const CONTENT = [k(Tag.InstanceNumber, 1), k(Tag.ContentDate, 1), k(Tag.ContentTime, 1)];

/** The keys of records describing content made by someone: REGISTRATION, FIDUCIAL, VALUE MAP, SURFACE, TRACT. */
const LABELLED = [
  ...CONTENT,
  k(Tag.ContentLabel, 1),
  k(Tag.ContentDescription, 2),
  k(Tag.ContentCreatorName, 2),
];

/**
 * The keys of each record type this writer makes (PS3.3 F.5), beside the
 * Specific Character Set (1C, copied when the object has one) and the
 * Referenced File ID / Referenced SOP Class, Instance and Transfer Syntax
 * UID in File of instance records (PS3.3 Table F.3-3).
 *
 * @example The keys a STUDY record must have a value for
 * ```ts
 * import { RECORD_KEYS } from "./mod.ts";
 * import { lookupElement } from "../dictionary/mod.ts";
 * const required = RECORD_KEYS["STUDY"]!.filter((k) => k.type === 1);
 * console.log(required.map((k) => lookupElement(k.tag)?.keyword));
 * // ["StudyDate", "StudyTime", "StudyInstanceUID", "StudyID"]
 * ```
 */
export const RECORD_KEYS: Readonly<Record<string, readonly RecordKey[]>> = {
  // PS3.3 F.5.1
  PATIENT: [
    k(Tag.PatientName, 2),
    k(Tag.PatientID, 1),
    k(Tag.PatientBirthDate, 3),
    k(Tag.PatientSex, 3),
  ],
  // PS3.3 F.5.2
  STUDY: [
    k(Tag.StudyDate, 1),
    k(Tag.StudyTime, 1),
    k(Tag.AccessionNumber, 2),
    k(Tag.StudyDescription, 2),
    k(Tag.StudyInstanceUID, 1),
    k(Tag.StudyID, 1),
  ],
  // PS3.3 F.5.3
  SERIES: [k(Tag.Modality, 1), k(Tag.SeriesInstanceUID, 1), k(Tag.SeriesNumber, 1)],
  // PS3.3 F.5.18
  IMAGE: [k(Tag.InstanceNumber, 1)],
  // PS3.3 F.5.20
  "RT DOSE": [k(Tag.InstanceNumber, 1), k(Tag.DoseSummationType, 1), k(Tag.DoseComment, 3)],
  // PS3.3 F.5.21
  "RT STRUCTURE SET": [
    k(Tag.InstanceNumber, 1),
    k(Tag.StructureSetLabel, 1),
    k(Tag.StructureSetDate, 2),
    k(Tag.StructureSetTime, 2),
  ],
  // PS3.3 F.5.22
  "RT PLAN": [
    k(Tag.InstanceNumber, 1),
    k(Tag.RTPlanLabel, 1),
    k(Tag.RTPlanDate, 2),
    k(Tag.RTPlanTime, 2),
  ],
  // PS3.3 F.5.23
  "RT TREAT RECORD": [
    k(Tag.InstanceNumber, 1),
    k(Tag.TreatmentDate, 2),
    k(Tag.TreatmentTime, 2),
  ],
  // PS3.3 F.5.24
  PRESENTATION: [
    k(Tag.PresentationCreationDate, 1),
    k(Tag.PresentationCreationTime, 1),
    k(Tag.InstanceNumber, 1),
    k(Tag.ContentLabel, 1),
    k(Tag.ContentDescription, 2),
    k(Tag.ContentCreatorName, 2),
    k(Tag.ReferencedSeriesSequence, 3),
  ],
  // PS3.3 F.5.25
  WAVEFORM: CONTENT,
  // PS3.3 F.5.26
  "SR DOCUMENT": [
    ...CONTENT,
    k(Tag.CompletionFlag, 1),
    k(Tag.VerificationFlag, 1),
    k(Tag.VerificationDateTime, 3),
    k(Tag.ConceptNameCodeSequence, 1),
  ],
  // PS3.3 F.5.27
  "KEY OBJECT DOC": [...CONTENT, k(Tag.ConceptNameCodeSequence, 1)],
  // PS3.3 F.5.28
  SPECTROSCOPY: [
    k(Tag.ImageType, 1),
    ...CONTENT,
    k(Tag.NumberOfFrames, 1),
    k(Tag.Rows, 1),
    k(Tag.Columns, 1),
    k(Tag.DataPointRows, 1),
    k(Tag.DataPointColumns, 1),
  ],
  // PS3.3 F.5.29
  "RAW DATA": CONTENT,
  // PS3.3 F.5.30, F.5.31
  REGISTRATION: LABELLED,
  FIDUCIAL: LABELLED,
  // PS3.3 F.5.34
  "ENCAP DOC": [
    k(Tag.ContentDate, 2),
    k(Tag.ContentTime, 2),
    k(Tag.InstanceNumber, 1),
    k(Tag.DocumentTitle, 2),
    k(Tag.HL7InstanceIdentifier, 3),
    k(Tag.ConceptNameCodeSequence, 2),
    k(Tag.MIMETypeOfEncapsulatedDocument, 1),
  ],
  // PS3.3 F.5.36
  "VALUE MAP": LABELLED,
  // PS3.3 F.5.37
  STEREOMETRIC: [],
  // PS3.3 F.5.40, F.5.41, F.5.42
  MEASUREMENT: [...CONTENT, k(Tag.ConceptNameCodeSequence, 1)],
  SURFACE: LABELLED,
  "SURFACE SCAN": [k(Tag.ContentDate, 1), k(Tag.ContentTime, 1)],
  TRACT: LABELLED,
};

/** SOP classes, by keyword, whose record type their name does not give away (PS3.3 Table F.4-2). */
const BY_KEYWORD: Readonly<Record<string, string>> = {
  KeyObjectSelectionDocumentStorage: "KEY OBJECT DOC",
  ProcedureLogStorage: "SR DOCUMENT",
  BasicStructuredDisplayStorage: "PRESENTATION",
  RTDoseStorage: "RT DOSE",
  RTStructureSetStorage: "RT STRUCTURE SET",
  RTPlanStorage: "RT PLAN",
  RTIonPlanStorage: "RT PLAN",
  RawDataStorage: "RAW DATA",
  SpatialRegistrationStorage: "REGISTRATION",
  DeformableSpatialRegistrationStorage: "REGISTRATION",
  SpatialFiducialsStorage: "FIDUCIAL",
  MRSpectroscopyStorage: "SPECTROSCOPY",
  RealWorldValueMappingStorage: "VALUE MAP",
  StereometricRelationshipStorage: "STEREOMETRIC",
  SurfaceSegmentationStorage: "SURFACE",
  TractographyResultsStorage: "TRACT",
  SurfaceScanMeshStorage: "SURFACE SCAN",
  SurfaceScanPointCloudStorage: "SURFACE SCAN",
  SegmentationStorage: "IMAGE",
  LabelMapSegmentationStorage: "IMAGE",
  HeightMapSegmentationStorage: "IMAGE",
};

/** Record types by the ending of the SOP class keyword (PS3.3 Table F.4-2), tried in order. */
const BY_SUFFIX: readonly [RegExp, string][] = [
  [/(SR|Report)Storage$/, "SR DOCUMENT"],
  [/PresentationStateStorage$/, "PRESENTATION"],
  [/WaveformStorage$/, "WAVEFORM"],
  [/TreatmentRecordStorage$/, "RT TREAT RECORD"],
  [/^Encapsulated(PDF|CDA|STL|OBJ|MTL)Storage$/, "ENCAP DOC"],
  [/MeasurementsStorage$/, "MEASUREMENT"],
  [/Image.*Storage$/, "IMAGE"],
];

/**
 * The Directory Record Type (0004,1430) that references an instance of a
 * SOP class in a DICOMDIR (PS3.3 Table F.4-2), or `undefined` for a SOP
 * class this writer has no record type for.
 *
 * @example
 * ```ts
 * import { recordTypeFor } from "./mod.ts";
 * import { Uid } from "../dictionary/mod.ts";
 * console.log(recordTypeFor(Uid.CTImageStorage)); // "IMAGE"
 * console.log(recordTypeFor(Uid.EncapsulatedPDFStorage)); // "ENCAP DOC"
 * console.log(recordTypeFor(Uid.ComprehensiveSRStorage)); // "SR DOCUMENT"
 * ```
 *
 * @param sopClassUid The SOP Class UID.
 * @returns The record type, e.g. `"IMAGE"`.
 */
export function recordTypeFor(sopClassUid: string): string | undefined {
  const keyword = lookupUid(sopClassUid)?.keyword ?? "";
  if (keyword === "") return undefined;
  const known = BY_KEYWORD[keyword];
  if (known !== undefined) return known;
  for (const [pattern, type] of BY_SUFFIX) if (pattern.test(keyword)) return type;
  return undefined;
}
