/**
 * Which attributes belong to which Query/Retrieve level (PS3.4 §C.6.1.1 and
 * §C.6.2.1, the Patient Root and Study Root keys, and the Patient, General
 * Study, Patient Study and General Series modules of PS3.3 they come from).
 * Attributes not listed are instance attributes.
 *
 * @module
 */
import type { QueryLevel } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";

/** Patient level attributes (PS3.4 Table C.6-1, PS3.3 Patient Module). */
export const PATIENT_ATTRIBUTES: ReadonlySet<number> = new Set([
  Tag.PatientName,
  Tag.PatientID,
  Tag.IssuerOfPatientID,
  Tag.IssuerOfPatientIDQualifiersSequence,
  Tag.PatientBirthDate,
  Tag.PatientBirthTime,
  Tag.PatientSex,
  Tag.OtherPatientIDs, // retired
  Tag.OtherPatientNames,
  Tag.OtherPatientIDsSequence,
  Tag.PatientMotherBirthName,
  Tag.EthnicGroup,
  Tag.PatientComments,
  Tag.PatientSpeciesDescription,
  Tag.PatientBreedDescription,
  Tag.ResponsiblePerson,
  Tag.PatientIdentityRemoved,
]);

/** Study level attributes (PS3.4 Table C.6-2, PS3.3 General Study and Patient Study Modules). */
export const STUDY_ATTRIBUTES: ReadonlySet<number> = new Set([
  Tag.StudyDate,
  Tag.StudyTime,
  Tag.AccessionNumber,
  Tag.IssuerOfAccessionNumberSequence,
  Tag.ReferringPhysicianName,
  Tag.ReferringPhysicianIdentificationSequence,
  Tag.StudyDescription,
  Tag.ProcedureCodeSequence,
  Tag.NameOfPhysiciansReadingStudy,
  Tag.AdmittingDiagnosesDescription,
  Tag.PatientAge,
  Tag.PatientSize,
  Tag.PatientWeight,
  Tag.Occupation,
  Tag.AdditionalPatientHistory,
  Tag.StudyInstanceUID,
  Tag.StudyID,
  Tag.OtherStudyNumbers, // retired
  Tag.RequestingPhysician,
  Tag.RequestedProcedureDescription,
  // SOP Common (PS3.3 §C.12.1.1.8): the offset the study's dates and times are
  // in, kept with the study so that C-FIND can answer it as a return key.
  Tag.TimezoneOffsetFromUTC,
]);

/** Series level attributes (PS3.4 Table C.6-3, PS3.3 General Series Module). */
export const SERIES_ATTRIBUTES: ReadonlySet<number> = new Set([
  Tag.SeriesDate,
  Tag.SeriesTime,
  Tag.Modality,
  Tag.ConversionType,
  Tag.StationName,
  Tag.SeriesDescription,
  Tag.PerformingPhysicianName,
  Tag.OperatorsName,
  Tag.ReferencedPerformedProcedureStepSequence,
  Tag.BodyPartExamined,
  Tag.ProtocolName,
  Tag.PatientPosition,
  Tag.SeriesInstanceUID,
  Tag.SeriesNumber,
  Tag.Laterality,
  Tag.PerformedProcedureStepStartDate,
  Tag.PerformedProcedureStepStartTime,
  Tag.PerformedProcedureStepID,
  Tag.PerformedProcedureStepDescription,
  Tag.RequestAttributesSequence,
  Tag.Manufacturer, // (General Equipment, per series)
  Tag.ManufacturerModelName,
  Tag.InstitutionName,
]);

/** Attributes the archive computes per level (PS3.4 §C.3.2–C.3.4 optional keys). */
export const DERIVED_ATTRIBUTES = {
  /** (0020,1200) */
  NumberOfPatientRelatedStudies: Tag.NumberOfPatientRelatedStudies,
  /** (0020,1202) */
  NumberOfPatientRelatedSeries: Tag.NumberOfPatientRelatedSeries,
  /** (0020,1204) */
  NumberOfPatientRelatedInstances: Tag.NumberOfPatientRelatedInstances,
  /** (0020,1206) */
  NumberOfStudyRelatedSeries: Tag.NumberOfStudyRelatedSeries,
  /** (0020,1208) */
  NumberOfStudyRelatedInstances: Tag.NumberOfStudyRelatedInstances,
  /** (0020,1209) */
  NumberOfSeriesRelatedInstances: Tag.NumberOfSeriesRelatedInstances,
  /** (0008,0061) */
  ModalitiesInStudy: Tag.ModalitiesInStudy,
  /** (0008,0062) */
  SOPClassesInStudy: Tag.SOPClassesInStudy,
  /**
   * (0008,3002): the transfer syntax the instance is stored in (an optional
   * IMAGE level key, PS3.4 Table C.6-4), which a C-GET SCU reads to propose a context for it.
   */
  AvailableTransferSyntaxUID: Tag.AvailableTransferSyntaxUID,
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
  [DERIVED_ATTRIBUTES.AvailableTransferSyntaxUID, "IMAGE"],
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
