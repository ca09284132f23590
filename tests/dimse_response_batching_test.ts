/**
 * Pending responses made faster than the transport takes them go out
 * several in one write (issue 13): a handler's `respond()` of a response
 * that fits in one PDU holds it until the handler lets the event loop turn,
 * a pending one does not wait for its write (within bounds), and the PDUs
 * held or handed over meanwhile are written together. A raw
 * peer on an in-memory transport whose writes take a few milliseconds
 * counts the writes.
 *
 * @module
 */

import { acceptAssociation, type Transport } from "../association/mod.ts";
import { DimseChannel, encodeCommand, STATUS, statusCategory } from "../dimse/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { decodeCommand } from "../dimse/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { associateRq, RawPeer } from "./association_helpers.ts";

const FIND = Uid.StudyRootQueryRetrieveInformationModelFind;
const IMPLICIT = Uid.ImplicitVRLittleEndian;

/**
 * Two transports back to back; what the second writes takes `delay` ms per
 * write to arrive, and its writes are counted.
 */
function slowPipePair(delay: number): { peer: Transport; ours: Transport; writes: () => number } {
  const toOurs = new TransformStream<Uint8Array, Uint8Array>();
  const toPeer = new TransformStream<Uint8Array, Uint8Array>();
  const forward = toPeer.writable.getWriter();
  let writes = 0;
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      writes++;
      await new Promise((resolve) => setTimeout(resolve, delay));
      await forward.write(chunk);
    },
    close: () => forward.close(),
    abort: (reason) => forward.abort(reason),
  });
  return {
    peer: { readable: toPeer.readable, writable: toOurs.writable },
    ours: { readable: toOurs.readable, writable },
    writes: () => writes,
  };
}

Deno.test("the responses a handler makes before it lets the event loop turn, the final one too, go out together in one write, in order", async () => {
  const { peer: peerSide, ours, writes } = slowPipePair(5);
  const peer = new RawPeer(peerSide);
  const accepting = acceptAssociation(ours, {
    supportedAbstractSyntaxes: [{ abstractSyntax: FIND, transferSyntaxes: [IMPLICIT] }],
  });
  await peer.send(associateRq({
    presentationContexts: [{ id: 1, abstractSyntax: FIND, transferSyntaxes: [IMPLICIT] }],
  }));
  const ac = await peer.next();
  assert(ac !== "end" && ac.type === "A-ASSOCIATE-AC", `expected an A-ASSOCIATE-AC, got ${ac}`);
  const association = await accepting;
  const matches = 12;
  const channel = new DimseChannel(association, {
    handlers: {
      "C-FIND-RQ": async (request, context) => {
        for await (const _ of request.dataset!) { /* the identifier is not needed */ }
        for (let i = 1; i <= matches; i++) {
          await context.respond({ status: STATUS.PENDING }, new Uint8Array([i, 0, 0, 0]));
        }
        await context.respond({ status: STATUS.SUCCESS });
      },
    },
  });
  const before = writes();
  const command = encodeCommand({
    type: "C-FIND-RQ",
    hasDataset: true,
    messageId: 7,
    affectedSopClassUid: FIND,
    priority: 0,
  });
  await peer.send({
    type: "P-DATA-TF",
    values: [
      { presentationContextId: 1, isCommand: true, isLastFragment: true, data: command },
      { presentationContextId: 1, isCommand: false, isLastFragment: true, data: new Uint8Array(4) },
    ],
  });
  const order: number[] = [];
  let final: number | undefined;
  while (final === undefined) {
    const pdu = await peer.next();
    assert(pdu !== "end" && pdu.type === "P-DATA-TF", `expected a P-DATA-TF, got ${pdu}`);
    for (const value of pdu.values) {
      if (!value.isCommand) {
        order.push(value.data[0]!);
        continue;
      }
      const response = decodeCommand(value.data);
      assert(response.type === "C-FIND-RSP");
      assertEquals(response.messageIdBeingRespondedTo, 7);
      if (statusCategory(response.status) !== "pending") final = response.status;
    }
  }
  assertEquals(final, STATUS.SUCCESS);
  assertEquals(order, Array.from({ length: matches }, (_, i) => i + 1));
  const used = writes() - before;
  // One write per response (13) before; now the responses a handler makes
  // before it lets the event loop turn are held and go out together.
  assertEquals(used, 1, `${matches + 1} responses took ${used} writes`);
  await peer.destroy();
  await channel.closed;
});

Deno.test("a final response with none held (a C-ECHO-RSP, a C-STORE-RSP) is handed to the transport at once, not after the event loop turns", async () => {
  const events: string[] = [];
  const toOurs = new TransformStream<Uint8Array, Uint8Array>();
  const toPeer = new TransformStream<Uint8Array, Uint8Array>();
  const forward = toPeer.writable.getWriter();
  const ours: Transport = {
    readable: toOurs.readable,
    writable: new WritableStream<Uint8Array>({
      write: (chunk) => (events.push("write"), forward.write(chunk)),
      close: () => forward.close(),
      abort: (reason) => forward.abort(reason),
    }),
  };
  const peer = new RawPeer({ readable: toPeer.readable, writable: toOurs.writable });
  const ECHO = Uid.Verification;
  const accepting = acceptAssociation(ours, {
    supportedAbstractSyntaxes: [{ abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] }],
  });
  await peer.send(associateRq({
    presentationContexts: [{ id: 1, abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] }],
  }));
  const ac = await peer.next();
  assert(ac !== "end" && ac.type === "A-ASSOCIATE-AC", `expected an A-ASSOCIATE-AC, got ${ac}`);
  const association = await accepting;
  const channel = new DimseChannel(association, {
    handlers: {
      "C-ECHO-RQ": async (_request, context) => {
        events.length = 0;
        setImmediate(() => events.push("turn"));
        await context.respond({ status: STATUS.SUCCESS });
      },
    },
  });
  await peer.send({
    type: "P-DATA-TF",
    values: [{
      presentationContextId: 1,
      isCommand: true,
      isLastFragment: true,
      data: encodeCommand({
        type: "C-ECHO-RQ",
        hasDataset: false,
        messageId: 3,
        affectedSopClassUid: ECHO,
      }),
    }],
  });
  const rsp = await peer.next();
  assert(rsp !== "end" && rsp.type === "P-DATA-TF", `expected a P-DATA-TF, got ${rsp}`);
  assertEquals(events[0], "write", `events: ${events.join(", ")}`);
  await peer.destroy();
  await channel.closed;
});
