/**
 * The errors of the association layer: rejection, abort and calls made in
 * the wrong state.
 *
 * @module
 */

import { DicomError } from "../errors.ts";
import {
  ABORT_REASON,
  ABORT_SOURCE,
  type AbortSource,
  REJECT_RESULT,
  REJECT_SOURCE,
  rejectReasonName,
  type RejectResult,
  type RejectSource,
} from "../pdu/mod.ts";
import type { State } from "./state_machine.ts";

/**
 * The association was rejected with an A-ASSOCIATE-RJ (PS3.8 §7.1.1.7–9,
 * Table 9-21), received by a requestor or sent by an acceptor.
 *
 * @example Tell a transient rejection from a permanent one
 * ```ts
 * import { AssociationRejectedError } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * const error = new AssociationRejectedError(2, 3, 2);
 * deepEqual(error.result, 2); // rejected-transient: try again later
 * deepEqual(error.message, "Association rejected (transient) by the service-provider (presentation): local-limit-exceeded");
 * ```
 */
export class AssociationRejectedError extends DicomError {
  /** Result: 1 rejected-permanent, 2 rejected-transient. */
  readonly result: RejectResult;
  /** Source: 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  readonly source: RejectSource;
  /** Reason/Diag., whose meaning depends on `source` (PS3.8 Table 9-21). */
  readonly reason: number;

  /**
   * Constructs a new instance.
   *
   * @param result The Result field.
   * @param source The Source field.
   * @param reason The Reason/Diag. field.
   * @param options An optional cause.
   */
  constructor(result: RejectResult, source: RejectSource, reason: number, options?: ErrorOptions) {
    super(
      `Association rejected (${
        result === REJECT_RESULT.REJECTED_PERMANENT ? "permanent" : "transient"
      }) by ${describeRejectSource(source)}: ${describeRejectReason(source, reason)}`,
      options,
    );
    this.name = "AssociationRejectedError";
    this.result = result;
    this.source = source;
    this.reason = reason;
  }
}

const REJECT_SOURCE_TEXT: Readonly<Record<number, string>> = {
  [REJECT_SOURCE.SERVICE_USER]: "the service-user",
  [REJECT_SOURCE.SERVICE_PROVIDER_ACSE]: "the service-provider (ACSE)",
  [REJECT_SOURCE.SERVICE_PROVIDER_PRESENTATION]: "the service-provider (presentation)",
} satisfies Record<RejectSource, string>;

function describeRejectSource(source: number): string {
  return REJECT_SOURCE_TEXT[source] ?? `source ${source}`;
}

function describeRejectReason(source: number, reason: number): string {
  return rejectReasonName(source, reason) ?? `reserved reason ${reason}`;
}

/** Where an abort came from, as seen by the local entity. */
export type AbortOrigin =
  /** The peer sent an A-ABORT PDU (PS3.8 AA-3). */
  | "peer"
  /** The local user asked for it: `abort()`, an `AbortSignal`, a timeout (AA-1). */
  | "local"
  /**
   * The local service provider: an invalid or unexpected PDU (AA-8), the
   * transport connection lost (A-P-ABORT, AA-4), the ARTIM timer (AA-2).
   */
  | "provider";

/** Options of the {@linkcode AssociationAbortedError} constructor. */
export interface AssociationAbortedErrorOptions extends ErrorOptions {
  /**
   * The abort source (PS3.8 Table 9-26): 0 service-user, 2 service-provider.
   *
   * @default {2}
   */
  source?: AbortSource;
  /**
   * The reason (PS3.8 Table 9-26), significant when `source` is 2.
   *
   * @default {0}
   */
  reason?: number;
  /**
   * Who ended the association.
   *
   * @default {"provider"}
   */
  origin?: AbortOrigin;
}

/**
 * The association ended by an abort: an A-ABORT (sent or received) or an
 * A-P-ABORT such as a lost transport connection (PS3.8 §7.3, §7.4).
 *
 * @example Inspect an abort
 * ```ts
 * import { AssociationAbortedError } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * const error = new AssociationAbortedError("Peer aborted", { origin: "peer", source: 2, reason: 2 });
 * deepEqual([error.origin, error.source, error.reason], ["peer", 2, 2]);
 * ```
 */
export class AssociationAbortedError extends DicomError {
  /** Abort source (PS3.8 Table 9-26): 0 service-user, 2 service-provider. */
  readonly source: AbortSource;
  /** Reason/Diag. (PS3.8 Table 9-26), significant when `source` is 2. */
  readonly reason: number;
  /** Who ended the association. */
  readonly origin: AbortOrigin;

  /**
   * Constructs a new instance.
   *
   * @param message What happened.
   * @param options Source, reason, origin and cause.
   */
  constructor(message: string, options: AssociationAbortedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AssociationAbortedError";
    this.source = options.source ?? ABORT_SOURCE.SERVICE_PROVIDER;
    this.reason = options.reason ?? ABORT_REASON.REASON_NOT_SPECIFIED;
    this.origin = options.origin ?? "provider";
  }
}

/**
 * The peer did not take a PDU off the transport within the write timeout:
 * it stopped reading. No A-ABORT can reach such a peer, so the transport
 * connection is closed instead (an A-P-ABORT, PS3.8 §7.4) and whatever waits
 * on the association fails with this error. It is an
 * {@linkcode AssociationAbortedError} of origin `"provider"`.
 *
 * @example Tell a stalled peer from other aborts
 * ```ts
 * import { AssociationAbortedError, WriteTimeoutError } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * const error = new WriteTimeoutError(30_000);
 * deepEqual(error instanceof AssociationAbortedError, true);
 * deepEqual(error.timeout, 30_000);
 * deepEqual(error.message, "The peer did not read a PDU within the write timeout (30000 ms)");
 * ```
 */
export class WriteTimeoutError extends AssociationAbortedError {
  /** The write timeout in milliseconds. */
  readonly timeout: number;

  /**
   * Constructs a new instance.
   *
   * @param timeout The write timeout that passed, in milliseconds.
   * @param options An optional cause.
   */
  constructor(timeout: number, options?: ErrorOptions) {
    super(`The peer did not read a PDU within the write timeout (${timeout} ms)`, {
      origin: "provider",
      source: ABORT_SOURCE.SERVICE_PROVIDER,
      reason: ABORT_REASON.REASON_NOT_SPECIFIED,
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = "WriteTimeoutError";
    this.timeout = timeout;
  }
}

/**
 * A call that the state machine does not allow in the current state, such
 * as sending P-DATA after an A-RELEASE-RQ was sent (a blank cell of PS3.8
 * Table 9-10 for a local primitive).
 *
 * @example
 * ```ts
 * import { AssociationStateError } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * const error = new AssociationStateError("Cannot send P-DATA", "Sta7");
 * deepEqual(error.message, "Cannot send P-DATA in Sta7 (Awaiting A-RELEASE-RP PDU)");
 * ```
 */
export class AssociationStateError extends DicomError {
  /** The state the association was in. */
  readonly state: State;

  /**
   * Constructs a new instance.
   *
   * @param action What was attempted, e.g. `"Cannot send P-DATA"`.
   * @param state The current state.
   * @param options An optional cause.
   */
  constructor(action: string, state: State, options?: ErrorOptions) {
    super(`${action} in ${state} (${STATE_SHORT[state]})`, options);
    this.name = "AssociationStateError";
    this.state = state;
  }
}

const STATE_SHORT: Readonly<Record<State, string>> = {
  Sta1: "Idle",
  Sta2: "Awaiting A-ASSOCIATE-RQ PDU",
  Sta3: "Awaiting local A-ASSOCIATE response",
  Sta4: "Awaiting transport connection",
  Sta5: "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
  Sta6: "Association established",
  Sta7: "Awaiting A-RELEASE-RP PDU",
  Sta8: "Awaiting local A-RELEASE response",
  Sta9: "Release collision requestor side",
  Sta10: "Release collision acceptor side",
  Sta11: "Release collision requestor side, awaiting A-RELEASE-RP PDU",
  Sta12: "Release collision acceptor side, awaiting local A-RELEASE response",
  Sta13: "Awaiting transport connection close",
};
