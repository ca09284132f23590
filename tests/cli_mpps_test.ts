// `dcm mpps create|set` against `dcm mppsscp` and `dcm qrscp --mpps`, end to
// end as a user runs them: processes of their own, what they print, their
// exit codes, and the steps kept across a restart of the server.
import { Tag } from "../dictionary/mod.ts";
import { MppsService, ProcedureStepStore } from "../scp/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcm, ServerProcess } from "./_cli.ts";
import { HOST, withDeadline } from "./_storage_corpus.ts";

const COMPLETE = [
  "-k",
  "PerformedProcedureStepStatus=COMPLETED",
  "-k",
  "PerformedSeriesSequence[0].SeriesInstanceUID=2.25.5001",
  "-k",
  "PerformedSeriesSequence[0].ProtocolName=HEAD",
];

Deno.test("dcm mpps create, then set COMPLETED, against dcm mppsscp; a further set exits 1 with 0110 and A710; the step survives a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_mpps_" });
  try {
    let uid: string;
    {
      await using server = new ServerProcess("mppsscp", dir, ["--json"]);
      const port = String(await server.listening());
      const created = await dcm(
        "mpps",
        "create",
        HOST,
        port,
        "--aet",
        "CT1",
        "-k",
        "Modality=CT",
        "-k",
        "PatientID=P-9",
        "-k",
        "PatientName=Doe^Jane",
        "-k",
        "ScheduledStepAttributesSequence[0].AccessionNumber=ACC-1",
        "--json",
      );
      assertEquals(created.code, 0, created.stderr);
      const answer = JSON.parse(created.stdout);
      uid = answer.sopInstanceUid;
      assertMatch(uid, /^2\.25\.\d+$/);
      assertEquals(answer.status, 0);
      const line = await withDeadline(server.stdout.find(/"event":"created"/), 30_000, "created");
      const event = JSON.parse(line.input!);
      assertEquals([event.sopInstanceUid, event.status, event.from], [uid, "IN PROGRESS", "CT1"]);
      // The SCU filled in what Table F.7.2-1 requires.
      assertEquals(event.dataset["00400241"].Value, ["CT1"]);
      assertEquals(event.dataset["00400270"].Value[0]["00080050"].Value, ["ACC-1"]);
      assert(event.dataset["00400270"].Value[0]["0020000D"].Value[0].startsWith("2.25."));
    }
    {
      await using server = new ServerProcess("mppsscp", dir);
      const port = String(await server.listening());
      const set = await dcm("mpps", "set", HOST, port, uid, ...COMPLETE);
      assertEquals(set.code, 0, set.stderr);
      assertEquals(set.stdout.trim(), `N-SET ${uid}: success`);
      await withDeadline(server.stdout.find(/mpps completed /), 30_000, "completed");

      const again = await dcm(
        "mpps",
        "set",
        HOST,
        port,
        uid,
        "-k",
        "PerformedProcedureStepDescription=late",
      );
      assertEquals(again.code, 1);
      assertMatch(
        again.stderr,
        /\(0110\): Performed Procedure Step Object may no longer be updated/,
      );
      assertMatch(again.stderr, /Error ID A710/);

      const unknown = await dcm("mpps", "set", HOST, port, "2.25.404", ...COMPLETE);
      assertEquals(unknown.code, 1);
      assertMatch(unknown.stderr, /\(0112\)/);

      const got = await dcm("mpps", "get", HOST, port, uid);
      assertEquals(got.code, 0, got.stderr);
      assertMatch(got.stdout, /^PerformedProcedureStepStatus=COMPLETED$/m);
      assertMatch(got.stdout, /^PatientName=Doe\^Jane$/m);
      assertMatch(got.stdout, /^PerformedSeriesSequence: 1 item$/m);
      const some = await dcm("mpps", "get", HOST, port, uid, "-k", "PatientID", "--json");
      assertEquals(some.code, 0, some.stderr);
      const json = JSON.parse(some.stdout);
      assertEquals(Object.keys(json), ["00100020"]);
      assertEquals(json["00100020"], { vr: "LO", Value: ["P-9"] });
    }
    using store = ProcedureStepStore.open({ database: `${dir}/mpps.sqlite` });
    const step = store.get(uid)!;
    assertEquals(step.status, "COMPLETED");
    assertEquals(
      step.dataset.items(Tag.PerformedSeriesSequence)[0]?.string(Tag.ProtocolName),
      "HEAD",
    );
    assert(step.dataset.string(Tag.PerformedProcedureStepEndDate)?.match(/^\d{8}$/));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm qrscp --mpps serves MPPS beside Q/R, keeping steps in ARCHIVE/.mpps.sqlite; --uid names the step", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_qrscp_mpps_" });
  try {
    {
      await using server = new ServerProcess("qrscp", dir, ["--mpps"]);
      const port = String(await server.listening());
      const created = await dcm(
        "mpps",
        "create",
        HOST,
        port,
        "-k",
        "Modality=MR",
        "--uid",
        "2.25.77",
      );
      assertEquals(created.code, 0, created.stderr);
      assertEquals(created.stdout.trim(), "2.25.77");
      await withDeadline(
        server.stdout.find(/mpps created 2\.25\.77 \(IN PROGRESS\)/),
        30_000,
        "created",
      );
      const duplicate = await dcm(
        "mpps",
        "create",
        HOST,
        port,
        "-k",
        "Modality=MR",
        "--uid",
        "2.25.77",
      );
      assertEquals(duplicate.code, 1);
      assertMatch(duplicate.stderr, /\(0111\)/);
    }
    using service = new MppsService({
      store: ProcedureStepStore.open({ database: `${dir}/.mpps.sqlite` }),
    });
    assertEquals(service.get("2.25.77")?.status, "IN PROGRESS");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm mpps refuses bad arguments with its usage, exit 2", async () => {
  for (
    const args of [
      ["mpps", "start", HOST, "104"],
      ["mpps", "create", HOST, "104"], // no Modality
      ["mpps", "create", HOST, "104", "-k", "Modality=CT", "--uid", "2.25.1", "--scp-uid"],
      ["mpps", "set", HOST, "104"],
      ["mpps", "set", HOST, "104", "2.25.1"], // nothing to set
      ["mpps", "create", HOST, "104", "-k", "Modality=CT", "-k", "PatientName[0].X=1"],
    ]
  ) {
    const r = await dcm(...args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertMatch(r.stderr, /usage: dcm mpps/);
  }
});
