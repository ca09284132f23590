/**
 * Every cell of PS3.8 Table 9-10 exercised on the running protocol machine,
 * without sockets: the machine is brought into each state over an
 * in-memory pipe by a scripted raw peer, the event is made to happen (a PDU
 * or bytes from the peer, the peer closing, the ARTIM timer, a local
 * primitive), and the test checks the action and next state the standard
 * prescribes (an independent transcription, ./association_table_9_10.ts)
 * and what the action put on the wire.
 */

import { _UpperLayer } from "../association/_upper_layer.ts";
import {
  AssociationAbortedError,
  AssociationEvent,
  AssociationStateError,
  type State,
  type StateMachineEvent,
  type Transport,
} from "../association/mod.ts";
import type { PDataTfPdu, Pdu } from "../pdu/mod.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  associateAc,
  associateRq,
  EventLog,
  pData,
  pipePair,
  RawPeer,
} from "./association_helpers.ts";
import { parseNextStates, parseTable } from "./association_table_9_10.ts";

const CELLS = parseTable();
const NEXT = parseNextStates();
const SHORT_ARTIM = 20;

/** A machine under test, its peer and what it reported. */
interface Rig {
  ul: _UpperLayer;
  peer: RawPeer;
  log: EventLog;
  /** Opens the gate of the A-RELEASE response hook (Evt14 in Sta8, Sta9, Sta12). */
  releaseGate: PromiseWithResolvers<void>;
  /** Sta4: completes the pending transport connect. */
  connect?: (transport: Transport | Error) => void;
  ours: Transport;
}

function makeRig(requestor: boolean, artimTimeout = 10_000): Rig {
  const [ours, theirs] = pipePair();
  const log = new EventLog(["transition"]);
  const releaseGate = Promise.withResolvers<void>();
  const ul = new _UpperLayer({
    requestor,
    peer: "test",
    maxPduLength: 16384,
    artimTimeout,
    events: log.target,
    onReleaseRequest: () => releaseGate.promise,
  });
  return { ul, peer: new RawPeer(theirs), log, releaseGate, ours };
}

function transitionTo(log: EventLog, to: State, from = 0): Promise<Event> {
  return log.wait((e) => e instanceof AssociationEvent && e.transition?.to === to, from);
}

async function expectPdu(peer: RawPeer, type: Pdu["type"]): Promise<Pdu> {
  const pdu = await peer.next();
  assert(pdu !== "end" && pdu.type === type, `expected ${type}, got ${JSON.stringify(pdu)}`);
  return pdu;
}

/** The role each state is reached with: acceptor-only states use an acceptor. */
const ACCEPTOR_STATES: ReadonlySet<State> = new Set(["Sta2", "Sta3", "Sta10", "Sta12"]);

/** Brings a fresh machine into `state` through the events the standard defines. */
async function reach(
  state: State,
  options: { requestor?: boolean; artim?: number } = {},
): Promise<Rig> {
  const requestor = options.requestor ?? !ACCEPTOR_STATES.has(state);
  const rig = makeRig(requestor, options.artim);
  const { ul, peer, log } = rig;
  if (state === "Sta1") return rig;
  if (state === "Sta4") {
    ul.request(
      (signal) =>
        new Promise((resolve, reject) => {
          rig.connect = (t) => t instanceof Error ? reject(t) : resolve(t);
          signal.addEventListener("abort", () => reject(signal.reason));
        }),
      associateRq(),
    );
    return rig;
  }
  if (requestor) {
    ul.request(() => Promise.resolve(rig.ours), associateRq()); // Evt1, Evt2: AE-1, AE-2
    await expectPdu(peer, "A-ASSOCIATE-RQ");
    if (state === "Sta5") return rig;
    await peer.send(associateAc()); // Evt3: AE-3
  } else {
    ul.accept(rig.ours); // Evt5: AE-5
    if (state === "Sta2") return rig;
    await peer.send(associateRq()); // Evt6: AE-6
    await transitionTo(log, "Sta3");
    if (state === "Sta3") return rig;
    ul.respond(associateAc()); // Evt7: AE-7
    await expectPdu(peer, "A-ASSOCIATE-AC");
  }
  await transitionTo(log, "Sta6");
  switch (state) {
    case "Sta6":
      return rig;
    case "Sta8":
      await peer.send({ type: "A-RELEASE-RQ" }); // Evt12: AR-2
      await transitionTo(log, "Sta8");
      return rig;
    case "Sta13":
      ul.abort(0, 0, new AssociationAbortedError("test")); // Evt15: AA-1
      await expectPdu(peer, "A-ABORT");
      return rig;
  }
  ul.release(); // Evt11: AR-1
  await expectPdu(peer, "A-RELEASE-RQ");
  if (state === "Sta7") return rig;
  await peer.send({ type: "A-RELEASE-RQ" }); // Evt12: AR-8, a release collision
  await transitionTo(log, requestor ? "Sta9" : "Sta10");
  if (state === "Sta9" || state === "Sta10") return rig;
  if (state === "Sta11") {
    rig.releaseGate.resolve(); // Evt14: AR-9
    await expectPdu(peer, "A-RELEASE-RP");
    await transitionTo(log, "Sta11");
    return rig;
  }
  await peer.send({ type: "A-RELEASE-RP" }); // Sta10 + Evt13: AR-10
  await transitionTo(log, "Sta12");
  return rig;
}

/** Makes `event` happen to the machine in its current state. */
async function cause(rig: Rig, event: StateMachineEvent): Promise<void> {
  const { ul, peer } = rig;
  switch (event) {
    case "Evt1":
      return ul.request(() => Promise.resolve(rig.ours), associateRq());
    case "Evt2":
      return rig.connect!(rig.ours);
    case "Evt3":
      return await peer.send(associateAc());
    case "Evt4":
      return await peer.send({ type: "A-ASSOCIATE-RJ", result: 1, source: 1, reason: 1 });
    case "Evt5":
      return ul.accept(rig.ours);
    case "Evt6":
      return await peer.send(associateRq());
    case "Evt7":
      return ul.respond(associateAc());
    case "Evt8":
      return ul.respond({ type: "A-ASSOCIATE-RJ", result: 1, source: 1, reason: 7 });
    case "Evt9":
      return void ul.sendPData(pData() as PDataTfPdu);
    case "Evt10":
      return await peer.send(pData());
    case "Evt11":
      return ul.release();
    case "Evt12":
      return await peer.send({ type: "A-RELEASE-RQ" });
    case "Evt13":
      return await peer.send({ type: "A-RELEASE-RP" });
    case "Evt14":
      return rig.releaseGate.resolve();
    case "Evt15":
      return ul.abort(0, 0, new AssociationAbortedError("local abort"));
    case "Evt16":
      return await peer.send({ type: "A-ABORT", source: 0, reason: 0 });
    case "Evt17":
      if (rig.connect) return rig.connect(new Error("connection refused"));
      return await peer.close();
    case "Evt18":
      return; // The ARTIM timer was started short; it fires by itself.
    case "Evt19":
      return await peer.send(new Uint8Array([0x09, 0, 0, 0, 0, 0])); // Unknown PDU type.
  }
}

/** What each action sends to the peer (PS3.8 Tables 9-6 to 9-9); all others send nothing. */
const SENDS: Readonly<Record<string, Pdu["type"]>> = {
  "AE-2": "A-ASSOCIATE-RQ",
  "AE-7": "A-ASSOCIATE-AC",
  "AE-8": "A-ASSOCIATE-RJ",
  "DT-1": "P-DATA-TF",
  "AR-7": "P-DATA-TF",
  "AR-1": "A-RELEASE-RQ",
  "AR-4": "A-RELEASE-RP",
  "AR-9": "A-RELEASE-RP",
  "AA-1": "A-ABORT",
  "AA-7": "A-ABORT",
  "AA-8": "A-ABORT",
};

/** Actions that close the transport themselves (PS3.8 AE-4, AR-3, AA-2, AA-3). */
const CLOSES = new Set(["AE-4", "AR-3", "AA-2", "AA-3"]);

async function checkCell(
  state: State,
  event: StateMachineEvent,
  requestor?: boolean,
): Promise<void> {
  const action = CELLS.get(`${state}/${event}`)!;
  const candidates = NEXT.get(action)!;
  const isRequestor = requestor ?? !ACCEPTOR_STATES.has(state);
  const expectedNext = action === "AR-8" && !isRequestor ? candidates[1]! : candidates[0]!;
  const artim = event === "Evt18" ? SHORT_ARTIM : undefined;
  const rig = await reach(state, {
    ...(requestor !== undefined && { requestor }),
    ...(artim && { artim }),
  });
  const { ul, peer, log } = rig;
  assertEquals(ul.state, state);
  // The ARTIM timer may expire before the mark; it is the only Evt18 anyway.
  const mark = event === "Evt18" ? 0 : log.length;
  await cause(rig, event);
  const step = await log.wait(
    (e) => e instanceof AssociationEvent && e.transition?.event === event,
    mark,
  );
  assertEquals((step as AssociationEvent).transition, {
    from: state,
    event,
    action,
    to: expectedNext,
  });

  if (action === "DT-2" || action === "AR-6") {
    const { value } = await ul.pData.getReader().read(); // The P-DATA indication.
    assertEquals(value?.type, "P-DATA-TF");
  }
  const expected = SENDS[action];
  if (expected !== undefined) {
    const pdu = await expectPdu(peer, expected);
    if (pdu.type === "A-ABORT") {
      // AA-1: service-user source; AA-7/AA-8: service-provider, unexpected-PDU
      // (reason 2) or, for bytes of an unknown PDU type, unrecognized-PDU (1).
      const reason = action === "AA-1" ? 0 : event === "Evt19" ? 1 : 2;
      assertEquals([pdu.source, pdu.reason], [action === "AA-1" ? 0 : 2, reason]);
    }
  }
  if (state !== "Sta4" || event === "Evt2") {
    // Nothing more on the wire, then the end of the transport: closed by the
    // action itself, or by the machine once the peer closes (Evt17).
    if (!CLOSES.has(action)) await peer.close();
    assertEquals(await peer.rest(), [], `${action} sends nothing more`);
  }
  await ul.closed;
  assertEquals(ul.state, "Sta1");
  await peer.destroy();
}

for (const [cell, action] of CELLS) {
  if (action === undefined) continue;
  const [state, event] = cell.split("/") as [State, StateMachineEvent];
  Deno.test(`${state} × ${event} performs ${action} (PS3.8 Table 9-10)`, () =>
    checkCell(state, event));
}

Deno.test("Sta7 × Evt12 on the acceptor side performs AR-8 and goes to Sta10", () =>
  checkCell("Sta7", "Evt12", false));

Deno.test("Sta6 × Evt12 on the acceptor side performs AR-2, like on the requestor side", () =>
  checkCell("Sta6", "Evt12", false));

const STATES_WITH_BLANKS = [...new Set([...CELLS.keys()].map((k) => k.split("/")[0] as State))];
for (const state of STATES_WITH_BLANKS) {
  Deno.test(`${state}: every blank cell of Table 9-10 leaves the machine alone`, async () => {
    const rig = await reach(state);
    const { ul, log, peer } = rig;
    for (const [cell, action] of CELLS) {
      const [s, event] = cell.split("/") as [State, StateMachineEvent];
      if (s !== state || action !== undefined) continue;
      const before = log.length;
      ul.dispatch(event, {});
      await Promise.resolve();
      assertEquals([ul.state, log.length], [state, before], `${state} × ${event}`);
    }
    // The local primitives without a cell are refused, not queued.
    if (CELLS.get(`${state}/Evt9`) === undefined) {
      assertThrows(() => ul.sendPData(pData() as PDataTfPdu), AssociationStateError);
    }
    if (CELLS.get(`${state}/Evt7`) === undefined) {
      assertThrows(() => ul.respond(associateAc()), AssociationStateError);
    }
    assertEquals(ul.state, state);
    // Back to Sta1 without leaks.
    if (state === "Sta4") rig.connect!(new Error("gone"));
    else if (state === "Sta1") ul.accept(rig.ours);
    await peer.destroy();
    await ul.closed;
  });
}

Deno.test("Sta2 × Evt6 with protocol version 0 performs AE-6 to Sta13 with A-ASSOCIATE-RJ (1, 2, 2)", async () => {
  const { ul, peer, log } = await reach("Sta2");
  await peer.send(associateRq({ protocolVersion: 0 }));
  const step = await log.wait((e) => (e as AssociationEvent).transition?.event === "Evt6");
  assertEquals((step as AssociationEvent).transition?.to, "Sta13");
  assertEquals(await peer.next(), { type: "A-ASSOCIATE-RJ", result: 1, source: 2, reason: 2 });
  await peer.close();
  const outcome = await ul.closed;
  assertEquals(outcome.how, "rejected");
});

Deno.test("a transport that connects after an abort in Sta4 (AA-2) is closed at once", async () => {
  const rig = await reach("Sta4");
  const late = Promise.withResolvers<Transport>();
  const ul = new _UpperLayer({
    requestor: true,
    peer: "late",
    maxPduLength: 0,
    artimTimeout: 1000,
  });
  ul.request(() => late.promise, associateRq());
  ul.abort(0, 0, new AssociationAbortedError("changed my mind"));
  assertEquals(ul.state, "Sta1");
  late.resolve(rig.ours);
  assertEquals(await rig.peer.next(), "end");
  assertEquals((await ul.closed).how, "aborted");
  rig.connect!(new Error("unused"));
  await rig.ul.closed;
  await rig.peer.destroy();
});
