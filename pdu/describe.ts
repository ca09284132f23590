/**
 * Human-readable descriptions of A-ASSOCIATE-RJ, A-ABORT and presentation
 * context result codes, in the words of PS3.8 Tables 9-18, 9-21 and 9-26.
 *
 * @module
 */

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
  1: "rejected-permanent",
  2: "rejected-transient",
};

const REJECT_SOURCES: Readonly<Record<number, string>> = {
  1: "the DICOM UL service-user",
  2: "the DICOM UL service-provider (ACSE related function)",
  3: "the DICOM UL service-provider (Presentation related function)",
};

/** PS3.8 Table 9-21 byte 10, by source. */
const REJECT_REASONS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: {
    1: "no-reason-given",
    2: "application-context-name-not-supported",
    3: "calling-AE-title-not-recognized",
    7: "called-AE-title-not-recognized",
  },
  2: { 1: "no-reason-given", 2: "protocol-version-not-supported" },
  3: { 1: "temporary-congestion", 2: "local-limit-exceeded" },
};

const ABORT_SOURCES: Readonly<Record<number, string>> = {
  0: "the DICOM UL service-user",
  1: "a reserved source",
  2: "the DICOM UL service-provider",
};

/** PS3.8 Table 9-26 byte 10, significant when the source is 2. */
const ABORT_REASONS: Readonly<Record<number, string>> = {
  0: "reason-not-specified",
  1: "unrecognized-PDU",
  2: "unexpected-PDU",
  4: "unrecognized-PDU parameter",
  5: "unexpected-PDU parameter",
  6: "invalid-PDU-parameter value",
};

/** PS3.8 Table 9-18 byte 7. */
const CONTEXT_RESULTS: Readonly<Record<number, string>> = {
  0: "acceptance",
  1: "user-rejection",
  2: "no-reason (provider rejection)",
  3: "abstract-syntax-not-supported (provider rejection)",
  4: "transfer-syntaxes-not-supported (provider rejection)",
};

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
  const why = REJECT_REASONS[source]?.[reason] ?? `reserved reason ${reason}`;
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
  const why = source === 2 ? `: ${ABORT_REASONS[reason] ?? `reserved reason ${reason}`}` : "";
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
