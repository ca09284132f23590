/**
 * Defaults and named rejections of the association layer.
 *
 * @module
 */

import {
  REJECT_REASON,
  REJECT_RESULT,
  REJECT_SOURCE,
  type RejectResult,
  type RejectSource,
} from "../pdu/mod.ts";

// Our Implementation Class UID and Version Name (PS3.7 D.3.3.2), sent in
// every A-ASSOCIATE-RQ and -AC unless overridden: the project's identity,
// the same as in the Part 10 files it writes.
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "../version.ts";

/** The Maximum Length we advertise unless told otherwise (PS3.8 Annex D.1), as DCMTK does. */
export const DEFAULT_MAX_PDU_LENGTH = 16384;

/** The default ARTIM, association and release timeout, in milliseconds. */
export const DEFAULT_TIMEOUT = 30_000;

/** An A-ASSOCIATE-RJ's three codes (PS3.8 Table 9-21). */
export interface AssociationRejection {
  /** 1 rejected-permanent, 2 rejected-transient. */
  readonly result: RejectResult;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  readonly source: RejectSource;
  /** The Reason/Diag. code for that source. */
  readonly reason: number;
}

/**
 * The rejections an acceptor sends, named after PS3.8 Table 9-21, for
 * access control policies to return.
 *
 * @example Reject an unknown calling AE title
 * ```ts
 * import { ASSOCIATION_REJECTIONS, type AccessControlPolicy } from "@dcm/net/association";
 *
 * const policy: AccessControlPolicy = (request) =>
 *   request.callingAeTitle === "MODALITY1"
 *     ? undefined
 *     : ASSOCIATION_REJECTIONS.CALLING_AE_TITLE_NOT_RECOGNIZED;
 * ```
 */
export const ASSOCIATION_REJECTIONS = {
  /** Permanent, service-user, reason 1 (no-reason-given). */
  NO_REASON_GIVEN: {
    result: REJECT_RESULT.REJECTED_PERMANENT,
    source: REJECT_SOURCE.SERVICE_USER,
    reason: REJECT_REASON.SERVICE_USER.NO_REASON_GIVEN,
  },
  /** Permanent, service-user, reason 2 (application-context-name-not-supported). */
  APPLICATION_CONTEXT_NAME_NOT_SUPPORTED: {
    result: REJECT_RESULT.REJECTED_PERMANENT,
    source: REJECT_SOURCE.SERVICE_USER,
    reason: REJECT_REASON.SERVICE_USER.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED,
  },
  /** Permanent, service-user, reason 3 (calling-AE-title-not-recognized). */
  CALLING_AE_TITLE_NOT_RECOGNIZED: {
    result: REJECT_RESULT.REJECTED_PERMANENT,
    source: REJECT_SOURCE.SERVICE_USER,
    reason: REJECT_REASON.SERVICE_USER.CALLING_AE_TITLE_NOT_RECOGNIZED,
  },
  /** Permanent, service-user, reason 7 (called-AE-title-not-recognized). */
  CALLED_AE_TITLE_NOT_RECOGNIZED: {
    result: REJECT_RESULT.REJECTED_PERMANENT,
    source: REJECT_SOURCE.SERVICE_USER,
    reason: REJECT_REASON.SERVICE_USER.CALLED_AE_TITLE_NOT_RECOGNIZED,
  },
  /** Permanent, service-provider (ACSE), reason 2 (protocol-version-not-supported). */
  PROTOCOL_VERSION_NOT_SUPPORTED: {
    result: REJECT_RESULT.REJECTED_PERMANENT,
    source: REJECT_SOURCE.SERVICE_PROVIDER_ACSE,
    reason: REJECT_REASON.SERVICE_PROVIDER_ACSE.PROTOCOL_VERSION_NOT_SUPPORTED,
  },
  /** Transient, service-provider (presentation), reason 1 (temporary-congestion). */
  TEMPORARY_CONGESTION: {
    result: REJECT_RESULT.REJECTED_TRANSIENT,
    source: REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION,
    reason: REJECT_REASON.SERVICE_PROVIDER_PRESENTATION.TEMPORARY_CONGESTION,
  },
  /** Transient, service-provider (presentation), reason 2 (local-limit-exceeded). */
  LOCAL_LIMIT_EXCEEDED: {
    result: REJECT_RESULT.REJECTED_TRANSIENT,
    source: REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION,
    reason: REJECT_REASON.SERVICE_PROVIDER_PRESENTATION.LOCAL_LIMIT_EXCEEDED,
  },
} as const satisfies Record<string, AssociationRejection>;
