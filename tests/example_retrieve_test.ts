// examples/retrieve.ts, the README's main job, run as a user runs it.
import { Archive } from "../archive/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { freePort, HOST, writeSampleCorpus } from "./_qr_fixtures.ts";

const EXAMPLE = new URL("../examples/retrieve.ts", import.meta.url).pathname;

async function runExample(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EXAMPLE, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("deno run -A examples/retrieve.ts finds patient 1234's studies, moves them with progress and prints a summary", async () => {
  const { code, stdout, stderr } = await runExample();
  assertEquals(code, 0, stderr + stdout);
  assertMatch(stdout, /^Started an archive QRSCP on port \d+ with 100 generated instances\./m);
  assertMatch(stdout, /^Storage SCP RETRIEVE listening on port \d+/m);
  // The example's archive: 2 studies for patient 1234, 2 series × 5 instances each.
  const studies = [...stdout.matchAll(/^Study (\d+): Doe\^John (\d{8}) "([^"]*)" \[CT\\MR\]$/gm)];
  assertEquals(studies.map((m) => m[1]), ["1", "2"]);
  const progress = [...stdout.matchAll(/^ {2}progress: (\d+)\/(\d+) \(failed (\d+)\)$/gm)];
  assert(progress.length >= 2, stdout);
  for (const [, , total, failed] of progress) assertEquals([total, failed], ["10", "0"]);
  assert(progress.filter((m) => m[1] === "10").length >= 2, "each study reaches 10/10");
  assertMatch(
    stdout,
    /^Summary: 2 studies found for patient 1234; 20 instances moved, 0 failed; 20 files received in /m,
  );
});

Deno.test("examples/retrieve.ts --host ... runs against an archive it did not start and exits 0", async () => {
  const corpus = await Deno.makeTempDir({ prefix: "example-retrieve-" });
  try {
    const files = await writeSampleCorpus(corpus, {
      patients: 2,
      studiesPerPatient: 2,
      seriesPerStudy: 1,
      instancesPerSeries: 3,
    });
    using archive = Archive.open();
    await archive.ingestDirectory(corpus);
    const portIn = freePort();
    await using scp = new QueryRetrieveScp({
      hostname: HOST,
      port: 0,
      aeTitle: "PACS",
      archive,
      destinations: { MYSCU: { hostname: HOST, port: portIn } },
    });
    const { code, stdout, stderr } = await runExample(
      "--host",
      HOST,
      "--port",
      String(scp.port),
      "--call",
      "PACS",
      "--aet",
      "MYSCU",
      "--patient",
      "1234",
      "--port-in",
      String(portIn),
    );
    assertEquals(code, 0, stderr + stdout);
    const moved = files.filter((f) => f.patientId === "1234").length;
    assertEquals(moved, 6);
    assert(!/Started an archive/.test(stdout));
    assertMatch(stdout, new RegExp(`^Storage SCP MYSCU listening on port ${portIn}`, "m"));
    const summary = stdout.match(
      new RegExp(
        `^Summary: 2 studies found for patient 1234; ${moved} instances moved, 0 failed; ${moved} files received in (.+)$`,
        "m",
      ),
    );
    assert(summary, stdout);
    // Against a real archive the example keeps what it received, for the user: the test does not.
    const received = [...Deno.readDirSync(summary[1]!)].filter((e) => e.name.endsWith(".dcm"));
    assertEquals(received.length, moved);
    await Deno.remove(summary[1]!, { recursive: true });
  } finally {
    await Deno.remove(corpus, { recursive: true });
  }
});

Deno.test("examples/retrieve.ts exits 1 when the patient has no studies", async () => {
  const { code, stdout } = await runExample("--patient", "NOBODY");
  assertEquals(code, 1);
  assertMatch(stdout, /^Summary: 0 studies found for patient NOBODY; 0 instances moved/m);
});
