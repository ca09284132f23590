/**
 * A peer that pipelines its A-RELEASE-RQ right behind a request (PS3.8 §7.2,
 * Table 9-10): the acceptor waits in Sta8 until the request is answered (the
 * DIMSE response goes out as P-DATA, AR-7), then sends the A-RELEASE-RP.
 * DCMTK's acceptor answers both the same way.
 *
 * @module
 */

import { AssociationEvent, serveAssociations } from "../association/mod.ts";
import { decodeCommand, encodeCommand, type RequestHandler } from "../dimse/mod.ts";
import { decodePdu, encodePdu, type Pdu } from "../pdu/mod.ts";
import { ServiceProvider } from "../service/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { associateRq, VERIFICATION } from "./association_helpers.ts";

const HOST = "127.0.0.1";

/** Reads whole PDUs from a raw connection. */
class PduReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #bytes = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#reader = conn.readable.getReader();
  }

  /** The next PDU, or `undefined` once the acceptor has closed the connection. */
  async next(): Promise<Pdu | undefined> {
    for (;;) {
      const result = decodePdu(this.#bytes);
      if (result.complete) {
        this.#bytes = this.#bytes.slice(result.byteLength);
        return result.pdu;
      }
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      const more = new Uint8Array(this.#bytes.length + value.length);
      more.set(this.#bytes);
      more.set(value, this.#bytes.length);
      this.#bytes = more;
    }
  }

  /**
   * The PDUs up to the A-RELEASE-RP or A-ABORT, or to the end of the
   * connection; then closes it, as a requestor does after AR-3.
   */
  async rest(conn: Deno.Conn): Promise<Pdu[]> {
    const pdus: Pdu[] = [];
    try {
      for (let pdu = await this.next(); pdu; pdu = await this.next()) {
        pdus.push(pdu);
        if (pdu.type === "A-RELEASE-RP" || pdu.type === "A-ABORT") break;
      }
    } finally {
      this.#reader.releaseLock();
      conn.close();
    }
    return pdus;
  }
}

/**
 * One buffer: P-DATA-TF PDUs each with a whole C-ECHO-RQ command set
 * (Message IDs 7, 8...), then an A-RELEASE-RQ.
 */
function echoThenRelease(count: number): Uint8Array {
  const pdus = Array.from({ length: count }, (_, i) =>
    encodePdu({
      type: "P-DATA-TF",
      values: [{
        presentationContextId: 1,
        isCommand: true,
        isLastFragment: true,
        data: encodeCommand({
          type: "C-ECHO-RQ",
          hasDataset: false,
          messageId: 7 + i,
          affectedSopClassUid: VERIFICATION,
        }),
      }],
    }));
  pdus.push(encodePdu({ type: "A-RELEASE-RQ" }));
  const all = new Uint8Array(pdus.reduce((n, pdu) => n + pdu.length, 0));
  let offset = 0;
  for (const pdu of pdus) all.set(pdu, (offset += pdu.length) - pdu.length);
  return all;
}

/** The PDUs after the A-ASSOCIATE-AC, as "C-ECHO-RSP <id> <status>" or the PDU type. */
function describe(pdus: readonly Pdu[]): string[] {
  return pdus.map((pdu) => {
    if (pdu.type !== "P-DATA-TF") return pdu.type;
    const command = decodeCommand(pdu.values[0]!.data);
    assert(command.type === "C-ECHO-RSP", command.type);
    return `${command.type} ${command.messageIdBeingRespondedTo} ${command.status}`;
  });
}

/** Associates over a raw socket, then writes the C-ECHO-RQs and the A-RELEASE-RQ at once. */
async function pipelinedRelease(port: number, echoes = 1): Promise<{ rest: Promise<Pdu[]> }> {
  const conn = await Deno.connect({ hostname: HOST, port });
  const reader = new PduReader(conn);
  await conn.write(encodePdu(associateRq()));
  assertEquals((await reader.next())?.type, "A-ASSOCIATE-AC");
  await conn.write(echoThenRelease(echoes));
  return { rest: reader.rest(conn) };
}

Deno.test("a C-ECHO-RQ and an A-RELEASE-RQ in one write get the C-ECHO-RSP, then the A-RELEASE-RP", async () => {
  await using scp = new ServiceProvider({ supportedAbstractSyntaxes: [], handlers: {} }, {
    hostname: HOST,
    port: 0,
  });
  const { rest } = await pipelinedRelease(scp.port);
  assertEquals(describe(await rest), ["C-ECHO-RSP 7 0", "A-RELEASE-RP"]);
});

Deno.test("three C-ECHO-RQs and an A-RELEASE-RQ in one write get three C-ECHO-RSPs, then the A-RELEASE-RP", async () => {
  await using scp = new ServiceProvider({ supportedAbstractSyntaxes: [], handlers: {} }, {
    hostname: HOST,
    port: 0,
  });
  const { rest } = await pipelinedRelease(scp.port, 3);
  assertEquals(describe(await rest), [
    "C-ECHO-RSP 7 0",
    "C-ECHO-RSP 8 0",
    "C-ECHO-RSP 9 0",
    "A-RELEASE-RP",
  ]);
});

Deno.test("the A-RELEASE-RP waits in Sta8 for a slow handler to answer the request received before it", async () => {
  const entered = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const releaseReceived = Promise.withResolvers<void>();
  const events = new EventTarget();
  events.addEventListener("pdu-received", (event) => {
    if (event instanceof AssociationEvent && event.pdu?.type === "A-RELEASE-RQ") {
      releaseReceived.resolve();
    }
  });
  // A release is no C-CANCEL: as FindService does, answer Cancel (FE00) if
  // the signal says so; it must not.
  const slowEcho: RequestHandler<"C-ECHO-RQ"> = async (_request, context) => {
    entered.resolve();
    await gate.promise;
    await context.respond({ status: context.signal.aborted ? 0xfe00 : 0 });
  };
  await using scp = new ServiceProvider(
    { supportedAbstractSyntaxes: [], handlers: { "C-ECHO-RQ": slowEcho } },
    { hostname: HOST, port: 0, events },
  );
  const { rest } = await pipelinedRelease(scp.port);
  // The handler is busy and the A-RELEASE-RQ has arrived: only now may it answer.
  await Promise.all([entered.promise, releaseReceived.promise]);
  gate.resolve();
  assertEquals(describe(await rest), ["C-ECHO-RSP 7 0", "A-RELEASE-RP"]);
});

Deno.test("serveAssociations() answers the A-RELEASE-RQ of a handler that returns early at once", async () => {
  await using server = serveAssociations({ hostname: HOST, port: 0 }, () => {});
  const conn = await Deno.connect({ hostname: HOST, port: server.addr.port });
  const reader = new PduReader(conn);
  await conn.write(encodePdu(associateRq()));
  assertEquals((await reader.next())?.type, "A-ASSOCIATE-AC");
  await conn.write(encodePdu({ type: "A-RELEASE-RQ" }));
  assertEquals((await reader.rest(conn)).map((pdu) => pdu.type), ["A-RELEASE-RP"]);
});
