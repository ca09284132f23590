// A peer that stops reading cannot hold a write forever (issue 11, item 6):
// once a PDU has waited writeTimeout ms to be taken by the transport, the
// connection is closed (there is no way to send an A-ABORT to a peer that
// reads nothing: PS3.8 §7.4 A-P-ABORT) and whatever waits on the association
// fails with a WriteTimeoutError.
import { decodePdu, encodePdu, type Pdu } from "../pdu/mod.ts";
import { AssociationEvent, connect, WriteTimeoutError } from "../association/mod.ts";
import { Dataset, encodeDataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { encodeCommand, fragmentBytes, STATUS } from "../dimse/mod.ts";
import { ServiceProvider, store } from "../service/mod.ts";
import { echo } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { associateAc, EventLog } from "./association_helpers.ts";
import { ctDataset, HOST, randomUid, withDeadline } from "./_storage_corpus.ts";

/** Far more than loopback's socket buffers hold on both ends together. */
const LARGE = 32 << 20;
const WRITE_TIMEOUT = 300;
/** Only a hang reaches it: without the limit the write waits for ever. */
const DEADLINE = 10_000;

/** Reads one whole PDU from `reader`. */
async function readPdu(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Pdu> {
  let buffer = new Uint8Array(0);
  for (;;) {
    const result = decodePdu(buffer, 0, { maxPduLength: 0 });
    if (result.complete) return result.pdu;
    const { value, done } = await reader.read();
    if (done) throw new Error("The requestor closed the connection before its A-ASSOCIATE-RQ");
    const joined = new Uint8Array(buffer.length + value.length);
    joined.set(buffer);
    joined.set(value, buffer.length);
    buffer = joined;
  }
}

/**
 * An acceptor that accepts every proposed context with its first transfer
 * syntax, then never reads again; it keeps the connection open until disposed.
 */
class DeafAcceptor implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: HOST, port: 0 });
  readonly #conns: Deno.Conn[] = [];
  readonly accepted: Promise<void>;

  constructor() {
    this.accepted = (async () => {
      const conn = await this.#listener.accept();
      this.#conns.push(conn);
      const reader = conn.readable.getReader();
      const rq = await readPdu(reader);
      assert(rq.type === "A-ASSOCIATE-RQ", `${rq.type} instead of A-ASSOCIATE-RQ`);
      reader.releaseLock();
      const ac = associateAc({
        calledAeTitle: rq.calledAeTitle,
        callingAeTitle: rq.callingAeTitle,
        presentationContexts: rq.presentationContexts.map((pc) => ({
          id: pc.id,
          result: 0,
          transferSyntax: pc.transferSyntaxes[0]!,
        })),
      });
      const writer = conn.writable.getWriter();
      await writer.write(encodePdu(ac));
      writer.releaseLock();
    })();
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* Closed by the test. */ }
    }
    await this.accepted.catch(() => {});
  }
}

Deno.test("store() to a peer that stops reading fails with WriteTimeoutError within writeTimeout", async () => {
  await using peer = new DeafAcceptor();
  const started = performance.now();
  const summary = await withDeadline(
    store(HOST, peer.port, [ctDataset(randomUid(), LARGE)], {
      writeTimeout: WRITE_TIMEOUT,
      maxPduLength: 16384,
    }),
    DEADLINE,
    "store() to a peer that does not read",
  );
  await peer.accepted;
  assertEquals(summary.failed, 1);
  const error = summary.results[0]!.error;
  assert(
    error instanceof WriteTimeoutError,
    `${error?.name}: ${error?.message} instead of a WriteTimeoutError`,
  );
  assertEquals(error.timeout, WRITE_TIMEOUT);
  assert(performance.now() - started < DEADLINE / 2, "took too long");
});

Deno.test("a ServiceProvider whose requestor stops reading ends that association after writeTimeout and serves the next", async () => {
  const log = new EventLog(["aborted"]);
  let handlerEnded!: () => void;
  const ended = new Promise<void>((resolve) => handlerEnded = resolve);
  /** A match's bytes, sent as they are: nobody decodes them here. */
  const identifier = new Uint8Array(1 << 20);
  await using provider = new ServiceProvider({
    supportedAbstractSyntaxes: [{
      abstractSyntax: Uid.StudyRootQueryRetrieveInformationModelFind,
      transferSyntaxes: [Uid.ImplicitVRLittleEndian],
    }],
    handlers: {
      "C-FIND-RQ": async (_request, context) => {
        try {
          // 64 MiB of matches: far more than the socket buffers take.
          for (let i = 0; i < 64; i++) {
            await context.respond({ status: STATUS.PENDING }, identifier);
          }
          await context.respond({ status: STATUS.SUCCESS });
        } finally {
          handlerEnded();
        }
      },
    },
  }, { hostname: HOST, port: 0, writeTimeout: WRITE_TIMEOUT, events: log.target });

  // A requestor that sends a C-FIND-RQ and reads no response: nobody reads
  // its pData, so its connection stops reading the socket.
  const deaf = await connect(HOST, provider.port, {
    presentationContexts: [{
      abstractSyntax: Uid.StudyRootQueryRetrieveInformationModelFind,
      transferSyntaxes: [Uid.ImplicitVRLittleEndian],
    }],
    artimTimeout: 1_000,
  });
  const context = deaf.findContext(Uid.StudyRootQueryRetrieveInformationModelFind);
  assert(context, "no accepted C-FIND context");
  const command = encodeCommand({
    type: "C-FIND-RQ",
    messageId: 1,
    hasDataset: true,
    affectedSopClassUid: Uid.StudyRootQueryRetrieveInformationModelFind,
    priority: 0,
  });
  const query = encodeDataset(new Dataset().set(Tag.QueryRetrieveLevel, "STUDY"));
  for (const pdv of fragmentBytes(command, context.id, true, deaf.maxPdvDataLength)) {
    await deaf.sendPData([pdv]);
  }
  for (const pdv of fragmentBytes(query, context.id, false, deaf.maxPdvDataLength)) {
    await deaf.sendPData([pdv]);
  }

  const aborted = await withDeadline(
    log.wait((e) => e instanceof AssociationEvent && e.error instanceof WriteTimeoutError),
    DEADLINE,
    "the provider's write timeout",
  ) as AssociationEvent;
  assertEquals((aborted.error as WriteTimeoutError).timeout, WRITE_TIMEOUT);
  await withDeadline(ended, DEADLINE, "the C-FIND handler's end");
  await withDeadline(deaf.abort(), DEADLINE, "the deaf requestor's abort");

  const answer = await withDeadline(echo(HOST, provider.port), DEADLINE, "the next association");
  assertEquals(answer.status, STATUS.SUCCESS);
});
