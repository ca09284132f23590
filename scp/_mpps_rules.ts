/**
 * The attribute rules of the Modality Performed Procedure Step SOP Class
 * (PS3.4 F.7.2, Table F.7.2-1) that an SCP checks: what N-CREATE must carry
 * (type 1: present, and with a value), what N-SET may not change ("Not
 * allowed"), and what must be there when the step reaches its final state
 * (the "Final State" column, F.7.2.2.2), and how an N-SET is applied
 * (F.7.2.2.3). Functions over a `Dataset`.
 *
 * @module
 */
import { type Dataset, usesCharset } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";

/** Whether an element is present and has a value (a sequence: at least one item). */
function hasValue(dataset: Dataset, tag: number): boolean {
  const element = dataset.get(tag);
  if (element === undefined) return false;
  switch (element.kind) {
    case "sequence":
      return element.items.length > 0;
    case "values":
      return element.values.some((v) => String(v).trim() !== "");
    case "bytes":
      // Text is padded with spaces (or NUL for UI): only padding is no value.
      return element.bytes.some((b) => b !== 0x20 && b !== 0x00);
    case "fragments":
      return true;
  }
}

/** What a data set lacks: type 1 attributes absent, and present without a value. */
export interface Lacking {
  /** Type 1 attributes absent (0120 Missing Attribute). */
  readonly absent: number[];
  /** Type 1 attributes present without a value (0121 Missing Attribute Value). */
  readonly empty: number[];
}

function check(dataset: Dataset, tags: readonly number[], into: Lacking): void {
  for (const tag of tags) {
    if (!dataset.has(tag)) into.absent.push(tag);
    else if (!hasValue(dataset, tag)) into.empty.push(tag);
  }
}

/** Type 1 at the top level of the N-CREATE Attribute List (Table F.7.2-1, "1/1"). */
const N_CREATE_TYPE_1: readonly number[] = [
  Tag.ScheduledStepAttributesSequence,
  Tag.PerformedProcedureStepID,
  Tag.PerformedStationAETitle,
  Tag.PerformedProcedureStepStartDate,
  Tag.PerformedProcedureStepStartTime,
  Tag.PerformedProcedureStepStatus,
  Tag.Modality,
];

/** Type 1 in each Performed Series Sequence item, at N-CREATE, N-SET and the final state. */
const SERIES_ITEM_TYPE_1: readonly number[] = [Tag.ProtocolName, Tag.SeriesInstanceUID];

/**
 * The type 1 attributes of Table F.7.2-1 an N-CREATE Attribute List lacks:
 * the top-level ones, Study Instance UID in each Scheduled Step Attributes
 * Sequence item, Referenced SOP Class/Instance UID in each Referenced Study
 * Sequence item, Protocol Name and Series Instance UID in each Performed
 * Series Sequence item. Type 2 attributes are not required: modalities in
 * the field leave some out, and the SCP keeps what it gets.
 */
export function lackingAtCreate(dataset: Dataset): Lacking {
  const lacking: Lacking = { absent: [], empty: [] };
  check(dataset, N_CREATE_TYPE_1, lacking);
  for (const item of dataset.items(Tag.ScheduledStepAttributesSequence)) {
    check(item, [Tag.StudyInstanceUID], lacking);
    for (const study of item.items(Tag.ReferencedStudySequence)) {
      check(study, [Tag.ReferencedSOPClassUID, Tag.ReferencedSOPInstanceUID], lacking);
    }
  }
  for (const series of dataset.items(Tag.PerformedSeriesSequence)) {
    check(series, SERIES_ITEM_TYPE_1, lacking);
  }
  return dedupe(lacking);
}

/**
 * The attributes an N-SET may not carry: those of Table F.7.2-1 whose N-SET
 * requirement is "Not allowed" (the Performed Procedure Step Relationship
 * and the step's identity, station, start and modality).
 */
export const N_SET_NOT_ALLOWED: ReadonlySet<number> = new Set([
  Tag.ScheduledStepAttributesSequence,
  Tag.PatientName,
  Tag.PatientID,
  Tag.IssuerOfPatientID,
  Tag.IssuerOfPatientIDQualifiersSequence,
  Tag.OtherPatientIDsSequence,
  Tag.PatientBirthDate,
  Tag.PatientSex,
  Tag.ReferencedPatientSequence,
  Tag.AdmissionID,
  Tag.IssuerOfAdmissionIDSequence,
  Tag.ServiceEpisodeID,
  Tag.IssuerOfServiceEpisodeIDSequence,
  Tag.ServiceEpisodeDescription,
  Tag.PerformedProcedureStepID,
  Tag.PerformedStationAETitle,
  Tag.PerformedStationName,
  Tag.PerformedLocation,
  Tag.PerformedProcedureStepStartDate,
  Tag.PerformedProcedureStepStartTime,
  Tag.Modality,
  Tag.StudyID,
]);

/** The attributes of an N-SET Modification List that Table F.7.2-1 does not allow. */
export function notAllowedInSet(modifications: Dataset): number[] {
  return modifications.tags().filter((tag) => N_SET_NOT_ALLOWED.has(tag));
}

/**
 * The type 1 values an N-SET Modification List lacks among what it
 * carries: Performed Procedure Step Status ("3/1": optional, but not
 * empty), and Protocol Name and Series Instance UID in each Performed
 * Series Sequence item ("1/1").
 */
export function emptyInSet(modifications: Dataset): number[] {
  const lacking: Lacking = { absent: [], empty: [] };
  if (modifications.has(Tag.PerformedProcedureStepStatus)) {
    check(modifications, [Tag.PerformedProcedureStepStatus], lacking);
  }
  for (const series of modifications.items(Tag.PerformedSeriesSequence)) {
    check(series, SERIES_ITEM_TYPE_1, lacking);
  }
  const { absent, empty } = dedupe(lacking);
  return [...new Set([...absent, ...empty])];
}

/**
 * What the final state (COMPLETED or DISCONTINUED) lacks, per the "Final
 * State" column of Table F.7.2-1 and PS3.4 F.7.2.2.2: Performed Procedure
 * Step End Date and End Time with values, and a Performed Series Sequence
 * of at least one item (Note 2), each with Protocol Name and Series
 * Instance UID.
 */
export function lackingAtFinalState(dataset: Dataset): number[] {
  const lacking: Lacking = { absent: [], empty: [] };
  check(
    dataset,
    [
      Tag.PerformedProcedureStepEndDate,
      Tag.PerformedProcedureStepEndTime,
      Tag.PerformedSeriesSequence,
    ],
    lacking,
  );
  for (const series of dataset.items(Tag.PerformedSeriesSequence)) {
    check(series, SERIES_ITEM_TYPE_1, lacking);
  }
  const { absent, empty } = dedupe(lacking);
  return [...new Set([...absent, ...empty])];
}

function dedupe(lacking: Lacking): Lacking {
  return { absent: [...new Set(lacking.absent)], empty: [...new Set(lacking.empty)] };
}

/** The Specific Character Set (0008,0005) values of a data set, as one string. */
function characterSetOf(dataset: Dataset): string {
  return dataset.strings(Tag.SpecificCharacterSet).join("\\");
}

/**
 * Replaces every text value that depends on the character set (PS3.5
 * §6.1.2.3), in `dataset` and its items, by the string it reads as now, so
 * that the data set can be encoded in another character set; drops the
 * items' own Specific Character Set.
 */
function decodeTexts(dataset: Dataset): void {
  for (const element of [...dataset]) {
    if (element.kind === "sequence") {
      for (const item of element.items) {
        decodeTexts(item);
        item.delete(Tag.SpecificCharacterSet);
      }
    } else if (element.kind === "bytes" && usesCharset(element.vr)) {
      dataset.setElement({
        tag: element.tag,
        vr: element.vr,
        kind: "values",
        values: dataset.strings(element.tag),
      });
    }
  }
}

/**
 * `step` with the N-SET Modification List `modifications` applied (each
 * top-level attribute replaced whole, sequences with every item, PS3.4
 * F.7.2.2.2). Per F.7.2.2.3 the N-SET's Specific Character Set does not
 * replace the step's: when the two differ, the texts of both are decoded
 * and the step is kept in Unicode (ISO_IR 192) from then on.
 */
export function applyModifications(step: Dataset, modifications: Dataset): Dataset {
  const ours = characterSetOf(step);
  const theirs = modifications.has(Tag.SpecificCharacterSet) ? characterSetOf(modifications) : ours;
  if (theirs !== ours) {
    decodeTexts(step);
    decodeTexts(modifications);
    step.set(Tag.SpecificCharacterSet, "ISO_IR 192");
  }
  for (const element of modifications) {
    if (element.tag !== Tag.SpecificCharacterSet) step.setElement(element);
  }
  return step;
}
