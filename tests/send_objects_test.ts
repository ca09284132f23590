/**
 * sendObjects(), the send loop of store() and of the C-MOVE / C-GET SCPs
 * (issue 13): the next C-STORE request goes out as soon as the one before is
 * answered, not once the caller has taken that outcome, so that the peer
 * waits on us only for what sending takes.
 */
import { connect } from "../association/mod.ts";
import { Dataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { DimseChannel } from "../dimse/mod.ts";
import { sendObjects, ServiceProvider, StoreService } from "../service/mod.ts";
import { assertEquals } from "./_assert.ts";
import { HOST } from "./_storage_corpus.ts";

const CONTEXTS = [{
  abstractSyntax: Uid.SecondaryCaptureImageStorage,
  transferSyntaxes: [Uid.ExplicitVRLittleEndian],
}];

/** Secondary Capture data sets to send, with the facts sendObjects() takes. */
function objects(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const uid = `2.25.${1000 + i}`;
    return {
      name: uid,
      sopClassUid: Uid.SecondaryCaptureImageStorage,
      sopInstanceUid: uid,
      transferSyntax: Uid.ExplicitVRLittleEndian,
      dataset: new Dataset()
        .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
        .set(Tag.SOPInstanceUID, uid),
    };
  });
}

Deno.test("sendObjects() sends the next C-STORE request once the one before is answered, before the caller takes its outcome", async () => {
  const arrived: string[] = [];
  let second = Promise.withResolvers<void>();
  await using storage = new StoreService({
    handleObject: async (object) => {
      await object.readDataset();
      arrived.push(object.sopInstanceUid);
      if (arrived.length === 2) second.resolve();
    },
  });
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: CONTEXTS,
    handlers: { "C-STORE-RQ": storage.handler },
  }, {
    hostname: HOST,
    port: 0,
    // Without the fix nothing more comes while the caller holds the first
    // outcome: the SCP gives up on the idle association, which ends the wait.
    idleTimeout: 2000,
  });
  await using association = await connect(HOST, scp.port, { presentationContexts: CONTEXTS });
  const channel = new DimseChannel(association);
  const sent = objects(3);
  const statuses: (number | undefined)[] = [];
  let secondBeforeTaken = false;
  for await (const [object, outcome] of sendObjects(channel, sent)) {
    statuses.push(outcome.status);
    if (object === sent[0]) {
      // Hold the first outcome until the second object has reached the SCP.
      await Promise.race([second.promise, channel.closed]);
      secondBeforeTaken = arrived.length >= 2;
      second = Promise.withResolvers<void>();
    }
  }
  assertEquals(secondBeforeTaken, true);
  assertEquals(arrived, sent.map((o) => o.sopInstanceUid));
  assertEquals(statuses, [0, 0, 0]);
  await association.release();
});

Deno.test("sendObjects() sends nothing more once the caller stops, and the outstanding request still settles", async () => {
  const arrived: string[] = [];
  await using storage = new StoreService({
    handleObject: async (object) => {
      await object.readDataset();
      arrived.push(object.sopInstanceUid);
    },
  });
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: CONTEXTS,
    handlers: { "C-STORE-RQ": storage.handler },
  }, { hostname: HOST, port: 0 });
  await using association = await connect(HOST, scp.port, { presentationContexts: CONTEXTS });
  const channel = new DimseChannel(association);
  const sent = objects(5);
  for await (const [object] of sendObjects(channel, sent)) {
    if (object === sent[0]) break;
  }
  // Without a window one more request at most went out while the first outcome was taken.
  assertEquals(arrived.length <= 2, true);
  assertEquals(arrived, sent.slice(0, arrived.length).map((o) => o.sopInstanceUid));
  await association.release();
});
