/**
 * Cancelling while a peer is silent during association establishment (issue
 * 11, item 12): the caller is released at once, not after the ARTIM timeout
 * that the upper layer then spends waiting for the peer to close.
 */
import { Archive, generateSampleStudies } from "../archive/mod.ts";
import { AssociationAbortedError } from "../association/mod.ts";
import { Dataset, encodePart10, Identifier } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { STATUS } from "../dimse/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import { QueryRetrieveScu, store } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { HOST } from "./_qr_fixtures.ts";
import { withDeadline } from "./_storage_corpus.ts";

/** A TCP listener that accepts and never says a word, until disposed. */
function silentPeer(): Deno.NetAddr & AsyncDisposable {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch { /* closed */ }
  })();
  return Object.assign(listener.addr as Deno.NetAddr, {
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of held) conn.close();
    },
  });
}

/** Aborts once `ready` resolves: the request is under way by then, whatever the machine's speed. */
function abortWhen(ready: Promise<unknown>): AbortSignal {
  const controller = new AbortController();
  ready.then(() => controller.abort());
  return controller.signal;
}

Deno.test("store() to a peer silent after TCP connect ends at once when its signal aborts", async () => {
  await using peer = silentPeer();
  const dataset = new Dataset()
    .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
    .set(Tag.SOPInstanceUID, "2.25.41");
  const connected = Promise.withResolvers<void>();
  const events = new EventTarget();
  events.addEventListener("pdu-sent", () => connected.resolve(), { once: true });
  const error = await withDeadline(
    store(HOST, peer.port, [dataset], {
      events,
      // Before, the caller waited for the silent peer's close, up to the ARTIM timeout (30 s).
      signal: abortWhen(connected.promise),
    }).then(() => undefined, (e) => e),
    15_000,
    "store()",
  );
  assert(error instanceof AssociationAbortedError, String(error));
});

Deno.test("C-CANCEL of a C-MOVE whose destination is silent ends the C-MOVE with Cancel at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cancel-connecting-" });
  try {
    await using peer = silentPeer();
    using archive = Archive.open();
    for (
      const ds of generateSampleStudies({
        patients: 1,
        studiesPerPatient: 1,
        seriesPerStudy: 1,
        instancesPerSeries: 2,
      })
    ) {
      const path = `${dir}/${ds.string(Tag.SOPInstanceUID)}.dcm`;
      await Deno.writeFile(path, encodePart10(ds));
      archive.index(ds, path, Uid.ExplicitVRLittleEndian);
    }
    const connecting = Promise.withResolvers<void>();
    const events = new EventTarget();
    // The SCP's sub-operation association sends its A-ASSOCIATE-RQ to the silent peer.
    events.addEventListener("pdu-sent", (e) => {
      if ((e as Event & { peer?: string }).peer?.endsWith(`:${peer.port}`)) connecting.resolve();
    });
    await using scp = new QueryRetrieveScp({
      hostname: HOST,
      port: 0,
      archive,
      events,
      destinations: { SILENT: { hostname: HOST, port: peer.port } },
    });
    await using scu = new QueryRetrieveScu(HOST, scp.port);
    // Before, the C-MOVE waited out the sub-operation's ARTIM timeout (30 s).
    const result = await withDeadline(
      Promise.resolve(
        scu.move(
          new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, "*"),
          { destination: "SILENT", signal: abortWhen(connecting.promise) },
        ),
      ),
      15_000,
      "the cancelled C-MOVE",
    );
    assertEquals(result.status, STATUS.CANCEL);
    assertEquals(result.completed, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
