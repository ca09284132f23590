/**
 * Direct encapsulation (PS3.3 A.45, A.85, A.8.1; PS3.5 A.4): PDF, CDA, STL,
 * OBJ and MTL files as Encapsulated Document objects and back, byte for
 * byte; JPEG and JPEG 2000 bitstreams as Secondary Capture images without
 * decoding, their image attributes read from the bitstream's header. Pure:
 * bytes in, data sets out (write them with `encodePart10()`).
 *
 * @example A PDF as a DICOM file and back
 * ```ts
 * import { encapsulateDocument, extractDocument } from "./mod.ts";
 * import { Dataset, decodePart10, encodePart10 } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const pdf = new TextEncoder().encode("%PDF-1.4\n%%EOF");
 * const file = encodePart10(encapsulateDocument(pdf, {
 *   attributes: new Dataset().set(Tag.PatientID, "P1"),
 * }));
 * const back = extractDocument(decodePart10(file).dataset);
 * console.log(new TextDecoder().decode(back)); // "%PDF-1.4\n%%EOF"
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./options.ts";
export * from "./document.ts";
export * from "./bitstream.ts";
export * from "./image.ts";
export { MANUFACTURER } from "./_common.ts";
