/**
 * Errors of the DIMSE layer that are not statuses.
 *
 * @module
 */

import { DicomError } from "../errors.ts";

/** No response arrived within the DIMSE timeout; the association was aborted. */
export class DimseTimeoutError extends DicomError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DimseTimeoutError";
  }
}

/**
 * A response's data set (a C-FIND match, say) grew past
 * {@linkcode DimseChannelOptions.maxResponseDatasetLength}; the association
 * was aborted rather than hold it in memory.
 *
 * @example
 * ```ts
 * import { ResponseTooLargeError } from "./mod.ts";
 * const error = new ResponseTooLargeError("A C-FIND-RSP data set exceeded 67108864 bytes");
 * console.log(error.name); // "ResponseTooLargeError"
 * ```
 */
export class ResponseTooLargeError extends DicomError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ResponseTooLargeError";
  }
}

/**
 * The peer kept more requests waiting beyond the negotiated Asynchronous
 * Operations Window (PS3.7 D.3.3.3) than
 * {@linkcode DimseChannelOptions.maxQueuedRequests} allows; the association
 * was aborted.
 *
 * @example
 * ```ts
 * import { OperationsWindowExceededError } from "./mod.ts";
 * const error = new OperationsWindowExceededError("65 requests wait beyond a window of 1");
 * console.log(error.name); // "OperationsWindowExceededError"
 * ```
 */
export class OperationsWindowExceededError extends DicomError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OperationsWindowExceededError";
  }
}
