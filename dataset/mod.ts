/**
 * The data set layer: DICOM data sets and Part 10 files to and from bytes
 * (PS3.5, PS3.10), Specific Character Sets, the DICOM JSON Model (PS3.18
 * Annex F) and query identifiers. Pure: no I/O, no timers, no logging.
 *
 * @example Read a Part 10 file, change it, write it back
 * ```ts
 * import { Dataset, decodePart10, encodePart10 } from "./mod.ts";
 * import { Tag, Uid } from "../dictionary/mod.ts";
 *
 * const ds = new Dataset()
 *   .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
 *   .set(Tag.SOPInstanceUID, "2.25.1")
 *   .set(Tag.PatientID, 1234);
 * const file = decodePart10(encodePart10(ds));
 * console.log(file.dataset.string(Tag.PatientID)); // "1234"
 * ```
 *
 * @module
 */
export * from "./vr.ts";
export * from "./element.ts";
export * from "./errors.ts";
export * from "./dataset.ts";
export * from "./charset.ts";
export * from "./encoding.ts";
export * from "./decode.ts";
export * from "./encode.ts";
export * from "./part10.ts";
export * from "./read_part10.ts";
export * from "./json.ts";
export * from "./identifier.ts";
export * from "./date_time.ts";
export * from "./person_name.ts";
export * from "./check_stream.ts";
export * from "./bytes.ts";
export * from "./uid.ts";
export {
  decodeAscii,
  decodeNumbers,
  encodeAscii,
  encodeNumbers,
  padEven,
  splitText,
} from "./values.ts";
