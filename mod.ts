/**
 * `@dcm/net`: DICOM networking for Deno, with nothing to install but Deno.
 *
 * The layers, each importable on its own:
 * - `@dcm/net/dictionary`: the PS3.6 data dictionary and UID registry (`Tag.PatientID`).
 * - `@dcm/net/dataset`: data sets and Part 10 files to and from bytes,
 *   character sets, DICOM JSON, query identifiers.
 * - `@dcm/net/pdu`: the PS3.8 Upper Layer PDUs to and from bytes.
 *
 * @example Read a file and print a value
 * ```ts
 * import { Dataset, decodePart10, encodePart10, Tag, Uid } from "./mod.ts";
 *
 * const bytes = encodePart10(
 *   new Dataset()
 *     .set(Tag.SOPClassUID, Uid.CTImageStorage)
 *     .set(Tag.SOPInstanceUID, "2.25.42")
 *     .set(Tag.PatientName, "Doe^Jane"),
 * );
 * console.log(decodePart10(bytes).dataset.string(Tag.PatientName)); // "Doe^Jane"
 * ```
 *
 * @module
 */
export * from "./version.ts";
export * from "./dictionary/mod.ts";
export * from "./dataset/mod.ts";
export * from "./pdu/mod.ts";
