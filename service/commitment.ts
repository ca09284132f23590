/**
 * Storage Commitment Push Model (PS3.4 Annex J): the Action and Event
 * Information both roles exchange (PS3.4 J.3.2.1.1 Table J.3-1, J.3.3.1.1
 * Tables J.3-2 and J.3-3; the Storage Commitment Module, PS3.3 C.14), their
 * codes as named constants, and a Transaction UID maker.
 *
 * @module
 */
import { Dataset } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { STATUS } from "../dimse/mod.ts";
import { DicomError } from "../errors.ts";

/** Action Type ID of the N-ACTION: Request Storage Commitment (PS3.4 J.3.2.1.1). */
export const COMMITMENT_ACTION_TYPE_REQUEST = 1;

/** Event Type IDs of the N-EVENT-REPORT (PS3.4 J.3.3.1.1, Table J.3-2). */
export const COMMITMENT_EVENT_TYPE = {
  /** Storage Commitment Request Successful: every instance committed. */
  ALL_COMMITTED: 1,
  /** Storage Commitment Request Complete - Failures Exist. */
  FAILURES_EXIST: 2,
} as const;

/** Failure Reason (0008,1197) values (PS3.3 C.14.1.1). */
export const COMMITMENT_FAILURE_REASON = {
  /** A general failure in processing the operation was encountered. */
  PROCESSING_FAILURE: 0x0110,
  /** The referenced SOP instance was not available: never received, or gone. */
  NO_SUCH_OBJECT_INSTANCE: 0x0112,
  /** The SCP does not have the resources to store the instance. */
  RESOURCE_LIMITATION: 0x0213,
  /** Commitment was requested for an instance of a SOP class the SCP does not support. */
  REFERENCED_SOP_CLASS_NOT_SUPPORTED: 0x0122,
  /** The referenced SOP class is not the one the SCP holds the instance as. */
  CLASS_INSTANCE_CONFLICT: 0x0119,
  /** The Transaction UID of the request is already in use. */
  DUPLICATE_TRANSACTION_UID: 0x0131,
} as const;

/** A SOP instance as Storage Commitment references it (PS3.3 Table 10-11). */
export interface SopReference {
  /** Referenced SOP Class UID (0008,1150). */
  readonly sopClassUid: string;
  /** Referenced SOP Instance UID (0008,1155). */
  readonly sopInstanceUid: string;
}

/** A reference the SCP could not commit, with why. */
export interface FailedSopReference extends SopReference {
  /** Failure Reason (0008,1197), one of {@linkcode COMMITMENT_FAILURE_REASON} or another code. */
  readonly failureReason: number;
}

/** The Action Information of a Storage Commitment Request (PS3.4 Table J.3-1). */
export interface CommitmentRequest {
  /** Transaction UID (0008,1195). */
  readonly transactionUid: string;
  /** Referenced SOP Sequence (0008,1199): the instances to commit. */
  readonly references: readonly SopReference[];
}

/** The Event Information of a Storage Commitment Result (PS3.4 Table J.3-2). */
export interface CommitmentReport {
  /** Transaction UID (0008,1195) of the request it answers. */
  readonly transactionUid: string;
  /** Referenced SOP Sequence (0008,1199): the instances committed. */
  readonly committed: readonly SopReference[];
  /** Failed SOP Sequence (0008,1198): the instances not committed. */
  readonly failed: readonly FailedSopReference[];
}

/**
 * Storage Commitment information that lacks a required attribute or has a
 * malformed one; `status` is the DIMSE status to answer it with.
 *
 * @example
 * ```ts
 * import { CommitmentInformationError } from "./mod.ts";
 * const error = new CommitmentInformationError("No Transaction UID", 0x0114);
 * console.log(error.name, error.status); // CommitmentInformationError 276
 * ```
 */
export class CommitmentInformationError extends DicomError {
  /** The status to answer with: 0114 (no such argument) or 0115 (invalid argument value). */
  readonly status: number;

  /**
   * Creates the error.
   *
   * @param message What is wrong.
   * @param status The status to answer with.
   */
  constructor(message: string, status: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "CommitmentInformationError";
    this.status = status;
  }
}

const { NO_SUCH_ARGUMENT, INVALID_ARGUMENT_VALUE } = STATUS;

function referenceItem(reference: SopReference): Dataset {
  return new Dataset()
    .set(Tag.ReferencedSOPClassUID, reference.sopClassUid)
    .set(Tag.ReferencedSOPInstanceUID, reference.sopInstanceUid);
}

/**
 * The Action Information of an N-ACTION Request Storage Commitment (PS3.4
 * J.3.2.1.1, Table J.3-1).
 *
 * @example
 * ```ts
 * import { encodeCommitmentRequest } from "./mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 * const ds = encodeCommitmentRequest({
 *   transactionUid: "2.25.1",
 *   references: [{ sopClassUid: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUid: "2.25.2" }],
 * });
 * console.log(ds.items(Tag.ReferencedSOPSequence).length); // 1
 * ```
 */
export function encodeCommitmentRequest(request: CommitmentRequest): Dataset {
  return new Dataset()
    .set(Tag.TransactionUID, request.transactionUid)
    .set(Tag.ReferencedSOPSequence, request.references.map(referenceItem));
}

function transactionUidOf(dataset: Dataset): string {
  const uid = dataset.string(Tag.TransactionUID);
  if (uid === undefined || uid === "") {
    throw new CommitmentInformationError("No Transaction UID (0008,1195)", NO_SUCH_ARGUMENT);
  }
  if (!/^[0-9.]{1,64}$/.test(uid)) {
    throw new CommitmentInformationError(
      `Transaction UID "${uid.slice(0, 70)}" is not a UID`,
      INVALID_ARGUMENT_VALUE,
    );
  }
  return uid;
}

function referencesOf(dataset: Dataset, tag: number, name: string): SopReference[] {
  return dataset.items(tag).map((item, i) => {
    const sopClassUid = item.string(Tag.ReferencedSOPClassUID);
    const sopInstanceUid = item.string(Tag.ReferencedSOPInstanceUID);
    if (!sopClassUid || !sopInstanceUid) {
      throw new CommitmentInformationError(
        `${name} item ${i + 1} lacks its Referenced SOP Class or Instance UID`,
        INVALID_ARGUMENT_VALUE,
      );
    }
    return { sopClassUid, sopInstanceUid };
  });
}

/**
 * Reads the Action Information of a Storage Commitment Request.
 *
 * @example
 * ```ts
 * import { decodeCommitmentRequest, encodeCommitmentRequest } from "./mod.ts";
 * const request = decodeCommitmentRequest(encodeCommitmentRequest({
 *   transactionUid: "2.25.1",
 *   references: [{ sopClassUid: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUid: "2.25.2" }],
 * }));
 * console.log(request.references[0]?.sopInstanceUid); // "2.25.2"
 * ```
 *
 * @throws {CommitmentInformationError} without a Transaction UID or a
 * Referenced SOP Sequence, or with an item that lacks its UIDs.
 */
export function decodeCommitmentRequest(dataset: Dataset): CommitmentRequest {
  const transactionUid = transactionUidOf(dataset);
  if (!dataset.has(Tag.ReferencedSOPSequence)) {
    throw new CommitmentInformationError(
      "No Referenced SOP Sequence (0008,1199)",
      NO_SUCH_ARGUMENT,
    );
  }
  const references = referencesOf(dataset, Tag.ReferencedSOPSequence, "Referenced SOP Sequence");
  if (references.length === 0) {
    throw new CommitmentInformationError(
      "The Referenced SOP Sequence is empty",
      INVALID_ARGUMENT_VALUE,
    );
  }
  return { transactionUid, references };
}

/**
 * The Event Information of a Storage Commitment Result (PS3.4 J.3.3.1.1,
 * Tables J.3-2 and J.3-3) and its Event Type ID: 1 when nothing failed, 2
 * otherwise. A sequence with no items is left out.
 *
 * @example
 * ```ts
 * import { encodeCommitmentReport } from "./mod.ts";
 * const { eventTypeId } = encodeCommitmentReport({
 *   transactionUid: "2.25.1",
 *   committed: [],
 *   failed: [{ sopClassUid: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUid: "2.25.2", failureReason: 0x0112 }],
 * });
 * console.log(eventTypeId); // 2
 * ```
 */
export function encodeCommitmentReport(
  report: CommitmentReport,
): { dataset: Dataset; eventTypeId: number } {
  const dataset = new Dataset().set(Tag.TransactionUID, report.transactionUid);
  if (report.committed.length > 0) {
    dataset.set(Tag.ReferencedSOPSequence, report.committed.map(referenceItem));
  }
  if (report.failed.length > 0) {
    dataset.set(
      Tag.FailedSOPSequence,
      report.failed.map((f) => referenceItem(f).set(Tag.FailureReason, f.failureReason)),
    );
  }
  return {
    dataset,
    eventTypeId: report.failed.length === 0
      ? COMMITMENT_EVENT_TYPE.ALL_COMMITTED
      : COMMITMENT_EVENT_TYPE.FAILURES_EXIST,
  };
}

/**
 * Reads the Event Information of a Storage Commitment Result. A failed item
 * without a Failure Reason gets 0110 (processing failure).
 *
 * @example
 * ```ts
 * import { decodeCommitmentReport, encodeCommitmentReport } from "./mod.ts";
 * const report = decodeCommitmentReport(encodeCommitmentReport({
 *   transactionUid: "2.25.1",
 *   committed: [{ sopClassUid: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUid: "2.25.2" }],
 *   failed: [],
 * }).dataset);
 * console.log(report.committed.length, report.failed.length); // 1 0
 * ```
 *
 * @throws {CommitmentInformationError} without a Transaction UID, or with an item that lacks its UIDs.
 */
export function decodeCommitmentReport(dataset: Dataset): CommitmentReport {
  const transactionUid = transactionUidOf(dataset);
  const committed = referencesOf(dataset, Tag.ReferencedSOPSequence, "Referenced SOP Sequence");
  const failedItems = dataset.items(Tag.FailedSOPSequence);
  const failed = referencesOf(dataset, Tag.FailedSOPSequence, "Failed SOP Sequence").map(
    (reference, i) => ({
      ...reference,
      failureReason: failedItems[i]!.number(Tag.FailureReason) ??
        COMMITMENT_FAILURE_REASON.PROCESSING_FAILURE,
    }),
  );
  return { transactionUid, committed, failed };
}
