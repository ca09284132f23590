/**
 * Storage Commitment against Orthanc (a Storage Commitment Push Model SCP):
 * objects stored with our `store()`, then commitment requested for them and
 * for one never stored, with the library and with `dcm commit`. Orthanc
 * sends its report on a new association to our listener, proposing the SCP
 * role (PS3.4 J.3.3.1.3).
 */
import { Dataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { StorageCommitmentScu } from "../scu/mod.ts";
import { COMMITMENT_FAILURE_REASON, type CommitmentDelivery, store } from "../service/mod.ts";
import { assertEquals } from "./_assert.ts";
import { dcm } from "./_cli.ts";
import { orthancIgnore, startOrthanc } from "./_orthanc.ts";

import { freePort, HOST } from "./_storage_corpus.ts";
const CT = Uid.CTImageStorage;

function object(sopInstanceUid: string): Dataset {
  return new Dataset()
    .set(Tag.SOPClassUID, CT)
    .set(Tag.SOPInstanceUID, sopInstanceUid)
    .set(Tag.PatientID, "COMMIT")
    .set(Tag.PatientName, "Commit^Test")
    .set(Tag.StudyInstanceUID, "2.25.8100")
    .set(Tag.SeriesInstanceUID, "2.25.8101")
    .set(Tag.Modality, "CT");
}

Deno.test({
  name:
    "storage commitment with Orthanc: stored instances committed, a never-stored one 0112, on a new association",
  ignore: orthancIgnore(),
  async fn() {
    await using scu = await StorageCommitmentScu.open({
      aeTitle: "DCMCOMMIT",
      hostname: HOST,
      port: 0,
    });
    await using orthanc = await startOrthanc({
      modalities: { DCMCOMMIT: ["DCMCOMMIT", HOST, scu.port!] },
    });
    const summary = await store(
      HOST,
      orthanc.port,
      [object("2.25.8111"), object("2.25.8112")],
      {
        callingAeTitle: "DCMCOMMIT",
        calledAeTitle: orthanc.aeTitle,
      },
    );
    assertEquals(summary.completed, 2);
    const result = await scu.commit(HOST, orthanc.port, [
      { sopClassUid: CT, sopInstanceUid: "2.25.8111" },
      { sopClassUid: CT, sopInstanceUid: "2.25.8112" },
      { sopClassUid: CT, sopInstanceUid: "2.25.8113" },
    ], { calledAeTitle: orthanc.aeTitle, timeout: 60_000 });
    assertEquals(result.via, "new-association");
    assertEquals(result.instances.map((i) => [i.committed, i.failureReason]), [
      [true, undefined],
      [true, undefined],
      [false, COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE],
    ]);
  },
});

Deno.test({
  name: "dcm commit with Orthanc: one JSON line per instance, the summary, exit 1 when one failed",
  ignore: orthancIgnore(),
  async fn() {
    const port = freePort();
    await using orthanc = await startOrthanc({
      modalities: { DCMCOMMIT: ["DCMCOMMIT", HOST, port] },
    });
    const dir = await Deno.makeTempDir();
    try {
      const stored = object("2.25.8121");
      await store(HOST, orthanc.port, [stored], { calledAeTitle: orthanc.aeTitle });
      const { encodePart10 } = await import("../dataset/mod.ts");
      await Deno.writeFile(`${dir}/a.dcm`, encodePart10(stored));
      await Deno.writeFile(`${dir}/b.dcm`, encodePart10(object("2.25.8122")));
      const run = await dcm(
        "commit",
        HOST,
        String(orthanc.port),
        dir,
        "--port",
        String(port),
        "--aet",
        "DCMCOMMIT",
        "--call",
        orthanc.aeTitle,
        "--json",
        "--timeout",
        "60",
      );
      const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(run.code, 1, run.stderr);
      const byUid = Object.fromEntries(lines.slice(0, -1).map((l) => [l.sopInstanceUid, l]));
      assertEquals(byUid["2.25.8121"].committed, true);
      assertEquals(byUid["2.25.8122"].committed, false);
      assertEquals(byUid["2.25.8122"].failureReason, "0112");
      assertEquals(lines.at(-1), { committed: 1, failed: 1 });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "Orthanc as Storage Commitment SCU against our StorageScp: its N-ACTION answered, the report reaches it",
  ignore: orthancIgnore(),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const port = freePort();
      await using orthanc = await startOrthanc({ modalities: { DCMSCP: ["DCMSCP", HOST, port] } });
      const reported = Promise.withResolvers<CommitmentDelivery>();
      await using scp = new StorageScp({
        hostname: HOST,
        port,
        aeTitle: "DCMSCP",
        directory: dir,
        commitment: {
          requestors: { ORTHANC: { hostname: HOST, port: orthanc.port } },
          onReport: reported.resolve,
        },
      });
      await store(HOST, scp.port, [object("2.25.8131")]);
      const api = `http://${HOST}:${orthanc.httpPort}`;
      // Orthanc checks the N-ACTION-RSP (Affected SOP Class and Instance UIDs) before it answers.
      const response = await fetch(`${api}/modalities/DCMSCP/storage-commitment`, {
        method: "POST",
        body: JSON.stringify({
          DicomInstances: [[CT, "2.25.8131"], [CT, "2.25.8132"]],
        }),
      });
      const body = await response.json();
      assertEquals(response.status, 200, JSON.stringify(body));
      const delivery = await reported.promise;
      assertEquals([delivery.status, delivery.requestor], [0, "ORTHANC"]);
      const outcome = await (await fetch(`${api}${body.Path}`)).json();
      assertEquals(outcome.Status, "Failure");
      assertEquals(outcome.Success, [{ SOPClassUID: CT, SOPInstanceUID: "2.25.8131" }]);
      assertEquals(
        outcome.Failures.map((f: { SOPInstanceUID: string; FailureReason: number }) => [
          f.SOPInstanceUID,
          f.FailureReason,
        ]),
        [["2.25.8132", COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE]],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
