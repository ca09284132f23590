/**
 * Which attributes belong to which Query/Retrieve level (PS3.4 §C.6.1.1 and
 * §C.6.2.1, the Patient Root and Study Root keys, and the Patient, General
 * Study, Patient Study and General Series modules of PS3.3 they come from).
 * Attributes not listed are instance attributes.
 *
 * @module
 */
import type { QueryLevel } from "../dataset/mod.ts";

/** Patient level attributes (PS3.4 Table C.6-1, PS3.3 Patient Module). */
export const PATIENT_ATTRIBUTES: ReadonlySet<number> = new Set([
  0x00100010, // PatientName
  0x00100020, // PatientID
  0x00100021, // IssuerOfPatientID
  0x00100024, // IssuerOfPatientIDQualifiersSequence
  0x00100030, // PatientBirthDate
  0x00100032, // PatientBirthTime
  0x00100040, // PatientSex
  0x00101000, // OtherPatientIDs (retired)
  0x00101001, // OtherPatientNames
  0x00101002, // OtherPatientIDsSequence
  0x00101060, // PatientMotherBirthName
  0x00102160, // EthnicGroup
  0x00104000, // PatientComments
  0x00102201, // PatientSpeciesDescription
  0x00102292, // PatientBreedDescription
  0x00102297, // ResponsiblePerson
  0x00120062, // PatientIdentityRemoved
]);

/** Study level attributes (PS3.4 Table C.6-2, PS3.3 General Study and Patient Study Modules). */
export const STUDY_ATTRIBUTES: ReadonlySet<number> = new Set([
  0x00080020, // StudyDate
  0x00080030, // StudyTime
  0x00080050, // AccessionNumber
  0x00080051, // IssuerOfAccessionNumberSequence
  0x00080090, // ReferringPhysicianName
  0x00080096, // ReferringPhysicianIdentificationSequence
  0x00081030, // StudyDescription
  0x00081032, // ProcedureCodeSequence
  0x00081060, // NameOfPhysiciansReadingStudy
  0x00081080, // AdmittingDiagnosesDescription
  0x00101010, // PatientAge
  0x00101020, // PatientSize
  0x00101030, // PatientWeight
  0x00102180, // Occupation
  0x001021b0, // AdditionalPatientHistory
  0x0020000d, // StudyInstanceUID
  0x00200010, // StudyID
  0x00201070, // OtherStudyNumbers (retired)
  0x00321032, // RequestingPhysician
  0x00321060, // RequestedProcedureDescription
]);

/** Series level attributes (PS3.4 Table C.6-3, PS3.3 General Series Module). */
export const SERIES_ATTRIBUTES: ReadonlySet<number> = new Set([
  0x00080021, // SeriesDate
  0x00080031, // SeriesTime
  0x00080060, // Modality
  0x00080064, // ConversionType
  0x00081010, // StationName
  0x0008103e, // SeriesDescription
  0x00081050, // PerformingPhysicianName
  0x00081070, // OperatorsName
  0x00081111, // ReferencedPerformedProcedureStepSequence
  0x00180015, // BodyPartExamined
  0x00181030, // ProtocolName
  0x00185100, // PatientPosition
  0x0020000e, // SeriesInstanceUID
  0x00200011, // SeriesNumber
  0x00200060, // Laterality
  0x00400244, // PerformedProcedureStepStartDate
  0x00400245, // PerformedProcedureStepStartTime
  0x00400253, // PerformedProcedureStepID
  0x00400254, // PerformedProcedureStepDescription
  0x00400275, // RequestAttributesSequence
  0x00080070, // Manufacturer (General Equipment, per series)
  0x00081090, // ManufacturerModelName
  0x00080080, // InstitutionName
]);

/** Attributes the archive computes per level (PS3.4 §C.3.2–C.3.4 optional keys). */
export const DERIVED_ATTRIBUTES = {
  /** (0020,1200) */
  NumberOfPatientRelatedStudies: 0x00201200,
  /** (0020,1202) */
  NumberOfPatientRelatedSeries: 0x00201202,
  /** (0020,1204) */
  NumberOfPatientRelatedInstances: 0x00201204,
  /** (0020,1206) */
  NumberOfStudyRelatedSeries: 0x00201206,
  /** (0020,1208) */
  NumberOfStudyRelatedInstances: 0x00201208,
  /** (0020,1209) */
  NumberOfSeriesRelatedInstances: 0x00201209,
  /** (0008,0061) */
  ModalitiesInStudy: 0x00080061,
  /** (0008,0062) */
  SOPClassesInStudy: 0x00080062,
} as const;

/** The level each derived attribute describes. */
const DERIVED_LEVELS: ReadonlyMap<number, QueryLevel> = new Map<number, QueryLevel>([
  [DERIVED_ATTRIBUTES.NumberOfPatientRelatedStudies, "PATIENT"],
  [DERIVED_ATTRIBUTES.NumberOfPatientRelatedSeries, "PATIENT"],
  [DERIVED_ATTRIBUTES.NumberOfPatientRelatedInstances, "PATIENT"],
  [DERIVED_ATTRIBUTES.NumberOfStudyRelatedSeries, "STUDY"],
  [DERIVED_ATTRIBUTES.NumberOfStudyRelatedInstances, "STUDY"],
  [DERIVED_ATTRIBUTES.ModalitiesInStudy, "STUDY"],
  [DERIVED_ATTRIBUTES.SOPClassesInStudy, "STUDY"],
  [DERIVED_ATTRIBUTES.NumberOfSeriesRelatedInstances, "SERIES"],
]);

/** Reports whether the archive computes an attribute rather than storing it. */
export function isDerivedAttribute(tag: number): boolean {
  return DERIVED_LEVELS.has(tag);
}

/** The level an attribute belongs to; derived attributes belong to the level they describe. */
export function levelOf(tag: number): QueryLevel {
  if (PATIENT_ATTRIBUTES.has(tag)) return "PATIENT";
  if (STUDY_ATTRIBUTES.has(tag)) return "STUDY";
  if (SERIES_ATTRIBUTES.has(tag)) return "SERIES";
  return DERIVED_LEVELS.get(tag) ?? "IMAGE";
}

/** The depth of a level: PATIENT 0 … IMAGE 3. */
export function levelDepth(level: QueryLevel): number {
  return ["PATIENT", "STUDY", "SERIES", "IMAGE"].indexOf(level);
}
