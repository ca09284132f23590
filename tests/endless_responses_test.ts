/**
 * A peer that answers a C-FIND with pending responses forever: the request
 * handle holds a bounded number of matches (the channel stops reading the
 * association until they are taken), `find({ maxResults })` cancels with
 * C-CANCEL-RQ and fails with {@linkcode TooManyResultsError}, and a peer
 * that goes on after the cancel is aborted instead of drained forever.
 *
 * @module
 */

import { type AssociationServer, serveAssociations } from "../association/mod.ts";
import { Dataset, Identifier, QUERY_MODELS } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import {
  type CFindRq,
  DimseChannel,
  type DimseResponse,
  type RequestHandler,
  STATUS,
} from "../dimse/mod.ts";
import { PendingRequest, RESPONSE_QUEUE_LENGTH } from "../dimse/_request.ts";
import { QueryRetrieveScu, TooManyResultsError } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { dcm } from "./_cli.ts";

const HOST = "127.0.0.1";
const STUDY_FIND = QUERY_MODELS.STUDY_ROOT.find;
const EXPLICIT_LE = "1.2.840.10008.1.2.1";

/** What the endless peer saw. */
interface EndlessLog {
  sent: number;
  cancelled: boolean;
}

/** A C-FIND SCP that answers every query with pending matches forever, C-CANCEL or not. */
function endlessPeer(log: EndlessLog): AssociationServer & { port: number } {
  const find: RequestHandler<"C-FIND-RQ"> = async (_request, context) => {
    context.signal.addEventListener("abort", () => void (log.cancelled = true));
    for (;;) {
      log.sent++;
      await context.respond(
        { status: STATUS.PENDING },
        new Dataset().set(Tag.QueryRetrieveLevel, "STUDY").set(Tag.PatientID, `P${log.sent}`),
      );
    }
  };
  const server = serveAssociations({ hostname: HOST, port: 0 }, async (association) => {
    await new DimseChannel(association, { handlers: { "C-FIND-RQ": find } }).closed;
  }, {
    supportedAbstractSyntaxes: [{ abstractSyntax: STUDY_FIND, transferSyntaxes: [EXPLICIT_LE] }],
  });
  return Object.assign(server, { port: server.addr.port });
}

Deno.test("find({ maxResults }) cancels a query past its limit and fails with TooManyResultsError; a peer that goes on is aborted", async () => {
  const log: EndlessLog = { sent: 0, cancelled: false };
  await using peer = endlessPeer(log);
  await using scu = new QueryRetrieveScu(HOST, peer.port);
  const got: Identifier[] = [];
  let error: unknown;
  try {
    for await (const match of scu.find(new Identifier("STUDY_ROOT", "STUDY"), { maxResults: 5 })) {
      got.push(match);
    }
  } catch (e) {
    error = e;
  }
  assert(error instanceof TooManyResultsError, `expected TooManyResultsError, got ${error}`);
  assertEquals(error.message, "C-FIND returned more than 5 matches; it was cancelled");
  assertEquals(got.length, 5);
  assert(log.cancelled, "the peer received no C-CANCEL-RQ");
});

Deno.test("a request handle holds at most RESPONSE_QUEUE_LENGTH responses with data sets; the channel waits until one is taken", async () => {
  const command: CFindRq & { messageId: number } = {
    type: "C-FIND-RQ",
    hasDataset: true,
    messageId: 1,
    affectedSopClassUid: STUDY_FIND,
    priority: 0,
  };
  const request = new PendingRequest(1, command, {
    sendCancel: () => Promise.resolve(),
    abort: () => Promise.resolve(),
    forget: () => {},
    timeout: 0,
  });
  const pending: DimseResponse<"C-FIND-RQ"> = {
    presentationContextId: 1,
    abstractSyntax: STUDY_FIND,
    transferSyntax: EXPLICIT_LE,
    command: {
      type: "C-FIND-RSP",
      hasDataset: true,
      messageIdBeingRespondedTo: 1,
      status: STATUS.PENDING,
      affectedSopClassUid: STUDY_FIND,
    },
    dataset: new Uint8Array(8),
  };
  for (let i = 1; i < RESPONSE_QUEUE_LENGTH; i++) {
    assertEquals(request.push(pending), undefined, `response ${i} waited`);
  }
  const full = request.push(pending);
  assert(full !== undefined, "a full queue did not make the channel wait");
  let resumed = false;
  full.then(() => resumed = true);
  await Promise.resolve();
  assertEquals(resumed, false);
  const iterator = request[Symbol.asyncIterator]();
  await iterator.next();
  await full;
  assert(resumed);
});

Deno.test("dcm find --max-results N stops a query past N matches with an error", async () => {
  const log: EndlessLog = { sent: 0, cancelled: false };
  await using peer = endlessPeer(log);
  const result = await dcm(...[
    "find",
    HOST,
    `${peer.port}`,
    "--max-results",
    "3",
    "-k",
    "QueryRetrieveLevel=STUDY",
  ]);
  assert(result.code !== 0, `exit code ${result.code}`);
  assert(/more than 3 matches/.test(result.stderr), result.stderr);
  assert(log.cancelled, "the peer received no C-CANCEL-RQ");
});
