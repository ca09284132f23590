/**
 * Human-readable descriptions of A-ASSOCIATE-RJ, A-ABORT and presentation
 * context result codes, in the words of PS3.8 Tables 9-18, 9-21 and 9-26.
 *
 * @module
 */

import {
  ABORT_REASON,
  ABORT_SOURCE,
  type AbortReason,
  type AbortSource,
  PRESENTATION_CONTEXT_RESULT,
  type PresentationContextResult,
  REJECT_REASON,
  REJECT_RESULT,
  REJECT_SOURCE,
  type RejectResult,
  type RejectSource,
} from "./constants.ts";

/** The fields of an A-ASSOCIATE-RJ PDU that {@linkcode describeReject} reads. */
export interface RejectCodes {
  /** Result (PS3.8 Table 9-21 byte 8). */
  readonly result: number;
  /** Source (byte 9). */
  readonly source: number;
  /** Reason/Diag. (byte 10). */
  readonly reason: number;
}

/** The fields of an A-ABORT PDU that {@linkcode describeAbort} reads. */
export interface AbortCodes {
  /** Source (PS3.8 Table 9-26 byte 9). */
  readonly source: number;
  /** Reason/Diag. (byte 10). */
  readonly reason: number;
}

const REJECT_RESULTS: Readonly<Record<number, string>> = {
  [REJECT_RESULT.REJECTED_PERMANENT]: "rejected-permanent",
  [REJECT_RESULT.REJECTED_TRANSIENT]: "rejected-transient",
} satisfies Record<RejectResult, string>;

const REJECT_SOURCES: Readonly<Record<number, string>> = {
  [REJECT_SOURCE.SERVICE_USER]: "the DICOM UL service-user",
  [REJECT_SOURCE.SERVICE_PROVIDER_ACSE]: "the DICOM UL service-provider (ACSE related function)",
  [REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION]:
    "the DICOM UL service-provider (Presentation related function)",
} satisfies Record<RejectSource, string>;

/** PS3.8 Table 9-21 byte 10, by source. */
const REJECT_REASONS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [REJECT_SOURCE.SERVICE_USER]: {
    [REJECT_REASON.SERVICE_USER.NO_REASON_GIVEN]: "no-reason-given",
    [REJECT_REASON.SERVICE_USER.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED]:
      "application-context-name-not-supported",
    [REJECT_REASON.SERVICE_USER.CALLING_AE_TITLE_NOT_RECOGNIZED]: "calling-AE-title-not-recognized",
    [REJECT_REASON.SERVICE_USER.CALLED_AE_TITLE_NOT_RECOGNIZED]: "called-AE-title-not-recognized",
  },
  [REJECT_SOURCE.SERVICE_PROVIDER_ACSE]: {
    [REJECT_REASON.SERVICE_PROVIDER_ACSE.NO_REASON_GIVEN]: "no-reason-given",
    [REJECT_REASON.SERVICE_PROVIDER_ACSE.PROTOCOL_VERSION_NOT_SUPPORTED]:
      "protocol-version-not-supported",
  },
  [REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION]: {
    [REJECT_REASON.SERVICE_PROVIDER_PRESENTATION.TEMPORARY_CONGESTION]: "temporary-congestion",
    [REJECT_REASON.SERVICE_PROVIDER_PRESENTATION.LOCAL_LIMIT_EXCEEDED]: "local-limit-exceeded",
  },
};

const ABORT_SOURCES: Readonly<Record<number, string>> = {
  [ABORT_SOURCE.SERVICE_USER]: "the DICOM UL service-user",
  [ABORT_SOURCE.RESERVED]: "a reserved source",
  [ABORT_SOURCE.SERVICE_PROVIDER]: "the DICOM UL service-provider",
} satisfies Record<AbortSource, string>;

/** PS3.8 Table 9-26 byte 10, significant when the source is the service provider. */
const ABORT_REASONS: Readonly<Record<number, string>> = {
  [ABORT_REASON.REASON_NOT_SPECIFIED]: "reason-not-specified",
  [ABORT_REASON.UNRECOGNIZED_PDU]: "unrecognized-PDU",
  [ABORT_REASON.UNEXPECTED_PDU]: "unexpected-PDU",
  [ABORT_REASON.UNRECOGNIZED_PDU_PARAMETER]: "unrecognized-PDU parameter",
  [ABORT_REASON.UNEXPECTED_PDU_PARAMETER]: "unexpected-PDU parameter",
  [ABORT_REASON.INVALID_PDU_PARAMETER_VALUE]: "invalid-PDU-parameter value",
} satisfies Record<AbortReason, string>;

/** PS3.8 Table 9-18 byte 7. */
const CONTEXT_RESULTS: Readonly<Record<number, string>> = {
  [PRESENTATION_CONTEXT_RESULT.ACCEPTANCE]: "acceptance",
  [PRESENTATION_CONTEXT_RESULT.USER_REJECTION]: "user-rejection",
  [PRESENTATION_CONTEXT_RESULT.NO_REASON]: "no-reason (provider rejection)",
  [PRESENTATION_CONTEXT_RESULT.ABSTRACT_SYNTAX_NOT_SUPPORTED]:
    "abstract-syntax-not-supported (provider rejection)",
  [PRESENTATION_CONTEXT_RESULT.TRANSFER_SYNTAXES_NOT_SUPPORTED]:
    "transfer-syntaxes-not-supported (provider rejection)",
} satisfies Record<PresentationContextResult, string>;

/**
 * The standard's name of an A-ASSOCIATE-RJ reason, which depends on the
 * source (PS3.8 Table 9-21 byte 10), or `undefined` for a reserved one.
 *
 * @example
 * ```ts
 * import { REJECT_SOURCE, rejectReasonName } from "./mod.ts";
 * console.log(rejectReasonName(REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION, 2)); // "local-limit-exceeded"
 * ```
 */
export function rejectReasonName(source: number, reason: number): string | undefined {
  return REJECT_REASONS[source]?.[reason];
}

/**
 * Describes why an association was rejected, from the result, source and
 * reason of an A-ASSOCIATE-RJ PDU (PS3.8 Table 9-21). Reserved or unknown
 * codes are named as such, so any PDU can be described.
 *
 * @param codes The A-ASSOCIATE-RJ PDU, or any object with its three codes.
 * @returns A sentence fragment such as `"rejected-permanent by the DICOM UL
 * service-user: called-AE-title-not-recognized (result 1, source 1, reason 7)"`.
 *
 * @example Describe a rejection
 * ```ts
 * import { describeReject } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(
 *   describeReject({ result: 2, source: 3, reason: 1 }),
 *   "rejected-transient by the DICOM UL service-provider (Presentation related function): " +
 *     "temporary-congestion (result 2, source 3, reason 1)",
 * );
 * ```
 */
export function describeReject(codes: RejectCodes): string {
  const { result, source, reason } = codes;
  const what = REJECT_RESULTS[result] ?? `rejected with unknown result ${result}`;
  const who = REJECT_SOURCES[source] ?? `an unknown source ${source}`;
  const why = rejectReasonName(source, reason) ?? `reserved reason ${reason}`;
  return `${what} by ${who}: ${why} (result ${result}, source ${source}, reason ${reason})`;
}

/**
 * Describes why an association was aborted, from the source and reason of
 * an A-ABORT PDU (PS3.8 Table 9-26). The reason is significant only when
 * the service provider aborted.
 *
 * @param codes The A-ABORT PDU, or any object with its two codes.
 * @returns A sentence fragment such as `"aborted by the DICOM UL
 * service-provider: unexpected-PDU (source 2, reason 2)"`.
 *
 * @example Describe an abort
 * ```ts
 * import { describeAbort } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(
 *   describeAbort({ source: 0, reason: 0 }),
 *   "aborted by the DICOM UL service-user (source 0, reason 0)",
 * );
 * deepEqual(
 *   describeAbort({ source: 2, reason: 6 }),
 *   "aborted by the DICOM UL service-provider: invalid-PDU-parameter value (source 2, reason 6)",
 * );
 * ```
 */
export function describeAbort(codes: AbortCodes): string {
  const { source, reason } = codes;
  const who = ABORT_SOURCES[source] ?? `an unknown source ${source}`;
  const why = source === ABORT_SOURCE.SERVICE_PROVIDER
    ? `: ${ABORT_REASONS[reason] ?? `reserved reason ${reason}`}`
    : "";
  return `aborted by ${who}${why} (source ${source}, reason ${reason})`;
}

/**
 * Describes the result of a presentation context in an A-ASSOCIATE-AC
 * (PS3.8 Table 9-18).
 *
 * @param result The Result/Reason code, 0 to 4.
 * @returns The standard's wording, e.g. `"abstract-syntax-not-supported
 * (provider rejection)"`, or `"unknown result 9"`.
 *
 * @example Describe a rejected context
 * ```ts
 * import { describePresentationContextResult } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(describePresentationContextResult(1), "user-rejection");
 * ```
 */
export function describePresentationContextResult(result: number): string {
  return CONTEXT_RESULTS[result] ?? `unknown result ${result}`;
}
