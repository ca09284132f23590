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

/**
 * The folder a retrieval writes to cannot be used: it is a file, or cannot
 * be created or written. `get()` and `retrieve()` throw it before they
 * open any association, so the peer is never asked for objects that could
 * not be kept.
 *
 * @example
 * ```ts
 * import { RetrieveDirectoryError } from "./mod.ts";
 * const error = new RetrieveDirectoryError("/data/out", "it is a file, not a folder");
 * console.log(error.message); // "Cannot retrieve into /data/out: it is a file, not a folder"
 * console.log(error.directory); // "/data/out"
 * ```
 */
export class RetrieveDirectoryError extends DicomError {
  /** The folder. */
  readonly directory: string;

  /** Creates the error: `why` says what is wrong with `directory`. */
  constructor(directory: string, why: string, options?: ErrorOptions) {
    super(`Cannot retrieve into ${directory}: ${why}`, options);
    this.name = "RetrieveDirectoryError";
    this.directory = directory;
  }
}
