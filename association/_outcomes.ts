/**
 * What the protocol machine's events carry, and the errors it reports when
 * an association is rejected or aborted (PS3.8 Tables 9-21 and 9-26).
 *
 * @module
 */

import {
  ABORT_REASON,
  ABORT_SOURCE,
  type AbortPdu,
  type AbortSource,
  type AssociateAcPdu,
  type AssociateRjPdu,
  type Pdu,
  type PduDecodeError,
} from "../pdu/mod.ts";
import { ASSOCIATION_REJECTIONS } from "./constants.ts";
import { AssociationAbortedError, AssociationRejectedError } from "./errors.ts";
import type { State, StateMachineEvent } from "./state_machine.ts";

/** How the machine went back to Sta1. */
export type _Outcome =
  | { readonly how: "released" }
  | { readonly how: "aborted"; readonly error: AssociationAbortedError }
  | { readonly how: "rejected"; readonly error: AssociationRejectedError };

/** What an event carries. */
export interface _Payload {
  /** The PDU received (Evt3, 4, 6, 10, 12, 13, 16) or to send (Evt9). */
  pdu?: Pdu;
  /** Evt19, or Evt6 with an unsupported protocol version: the decoding failure. */
  decodeError?: PduDecodeError;
  /** Evt15: what to put in the A-ABORT and report. */
  abort?: { source: AbortSource; reason: number; error: AssociationAbortedError };
  /** Evt6: the provider's rejection when the request is not acceptable (AE-6). */
  rejection?: AssociateRjPdu;
  /** Evt7/Evt8: the local response. */
  response?: AssociateAcPdu | AssociateRjPdu;
  /** Evt17: why the transport ended. */
  cause?: unknown;
}

/** A-ASSOCIATE-RJ for a request without protocol version 1 (PS3.8 Table 9-21: 1, 2, 2). */
export const _PROTOCOL_VERSION_REJECTION: AssociateRjPdu = {
  type: "A-ASSOCIATE-RJ",
  ...ASSOCIATION_REJECTIONS.PROTOCOL_VERSION_NOT_SUPPORTED,
};

/** The error for an A-ASSOCIATE-RJ, received or sent. */
export function _rejectedError(rj: AssociateRjPdu): AssociationRejectedError {
  return new AssociationRejectedError(rj.result, rj.source, rj.reason);
}

/** The error for an A-ABORT PDU received (AA-2 in Sta2, AA-3). */
export function _peerAbortError(pdu: AbortPdu): AssociationAbortedError {
  return new AssociationAbortedError(
    `Peer sent A-ABORT (source ${pdu.source}, reason ${pdu.reason})`,
    { origin: "peer", source: pdu.source, reason: pdu.reason },
  );
}

/** The error for an abort by the local service provider. */
export function _providerError(
  message: string,
  reason: number,
  cause?: unknown,
): AssociationAbortedError {
  return new AssociationAbortedError(message, {
    origin: "provider",
    source: ABORT_SOURCE.SERVICE_PROVIDER,
    reason,
    cause,
  });
}

/**
 * The error for an unexpected PDU (reason 2, unexpected-PDU) or invalid
 * bytes (reason 1, unrecognized-PDU, or 6, invalid-PDU-parameter value),
 * PS3.8 Table 9-26.
 */
export function _invalidPduError(
  state: State,
  event: StateMachineEvent,
  p: _Payload,
): AssociationAbortedError {
  const e = p.decodeError;
  const reason = e === undefined
    ? ABORT_REASON.UNEXPECTED_PDU
    : e.code === "unknown-pdu-type"
    ? ABORT_REASON.UNRECOGNIZED_PDU
    : ABORT_REASON.INVALID_PDU_PARAMETER_VALUE;
  const what = e?.message ?? `unexpected ${p.pdu?.type ?? event} in ${state}`;
  return _providerError(`Aborted: ${what}`, reason, e);
}

/** The error for AA-2: a peer's A-ABORT in Sta2, a local abort in Sta4, or ARTIM expiry. */
export function _aa2Error(
  state: State,
  event: StateMachineEvent,
  p: _Payload,
): AssociationAbortedError {
  if (event === "Evt16") return _peerAbortError(p.pdu as AbortPdu);
  if (event === "Evt15") return p.abort!.error;
  const timeout = new DOMException("ARTIM timer expired", "TimeoutError");
  return _providerError(
    `ARTIM timer expired in ${state} (PS3.8 §9.1.5)`,
    ABORT_REASON.REASON_NOT_SPECIFIED,
    timeout,
  );
}

/** The error for a local timeout: a local abort with a `TimeoutError` as its cause. */
export function _timeoutError(what: string, ms: number): AssociationAbortedError {
  const cause = new DOMException(`No ${what} within ${ms} ms`, "TimeoutError");
  return new AssociationAbortedError(cause.message, {
    origin: "local",
    source: ABORT_SOURCE.SERVICE_USER,
    cause,
  });
}
