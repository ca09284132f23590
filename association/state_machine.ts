/**
 * The DICOM Upper Layer state machine as data (PS3.8 §9.2): the thirteen
 * states (Tables 9-1 to 9-5), the nineteen events and the state transition
 * table (Table 9-10), and the 28 actions with their next states (Tables 9-6
 * to 9-9). {@linkcode transition} is the pure lookup that the association
 * runtime drives for both the requestor and the acceptor role.
 *
 * @module
 */

import type { Pdu } from "../pdu/mod.ts";

/**
 * The states of the DICOM Upper Layer protocol machine (PS3.8 §9.2.1,
 * Tables 9-1 to 9-5), keyed by their standard names.
 *
 * @example Describe a state
 * ```ts
 * import { STATES } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(STATES.Sta6, "Association established and ready for data transfer");
 * ```
 */
export const STATES = {
  Sta1: "Idle",
  Sta2: "Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)",
  Sta3: "Awaiting local A-ASSOCIATE response primitive (from local user)",
  Sta4: "Awaiting transport connection opening to complete (from local transport service)",
  Sta5: "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
  Sta6: "Association established and ready for data transfer",
  Sta7: "Awaiting A-RELEASE-RP PDU",
  Sta8: "Awaiting local A-RELEASE response primitive (from local user)",
  Sta9: "Release collision requestor side; awaiting A-RELEASE response (from local user)",
  Sta10: "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
  Sta11: "Release collision requestor side; awaiting A-RELEASE-RP PDU",
  Sta12: "Release collision acceptor side; awaiting A-RELEASE response primitive (from local user)",
  Sta13: "Awaiting Transport Connection Close Indication (Association no longer exists)",
} as const;

/** A state name, `"Sta1"` to `"Sta13"` (PS3.8 §9.2.1). */
export type State = keyof typeof STATES;

/**
 * The events of the state machine (PS3.8 Table 9-10, first column), keyed
 * by their standard names.
 *
 * @example Describe an event
 * ```ts
 * import { EVENTS } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(EVENTS.Evt18, "ARTIM timer expired (Association reject/release timer)");
 * ```
 */
export const EVENTS = {
  Evt1: "A-ASSOCIATE request (local user)",
  Evt2: "Transport connect confirmation (local transport service)",
  Evt3: "A-ASSOCIATE-AC PDU (received on transport connection)",
  Evt4: "A-ASSOCIATE-RJ PDU (received on transport connection)",
  Evt5: "Transport connection indication (local transport service)",
  Evt6: "A-ASSOCIATE-RQ PDU (received on transport connection)",
  Evt7: "A-ASSOCIATE response primitive (accept)",
  Evt8: "A-ASSOCIATE response primitive (reject)",
  Evt9: "P-DATA request primitive",
  Evt10: "P-DATA-TF PDU",
  Evt11: "A-RELEASE request primitive",
  Evt12: "A-RELEASE-RQ PDU (received on open transport connection)",
  Evt13: "A-RELEASE-RP PDU (received on transport connection)",
  Evt14: "A-RELEASE response primitive",
  Evt15: "A-ABORT request primitive",
  Evt16: "A-ABORT PDU (received on open transport connection)",
  Evt17: "Transport connection closed indication (local transport service)",
  Evt18: "ARTIM timer expired (Association reject/release timer)",
  Evt19: "Unrecognized or invalid PDU received",
} as const;

/** An event name, `"Evt1"` to `"Evt19"` (PS3.8 Table 9-10). */
export type StateMachineEvent = keyof typeof EVENTS;

/** What an action does and the state it leads to (PS3.8 Tables 9-6 to 9-9). */
export interface ActionDefinition {
  /** The definition, as worded in the standard. */
  readonly description: string;
  /**
   * The next state. AE-6 and AR-8 have two: AE-6 goes to the first when the
   * A-ASSOCIATE-RQ is acceptable to the service provider, AR-8 when the
   * local entity is the association-requestor.
   */
  readonly next: State | readonly [State, State];
}

/**
 * The actions of the state machine (PS3.8 §9.2.2, Tables 9-6 to 9-9), keyed
 * by their standard names.
 *
 * @example Find where an action leads
 * ```ts
 * import { ACTIONS } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(ACTIONS["AR-4"].next, "Sta13");
 * ```
 */
export const ACTIONS = {
  // Table 9-6, Association establishment related actions.
  "AE-1": {
    description: "Issue TRANSPORT CONNECT request primitive to local transport service",
    next: "Sta4",
  },
  "AE-2": { description: "Send A-ASSOCIATE-RQ-PDU", next: "Sta5" },
  "AE-3": { description: "Issue A-ASSOCIATE confirmation (accept) primitive", next: "Sta6" },
  "AE-4": {
    description: "Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection",
    next: "Sta1",
  },
  "AE-5": {
    description: "Issue Transport connection response primitive; start ARTIM timer",
    next: "Sta2",
  },
  "AE-6": {
    description: "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue " +
      "A-ASSOCIATE indication primitive; otherwise issue A-ASSOCIATE-RJ-PDU and start ARTIM timer",
    next: ["Sta3", "Sta13"],
  },
  "AE-7": { description: "Send A-ASSOCIATE-AC PDU", next: "Sta6" },
  "AE-8": { description: "Send A-ASSOCIATE-RJ PDU and start ARTIM timer", next: "Sta13" },
  // Table 9-7, Data transfer related actions.
  "DT-1": { description: "Send P-DATA-TF PDU", next: "Sta6" },
  "DT-2": { description: "Send P-DATA indication primitive", next: "Sta6" },
  // Table 9-8, Association release related actions.
  "AR-1": { description: "Send A-RELEASE-RQ PDU", next: "Sta7" },
  "AR-2": { description: "Issue A-RELEASE indication primitive", next: "Sta8" },
  "AR-3": {
    description: "Issue A-RELEASE confirmation primitive, and close transport connection",
    next: "Sta1",
  },
  "AR-4": { description: "Issue A-RELEASE-RP PDU and start ARTIM timer", next: "Sta13" },
  "AR-5": { description: "Stop ARTIM timer", next: "Sta1" },
  "AR-6": { description: "Issue P-DATA indication", next: "Sta7" },
  "AR-7": { description: "Issue P-DATA-TF PDU", next: "Sta8" },
  "AR-8": {
    description: "Issue A-RELEASE indication (release collision): if association-requestor, " +
      "next state is Sta9, if not, next state is Sta10",
    next: ["Sta9", "Sta10"],
  },
  "AR-9": { description: "Send A-RELEASE-RP PDU", next: "Sta11" },
  "AR-10": { description: "Issue A-RELEASE confirmation primitive", next: "Sta12" },
  // Table 9-9, Association abort related actions.
  "AA-1": {
    description: "Send A-ABORT PDU (service-user source) and start (or restart if already " +
      "started) ARTIM timer",
    next: "Sta13",
  },
  "AA-2": { description: "Stop ARTIM timer if running. Close transport connection", next: "Sta1" },
  "AA-3": {
    description: "If (service-user initiated abort): issue A-ABORT indication and close " +
      "transport connection; otherwise (service-provider initiated abort): issue A-P-ABORT " +
      "indication and close transport connection",
    next: "Sta1",
  },
  "AA-4": { description: "Issue A-P-ABORT indication primitive", next: "Sta1" },
  "AA-5": { description: "Stop ARTIM timer", next: "Sta1" },
  "AA-6": { description: "Ignore PDU", next: "Sta13" },
  "AA-7": { description: "Send A-ABORT PDU", next: "Sta13" },
  "AA-8": {
    description: "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, " +
      "and start ARTIM timer",
    next: "Sta13",
  },
} as const satisfies Record<string, ActionDefinition>;

/** An action name such as `"AE-1"`, `"DT-2"`, `"AR-8"` or `"AA-8"` (PS3.8 §9.2.2). */
export type ActionName = keyof typeof ACTIONS;

/** One row of the transition table: the action for each state where the event is defined. */
export type TransitionRow = { readonly [S in State]?: ActionName };

/**
 * The DICOM Upper Layer state transition table (PS3.8 §9.2.3, Table 9-10),
 * laid out as in the standard: one row per event, one column per state.
 * A missing cell is a blank cell of the standard: the event cannot occur
 * in that state (a local primitive issued in the wrong state is refused by
 * the caller; no PDU can arrive without a transport connection).
 *
 * @example Look up a cell
 * ```ts
 * import { TRANSITION_TABLE } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * // A P-DATA-TF PDU while awaiting A-ASSOCIATE-AC: abort as the provider.
 * deepEqual(TRANSITION_TABLE.Evt10.Sta5, "AA-8");
 * deepEqual(TRANSITION_TABLE.Evt10.Sta1, undefined);
 * ```
 */
// deno-fmt-ignore: the grid mirrors Table 9-10 (columns Sta1 ... Sta13).
export const TRANSITION_TABLE: { readonly [E in StateMachineEvent]: TransitionRow } = {
  Evt1: { Sta1: "AE-1" },
  Evt2: { Sta4: "AE-2" },
  Evt3: {
    Sta2: "AA-1", Sta3: "AA-8", Sta5: "AE-3", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8",
    Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6",
  },
  Evt4: {
    Sta2: "AA-1", Sta3: "AA-8", Sta5: "AE-4", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8",
    Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6",
  },
  Evt5: { Sta1: "AE-5" },
  Evt6: {
    Sta2: "AE-6", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8",
    Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-7",
  },
  Evt7: { Sta3: "AE-7" },
  Evt8: { Sta3: "AE-8" },
  Evt9: { Sta6: "DT-1", Sta8: "AR-7" },
  Evt10: {
    Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "DT-2", Sta7: "AR-6", Sta8: "AA-8",
    Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6",
  },
  Evt11: { Sta6: "AR-1" },
  Evt12: {
    Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AR-2", Sta7: "AR-8", Sta8: "AA-8",
    Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6",
  },
  Evt13: {
    Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AR-3", Sta8: "AA-8",
    Sta9: "AA-8", Sta10: "AR-10", Sta11: "AR-3", Sta12: "AA-8", Sta13: "AA-6",
  },
  Evt14: { Sta8: "AR-4", Sta9: "AR-9", Sta12: "AR-4" },
  Evt15: {
    Sta3: "AA-1", Sta4: "AA-2", Sta5: "AA-1", Sta6: "AA-1", Sta7: "AA-1", Sta8: "AA-1",
    Sta9: "AA-1", Sta10: "AA-1", Sta11: "AA-1", Sta12: "AA-1",
  },
  Evt16: {
    Sta2: "AA-2", Sta3: "AA-3", Sta5: "AA-3", Sta6: "AA-3", Sta7: "AA-3", Sta8: "AA-3",
    Sta9: "AA-3", Sta10: "AA-3", Sta11: "AA-3", Sta12: "AA-3", Sta13: "AA-2",
  },
  Evt17: {
    Sta2: "AA-5", Sta3: "AA-4", Sta4: "AA-4", Sta5: "AA-4", Sta6: "AA-4", Sta7: "AA-4",
    Sta8: "AA-4", Sta9: "AA-4", Sta10: "AA-4", Sta11: "AA-4", Sta12: "AA-4", Sta13: "AR-5",
  },
  Evt18: { Sta2: "AA-2", Sta13: "AA-2" },
  Evt19: {
    Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8",
    Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-7",
  },
};

/**
 * The event each received PDU is (PS3.8 Table 9-10, events Evt3, Evt4,
 * Evt6, Evt10, Evt12, Evt13 and Evt16). Bytes that are not a valid PDU are
 * Evt19.
 *
 * @example
 * ```ts
 * import { PDU_EVENTS } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(PDU_EVENTS["A-RELEASE-RQ"], "Evt12");
 * ```
 */
export const PDU_EVENTS = {
  "A-ASSOCIATE-AC": "Evt3",
  "A-ASSOCIATE-RJ": "Evt4",
  "A-ASSOCIATE-RQ": "Evt6",
  "P-DATA-TF": "Evt10",
  "A-RELEASE-RQ": "Evt12",
  "A-RELEASE-RP": "Evt13",
  "A-ABORT": "Evt16",
} as const satisfies Record<Pdu["type"], StateMachineEvent>;

/** The facts the two conditional actions (AE-6, AR-8) depend on. */
export interface TransitionConditions {
  /**
   * The local entity is the association-requestor (AR-8 goes to Sta9, not
   * Sta10).
   */
  readonly requestor: boolean;
  /**
   * The A-ASSOCIATE-RQ just received is acceptable to the service provider
   * (AE-6 goes to Sta3, not Sta13). Only consulted for Evt6 in Sta2.
   *
   * @default {true}
   */
  readonly acceptable?: boolean;
}

/** A cell of Table 9-10 resolved to its action and the next state. */
export interface Transition {
  /** The action to perform. */
  readonly action: ActionName;
  /** The state after the action. */
  readonly next: State;
}

/**
 * Looks up the cell of Table 9-10 for `state` and `event` and resolves the
 * next state of its action (Tables 9-6 to 9-9). Returns `undefined` for a
 * blank cell.
 *
 * @param state The current state.
 * @param event The event that occurred.
 * @param conditions The role of the local entity and, for Evt6, whether the
 * request is acceptable to the service provider.
 * @returns The action and next state, or `undefined` when the event is not
 * defined in that state.
 *
 * @example Release collision on the requestor side
 * ```ts
 * import { transition } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(transition("Sta7", "Evt12", { requestor: true }), { action: "AR-8", next: "Sta9" });
 * deepEqual(transition("Sta7", "Evt12", { requestor: false }), { action: "AR-8", next: "Sta10" });
 * deepEqual(transition("Sta1", "Evt9", { requestor: true }), undefined);
 * ```
 */
export function transition(
  state: State,
  event: StateMachineEvent,
  conditions: TransitionConditions,
): Transition | undefined {
  const action = TRANSITION_TABLE[event][state];
  if (action === undefined) return undefined;
  const next: State | readonly [State, State] = ACTIONS[action].next;
  if (typeof next === "string") return { action, next };
  const first = action === "AR-8" ? conditions.requestor : conditions.acceptable ?? true;
  return { action, next: first ? next[0] : next[1] };
}
