/**
 * Notification events of the association layer, for the curious: PDUs sent
 * and received, state machine transitions, and the end of an association.
 * They are dispatched on an `EventTarget` given in the options, so one
 * listener can watch every association of a server. Listeners run after
 * the state machine has moved on and cannot change what it does.
 *
 * @module
 */

import type { Pdu } from "../pdu/mod.ts";
import type { AssociationAbortedError, AssociationRejectedError } from "./errors.ts";
import type { ActionName, State, StateMachineEvent } from "./state_machine.ts";

/** The types of {@linkcode AssociationEvent}. */
export type AssociationEventType =
  | "pdu-sent"
  | "pdu-received"
  | "transition"
  | "established"
  | "rejected"
  | "released"
  | "aborted";

/** One step of the state machine (PS3.8 Table 9-10). */
export interface TransitionRecord {
  /** The state before. */
  readonly from: State;
  /** The event that occurred. */
  readonly event: StateMachineEvent;
  /** The action performed. */
  readonly action: ActionName;
  /** The state after. */
  readonly to: State;
}

/** Fields of an {@linkcode AssociationEvent}, as passed to its constructor. */
export interface AssociationEventInit {
  /** Who the association is with, e.g. `"127.0.0.1:11112"`. */
  peer: string;
  /** The PDU, for `"pdu-sent"` and `"pdu-received"`. */
  pdu?: Pdu;
  /** The step, for `"transition"`. */
  transition?: TransitionRecord;
  /** Why it ended, for `"aborted"` and `"rejected"`. */
  error?: AssociationAbortedError | AssociationRejectedError;
}

/**
 * A notification from an association.
 *
 * @example Log every PDU an association sends
 * ```ts
 * import { AssociationEvent } from "@dcm/net/association";
 *
 * const events = new EventTarget();
 * events.addEventListener("pdu-sent", (event) => {
 *   if (event instanceof AssociationEvent) console.log(event.peer, event.pdu?.type);
 * });
 * // pass `{ events }` to connect(), acceptAssociation() or serveAssociations()
 * ```
 */
export class AssociationEvent extends Event {
  /** Who the association is with, e.g. `"127.0.0.1:11112"`. */
  readonly peer: string;
  /** The PDU, for `"pdu-sent"` and `"pdu-received"`. */
  readonly pdu: Pdu | undefined;
  /** The step, for `"transition"`. */
  readonly transition: TransitionRecord | undefined;
  /** Why it ended, for `"aborted"` and `"rejected"`. */
  readonly error: AssociationAbortedError | AssociationRejectedError | undefined;

  /**
   * Constructs a new instance.
   *
   * @param type The event type.
   * @param init The fields.
   */
  constructor(type: AssociationEventType, init: AssociationEventInit) {
    super(type);
    this.peer = init.peer;
    this.pdu = init.pdu;
    this.transition = init.transition;
    this.error = init.error;
  }

  /** The event type. */
  override get type(): AssociationEventType {
    return super.type as AssociationEventType;
  }
}
