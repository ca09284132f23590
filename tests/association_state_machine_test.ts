/**
 * The state machine data checked cell by cell against PS3.8 §9.2, written
 * out again here from the standard's text, independently of the
 * implementation's table.
 */

import {
  type ActionName,
  ACTIONS,
  EVENTS,
  PDU_EVENTS,
  type State,
  type StateMachineEvent,
  STATES,
  transition,
  TRANSITION_TABLE,
} from "../association/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { parseNextStates, parseTable } from "./association_table_9_10.ts";

const ALL_STATES = Object.keys(STATES) as State[];
const ALL_EVENTS = Object.keys(EVENTS) as StateMachineEvent[];

Deno.test("STATES, EVENTS and ACTIONS name the 13 states, 19 events and 28 actions of PS3.8 §9.2", () => {
  assertEquals(ALL_STATES, Array.from({ length: 13 }, (_, i) => `Sta${i + 1}`));
  assertEquals(ALL_EVENTS, Array.from({ length: 19 }, (_, i) => `Evt${i + 1}`));
  assertEquals(Object.keys(ACTIONS).sort(), [...parseNextStates().keys()].sort());
});

Deno.test("TRANSITION_TABLE matches every one of the 247 cells of PS3.8 Table 9-10", () => {
  const expected = parseTable();
  assertEquals(expected.size, 13 * 19);
  for (const state of ALL_STATES) {
    for (const event of ALL_EVENTS) {
      assertEquals(
        TRANSITION_TABLE[event][state],
        expected.get(`${state}/${event}`),
        `${state} × ${event}`,
      );
    }
  }
});

Deno.test("ACTIONS lead to the next states of PS3.8 Tables 9-6 to 9-9", () => {
  for (const [action, states] of parseNextStates()) {
    const next = ACTIONS[action as ActionName].next;
    assertEquals(typeof next === "string" ? [next] : [...next], states, action);
  }
});

Deno.test("transition() resolves every cell to its action and next state, for both roles", () => {
  const table = parseTable();
  const nextStates = parseNextStates();
  for (const requestor of [true, false]) {
    for (const acceptable of [true, false]) {
      for (const state of ALL_STATES) {
        for (const event of ALL_EVENTS) {
          const action = table.get(`${state}/${event}`);
          const result = transition(state, event, { requestor, acceptable });
          if (action === undefined) {
            assertEquals(result, undefined, `${state} × ${event} is blank`);
            continue;
          }
          const candidates = nextStates.get(action)!;
          const first = action === "AR-8" ? requestor : action === "AE-6" ? acceptable : true;
          assertEquals(result, { action, next: first ? candidates[0] : candidates[1] });
        }
      }
    }
  }
});

Deno.test("a release collision leads the requestor to Sta9 and the acceptor to Sta10 (AR-8)", () => {
  assertEquals(transition("Sta7", "Evt12", { requestor: true })?.next, "Sta9");
  assertEquals(transition("Sta7", "Evt12", { requestor: false })?.next, "Sta10");
  assertEquals(transition("Sta2", "Evt6", { requestor: false, acceptable: false })?.next, "Sta13");
});

Deno.test("PDU_EVENTS maps the seven PDU types to Evt3, 4, 6, 10, 12, 13 and 16", () => {
  assertEquals(Object.values(PDU_EVENTS).sort(), [
    "Evt10",
    "Evt12",
    "Evt13",
    "Evt16",
    "Evt3",
    "Evt4",
    "Evt6",
  ]);
  for (const event of Object.values(PDU_EVENTS)) assert(EVENTS[event].includes("PDU"));
});
