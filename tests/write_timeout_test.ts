// A peer that stops reading cannot hold a write forever (issue 11, item 6):
// once a PDU has waited writeTimeout ms to be taken by the transport, the
// connection is closed (there is no way to send an A-ABORT to a peer that
// reads nothing: PS3.8 §7.4 A-P-ABORT) and whatever waits on the association
// fails with a WriteTimeoutError.
import { decodePdu, encodePdu, type Pdu } from "../pdu/mod.ts";
import { AssociationEvent, connect, WriteTimeoutError } from "../association/mod.ts";
import { Dataset, encodeDataset, encodePart10, QUERY_MODELS } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import {
  DimseChannel,
  type DimseResponse,
  encodeCommand,
  fragmentBytes,
  STATUS,
} from "../dimse/mod.ts";
import { readIdentifier, ServiceProvider, store } from "../service/mod.ts";
import { echo } from "../scu/mod.ts";
import { Archive, generateSampleStudies } from "../archive/mod.ts";
import { MoveService } from "../scp/mod.ts";
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

Deno.test("a C-MOVE whose destination stops reading ends with its final response, the failures listed (PS3.4 C.4.2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "write-timeout-" });
  using archive = Archive.open();
  const uids: string[] = [];
  for (
    const ds of generateSampleStudies({
      patients: 1,
      studiesPerPatient: 1,
      seriesPerStudy: 1,
      instancesPerSeries: 2,
    })
  ) {
    ds.set(Tag.PixelData, new Uint8Array(LARGE), "OW");
    const uid = ds.string(Tag.SOPInstanceUID)!;
    uids.push(uid);
    const path = `${dir}/${uid}.dcm`;
    await Deno.writeFile(path, encodePart10(ds));
    archive.index(ds, path, Uid.ExplicitVRLittleEndian);
  }
  await using destination = new DeafAcceptor();
  const move = new MoveService(archive, {
    destinations: { DEAF: { hostname: HOST, port: destination.port } },
    writeTimeout: WRITE_TIMEOUT,
  });
  const moveContext = {
    abstractSyntax: QUERY_MODELS.STUDY_ROOT.move,
    transferSyntaxes: [Uid.ExplicitVRLittleEndian],
  };
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [moveContext],
    handlers: { "C-MOVE-RQ": move.handler },
  }, { hostname: HOST, port: 0 });
  await using originator = await connect(HOST, scp.port, { presentationContexts: [moveContext] });
  const channel = new DimseChannel(originator);
  const context = originator.findContext(moveContext.abstractSyntax);
  assert(context, "no accepted C-MOVE context");
  const query = encodeDataset(
    new Dataset().set(Tag.QueryRetrieveLevel, "STUDY").set(Tag.StudyInstanceUID, "*"),
    { transferSyntax: Uid.ExplicitVRLittleEndian },
  );
  const responses = (async () => {
    let last: DimseResponse<"C-MOVE-RQ"> | undefined;
    for await (
      const response of channel.request(context.id, {
        type: "C-MOVE-RQ",
        hasDataset: true,
        affectedSopClassUid: moveContext.abstractSyntax,
        priority: 0,
        moveDestination: "DEAF",
      }, query)
    ) last = response;
    return last;
  })();
  try {
    const final = await withDeadline(responses, DEADLINE, "the final C-MOVE-RSP");
    assert(final, "no response");
    assertEquals(final.command.status, STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS);
    assertEquals([final.command.completed, final.command.failed], [0, 2]);
    assert(final.dataset, "no Failed SOP Instance UID List");
    const failed = await readIdentifier(final.dataset, final.transferSyntax);
    assertEquals(failed.strings(Tag.FailedSOPInstanceUIDList)?.toSorted(), uids.toSorted());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
