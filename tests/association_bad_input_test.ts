/**
 * Hostile and broken peers, over TCP on 127.0.0.1: garbage, oversize and
 * truncated PDUs, a bad protocol version, items overrunning their parent,
 * PDUs not allowed in the state, silence and vanishing. Each ends its own
 * association (A-ABORT, A-ASSOCIATE-RJ or close), every resource is
 * released (the sanitizers check), and the server keeps accepting.
 */

import {
  type Association,
  AssociationAbortedError,
  type AssociationEvent,
  connect,
  serveAssociations,
  type State,
} from "../association/mod.ts";
import { encodePdu, type Pdu } from "../pdu/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  associateRq,
  EventLog,
  IMPLICIT_VR_LE,
  pData,
  RawPeer,
  VERIFICATION,
} from "./association_helpers.ts";

const HOST = "127.0.0.1";
const ARTIM = 100;
/** Leaving Sta13: our close (Evt17, AR-5) or, on a very slow machine, the ARTIM timer (Evt18, AA-2). */
const STA13_EXIT = /^Sta13 (Evt17 AR-5|Evt18 AA-2) Sta1$/;
const CONTEXTS = [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }];

interface BadPeerRun {
  /** The raw client. */
  peer: RawPeer;
  /** The server-side transitions of this client's association, as "StaX EvtY AA-N StaZ". */
  steps(): Promise<string[]>;
  /** Associates the raw client (A-ASSOCIATE-RQ, then reads the A-ASSOCIATE-AC). */
  associate(): Promise<void>;
}

/**
 * Runs `script` as a raw client of a fresh server (ARTIM 100 ms, Maximum
 * Length 4096), then checks that a well-behaved requestor still associates.
 */
async function withBadPeer(script: (run: BadPeerRun) => Promise<void>): Promise<void> {
  const log = new EventLog(["transition"]);
  const handled: Promise<void>[] = [];
  await using server = serveAssociations(
    { hostname: HOST, port: 0 },
    (association: Association) => {
      // Drain P-DATA; a broken peer errors the stream with the abort.
      const drained = (async () => {
        for await (const _ of association.pData) { /* discard */ }
      })().catch((e) => assert(e instanceof AssociationAbortedError, String(e)));
      handled.push(drained);
      return drained;
    },
    { artimTimeout: ARTIM, maxPduLength: 4096, events: log.target },
  );
  const conn = await Deno.connect({ hostname: HOST, port: server.addr.port });
  conn.setNoDelay(true);
  const label = `${HOST}:${conn.localAddr.port}`;
  const peer = new RawPeer(conn);
  const mine = (e: Event) => (e as AssociationEvent).peer === label;
  const steps = async () => {
    await log.wait((e) => mine(e) && (e as AssociationEvent).transition?.to === "Sta1");
    return log.events.filter(mine).map((e) => {
      const t = (e as AssociationEvent).transition!;
      return `${t.from} ${t.event} ${t.action} ${t.to}`;
    });
  };
  const associate = async () => {
    await peer.send(associateRq());
    const ac = await peer.next();
    assert(ac !== "end" && ac.type === "A-ASSOCIATE-AC");
  };
  try {
    await script({ peer, steps, associate });
  } finally {
    await peer.destroy();
  }
  // The server still serves a well-behaved requestor.
  const association = await connect(HOST, server.addr.port, { presentationContexts: CONTEXTS });
  await association.release();
  await Promise.all(handled);
}

function abort(source: number, reason: number): Pdu {
  return { type: "A-ABORT", source: source as 0, reason };
}

Deno.test("garbage bytes instead of an A-ASSOCIATE-RQ: A-ABORT (AA-1), then ARTIM closes", async () => {
  await withBadPeer(async ({ peer, steps }) => {
    await peer.send(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: pacs\r\n\r\n"));
    assertEquals(await peer.next(), abort(0, 0));
    assertEquals(await peer.next(), "end"); // We never close: the ARTIM timer does (Evt18, AA-2).
    assertEquals(await steps(), [
      "Sta1 Evt5 AE-5 Sta2",
      "Sta2 Evt19 AA-1 Sta13",
      "Sta13 Evt18 AA-2 Sta1",
    ]);
  });
});

Deno.test("a PDU-length over the limit is refused from its 6-byte header", async () => {
  await withBadPeer(async ({ peer, steps }) => {
    // An A-ASSOCIATE-RQ header declaring 2 MiB: nothing more is sent or buffered.
    await peer.send(new Uint8Array([0x01, 0, 0x00, 0x20, 0x00, 0x00]));
    assertEquals(await peer.next(), abort(0, 0));
    await peer.close();
    assertEquals((await steps())[1], "Sta2 Evt19 AA-1 Sta13");
  });
});

Deno.test("a P-DATA-TF longer than our Maximum Length aborts with (2, 6) (AA-8)", async () => {
  await withBadPeer(async ({ peer, associate, steps }) => {
    await associate();
    await peer.send(encodePdu(pData(4096))); // PDU-length 4102 > 4096 advertised.
    assertEquals(await peer.next(), abort(2, 6));
    await peer.close();
    const [invalid, end] = (await steps()).slice(-2);
    assertEquals(invalid, "Sta6 Evt19 AA-8 Sta13");
    assertMatch(end!, STA13_EXIT);
  });
});

Deno.test("a truncated A-ASSOCIATE-RQ, then the peer vanishes: the transport closes (AA-5)", async () => {
  await withBadPeer(async ({ peer, steps }) => {
    await peer.send(encodePdu(associateRq()).subarray(0, 20));
    await peer.close();
    assertEquals(await peer.next(), "end");
    assertEquals(await steps(), ["Sta1 Evt5 AE-5 Sta2", "Sta2 Evt17 AA-5 Sta1"]);
  });
});

Deno.test("an A-ASSOCIATE-RQ without protocol version 1 is rejected with (1, 2, 2) (AE-6)", async () => {
  await withBadPeer(async ({ peer, steps }) => {
    await peer.send(associateRq({ protocolVersion: 0 }));
    assertEquals(await peer.next(), { type: "A-ASSOCIATE-RJ", result: 1, source: 2, reason: 2 });
    await peer.close();
    const [, rejected, end] = await steps();
    assertEquals(rejected, "Sta2 Evt6 AE-6 Sta13");
    assertMatch(end!, STA13_EXIT);
  });
});

Deno.test("an item whose length runs past its parent is an invalid PDU (AA-1 before, AA-8 after association)", async () => {
  await withBadPeer(async ({ peer, steps }) => {
    const bytes = encodePdu(associateRq());
    const item = bytes.indexOf(0x20, 74); // The Presentation Context Item after the fixed fields.
    new DataView(bytes.buffer).setUint16(item + 2, 0xfff0); // Its Item-length, past the PDU.
    await peer.send(bytes);
    assertEquals(await peer.next(), abort(0, 0));
    await peer.close();
    assertEquals((await steps())[1], "Sta2 Evt19 AA-1 Sta13");
  });
  await withBadPeer(async ({ peer, associate }) => {
    await associate();
    const bytes = encodePdu(pData(8));
    new DataView(bytes.buffer).setUint32(6, 100); // PDV Item-length past the PDU.
    await peer.send(bytes);
    assertEquals(await peer.next(), abort(2, 6));
  });
});

Deno.test("a PDU not allowed in the state: AA-1 in Sta2, AA-8 with unexpected-PDU (2, 2) when established", async () => {
  await withBadPeer(async ({ peer, steps }) => {
    await peer.send({ type: "A-RELEASE-RQ" });
    assertEquals(await peer.next(), abort(0, 0));
    await peer.close();
    assertEquals((await steps())[1], "Sta2 Evt12 AA-1 Sta13");
  });
  for (const unexpected of [associateRq(), { type: "A-RELEASE-RP" } as const]) {
    await withBadPeer(async ({ peer, associate, steps }) => {
      await associate();
      await peer.send(unexpected);
      assertEquals(await peer.next(), abort(2, 2));
      await peer.close();
      const expected: State = "Sta13";
      assertEquals((await steps()).at(-2)?.endsWith(`AA-8 ${expected}`), true);
    });
  }
});

Deno.test("a silent peer is disconnected when the ARTIM timer expires (Evt18, AA-2)", async () => {
  await withBadPeer(async ({ peer, steps }) => {
    assertEquals(await peer.next(), "end");
    assertEquals(await steps(), ["Sta1 Evt5 AE-5 Sta2", "Sta2 Evt18 AA-2 Sta1"]);
  });
});

Deno.test("a peer that vanishes mid-PDU after association is an A-P-ABORT (AA-4)", async () => {
  await withBadPeer(async ({ peer, associate, steps }) => {
    await associate();
    await peer.send(encodePdu(pData(1000)).subarray(0, 500));
    await peer.destroy();
    assertEquals((await steps()).at(-1), "Sta6 Evt17 AA-4 Sta1");
  });
});

Deno.test("an A-ASSOCIATE-RQ arriving one byte at a time is accepted", async () => {
  await withBadPeer(async ({ peer }) => {
    for (const byte of encodePdu(associateRq())) await peer.send(new Uint8Array([byte]));
    const ac = await peer.next();
    assert(ac !== "end" && ac.type === "A-ASSOCIATE-AC");
    await peer.send({ type: "A-RELEASE-RQ" });
    assertEquals(await peer.next(), { type: "A-RELEASE-RP" });
  });
});

/** A raw acceptor that answers the A-ASSOCIATE-RQ with `answer`. */
async function requestFromBadAcceptor(answer: Pdu | Uint8Array | "close"): Promise<unknown> {
  using listener = Deno.listen({ hostname: HOST, port: 0 });
  const request = connect(HOST, listener.addr.port, {
    presentationContexts: CONTEXTS,
    artimTimeout: ARTIM,
  });
  const peer = new RawPeer(await listener.accept());
  assertEquals((await peer.next() as Pdu).type, "A-ASSOCIATE-RQ");
  if (answer === "close") await peer.close();
  else await peer.send(answer);
  const error = await request.catch((e) => e);
  const rest = await peer.rest();
  await peer.destroy();
  return { error, rest };
}

Deno.test("the requestor aborts when the acceptor answers with garbage (AA-8, unrecognized-PDU)", async () => {
  const { error, rest } = await requestFromBadAcceptor(new Uint8Array([0xff, 0, 0, 0, 0, 0])) as {
    error: AssociationAbortedError;
    rest: Pdu[];
  };
  assert(error instanceof AssociationAbortedError);
  assertEquals([error.origin, error.source, error.reason], ["provider", 2, 1]);
  assertEquals(rest, [abort(2, 1)]);
});

Deno.test("the requestor aborts when the acceptor answers with P-DATA (AA-8, unexpected-PDU)", async () => {
  const { error, rest } = await requestFromBadAcceptor(pData()) as {
    error: AssociationAbortedError;
    rest: Pdu[];
  };
  assertEquals([error.origin, error.reason], ["provider", 2]);
  assertEquals(rest, [abort(2, 2)]);
});

Deno.test("the requestor reports an A-P-ABORT when the acceptor closes the connection (AA-4)", async () => {
  const { error, rest } = await requestFromBadAcceptor("close") as {
    error: AssociationAbortedError;
    rest: Pdu[];
  };
  assert(error instanceof AssociationAbortedError);
  assertEquals(error.origin, "provider");
  assertEquals(rest, []);
});
