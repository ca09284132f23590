/**
 * PS3.8 §9.2 transcribed from the standard's text for the tests, apart from
 * the implementation's own tables: Table 9-10 and the next states of the
 * actions of Tables 9-6 to 9-9.
 *
 * @module
 */

import { assertEquals } from "./_assert.ts";

// PS3.8 Table 9-10, "DICOM Upper Layer Protocol State Transition Table".
// One line per event, one column per state; "." is a blank cell.
export const STANDARD_TABLE_9_10 = `
        Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
Evt1    AE-1  .     .     .     .     .     .     .     .     .     .     .     .
Evt2    .     .     .     AE-2  .     .     .     .     .     .     .     .     .
Evt3    .     AA-1  AA-8  .     AE-3  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt4    .     AA-1  AA-8  .     AE-4  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt5    AE-5  .     .     .     .     .     .     .     .     .     .     .     .
Evt6    .     AE-6  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
Evt7    .     .     AE-7  .     .     .     .     .     .     .     .     .     .
Evt8    .     .     AE-8  .     .     .     .     .     .     .     .     .     .
Evt9    .     .     .     .     .     DT-1  .     AR-7  .     .     .     .     .
Evt10   .     AA-1  AA-8  .     AA-8  DT-2  AR-6  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt11   .     .     .     .     .     AR-1  .     .     .     .     .     .     .
Evt12   .     AA-1  AA-8  .     AA-8  AR-2  AR-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt13   .     AA-1  AA-8  .     AA-8  AA-8  AR-3  AA-8  AA-8  AR-10 AR-3  AA-8  AA-6
Evt14   .     .     .     .     .     .     .     AR-4  AR-9  .     .     AR-4  .
Evt15   .     .     AA-1  AA-2  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  .
Evt16   .     AA-2  AA-3  .     AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-2
Evt17   .     AA-5  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AR-5
Evt18   .     AA-2  .     .     .     .     .     .     .     .     .     .     AA-2
Evt19   .     AA-1  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
`;

// PS3.8 Tables 9-6 to 9-9: the next state of each action. AE-6 has two
// (acceptable / not acceptable to the service provider), AR-8 two
// (association-requestor / acceptor).
export const STANDARD_NEXT_STATES = `
AE-1 Sta4   AE-2 Sta5   AE-3 Sta6   AE-4 Sta1   AE-5 Sta2   AE-6 Sta3|Sta13   AE-7 Sta6
AE-8 Sta13  DT-1 Sta6   DT-2 Sta6   AR-1 Sta7   AR-2 Sta8   AR-3 Sta1   AR-4 Sta13
AR-5 Sta1   AR-6 Sta7   AR-7 Sta8   AR-8 Sta9|Sta10   AR-9 Sta11   AR-10 Sta12
AA-1 Sta13  AA-2 Sta1   AA-3 Sta1   AA-4 Sta1   AA-5 Sta1   AA-6 Sta13  AA-7 Sta13  AA-8 Sta13
`;

export function parseTable(): Map<string, string | undefined> {
  const [header, ...rows] = STANDARD_TABLE_9_10.trim().split("\n").map((l) =>
    l.trim().split(/\s+/)
  );
  const cells = new Map<string, string | undefined>();
  for (const [event, ...actions] of rows) {
    assertEquals(actions.length, 13, `row ${event} has 13 cells`);
    actions.forEach((a, i) => cells.set(`${header![i]}/${event}`, a === "." ? undefined : a));
  }
  return cells;
}

export function parseNextStates(): Map<string, string[]> {
  const tokens = STANDARD_NEXT_STATES.trim().split(/\s+/);
  const next = new Map<string, string[]>();
  for (let i = 0; i < tokens.length; i += 2) next.set(tokens[i]!, tokens[i + 1]!.split("|"));
  return next;
}
