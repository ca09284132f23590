// `dcm mwl` and `dcm mwlscp` through the real entry point: the SCP in a
// child process over a folder of worklist files, queried with sequence key
// paths, readable and --json output; a garbage file dropped in is skipped
// with a warning on stderr and the next query is answered. `dcm find` takes
// the same paths.
import { Archive } from "../archive/mod.ts";
import { Dataset, encodePart10, fromDicomJson, type JsonDataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcm, ServerProcess } from "./_cli.ts";
import { HOST } from "./_qr_fixtures.ts";

function wlFile(patientId: string, modality: string, station: string): Uint8Array {
  const item = new Dataset()
    .set(Tag.SpecificCharacterSet, "ISO_IR 100")
    .set(Tag.PatientName, `PATIENT^${patientId}`)
    .set(Tag.PatientID, patientId)
    .set(Tag.ScheduledProcedureStepSequence, [
      new Dataset()
        .set(Tag.Modality, modality)
        .set(Tag.ScheduledStationAETitle, station)
        .set(Tag.ScheduledProcedureStepStartDate, "20261203"),
    ]);
  return encodePart10(item, {
    sopClassUid: Uid.ModalityWorklistInformationModelFind,
    sopInstanceUid: `1.2.3.${patientId.replace(/\D/g, "")}`,
  });
}

Deno.test("dcm mwl queries dcm mwlscp with sequence key paths; a garbage file is skipped with a warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_mwl_" });
  try {
    await Deno.writeFile(`${dir}/a.wl`, wlFile("P1", "MR", "MR1"));
    await Deno.writeFile(`${dir}/b.wl`, wlFile("P2", "CT", "CT1"));
    await using server = new ServerProcess("mwlscp", dir, ["--aet", "WLM"]);
    const port = String(await server.listening());
    const keys = [
      "-k",
      "ScheduledProcedureStepSequence[0].Modality=MR",
      "-k",
      "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
      "-k",
      "PatientID",
    ];
    const text = await dcm("mwl", HOST, port, "--call", "WLM", ...keys);
    assertEquals(text.code, 0, text.stderr);
    assertEquals(
      text.stdout.trim(),
      "#1 PatientID=P1 ScheduledProcedureStepSequence=[{Modality=MR ScheduledStationAETitle=MR1}]",
    );
    assertMatch(text.stderr, /^1 match\n/m);
    // A garbage file dropped in: skipped, logged, the query answered.
    await Deno.writeTextFile(`${dir}/c.wl`, "garbage ".repeat(40));
    const json = await dcm("mwl", HOST, port, "--call", "WLM", "--json");
    assertEquals(json.code, 0, json.stderr);
    const items = json.stdout.trim().split("\n").map((l) =>
      fromDicomJson(JSON.parse(l) as JsonDataset)
    );
    // Without -k the usual keys are asked for: both items, each with its step.
    assertEquals(items.map((d) => d.string(Tag.PatientID)).sort(), ["P1", "P2"]);
    for (const item of items) {
      assert(item.has(Tag.AccessionNumber));
      assertEquals(item.items(Tag.ScheduledProcedureStepSequence).length, 1);
    }
    await server.stderr.find(/warning: Skipping worklist file .*c\.wl/);
    assertEquals(await server.stop(), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm find takes the same sequence key paths: a Procedure Code Sequence item key matches studies", async () => {
  using archive = Archive.open();
  for (const [n, code] of [[1, "XR1"], [2, "MR7"]] as const) {
    const ds = new Dataset()
      .set(Tag.SOPClassUID, Uid.CTImageStorage)
      .set(Tag.SOPInstanceUID, `1.2.3.${n}.1.1`)
      .set(Tag.PatientID, `P${n}`)
      .set(Tag.StudyInstanceUID, `1.2.3.${n}`)
      .set(Tag.SeriesInstanceUID, `1.2.3.${n}.1`)
      .set(Tag.ProcedureCodeSequence, [
        new Dataset().set(Tag.CodeValue, code).set(Tag.CodingSchemeDesignator, "LOCAL"),
      ]);
    archive.index(ds, `/nowhere/${n}.dcm`, Uid.ExplicitVRLittleEndian);
  }
  await using scp = new QueryRetrieveScp({ hostname: HOST, port: 0, archive });
  const r = await dcm(
    "find",
    HOST,
    String(scp.port),
    "-k",
    "QueryRetrieveLevel=STUDY",
    "-k",
    "StudyInstanceUID",
    "-k",
    "ProcedureCodeSequence[0].CodeValue=MR7",
  );
  assertEquals(r.code, 0, r.stderr);
  assertMatch(
    r.stdout,
    /^#1 ProcedureCodeSequence=\[\{CodeValue=MR7 .*\}\] StudyInstanceUID=1\.2\.3\.2$/m,
  );
  assertEquals(r.stdout.trim().split("\n").length, 1);
});
