/**
 * The base class of every error `@dcm/net` throws on purpose, so that one
 * `instanceof` check tells ours (a peer's refusal, malformed bytes, a
 * timeout) from a bug or an error of the platform.
 *
 * @module
 */

/**
 * An error of `@dcm/net`. Every error class of the library extends it:
 * {@linkcode DicomError} for anything the library reports, its subclasses
 * for what a caller may want to tell apart (a rejected association, a
 * failure status, malformed bytes).
 *
 * @example Tell our errors from others
 * ```ts
 * import { DicomError } from "./errors.ts";
 *
 * try {
 *   throw new DicomError("The peer went away");
 * } catch (e) {
 *   console.log(e instanceof DicomError); // true
 * }
 * ```
 */
export class DicomError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message What went wrong.
   * @param options The cause, if any.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DicomError";
  }
}
