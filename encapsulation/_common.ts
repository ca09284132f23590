// What every encapsulated object carries whatever its content: SOP Common,
// Patient, General Study, the series and General Equipment, filled from the
// options (PS3.3 C.12.1, C.7.1.1, C.7.2.1, C.7.5.1).
import { type Dataset, formatDate, formatTime, generateUid } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { IMPLEMENTATION_VERSION_NAME } from "../version.ts";
import type { EncapsulateOptions } from "./options.ts";

/** Our Manufacturer (0008,0070) and Software Versions (0018,1020). */
export const MANUFACTURER = "@dcm/net";

/** The date and time attributes' values for `now`. */
export function stamp(now: Date): { date: string; time: string; dateTime: string } {
  const date = formatDate(now);
  // formatDate() takes a Date's UTC fields: the time follows it.
  const time = formatTime({
    hours: now.getUTCHours(),
    minutes: now.getUTCMinutes(),
    seconds: now.getUTCSeconds(),
  });
  return { date, time, dateTime: date + time };
}

/**
 * Fills the modules every encapsulated object has: SOP Common (C.12.1),
 * Patient (C.7.1.1, Type 2 empty unless given), General Study (C.7.2.1),
 * the series attributes common to the Encapsulated Document Series (C.24.1)
 * and General Series (C.7.3.1), General Equipment (C.7.5.1).
 */
export function fillCommon(
  ds: Dataset,
  sopClassUid: string,
  modality: string,
  options: EncapsulateOptions,
): { date: string; time: string; dateTime: string } {
  const uid = options.createUid ?? generateUid;
  const when = stamp(options.now ?? new Date());
  ds.set(Tag.SpecificCharacterSet, "ISO_IR 192")
    .set(Tag.InstanceCreationDate, when.date)
    .set(Tag.InstanceCreationTime, when.time)
    .set(Tag.SOPClassUID, sopClassUid)
    .set(Tag.SOPInstanceUID, uid())
    // Patient (C.7.1.1): Type 2.
    .set(Tag.PatientName, null)
    .set(Tag.PatientID, null)
    .set(Tag.PatientBirthDate, null)
    .set(Tag.PatientSex, null)
    // General Study (C.7.2.1): Study Instance UID Type 1, the rest Type 2.
    .set(Tag.StudyInstanceUID, uid())
    .set(Tag.StudyDate, when.date)
    .set(Tag.StudyTime, when.time)
    .set(Tag.ReferringPhysicianName, null)
    .set(Tag.StudyID, null)
    .set(Tag.AccessionNumber, null)
    // Series: Modality and Series Instance UID Type 1; Series Number Type 1 in C.24.1.
    .set(Tag.Modality, modality)
    .set(Tag.SeriesInstanceUID, uid())
    .set(Tag.SeriesNumber, 1)
    .set(Tag.SeriesDate, when.date)
    .set(Tag.SeriesTime, when.time)
    // General Equipment (C.7.5.1): Manufacturer Type 2.
    .set(Tag.Manufacturer, MANUFACTURER)
    .set(Tag.SoftwareVersions, IMPLEMENTATION_VERSION_NAME)
    .set(Tag.InstanceNumber, 1)
    .set(Tag.ContentDate, when.date)
    .set(Tag.ContentTime, when.time);
  return when;
}

/** Copies the caller's attributes over the generated ones. */
export function applyAttributes(ds: Dataset, options: EncapsulateOptions): void {
  if (!options.attributes) return;
  for (const element of options.attributes) ds.setElement(element);
}
