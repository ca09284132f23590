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
