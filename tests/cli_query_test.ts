// `dcm find`, `dcm move` and `dcm get` through the real entry point, against
// our QueryRetrieveScp over a generated corpus in this process.
import { Archive } from "../archive/mod.ts";
import { decodePart10Header } from "../dataset/mod.ts";
import { DimseStatusError } from "../dimse/mod.ts";
import { QueryRetrieveScp, StorageScp } from "../scp/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { freePort, HOST, type SampleFile, writeSampleCorpus } from "./_qr_fixtures.ts";
import { dcm } from "./_cli.ts";

const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";

/** An archive of 2 patients × 2 studies × 2 series × 2 instances served by a QueryRetrieveScp. */
interface Setup extends AsyncDisposable {
  readonly files: readonly SampleFile[];
  readonly port: number;
  /** Where `DEST` (a Storage SCP registered as a move destination) writes. */
  readonly moved: string;
  /** A scratch folder for `dcm get`. */
  readonly out: string;
  /** Where the archive sends to the move destination `ME` (`dcm move --dir` listening). */
  readonly mePort: number;
}

async function setup(): Promise<Setup> {
  const root = await Deno.makeTempDir({ prefix: "cli-query-" });
  const corpus = `${root}/corpus`, moved = `${root}/moved`, out = `${root}/out`;
  await Deno.mkdir(moved);
  await Deno.mkdir(out);
  const files = await writeSampleCorpus(corpus, {
    patients: 2,
    studiesPerPatient: 2,
    seriesPerStudy: 2,
    instancesPerSeries: 2,
  });
  const archive = Archive.open();
  await archive.ingestDirectory(corpus);
  const destination = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "DEST",
    directory: moved,
  });
  // PICKY refuses MR images.
  const picky = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "PICKY",
    handleObject: async (object) => {
      await object.dataset.cancel();
      if (object.sopClassUid === MR_IMAGE_STORAGE) {
        throw new DimseStatusError("C-STORE", 0xa700, { errorComment: "no MR here" });
      }
    },
  });
  const mePort = freePort();
  const scp = new QueryRetrieveScp({
    hostname: HOST,
    port: 0,
    aeTitle: "QRSCP",
    archive,
    destinations: {
      DEST: { hostname: HOST, port: destination.port },
      PICKY: { hostname: HOST, port: picky.port },
      ME: { hostname: HOST, port: mePort },
    },
  });
  return {
    files,
    port: scp.port,
    moved,
    out,
    mePort,
    async [Symbol.asyncDispose]() {
      await scp.shutdown();
      await destination.shutdown();
      await picky.shutdown();
      archive.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

function peer(s: Setup): string[] {
  return [HOST, String(s.port), "--call", "QRSCP"];
}

/** Asserts that `dir` holds exactly the given corpus files, each data set byte-identical. */
async function assertReceived(dir: string, expected: readonly SampleFile[]) {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (!e.name.startsWith(".")) names.push(e.name);
  assertEquals(names.sort(), expected.map((f) => `${f.sopInstanceUid}.dcm`).sort());
  for (const f of expected) {
    const got = await Deno.readFile(`${dir}/${f.sopInstanceUid}.dcm`);
    const want = await Deno.readFile(f.path);
    const a = got.subarray(decodePart10Header(got).datasetOffset);
    const b = want.subarray(decodePart10Header(want).datasetOffset);
    assert(a.length === b.length && a.every((v, i) => v === b[i]), `${f.sopInstanceUid} differs`);
  }
}

Deno.test("dcm find prints one line per match with the keys asked for, and the count on stderr", async () => {
  await using s = await setup();
  const r = await dcm(
    "find",
    ...peer(s),
    "-k",
    "QueryRetrieveLevel=STUDY",
    "-k",
    "PatientID=1234",
    "-k",
    "StudyInstanceUID",
    "-k",
    "(0008,0020)",
  );
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  const studies = [
    ...new Set(s.files.filter((f) => f.patientId === "1234").map((f) => f.studyInstanceUid)),
  ];
  assertEquals(lines.length, studies.length);
  for (const [i, line] of lines.entries()) {
    assertMatch(
      line,
      new RegExp(`^#${i + 1} StudyDate=\\d{8} PatientID=1234 StudyInstanceUID=[0-9.]+$`),
    );
  }
  assertEquals(lines.map((l) => l.split("StudyInstanceUID=")[1]).sort(), studies.sort());
  assertEquals(r.stderr, `${studies.length} matches\n`);
});

Deno.test("dcm find --json prints one DICOM JSON object per line; --model patient queries Patient Root", async () => {
  await using s = await setup();
  const r = await dcm(
    "find",
    ...peer(s),
    "--json",
    "--model",
    "patient",
    "-k",
    "QueryRetrieveLevel=PATIENT",
    "-k",
    "PatientID",
    "-k",
    "PatientName",
  );
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stderr, "");
  const objects = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(
    objects.map((o) => o["00100020"].Value[0]).sort(),
    [...new Set(s.files.map((f) => f.patientId))].sort(),
  );
  for (const o of objects) {
    assertEquals(o["00080052"], { vr: "CS", Value: ["PATIENT"] });
    assertEquals(o["00100010"].vr, "PN");
    assert(typeof o["00100010"].Value[0].Alphabetic === "string");
  }
});

Deno.test("dcm move --dest sends the matches to the destination and prints the result", async () => {
  await using s = await setup();
  const study = s.files[0]!.studyInstanceUid;
  const r = await dcm(
    "move",
    ...peer(s),
    "--dest",
    "DEST",
    "-k",
    "QueryRetrieveLevel=STUDY",
    "-k",
    `StudyInstanceUID=${study}`,
  );
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "C-MOVE: 4 completed, 0 warnings, 0 failed\n");
  assertMatch(r.stderr, /^move: 4\/4 done, 0 failed$/m);
  await assertReceived(s.moved, s.files.filter((f) => f.studyInstanceUid === study));
});

Deno.test("dcm move --dir receives the matches itself on --port as our AE title, every file in the folder when it prints the result (issue 13)", async () => {
  await using s = await setup();
  const r = await dcm(
    "move",
    ...peer(s),
    ...["--aet", "ME", "--dir", s.out, "--port", String(s.mePort), "--model", "patient"],
    ...["-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID=1234"],
  );
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "C-MOVE: 8 completed, 0 warnings, 0 failed\n");
  await assertReceived(s.out, s.files.filter((f) => f.patientId === "1234"));
  // Nothing went to the other destinations.
  assertEquals([...Deno.readDirSync(s.moved)].filter((e) => !e.name.startsWith(".")), []);
});

Deno.test("dcm move --dir with a --dest other than --aet is a usage error: the objects come to our AE title", async () => {
  await using s = await setup();
  const r = await dcm(
    "move",
    ...peer(s),
    ...["--aet", "ME", "--dir", s.out, "--dest", "DEST", "-k", "QueryRetrieveLevel=STUDY"],
  );
  assertEquals(r.code, 2);
  assertMatch(
    r.stderr,
    /^dcm move: --dir receives as our AE title: --dest DEST is not --aet ME\n\nusage: dcm move /,
  );
});

Deno.test("dcm get --dir writes the matches into the folder, byte-identical to the archive", async () => {
  await using s = await setup();
  const r = await dcm(
    "get",
    ...peer(s),
    "--dir",
    s.out,
    "--model",
    "patient",
    "-k",
    "QueryRetrieveLevel=PATIENT",
    "-k",
    "PatientID=1234",
  );
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "C-GET: 8 completed, 0 warnings, 0 failed\n");
  await assertReceived(s.out, s.files.filter((f) => f.patientId === "1234"));
});

Deno.test("dcm get --fsync each flushes every file before its success and gets the same files; --fsync with another word is a usage error", async () => {
  await using s = await setup();
  const args = ["--model", "patient", "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID=1234"];
  const r = await dcm("get", ...peer(s), "--dir", s.out, "--fsync", "each", ...args);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "C-GET: 8 completed, 0 warnings, 0 failed\n");
  await assertReceived(s.out, s.files.filter((f) => f.patientId === "1234"));
  const bad = await dcm("get", ...peer(s), "--dir", s.out, "--fsync", "sometimes", ...args);
  assertEquals(bad.code, 2);
  assertMatch(
    bad.stderr,
    /^dcm get: --fsync must be each, deferred or off, not "sometimes"\n\nusage: dcm get /,
  );
});

Deno.test("dcm move --json prints progress objects, then the result", async () => {
  await using s = await setup();
  const r = await dcm(
    "move",
    ...peer(s),
    "--json",
    "--dest",
    "DEST",
    "-k",
    "QueryRetrieveLevel=SERIES",
    "-k",
    `SeriesInstanceUID=${s.files[0]!.seriesInstanceUid}`,
  );
  assertEquals(r.code, 0, r.stderr);
  const objects = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const result = objects.at(-1).result;
  assertEquals([result.method, result.completed, result.failed], ["C-MOVE", 2, 0]);
  assert(objects.slice(0, -1).every((o) => typeof o.completed === "number"));
});

Deno.test("dcm move with failed sub-operations exits 1, lists the failed instances and warns", async () => {
  await using s = await setup();
  const study = s.files[0]!.studyInstanceUid;
  const r = await dcm(
    "move",
    ...peer(s),
    "--dest",
    "PICKY",
    "-k",
    "QueryRetrieveLevel=STUDY",
    "-k",
    `StudyInstanceUID=${study}`,
  );
  assertEquals(r.code, 1, r.stderr);
  const mr = s.files.filter((f) =>
    f.studyInstanceUid === study && f.sopClassUid === MR_IMAGE_STORAGE
  ).map((f) => f.sopInstanceUid);
  const [line, failed] = r.stdout.trim().split("\n");
  assertEquals(line, "C-MOVE: 2 completed, 0 warnings, 2 failed");
  assertEquals(failed?.replace(/^failed: /, "").split(" ").sort(), mr.sort());
  assertMatch(r.stderr, /^warning: C-MOVE ended with warning B000/m);
});

Deno.test("dcm move to an unknown destination exits 1 with a one-line error", async () => {
  await using s = await setup();
  const r = await dcm(
    "move",
    ...peer(s),
    "--dest",
    "NOBODY",
    "-k",
    "QueryRetrieveLevel=STUDY",
    "-k",
    "PatientID=1234",
  );
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  assertEquals(r.stderr.split("\n").filter((l) => l !== "").length, 1, r.stderr);
  assertMatch(r.stderr, /^dcm move: C-MOVE failed: .*\(A801\).*NOBODY\n$/);
});

Deno.test("dcm find and move exit 1 with a one-line error for a failure status or an unreachable peer (saying where), 2 with the usage for a missing option", async () => {
  await using s = await setup();
  const bad = await dcm(
    "find",
    ...peer(s),
    "-k",
    "QueryRetrieveLevel=STUDY",
    "-k",
    "SeriesInstanceUID=1.2.3",
  );
  assertEquals(bad.code, 1);
  assertMatch(
    bad.stderr,
    /^dcm find: C-FIND failed: .*\(A900\): A SERIES level key is below the STUDY level\n$/,
  );
  const noLevel = await dcm("find", ...peer(s), "-k", "PatientID=1234");
  assertEquals(noLevel.code, 2);
  assertMatch(
    noLevel.stderr,
    /^dcm find: -k QueryRetrieveLevel=.* is required\n\nusage: dcm find /,
  );
  const noDest = await dcm("move", ...peer(s), "-k", "QueryRetrieveLevel=STUDY");
  assertEquals(noDest.code, 2);
  assertMatch(
    noDest.stderr,
    /^dcm move: --dest AE \(or --dir OUT\) is required\n\nusage: dcm move /,
  );
  const nobody = freePort();
  const gone = await dcm("find", HOST, String(nobody), "-k", "QueryRetrieveLevel=STUDY");
  assertEquals(gone.code, 1);
  assertEquals(gone.stderr.split("\n").filter((l) => l !== "").length, 1, gone.stderr);
  assertMatch(gone.stderr, new RegExp(`^dcm find: ${HOST}:${nobody}: .*refused`, "i"));
});

/** The modules `entry` loads before it runs (its static imports, not its dynamic ones). */
async function staticGraph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier?: string }; isDynamic?: boolean }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [...info.roots];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const d of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (d.code?.specifier && !d.isDynamic) stack.push(d.code.specifier);
    }
  }
  const root = new URL("../", import.meta.url).href;
  return [...seen].map((s) => s.startsWith(root) ? s.slice(root.length) : s);
}

Deno.test("dcm find/move/get load no store path, Storage SCP, commitment nor MPPS SCU at startup: get() imports its receiving side when it runs (issue 13)", async () => {
  const loaded = await staticGraph("../cli/query.ts");
  assert(loaded.includes("scu/query_retrieve_scu.ts"), loaded.join(" "));
  for (
    const heavy of [
      "service/store_service.ts",
      "service/file_writer.ts",
      "service/_store_journal.ts",
      "node:zlib",
      "scp/mod.ts",
      "scu/commitment_scu.ts",
      "scu/mpps_scu.ts",
    ]
  ) {
    assert(!loaded.includes(heavy), `dcm find/move/get load ${heavy} at startup`);
  }
});
