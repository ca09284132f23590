/**
 * The Asynchronous Operations Window (PS3.7 D.3.3.3) as a
 * {@linkcode DimseChannel} keeps it: a peer pipelining requests on one
 * association has at most the negotiated number performed at once, the rest
 * wait in arrival order in a bounded queue, and C-CANCEL-RQ (no operation)
 * still reaches a running request. A raw peer on an in-memory transport
 * sends the requests, so nothing on its side limits them.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import {
  acceptAssociation,
  type Association,
  type AsynchronousOperationsWindow,
  connect,
  requestAssociation,
} from "../association/mod.ts";
import {
  type Command,
  decodeCommand,
  DimseChannel,
  type DimseChannelOptions,
  encodeCommand,
  STATUS,
} from "../dimse/mod.ts";
import type { Pdu, PresentationDataValue } from "../pdu/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { associateAc, associateRq, pipePair, RawPeer } from "./association_helpers.ts";
import { ServiceProvider } from "../service/mod.ts";

const ECHO = Uid.Verification;
const FIND = Uid.StudyRootQueryRetrieveInformationModelFind;
const IMPLICIT = Uid.ImplicitVRLittleEndian;

function commandPdv(command: Command, contextId = 1): PresentationDataValue {
  return {
    presentationContextId: contextId,
    isCommand: true,
    isLastFragment: true,
    data: encodeCommand(command),
  };
}

function echoRq(messageId: number): PresentationDataValue {
  return commandPdv({ type: "C-ECHO-RQ", hasDataset: false, messageId, affectedSopClassUid: ECHO });
}

/** A C-FIND-RQ on context 3 and its (empty) identifier. */
function findRq(messageId: number): PresentationDataValue[] {
  return [
    commandPdv({
      type: "C-FIND-RQ",
      hasDataset: true,
      messageId,
      affectedSopClassUid: FIND,
      priority: 0,
    }, 3),
    { presentationContextId: 3, isCommand: false, isLastFragment: true, data: new Uint8Array(0) },
  ];
}

/**
 * Associates a raw peer (proposing `window`, if any) with an acceptor running
 * a DimseChannel with `options`; contexts 1 (Verification) and 3 (FIND).
 */
async function open(
  options: DimseChannelOptions,
  window?: AsynchronousOperationsWindow,
): Promise<{ peer: RawPeer; channel: DimseChannel; association: Association }> {
  const [a, b] = pipePair();
  const peer = new RawPeer(a);
  const accepting = acceptAssociation(b, {
    supportedAbstractSyntaxes: [
      { abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] },
      { abstractSyntax: FIND, transferSyntaxes: [IMPLICIT] },
    ],
    asynchronousOperationsWindow: { maxOperationsInvoked: 0, maxOperationsPerformed: 0 },
  });
  await peer.send(associateRq({
    presentationContexts: [
      { id: 1, abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] },
      { id: 3, abstractSyntax: FIND, transferSyntaxes: [IMPLICIT] },
    ],
    userInformation: {
      maxPduLength: 16384,
      implementationClassUid: "1.2.3.4",
      ...(window && { asynchronousOperationsWindow: window }),
    },
  }));
  const ac = await peer.next();
  assert(ac !== "end" && ac.type === "A-ASSOCIATE-AC", "expected an A-ASSOCIATE-AC");
  const association = await accepting;
  return { peer, channel: new DimseChannel(association, options), association };
}

/** Reads responses (Message ID Being Responded To, status) until `count` came, or the end. */
async function responses(peer: RawPeer, count: number): Promise<[number, number][]> {
  const got: [number, number][] = [];
  while (got.length < count) {
    const pdu: Pdu | "end" = await peer.next();
    if (pdu === "end" || pdu.type !== "P-DATA-TF") break;
    for (const pdv of pdu.values) {
      if (!pdv.isCommand) continue;
      const command = decodeCommand(pdv.data);
      assert("status" in command, `expected a response, got ${command.type}`);
      got.push([command.messageIdBeingRespondedTo, command.status]);
    }
  }
  return got;
}

/** A C-ECHO handler that counts how many run at once and ends after a turn of the event loop. */
function concurrency(): { options: DimseChannelOptions; max: () => number; order: number[] } {
  let running = 0;
  let max = 0;
  const order: number[] = [];
  return {
    max: () => max,
    order,
    options: {
      handlers: {
        "C-ECHO-RQ": async (request, context) => {
          order.push(request.command.messageId);
          max = Math.max(max, ++running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
          await context.respond({ status: STATUS.SUCCESS });
        },
      },
    },
  };
}

Deno.test("DimseChannel performs one pipelined request at a time when no window was negotiated", async () => {
  const count = concurrency();
  const { peer, channel } = await open(count.options);
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  await peer.send({ type: "P-DATA-TF", values: ids.map(echoRq) });
  const got = await responses(peer, ids.length);
  assertEquals(got, ids.map((id) => [id, STATUS.SUCCESS]));
  assertEquals(count.max(), 1);
  assertEquals(count.order, ids);
  await peer.destroy();
  await channel.closed;
});

Deno.test("DimseChannel performs up to the negotiated Maximum Number Operations Invoked at once", async () => {
  const count = concurrency();
  const { peer, channel, association } = await open(count.options, {
    maxOperationsInvoked: 3,
    maxOperationsPerformed: 1,
  });
  assertEquals(association.asynchronousOperationsWindow.maxOperationsInvoked, 3);
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  await peer.send({ type: "P-DATA-TF", values: ids.map(echoRq) });
  const got = await responses(peer, ids.length);
  assertEquals(got.length, ids.length);
  assertEquals(count.max(), 3);
  assertEquals(count.order, ids);
  await peer.destroy();
  await channel.closed;
});

Deno.test("DimseChannel aborts the association when more than maxQueuedRequests wait", async () => {
  const warnings: string[] = [];
  const { peer, channel, association } = await open({
    maxQueuedRequests: 4,
    onWarning: (w) => warnings.push(w),
    handlers: {
      // Never answers until the association ends.
      "C-ECHO-RQ": (_request, context) =>
        new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve())),
    },
  });
  // One runs, four wait, the sixth is one too many.
  await peer.send({ type: "P-DATA-TF", values: [1, 2, 3, 4, 5, 6].map(echoRq) });
  let pdu = await peer.next();
  while (pdu !== "end" && pdu.type !== "A-ABORT") pdu = await peer.next();
  assert(pdu !== "end", "the channel sent no A-ABORT");
  await peer.destroy();
  await channel.closed;
  assertEquals((await association.closed).how, "aborted");
  assert(
    warnings.some((w) => w.includes("window") && w.includes("4")),
    `no warning names the limit: ${warnings}`,
  );
});

Deno.test("DimseChannel lets C-CANCEL-RQ reach the running request while others wait", async () => {
  const started: number[] = [];
  const { peer, channel } = await open({
    handlers: {
      "C-FIND-RQ": async (request, context) => {
        started.push(request.command.messageId);
        if (request.command.messageId === 1) {
          await new Promise<void>((resolve) =>
            context.signal.addEventListener("abort", () => resolve())
          );
          await context.respond({ status: STATUS.CANCEL });
        } else {
          await context.respond({ status: STATUS.SUCCESS });
        }
      },
    },
  });
  await peer.send({ type: "P-DATA-TF", values: [...findRq(1), ...findRq(2)] });
  await peer.send({
    type: "P-DATA-TF",
    values: [
      commandPdv({ type: "C-CANCEL-RQ", hasDataset: false, messageIdBeingRespondedTo: 1 }, 3),
    ],
  });
  assertEquals(await responses(peer, 2), [[1, STATUS.CANCEL], [2, STATUS.SUCCESS]]);
  assertEquals(started, [1, 2]);
  await peer.destroy();
  await channel.closed;
});

Deno.test("ServiceProvider passes maxQueuedRequests to its channels: a peer past it is aborted with a warning", async () => {
  const warnings: string[] = [];
  await using provider = new ServiceProvider({
    supportedAbstractSyntaxes: [],
    handlers: {
      "C-ECHO-RQ": (_request, context) =>
        new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve())),
    },
  }, { hostname: "127.0.0.1", port: 0, maxQueuedRequests: 2, onWarning: (w) => warnings.push(w) });
  const association = await connect("127.0.0.1", provider.port, {
    presentationContexts: [{ abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] }],
  });
  const channel = new DimseChannel(association);
  const contextId = association.findContext(ECHO)!.id;
  // Sent as raw messages: request() would keep to the window itself.
  for (const messageId of [1, 2, 3, 4]) {
    await channel.send(contextId, {
      type: "C-ECHO-RQ",
      hasDataset: false,
      messageId,
      affectedSopClassUid: ECHO,
    });
  }
  assertEquals((await association.closed).how, "aborted");
  await channel.closed;
  assert(warnings.some((w) => w.includes("at most 2 may wait")), `warnings: ${warnings}`);
});

/**
 * Requests `count` C-ECHOs at once through `DimseChannel.request()` against a
 * raw acceptor answering `window` (or none), which reads ahead of its answers
 * (each after a turn of the event loop); returns the most it saw outstanding.
 */
async function mostOutstanding(count: number, window?: AsynchronousOperationsWindow): Promise<{
  most: number;
  statuses: number[];
}> {
  const [a, b] = pipePair();
  const peer = new RawPeer(b);
  const requesting = requestAssociation(a, {
    presentationContexts: [{ abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] }],
    ...(window && { asynchronousOperationsWindow: window }),
  });
  const rq = await peer.next();
  assert(rq !== "end" && rq.type === "A-ASSOCIATE-RQ", "expected an A-ASSOCIATE-RQ");
  await peer.send(associateAc({
    userInformation: {
      maxPduLength: 16384,
      implementationClassUid: "1.2.3.4",
      ...(window && { asynchronousOperationsWindow: window }),
    },
  }));
  const association = await requesting;
  const channel = new DimseChannel(association);
  const handles = Array.from(
    { length: count },
    () => channel.request(1, { type: "C-ECHO-RQ", hasDataset: false, affectedSopClassUid: ECHO }),
  );
  const outcomes = Promise.all(handles.map(async (handle) => {
    const statuses: number[] = [];
    for await (const response of handle) statuses.push(response.command.status);
    return statuses;
  }));
  const received: number[] = [];
  let answered = 0;
  let most = 0;
  let more = Promise.withResolvers<void>();
  const reading = (async () => {
    while (received.length < count) {
      const pdu = await peer.next();
      if (pdu === "end") return;
      if (pdu.type !== "P-DATA-TF") continue;
      for (const pdv of pdu.values) {
        const command = decodeCommand(pdv.data);
        assert(command.type === "C-ECHO-RQ", `expected C-ECHO-RQ, got ${command.type}`);
        received.push(command.messageId);
      }
      most = Math.max(most, received.length - answered);
      more.resolve();
    }
  })();
  while (answered < count) {
    if (answered === received.length) {
      await more.promise;
      more = Promise.withResolvers<void>();
      continue;
    }
    // A turn of the event loop: requests sent beyond the window arrive meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    await peer.send({
      type: "P-DATA-TF",
      values: [commandPdv({
        type: "C-ECHO-RSP",
        hasDataset: false,
        messageIdBeingRespondedTo: received[answered++]!,
        status: STATUS.SUCCESS,
        affectedSopClassUid: ECHO,
      })],
    });
  }
  await reading;
  const statuses = (await outcomes).flat();
  await peer.destroy();
  await channel.closed;
  return { most, statuses };
}

Deno.test("DimseChannel.request() keeps one request outstanding when no window was negotiated", async () => {
  const { most, statuses } = await mostOutstanding(5);
  assertEquals(statuses, [0, 0, 0, 0, 0]);
  assertEquals(most, 1);
});

Deno.test("DimseChannel.request() keeps up to the negotiated Maximum Number Operations Invoked outstanding", async () => {
  const { most, statuses } = await mostOutstanding(6, {
    maxOperationsInvoked: 2,
    maxOperationsPerformed: 1,
  });
  assertEquals(statuses, [0, 0, 0, 0, 0, 0]);
  assertEquals(most, 2);
});
