/**
 * Errors of the service users that are neither statuses nor aborts.
 *
 * @module
 */

import { DicomError } from "../errors.ts";

/**
 * A query found more matches than its caller allowed
 * ({@linkcode FindOptions.maxResults}); the query was cancelled with
 * C-CANCEL-RQ (PS3.7 §9.3.2.3) after the allowed number had been yielded.
 *
 * @example
 * ```ts
 * import { TooManyResultsError } from "./mod.ts";
 * const error = new TooManyResultsError("C-FIND returned more than 1000 matches; it was cancelled");
 * console.log(error.name); // "TooManyResultsError"
 * ```
 */
export class TooManyResultsError extends DicomError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TooManyResultsError";
  }
}
