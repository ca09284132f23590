/**
 * DIMSE status codes (PS3.7 Annex C) and their meaning per service (PS3.4
 * Annexes B and C): the category of a code decides what a caller does with
 * it. Pending and warning are data; failures throw {@linkcode DimseStatusError}.
 *
 * @module
 */

import { DicomError } from "../errors.ts";

/** The category of a status (PS3.7 §C.1). */
export type StatusCategory = "success" | "pending" | "warning" | "cancel" | "failure";

/** Common status codes by name (PS3.7 Annex C, PS3.4 Annexes B and C). */
export const STATUS = {
  SUCCESS: 0x0000,
  PENDING: 0xff00,
  PENDING_WITH_WARNINGS: 0xff01,
  CANCEL: 0xfe00,
  /** C-STORE: Coercion of Data Elements. */
  COERCION_OF_DATA_ELEMENTS: 0xb000,
  /** C-MOVE/C-GET: Sub-operations complete, one or more failures or warnings. */
  SUB_OPERATIONS_COMPLETE_WITH_FAILURES: 0xb000,
  /** C-STORE: Elements Discarded. */
  ELEMENTS_DISCARDED: 0xb006,
  /** C-STORE: Data Set does not match SOP Class (warning). */
  DATA_SET_DOES_NOT_MATCH_SOP_CLASS_WARNING: 0xb007,
  /** Refused: Out of Resources (A700–A7FF in C-STORE). */
  OUT_OF_RESOURCES: 0xa700,
  /** C-FIND/C-MOVE/C-GET: Out of Resources, unable to calculate number of matches. */
  OUT_OF_RESOURCES_MATCHES: 0xa701,
  /** C-MOVE/C-GET: Out of Resources, unable to perform sub-operations. */
  OUT_OF_RESOURCES_SUB_OPERATIONS: 0xa702,
  /** C-MOVE: Move Destination unknown. */
  MOVE_DESTINATION_UNKNOWN: 0xa801,
  /** Error: Data Set does not match SOP Class (A900–A9FF); C-FIND: Identifier does not match. */
  DATA_SET_DOES_NOT_MATCH_SOP_CLASS: 0xa900,
  /** Error: Cannot understand / Unable to process (C000–CFFF). */
  CANNOT_UNDERSTAND: 0xc000,
  /** Refused: SOP Class not supported. */
  SOP_CLASS_NOT_SUPPORTED: 0x0122,
  /** Refused: Not authorized. */
  NOT_AUTHORIZED: 0x0124,
  /** Unrecognized Operation. */
  UNRECOGNIZED_OPERATION: 0x0211,
  /** Duplicate invocation (Message ID already in use). */
  DUPLICATE_INVOCATION: 0x0210,
  /** Mistyped argument. */
  MISTYPED_ARGUMENT: 0x0212,
  /** Processing failure. */
  PROCESSING_FAILURE: 0x0110,
  /** Missing Attribute. */
  MISSING_ATTRIBUTE: 0x0120,
  /** Missing Attribute Value (PS3.7 C.5.x: a type 1 attribute without a value). */
  MISSING_ATTRIBUTE_VALUE: 0x0121,
  /** No such attribute (DIMSE-N: an attribute that cannot be set or is not known). */
  NO_SUCH_ATTRIBUTE: 0x0105,
  /** Invalid attribute value (DIMSE-N). */
  INVALID_ATTRIBUTE_VALUE: 0x0106,
  /** Attribute list error (DIMSE-N warning: attributes not recognized, PS3.7 C.4.2). */
  ATTRIBUTE_LIST_ERROR: 0x0107,
  /** Duplicate SOP Instance. */
  DUPLICATE_SOP_INSTANCE: 0x0111,
  /** No such SOP Instance. */
  NO_SUCH_SOP_INSTANCE: 0x0112,
  /** Invalid SOP Instance: the SOP Instance UID violates the UID construction rules (PS3.7 C.5.x, PS3.5 §9.1). */
  INVALID_SOP_INSTANCE: 0x0117,
  /** Resource limitation. */
  RESOURCE_LIMITATION: 0x0213,
  /** No such event type (N-EVENT-REPORT, PS3.7 §10.1.1.1.8). */
  NO_SUCH_EVENT_TYPE: 0x0113,
  /** No such argument: a required argument, e.g. Storage Commitment's Transaction UID, is absent. */
  NO_SUCH_ARGUMENT: 0x0114,
  /** Invalid argument value, e.g. a Transaction UID the receiver does not know. */
  INVALID_ARGUMENT_VALUE: 0x0115,
  /** Class-instance conflict (PS3.7 C.5.x). */
  CLASS_INSTANCE_CONFLICT: 0x0119,
  /** No such action type (N-ACTION, PS3.7 §10.1.4.1.10). */
  NO_SUCH_ACTION_TYPE: 0x0123,
} as const;

/** Categorises a status code per PS3.7 §C.1–C.5 and PS3.4. */
export function statusCategory(status: number): StatusCategory {
  if (status === STATUS.SUCCESS) return "success";
  if (status === STATUS.PENDING || status === STATUS.PENDING_WITH_WARNINGS) return "pending";
  if (status === STATUS.CANCEL) return "cancel";
  // Warnings: PS3.7 §C.3 (0001, Bxxx) and the N-service warnings 0107, 0116.
  if (status === 0x0001 || (status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116) {
    return "warning";
  }
  return "failure";
}

const GENERAL: ReadonlyMap<number, string> = new Map([
  [0x0000, "Success"],
  [0xff00, "Pending"],
  [0xff01, "Pending: optional keys not supported"],
  [0xfe00, "Cancel: the operation was cancelled"],
  [0x0001, "Warning: requested optional attributes are not supported"],
  [0x0105, "Failure: no such attribute"],
  [0x0106, "Failure: invalid attribute value"],
  [0x0107, "Warning: attribute list error"],
  [0x0110, "Failure: processing failure"],
  [0x0111, "Failure: duplicate SOP instance"],
  [0x0112, "Failure: no such SOP instance"],
  [0x0113, "Failure: no such event type"],
  [0x0114, "Failure: no such argument"],
  [0x0115, "Failure: invalid argument value"],
  [0x0116, "Warning: attribute value out of range"],
  [0x0117, "Failure: invalid object instance"],
  [0x0118, "Failure: no such SOP class"],
  [0x0119, "Failure: class-instance conflict"],
  [0x0120, "Failure: missing attribute"],
  [0x0121, "Failure: missing attribute value"],
  [0x0122, "Refused: SOP class not supported"],
  [0x0123, "Failure: no such action"],
  [0x0124, "Refused: not authorized"],
  [0x0210, "Failure: duplicate invocation"],
  [0x0211, "Failure: unrecognized operation"],
  [0x0212, "Failure: mistyped argument"],
  [0x0213, "Failure: resource limitation"],
  [0xa701, "Refused: out of resources, unable to calculate number of matches"],
  [0xa702, "Refused: out of resources, unable to perform sub-operations"],
  [0xa801, "Refused: move destination unknown"],
  [0xa900, "Error: data set or identifier does not match SOP class"],
  [0xb000, "Warning: coercion of data elements, or sub-operations complete with failures"],
  [0xb006, "Warning: elements discarded"],
  [0xb007, "Warning: data set does not match SOP class"],
]);

/** A status as PS3.7 writes it: four upper-case hexadecimal digits, e.g. `"A801"`. */
export function formatStatus(status: number): string {
  return status.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * A human-readable meaning of a status code, e.g. `"Refused: move destination
 * unknown (A801)"`. Ranges reserved by PS3.4 (A7xx out of resources, A9xx
 * data set mismatch, Cxxx cannot understand) are named as such.
 */
export function describeStatus(status: number): string {
  const hex = formatStatus(status);
  const known = GENERAL.get(status);
  if (known) return `${known} (${hex})`;
  if ((status & 0xff00) === 0xa700) return `Refused: out of resources (${hex})`;
  if ((status & 0xff00) === 0xa900) return `Error: data set does not match SOP class (${hex})`;
  if ((status & 0xf000) === 0xc000) return `Error: cannot understand / unable to process (${hex})`;
  if ((status & 0xf000) === 0xb000) return `Warning (${hex})`;
  return `${statusCategory(status) === "failure" ? "Failure" : "Status"} (${hex})`;
}

/** Options of {@linkcode DimseStatusError}. */
export interface DimseStatusErrorOptions extends ErrorOptions {
  /** Error Comment (0000,0902) from the response. */
  errorComment?: string;
  /** Offending Element (0000,0901) from the response. */
  offendingElements?: readonly number[];
}

/**
 * A DIMSE response with a failure status: `status` holds the code, and the
 * message its meaning and the peer's Error Comment.
 *
 * @example
 * ```ts
 * import { DimseStatusError } from "./mod.ts";
 * const e = new DimseStatusError("C-MOVE", 0xa801);
 * console.log(e.message); // "C-MOVE failed: Refused: move destination unknown (A801)"
 * ```
 */
export class DimseStatusError extends DicomError {
  /** The status code. */
  readonly status: number;
  /** The peer's Error Comment, if any. */
  readonly errorComment: string | undefined;
  /** The peer's Offending Element list, if any. */
  readonly offendingElements: readonly number[] | undefined;

  /** Creates the error for `operation` (e.g. "C-FIND") failing with `status`. */
  constructor(operation: string, status: number, options: DimseStatusErrorOptions = {}) {
    const comment = options.errorComment ? `: ${options.errorComment}` : "";
    super(`${operation} failed: ${describeStatus(status)}${comment}`, options);
    this.name = "DimseStatusError";
    this.status = status;
    this.errorComment = options.errorComment;
    this.offendingElements = options.offendingElements;
  }
}
