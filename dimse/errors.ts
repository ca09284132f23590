/**
 * Errors of the DIMSE layer that are not statuses.
 *
 * @module
 */

/** No response arrived within the DIMSE timeout; the association was aborted. */
export class DimseTimeoutError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DimseTimeoutError";
  }
}
