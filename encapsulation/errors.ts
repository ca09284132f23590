/**
 * The error of the encapsulation layer.
 *
 * @module
 */
import { DicomError } from "../errors.ts";

/**
 * Content that cannot be encapsulated or extracted: not the format it is
 * said to be (a PDF without `%PDF-`, an ASCII STL), a truncated or
 * unsupported bitstream header, or an object whose encapsulated document or
 * pixel data is missing or inconsistent (an odd-length document with no
 * Encapsulated Document Length).
 *
 * @example Tell bad content from other errors
 * ```ts
 * import { encapsulateDocument, EncapsulationError } from "./mod.ts";
 *
 * try {
 *   encapsulateDocument(new TextEncoder().encode("not a pdf"), { type: "pdf" });
 * } catch (e) {
 *   console.log(e instanceof EncapsulationError); // true
 * }
 * ```
 */
export class EncapsulationError extends DicomError {
  /**
   * Constructs a new instance.
   *
   * @param message What is wrong with the content.
   * @param options The cause, if any.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EncapsulationError";
  }
}
