/**
 * `Association.receivePData()`: the P-DATA indications (PS3.8 §9.2, DT-2)
 * handed to a consumer synchronously as they are framed, instead of through
 * the `pData` stream, with the same backpressure and the same end. A raw
 * peer on an in-memory transport sends the PDUs.
 *
 * @module
 */

import { acceptAssociation, type Association, type PDataConsumer } from "../association/mod.ts";
import { encodePdu, type PDataTfPdu } from "../pdu/mod.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { associateRq, pData, pipePair, RawPeer } from "./association_helpers.ts";

/** An association accepted from a raw peer over an in-memory pipe. */
async function accepted(): Promise<{ peer: RawPeer; association: Association }> {
  const [a, b] = pipePair();
  const peer = new RawPeer(a);
  const accepting = acceptAssociation(b, {
    supportedAbstractSyntaxes: [{
      abstractSyntax: "1.2.840.10008.1.1",
      transferSyntaxes: ["1.2.840.10008.1.2"],
    }],
  });
  await peer.send(associateRq());
  const ac = await peer.next();
  assert(ac !== "end" && ac.type === "A-ASSOCIATE-AC", `expected an A-ASSOCIATE-AC, got ${ac}`);
  return { peer, association: await accepting };
}

/** The PDV lengths of the PDUs, which tell them apart. */
const lengths = (pdus: PDataTfPdu[]) => pdus.map((p) => p.values[0]!.data.length);

/** Several PDUs in one write: one read, one chunk to frame. */
function joined(sizes: number[]): Uint8Array {
  const parts = sizes.map((n) => encodePdu(pData(n)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

Deno.test("receivePData() hands over the PDUs of one read before any promise job runs, in order, then end() at release", async () => {
  const { peer, association } = await accepted();
  const got: PDataTfPdu[] = [];
  // Whether a promise job queued when the first PDU came had run, as each came.
  let jobRan = false;
  const jobsRan: boolean[] = [];
  const ended = Promise.withResolvers<Error | undefined>();
  association.receivePData({
    pData: (pdu) => {
      if (got.length === 0) queueMicrotask(() => jobRan = true);
      jobsRan.push(jobRan);
      got.push(pdu);
      return undefined;
    },
    end: ended.resolve,
  });
  await peer.send(joined([1, 2, 3]));
  await peer.send({ type: "A-RELEASE-RQ" });
  assertEquals(await ended.promise, undefined);
  assertEquals(lengths(got), [1, 2, 3]);
  assertEquals(jobsRan, [false, false, false]);
  const rp = await peer.next();
  assert(rp !== "end" && rp.type === "A-RELEASE-RP", `expected an A-RELEASE-RP, got ${rp}`);
  await peer.close();
  assertEquals((await association.closed).how, "released");
});

Deno.test("receivePData() hands over first the PDUs that arrived before it was called", async () => {
  const { peer, association } = await accepted();
  await peer.send(joined([5, 6]));
  await peer.send(pData(7));
  const got: PDataTfPdu[] = [];
  association.receivePData({ pData: (pdu) => void got.push(pdu), end: () => {} });
  assertEquals(lengths(got), [5, 6, 7]);
  await peer.send(pData(8));
  assertEquals(lengths(got), [5, 6, 7, 8]);
  await peer.destroy();
  await association.closed;
});

Deno.test("receivePData() called once 8 PDUs wait unread, and the reading stopped, takes them and reads on", async () => {
  const { peer, association } = await accepted();
  // One PDU per write: a write settles once the association has read it.
  const writes = Array.from({ length: 12 }, (_, i) => peer.send(pData(i + 1)));
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  const got: PDataTfPdu[] = [];
  association.receivePData({ pData: (pdu) => void got.push(pdu), end: () => {} });
  await Promise.all(writes);
  for (let i = 0; i < 50 && got.length < 12; i++) await new Promise((r) => setTimeout(r, 0));
  assertEquals(lengths(got), Array.from({ length: 12 }, (_, i) => i + 1));
  await peer.destroy();
  await association.closed;
});

Deno.test("receivePData() and pData exclude each other: the second way throws a TypeError", async () => {
  const first = await accepted();
  const { association } = first;
  const consumer: PDataConsumer = { pData: () => undefined, end: () => {} };
  association.receivePData(consumer);
  assertThrows(() => association.pData, TypeError);
  assertThrows(() => association.receivePData(consumer), TypeError);
  const other = await accepted();
  void other.association.pData;
  assertThrows(() => other.association.receivePData(consumer), TypeError);
  for (const { peer, association } of [first, other]) {
    await peer.destroy();
    await association.closed;
  }
});

Deno.test("A consumer's pending promise stops the reading of the transport once 8 PDUs wait; they follow, in order, once it settles", async () => {
  const { peer, association } = await accepted();
  const got: PDataTfPdu[] = [];
  const hold = Promise.withResolvers<void>();
  association.receivePData({
    pData: (pdu) => {
      got.push(pdu);
      return got.length === 1 ? hold.promise : undefined;
    },
    end: () => {},
  });
  // One PDU per write: a write settles once the association has read it.
  let settled = 0;
  const writes = Array.from(
    { length: 20 },
    (_, i) => peer.send(pData(i + 1)).then(() => settled++),
  );
  // Let the association read all it will read.
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(lengths(got), [1]);
  assert(settled >= 9 && settled < 20, `${settled} writes were read while the consumer was busy`);
  hold.resolve();
  await Promise.all(writes);
  for (let i = 0; i < 50 && got.length < 20; i++) await new Promise((r) => setTimeout(r, 0));
  assertEquals(lengths(got), Array.from({ length: 20 }, (_, i) => i + 1));
  await peer.destroy();
  await association.closed;
});

Deno.test("receivePData() ends with the abort's error, after the pending promise settles, dropping the PDUs still waiting", async () => {
  const { peer, association } = await accepted();
  const got: PDataTfPdu[] = [];
  const hold = Promise.withResolvers<void>();
  const ended = Promise.withResolvers<Error | undefined>();
  let endedEarly = false;
  association.receivePData({
    pData: (pdu) => {
      got.push(pdu);
      return got.length === 1 ? hold.promise : undefined;
    },
    end: (error) => {
      endedEarly = held;
      ended.resolve(error);
    },
  });
  let held = true;
  await peer.send(joined([1, 2, 3]));
  await peer.send({ type: "A-ABORT", source: 0, reason: 0 });
  await association.closed;
  assertEquals(lengths(got), [1]);
  held = false;
  hold.resolve();
  const error = await ended.promise;
  assert(!endedEarly, "end() came before the pending promise settled");
  assertEquals(error?.name, "AssociationAbortedError");
  assertEquals(lengths(got), [1]);
});
