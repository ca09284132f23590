/**
 * Modality Worklist interoperability with DCMTK (issue 14): DCMTK's sample
 * worklist (/usr/share/doc/dcmtk/examples/wlistdb, dump files made into
 * worklist files with dump2dcm at test time) served by wlmscpfs and by our
 * WorklistScp; for each query (sequence matching inside the Scheduled
 * Procedure Step, wildcards, multi-valued AE titles, date ranges, date and
 * time ranges combined) `find()` and `dcm mwl --json` against wlmscpfs return
 * the items `findscu -W` returns, and `findscu -W` against WorklistScp
 * returns the same items as against wlmscpfs; DCMTK's 13 sample queries
 * (wlistqry) get the same items from both; and `find()` against Orthanc's
 * Modality Worklists plugin returns what `findscu -W` does (Orthanc 1.10
 * matches the start date and time separately, not as one range: the cases'
 * documented answers are wlmscpfs's).
 *
 * Skipped without DCMTK (or Orthanc, started by tests/_orthanc.ts, for its
 * test); required in CI.
 */
import {
  type Dataset,
  decodePart10,
  fromDicomJson,
  Identifier,
  type JsonDataset,
} from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { WorklistScp } from "../scp/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { identifierOf } from "../cli/_keys.ts";
import { assert, assertEquals } from "./_assert.ts";
import { dcmtkIgnore } from "./_peers.ts";
import { findscu, HOST } from "./_qr_fixtures.ts";
import { DcmtkServer } from "./_storage_corpus.ts";
import { dcm } from "./_cli.ts";
import { orthancIgnore, startOrthanc } from "./_orthanc.ts";

/** DCMTK's sample worklist: one dump per item, in a folder named as its AE title. */
const SAMPLES = "/usr/share/doc/dcmtk/examples/wlistdb/OFFIS";
/** DCMTK's sample worklist queries, dumps too. */
const QUERIES = "/usr/share/doc/dcmtk/examples/wlistqry";
const AE = "OFFIS";

function samplesMissing(): boolean {
  for (const tool of ["dump2dcm", "wlmscpfs", "findscu"]) if (dcmtkIgnore(tool)) return true;
  try {
    Deno.statSync(SAMPLES);
    Deno.statSync(QUERIES);
    return false;
  } catch {
    if (Deno.env.get("CI") === "true") throw new Error(`CI=true but ${SAMPLES} is missing`);
    console.warn(`skipping: DCMTK's sample worklist ${SAMPLES} is not installed`);
    return true;
  }
}

const ignore = samplesMissing();

/** Each dump of `from` made into a DICOM file `<name>.<ext>` in `to` with dump2dcm; their paths. */
async function dumpsToFiles(from: string, to: string, ext: string): Promise<string[]> {
  await Deno.mkdir(to, { recursive: true });
  const made: string[] = [];
  for await (const entry of Deno.readDir(from)) {
    if (!entry.name.endsWith(".dump")) continue;
    const path = `${to}/${entry.name.replace(/dump$/, ext)}`;
    const out = await new Deno.Command("dump2dcm", {
      args: ["-q", `${from}/${entry.name}`, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`dump2dcm: ${new TextDecoder().decode(out.stderr)}`);
    made.push(path);
  }
  return made.sort();
}

/** The sample worklist made into `*.wl` files (with wlmscpfs's lockfile) under `root/OFFIS`. */
async function sampleWorklist(root: string): Promise<void> {
  await dumpsToFiles(SAMPLES, `${root}/${AE}`, "wl");
  await Deno.writeFile(`${root}/${AE}/lockfile`, new Uint8Array(0));
}

/** The return keys every query asks for, findscu's syntax. */
const RETURN_KEYS = [
  "AccessionNumber",
  "PatientName",
  "PatientID",
  "ScheduledProcedureStepSequence[0].Modality",
  "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
  "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate",
  "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime",
  "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID",
];

/** Matching keys and the accession numbers DCMTK's sample worklist answers them with. */
const CASES: { keys: string[]; accessions: string[] }[] = [
  {
    keys: [],
    accessions: [
      "00000",
      "00001",
      "00002",
      "00003",
      "00004",
      "00005",
      "00006",
      "00007",
      "00008",
      "00009",
    ],
  },
  {
    keys: ["ScheduledProcedureStepSequence[0].Modality=CT"],
    accessions: ["00002", "00006", "00008", "00009"],
  },
  { keys: ["PatientName=HAYDN*"], accessions: ["00004", "00005", "00006"] },
  // A multi-valued AE title matches when any of its values does.
  {
    keys: ["ScheduledProcedureStepSequence[0].ScheduledStationAETitle=NN77"],
    accessions: ["00003", "00008"],
  },
  {
    keys: ["ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=19960101-19960430"],
    accessions: ["00002", "00003", "00004", "00008"],
  },
  // Date and time as one range (PS3.4 C.2.2.2.5): 3 January 14:00 to 6 April 16:00.
  {
    keys: [
      "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=19960103-19960406",
      "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime=1400-1600",
    ],
    accessions: ["00003", "00004"],
  },
  {
    keys: ["PatientID=AV35674", "ScheduledProcedureStepSequence[0].Modality=MR"],
    accessions: ["00000"],
  },
];

/** The keys of a query: the matching keys, then the return keys they do not name. */
function keysOf(matching: readonly string[]): string[] {
  const named = new Set(matching.map((k) => k.split("=")[0]));
  return [...matching, ...RETURN_KEYS.filter((k) => !named.has(k))];
}

/** An item by its key attributes, one line: what the comparison is made on. */
function signature(ds: Dataset): string {
  const step = ds.items(Tag.ScheduledProcedureStepSequence)[0];
  const of = (d: Dataset | undefined, tag: number) => d?.strings(tag).join("\\") ?? "-";
  return [
    of(ds, Tag.AccessionNumber),
    of(ds, Tag.PatientName),
    of(ds, Tag.PatientID),
    of(step, Tag.Modality),
    of(step, Tag.ScheduledStationAETitle),
    of(step, Tag.ScheduledProcedureStepStartDate),
    of(step, Tag.ScheduledProcedureStepStartTime),
    of(step, Tag.ScheduledProcedureStepID),
  ].join(" | ");
}

const sorted = (items: readonly Dataset[]) => items.map(signature).sort();

Deno.test({
  name:
    "worklist: find(), dcm mwl and findscu -W agree against wlmscpfs, and findscu -W gets the same from WorklistScp",
  ignore,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "worklist_interop_" });
    try {
      await sampleWorklist(root);
      await using wlmscpfs = await DcmtkServer.start(
        "wlmscpfs",
        (port) => ["-dfp", root, String(port)],
      );
      const warnings: string[] = [];
      await using ours = new WorklistScp({
        hostname: HOST,
        port: 0,
        aeTitle: AE,
        directory: root,
        onWarning: (m) => warnings.push(m),
      });
      await using scu = new QueryRetrieveScu(HOST, wlmscpfs.port, { calledAeTitle: AE });
      for (const c of CASES) {
        const keys = keysOf(c.keys);
        const dcmtk = await findscu(wlmscpfs.port, AE, keys, ["-W"]);
        assertEquals(dcmtk.code, 0, dcmtk.log);
        const expected = sorted(dcmtk.identifiers);
        // The sample worklist's answer, as documented above.
        assertEquals(
          dcmtk.identifiers.map((d) => d.string(Tag.AccessionNumber)).sort(),
          c.accessions,
          c.keys.join(" "),
        );
        // (a) our SCU against wlmscpfs.
        const found = await Array.fromAsync(scu.find(identifierOf("MODALITY_WORKLIST", keys)));
        assertEquals(sorted(found), expected, `find() ${c.keys.join(" ")}`);
        // (b) findscu -W against our SCP over the same files.
        const back = await findscu(ours.port, AE, keys, ["-W"]);
        assertEquals(back.code, 0, back.log);
        assertEquals(sorted(back.identifiers), expected, `WorklistScp ${c.keys.join(" ")}`);
      }
      // dcm mwl --json, one DICOM JSON object a line.
      const cli = await dcm(
        "mwl",
        HOST,
        String(wlmscpfs.port),
        "--call",
        AE,
        "--json",
        ...keysOf(CASES[1]!.keys).flatMap((k) => ["-k", k]),
      );
      assertEquals(cli.code, 0, cli.stderr);
      const lines = cli.stdout.trim().split("\n").map((l) =>
        fromDicomJson(JSON.parse(l) as JsonDataset)
      );
      const reference = await findscu(wlmscpfs.port, AE, keysOf(CASES[1]!.keys), ["-W"]);
      assertEquals(sorted(lines), sorted(reference.identifiers));
      // The lockfile is no worklist file: nothing was skipped.
      assert(warnings.length === 0, warnings.join("\n"));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

/**
 * A response by the values of what the query names: its top-level keys
 * (sequences left out), and the keys of its sequences' items in the
 * response's first item. What DCMTK adds or leaves out beyond that (it
 * expands an empty Scheduled Procedure Step item to its own list of keys and
 * drops a requested sequence the item lacks) is not compared.
 */
function signatureFor(query: Dataset, ds: Dataset): string {
  const parts: string[] = [];
  for (const key of query) {
    if (key.tag === Tag.SpecificCharacterSet) continue;
    if (key.kind !== "sequence") {
      parts.push(ds.strings(key.tag).join("\\"));
      continue;
    }
    const first = ds.items(key.tag)[0];
    for (const sub of key.items[0] ?? []) {
      if (sub.kind !== "sequence") parts.push(first?.strings(sub.tag).join("\\") ?? "-");
    }
  }
  return parts.join(" | ");
}

Deno.test({
  name:
    "worklist: DCMTK's sample queries (wlistqry) get the same items from WorklistScp as from wlmscpfs, and find() gets them from wlmscpfs",
  ignore,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "worklist_queries_" });
    try {
      await sampleWorklist(root);
      const queries = await dumpsToFiles(QUERIES, `${root}/queries`, "dcm");
      assertEquals(queries.length, 13);
      await using wlmscpfs = await DcmtkServer.start(
        "wlmscpfs",
        (port) => ["-dfp", root, String(port)],
      );
      await using ours = new WorklistScp({ hostname: HOST, port: 0, aeTitle: AE, directory: root });
      await using scu = new QueryRetrieveScu(HOST, wlmscpfs.port, { calledAeTitle: AE });
      let matched = 0;
      for (const file of queries) {
        const query = decodePart10(await Deno.readFile(file)).dataset;
        const ofEach = (items: readonly Dataset[]) =>
          items.map((d) => signatureFor(query, d)).sort();
        const dcmtk = await findscu(wlmscpfs.port, AE, [], ["-W"], [file]);
        assertEquals(dcmtk.code, 0, dcmtk.log);
        const back = await findscu(ours.port, AE, [], ["-W"], [file]);
        assertEquals(back.code, 0, back.log);
        assertEquals(ofEach(back.identifiers), ofEach(dcmtk.identifiers), file);
        const found = await Array.fromAsync(scu.find(Identifier.from("MODALITY_WORKLIST", query)));
        assertEquals(ofEach(found), ofEach(dcmtk.identifiers), `find() ${file}`);
        matched += dcmtk.identifiers.length;
      }
      // Not all empty: wlistqry0, 1, 3, 10 and 11 match all ten items, wlistqry5 six.
      assertEquals(matched, 56);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

/** Orthanc's sample Modality Worklists plugin (Debian's orthanc), if installed. */
const ORTHANC_WORKLISTS = "/usr/share/orthanc/plugins/libModalityWorklists.so";

function worklistPluginMissing(): boolean {
  try {
    Deno.statSync(ORTHANC_WORKLISTS);
    return false;
  } catch {
    if (Deno.env.get("CI") === "true") {
      throw new Error(`CI=true but Orthanc's worklist plugin ${ORTHANC_WORKLISTS} is missing`);
    }
    console.warn(`skipping: Orthanc with ${ORTHANC_WORKLISTS} is not installed`);
    return true;
  }
}

Deno.test({
  name: "worklist: find() against Orthanc's worklist plugin returns what findscu -W returns",
  ignore: orthancIgnore() || worklistPluginMissing() || samplesMissing(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "worklist_orthanc_" });
    try {
      // Orthanc's plugin reads a flat folder of *.wl files.
      await dumpsToFiles(SAMPLES, `${root}/wl`, "wl");
      await using orthanc = await startOrthanc({
        config: {
          HttpServerEnabled: false,
          DicomAlwaysAllowFindWorklist: true,
          Plugins: [ORTHANC_WORKLISTS],
          Worklists: { Enable: true, Database: `${root}/wl` },
        },
      });
      await using scu = new QueryRetrieveScu(HOST, orthanc.port, {
        calledAeTitle: orthanc.aeTitle,
      });
      let matched = 0;
      for (const c of CASES) {
        const keys = keysOf(c.keys);
        const reference = await findscu(orthanc.port, orthanc.aeTitle, keys, ["-W"]);
        assertEquals(reference.code, 0, reference.log);
        const found = await Array.fromAsync(scu.find(identifierOf("MODALITY_WORKLIST", keys)));
        assertEquals(sorted(found), sorted(reference.identifiers), `find() ${c.keys.join(" ")}`);
        matched += found.length;
      }
      assert(matched > 20, `${matched} matches`);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
