/**
 * Associations over real TCP on 127.0.0.1 (port 0): the requestor against
 * the server, release from either side and by collision, abort with codes,
 * cancellation, timeouts, the association limit, shutdown and events.
 */

import {
  acceptAssociation,
  type Association,
  AssociationAbortedError,
  type AssociationEvent,
  AssociationRejectedError,
  connect,
  type ConnectOptions,
  requestAssociation,
  serveAssociations,
} from "../association/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import {
  EventLog,
  IMPLICIT_VR_LE,
  pipePair,
  RawPeer,
  VERIFICATION,
} from "./association_helpers.ts";

const HOST = "127.0.0.1";
const CONTEXTS: ConnectOptions["presentationContexts"] = [
  { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
];

function pdv(bytes: number[]) {
  return {
    presentationContextId: 1,
    isCommand: true,
    isLastFragment: true,
    data: new Uint8Array(bytes),
  };
}

/** Echoes every P-DATA-TF back until the requestor releases. */
async function echo(association: Association): Promise<void> {
  for await (const pdu of association.pData) await association.sendPData(pdu.values);
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("connect() associates with serveAssociations(), exchanges P-DATA and releases", async () => {
  await using server = serveAssociations({ hostname: HOST, port: 0 }, echo);
  const association = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  assertEquals(association.role, "requestor");
  assertEquals(association.state, "Sta6");
  assertEquals(association.context(1)?.transferSyntax, IMPLICIT_VR_LE);
  assertEquals(server.activeAssociations, 1);
  const replies = association.pData.getReader();
  await association.sendPData([pdv([1, 2, 3])]);
  assertEquals((await replies.read()).value?.values[0]?.data, new Uint8Array([1, 2, 3]));
  replies.releaseLock();
  await association.release();
  assertEquals(await association.closed, { how: "released" });
  assertEquals(association.state, "Sta1");
  await server.shutdown();
  assertEquals(server.activeAssociations, 0);
});

Deno.test("the acceptor may release: the requestor's P-DATA stream ends and it answers", async () => {
  await using server = serveAssociations({ hostname: HOST, port: 0 }, (a) => a.release());
  await using association = await connect(HOST, server.addr.port, {
    presentationContexts: CONTEXTS,
  });
  for await (const _ of association.pData) throw new Error("no P-DATA expected");
  assertEquals(await association.closed, { how: "released" });
});

Deno.test("a release collision (both sides release at once) ends released on both sides (PS3.8 Sta9-Sta12)", async () => {
  const log = new EventLog(["transition"]);
  const [a, b] = pipePair();
  const [requestor, acceptor] = await Promise.all([
    requestAssociation(a, {
      presentationContexts: CONTEXTS,
      events: log.target,
      peer: "requestor",
    }),
    acceptAssociation(b, { events: log.target }),
  ]);
  await Promise.all([requestor.release(), acceptor.release()]);
  const steps = log.events.map((e) => {
    const { transition, peer } = e as AssociationEvent;
    return `${peer} ${transition?.from}-${transition?.action}`;
  });
  for (const step of ["requestor Sta7-AR-8", "requestor Sta9-AR-9", "requestor Sta11-AR-3"]) {
    assert(steps.includes(step), `${step} in ${steps}`);
  }
  for (const step of ["transport Sta7-AR-8", "transport Sta10-AR-10", "transport Sta12-AR-4"]) {
    assert(steps.includes(step), `${step} in ${steps}`);
  }
});

Deno.test("abort() sends A-ABORT with its source and reason; the peer sees who aborted", async () => {
  const ended = Promise.withResolvers<Association>();
  await using server = serveAssociations({ hostname: HOST, port: 0 }, (a) => ended.resolve(a));
  const association = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  await association.abort(2, 6);
  const local = await association.closed;
  assertEquals([local.how, local.error?.origin], ["aborted", "local"]);
  const remote = await (await ended.promise).closed;
  assertEquals([remote.how, remote.error?.origin, remote.error?.source, remote.error?.reason], [
    "aborted",
    "peer",
    2,
    6,
  ]);
  await assertRejects(() => association.release(), AssociationAbortedError);
});

Deno.test("an AbortSignal aborts an established association", async () => {
  const controller = new AbortController();
  const acceptor = Promise.withResolvers<Association>();
  await using server = serveAssociations({ hostname: HOST, port: 0 }, (a) => acceptor.resolve(a));
  const association = await connect(HOST, server.addr.port, {
    presentationContexts: CONTEXTS,
    signal: controller.signal,
  });
  controller.abort(new Error("user gave up"));
  const { error } = await association.closed;
  assertEquals(error?.origin, "local");
  assertEquals((error?.cause as Error).message, "user gave up");
  assertEquals((await (await acceptor.promise).closed).error?.origin, "peer");
});

Deno.test("connect() with an aborted signal rejects before connecting", async () => {
  const reason = new Error("not now");
  const error = await connect(HOST, closedPort(), {
    presentationContexts: CONTEXTS,
    signal: AbortSignal.abort(reason),
  }).catch((e) => e);
  assert(error instanceof AssociationAbortedError);
  assertEquals([error.origin, error.cause], ["local", reason]);
});

Deno.test("acceptAssociation() with an aborted signal closes the transport without answering", async () => {
  const [a, b] = pipePair();
  const peer = new RawPeer(a);
  const error = await acceptAssociation(b, { signal: AbortSignal.abort() }).catch((e) => e);
  assert(error instanceof AssociationAbortedError);
  assertEquals(error.origin, "local");
  assertEquals(await peer.next(), "end");
  await peer.destroy();
});

Deno.test("connect() to a port nobody listens on rejects with AssociationAbortedError", async () => {
  const error = await connect(HOST, closedPort(), { presentationContexts: CONTEXTS }).catch((e) =>
    e
  );
  assert(error instanceof AssociationAbortedError);
  assert(error.cause instanceof Deno.errors.ConnectionRefused);
});

Deno.test("connect() aborts when no A-ASSOCIATE-AC comes within associationTimeout", async () => {
  using listener = Deno.listen({ hostname: HOST, port: 0 });
  const silent = listener.accept();
  const request = connect(HOST, listener.addr.port, {
    presentationContexts: CONTEXTS,
    associationTimeout: 50,
  });
  const peer = new RawPeer(await silent);
  assertEquals((await peer.next() as { type: string }).type, "A-ASSOCIATE-RQ");
  assertEquals(await peer.next(), { type: "A-ABORT", source: 0, reason: 0 }); // AA-1
  await peer.close(); // Lets the requestor finish (Sta13 + Evt17, AR-5).
  const error = await request.catch((e) => e);
  assert(error instanceof AssociationAbortedError);
  assertEquals((error.cause as DOMException).name, "TimeoutError");
  await peer.destroy();
});

Deno.test("an idle association is aborted after idleTimeout", async () => {
  const acceptor = Promise.withResolvers<Association>();
  await using server = serveAssociations({ hostname: HOST, port: 0 }, (a) => acceptor.resolve(a), {
    idleTimeout: 50,
  });
  const association = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  const remote = await association.closed;
  assertEquals([remote.how, remote.error?.origin, remote.error?.source], ["aborted", "peer", 0]);
  const local = await (await acceptor.promise).closed;
  assertEquals((local.error?.cause as DOMException).name, "TimeoutError");
});

Deno.test("over maxAssociations the server rejects transiently with local-limit-exceeded (2, 3, 2)", async () => {
  await using server = serveAssociations({ hostname: HOST, port: 0 }, echo, { maxAssociations: 1 });
  const first = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  const error = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS }).catch((
    e,
  ) => e);
  assert(error instanceof AssociationRejectedError);
  assertEquals([error.result, error.source, error.reason], [2, 3, 2]);
  await first.release();
  // A transient rejection means "try again": once the server side of the
  // first association has ended too, a new one is accepted.
  let third: Association | undefined;
  for (let attempt = 0; third === undefined && attempt < 100; attempt++) {
    third = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS }).catch((e) => {
      if (e instanceof AssociationRejectedError && e.result === 2) return undefined;
      throw e;
    });
  }
  assertEquals(third?.state, "Sta6");
  await third?.release();
});

Deno.test("access control sees the remote address, called and calling AE titles", async () => {
  const seen: string[] = [];
  await using server = serveAssociations({ hostname: HOST, port: 0 }, echo, {
    accessControl: (rq) => {
      seen.push(`${rq.remoteAddress?.hostname} ${rq.callingAeTitle}->${rq.calledAeTitle}`);
      return rq.remoteAddress?.hostname === HOST ? undefined : { result: 1, source: 1, reason: 1 };
    },
  });
  await using association = await connect(HOST, server.addr.port, {
    presentationContexts: CONTEXTS,
    callingAeTitle: "MODALITY",
    calledAeTitle: "ARCHIVE",
  });
  assertEquals(association.calledAeTitle, "ARCHIVE");
  assertEquals(seen, ["127.0.0.1 MODALITY->ARCHIVE"]);
});

Deno.test("shutdown() stops accepting and waits for the associations in progress", async () => {
  const server = serveAssociations({ hostname: HOST, port: 0 }, echo);
  const association = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  let finished = false;
  const shutdown = server.shutdown().then(() => finished = true);
  await assertRejects(() => connect(HOST, server.addr.port, { presentationContexts: CONTEXTS }));
  assertEquals(finished, false);
  await association.release();
  await shutdown;
  await server.finished;
});

Deno.test("shutdown({ abort: true }) aborts the associations in progress", async () => {
  const server = serveAssociations({ hostname: HOST, port: 0 }, echo);
  const association = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  await server.shutdown({ abort: true });
  assertEquals((await association.closed).error?.origin, "peer");
});

Deno.test("a handler that throws aborts its association and reports the error", async () => {
  const errors: unknown[] = [];
  await using server = serveAssociations({ hostname: HOST, port: 0 }, () => {
    throw new Error("handler bug");
  }, { onError: (e) => errors.push(e) });
  const association = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  assertEquals((await association.closed).error?.origin, "peer");
  await server.shutdown();
  assertEquals((errors[0] as Error).message, "handler bug");
});

Deno.test("events report PDUs, transitions and the outcome on both sides", async () => {
  const log = new EventLog();
  await using server = serveAssociations({ hostname: HOST, port: 0 }, echo, { events: log.target });
  const association = await connect(HOST, server.addr.port, {
    presentationContexts: CONTEXTS,
    events: log.target,
  });
  await association.release();
  await server.shutdown();
  const lines = log.events.map((e) => e as AssociationEvent)
    .filter((e) => e.type !== "transition")
    .map((e) =>
      `${e.peer === `${HOST}:${server.addr.port}` ? "scu" : "scp"} ${e.type} ${e.pdu?.type ?? ""}`
        .trim()
    );
  assertEquals(lines.filter((l) => l.startsWith("scu")), [
    "scu pdu-sent A-ASSOCIATE-RQ",
    "scu pdu-received A-ASSOCIATE-AC",
    "scu established",
    "scu pdu-sent A-RELEASE-RQ",
    "scu pdu-received A-RELEASE-RP",
    "scu released",
  ]);
  assertEquals(lines.filter((l) => l.startsWith("scp")), [
    "scp pdu-received A-ASSOCIATE-RQ",
    "scp pdu-sent A-ASSOCIATE-AC",
    "scp established",
    "scp pdu-received A-RELEASE-RQ",
    "scp pdu-sent A-RELEASE-RP",
    "scp released",
  ]);
});

Deno.test("onReleaseRequest lets the acceptor send owed P-DATA before the A-RELEASE-RP (AR-7)", async () => {
  let scp: Association | undefined;
  await using server = serveAssociations({ hostname: HOST, port: 0 }, (a) => void (scp = a), {
    onReleaseRequest: () => scp!.sendPData([pdv([9])]),
  });
  const association = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  const reader = association.pData.getReader();
  const released = association.release();
  assertEquals((await reader.read()).value?.values[0]?.data, new Uint8Array([9])); // AR-6 in Sta7
  await released;
});

Deno.test("a slow P-DATA consumer gets every PDU in order (backpressure, no loss)", async () => {
  const [a, b] = pipePair();
  const [scu, scp] = await Promise.all([
    requestAssociation(a, { presentationContexts: CONTEXTS }),
    acceptAssociation(b),
  ]);
  const count = 200;
  const sending = (async () => {
    for (let i = 0; i < count; i++) await scu.sendPData([pdv([i & 0xff, i >> 8])]);
    await scu.release();
  })();
  let next = 0;
  for await (const pdu of scp.pData) {
    const [lo, hi] = pdu.values[0]!.data;
    assertEquals(lo! | (hi! << 8), next++);
    await new Promise<void>((resolve) => queueMicrotask(resolve)); // A slow consumer.
  }
  assertEquals(next, count);
  await sending;
});

Deno.test("cancelling the P-DATA stream drops P-DATA and still lets the association release", async () => {
  const [a, b] = pipePair();
  const [scu, scp] = await Promise.all([
    requestAssociation(a, { presentationContexts: CONTEXTS }),
    acceptAssociation(b),
  ]);
  await scp.pData.cancel();
  for (let i = 0; i < 50; i++) await scu.sendPData([pdv([i])]);
  await scu.release();
  assertEquals(await scp.closed, { how: "released" });
});
