/**
 * Interoperability of our QueryRetrieveScp with DCMTK (issue 5): the same
 * generated corpus served by ours and by dcmqrscp gives findscu the same
 * identifiers; movescu and getscu retrieve every instance from ours byte for
 * byte; findscu's C-CANCEL stops our C-FIND early.
 *
 * Skipped without DCMTK; required in CI.
 */
import { Archive, generateSampleStudies } from "../archive/mod.ts";
import { type Dataset, decodePart10 } from "../dataset/mod.ts";
import { QueryRetrieveScp, StorageScp } from "../scp/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcmtkIgnore } from "./_peers.ts";
import { sameBytes } from "./_storage_corpus.ts";
import {
  datasetBytesOf,
  DCMTK_ENV,
  filesUnder,
  findscu,
  freePort,
  HOST,
  type SampleFile,
  startDcmqrscp,
  waitForListener,
  writeSampleCorpus,
} from "./_qr_fixtures.ts";

const OUR_AE = "OURQR";
const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";
const UTF8 = "SpecificCharacterSet=ISO_IR 192";
/**
 * Keys that are not compared: the character set and level (every response
 * carries them), Retrieve AE Title (each server names itself).
 */
const NOT_COMPARED = new Set(["SpecificCharacterSet", "QueryRetrieveLevel", "RetrieveAETitle"]);
/**
 * Keys dcmqrscp's index does not keep: it answers them empty (which PS3.4
 * §C.4.1.1.3.2 allows for optional keys). Ours are checked against the
 * corpus instead, by the cases that ask for them.
 */
const NOT_IN_DCMQRSCP_INDEX = new Set([
  "SeriesDescription",
  "SOPClassUID",
  "NumberOfPatientRelatedStudies",
  "NumberOfPatientRelatedSeries",
  "NumberOfPatientRelatedInstances",
  "NumberOfStudyRelatedSeries",
  "NumberOfStudyRelatedInstances",
  "NumberOfSeriesRelatedInstances",
  "ModalitiesInStudy",
  "SOPClassesInStudy",
]);

/** The values of the keys a query asked for, one string per identifier, sorted. */
function project(identifiers: Dataset[], keys: readonly string[]): string[] {
  const names = keys.map((k) => k.split("=")[0]!).filter((k) =>
    !NOT_COMPARED.has(k) && !NOT_IN_DCMQRSCP_INDEX.has(k)
  );
  return identifiers.map((ds) =>
    names.map((n) => `${n}=${ds.strings(n).map((v) => v.trim()).join("\\")}`).join(" | ")
  ).sort();
}

interface FindCase {
  readonly name: string;
  readonly model: "-P" | "-S" | "-O";
  readonly keys: readonly string[];
  /** How many matches the generated corpus has. */
  readonly expected: number;
  /**
   * Where dcmqrscp answers differently: how many matches it gives and why.
   * Then ours are checked against `expected` and the corpus only.
   */
  readonly dcmqrscpDiffers?: { readonly count: number; readonly why: string };
  /** Checks of our identifiers beyond the comparison (keys dcmqrscp does not keep). */
  readonly check?: (ours: Dataset[]) => void;
}

/** The cases, written against the corpus of writeSampleCorpus() (10 × 2 × 2 × 10). */
function findCases(files: readonly SampleFile[]): FindCase[] {
  const studies = [...new Set(files.map((f) => f.studyInstanceUid))];
  const study = files[0]!.studyInstanceUid;
  const series = [
    ...new Set(files.filter((f) => f.studyInstanceUid === study).map((f) => f.seriesInstanceUid)),
  ];
  const images = files.filter((f) => f.seriesInstanceUid === series[0]).map((f) =>
    f.sopInstanceUid
  );
  const patientKeys = ["PatientName", "PatientID", "PatientBirthDate", "PatientSex"];
  const studyKeys = [
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "StudyID",
    "StudyDescription",
    "ReferringPhysicianName",
    "PatientName",
    "PatientID",
  ];
  return [
    {
      name: "PATIENT level, every patient with the patient return keys",
      model: "-P",
      keys: ["QueryRetrieveLevel=PATIENT", ...patientKeys],
      expected: 10,
    },
    {
      name: "PATIENT level, derived NumberOfPatientRelated* keys",
      model: "-P",
      keys: [
        "QueryRetrieveLevel=PATIENT",
        "PatientID=1234",
        "NumberOfPatientRelatedStudies",
        "NumberOfPatientRelatedSeries",
        "NumberOfPatientRelatedInstances",
      ],
      expected: 1,
      check: ([ds]) => {
        assertEquals(ds!.string("NumberOfPatientRelatedStudies"), "2");
        assertEquals(ds!.string("NumberOfPatientRelatedSeries"), "4");
        assertEquals(ds!.string("NumberOfPatientRelatedInstances"), "40");
      },
    },
    {
      name: "PATIENT level, wildcard PatientName=D*",
      model: "-P",
      keys: ["QueryRetrieveLevel=PATIENT", "PatientName=D*", "PatientID", "PatientSex"],
      expected: 2, // Doe^John, Dubois^Louis
    },
    {
      name: "PATIENT level, wildcard ? in PatientName=?o?^*",
      model: "-P",
      keys: ["QueryRetrieveLevel=PATIENT", "PatientName=?o?^*", "PatientID"],
      expected: 1, // Doe^John
    },
    {
      name: "PATIENT level, wildcard on non-ASCII names PatientName=M*",
      model: "-P",
      keys: ["QueryRetrieveLevel=PATIENT", "PatientName=M*", "PatientID"],
      expected: 1, // Müller^Anna
    },
    {
      name: "PATIENT level, wildcard ? on a non-ASCII character PatientName=M?ller*",
      model: "-P",
      keys: ["QueryRetrieveLevel=PATIENT", "PatientName=M?ller*", "PatientID"],
      expected: 1, // Müller^Anna
      dcmqrscpDiffers: {
        count: 0,
        why: "PS3.4 §C.2.2.2.4: '?' matches any single character; dcmqrscp 3.6.7 " +
          "matches one byte, so it misses 'ü' (two bytes in UTF-8). We are right.",
      },
    },
    {
      name: "PATIENT level, single value PatientSex=F",
      model: "-P",
      keys: ["QueryRetrieveLevel=PATIENT", "PatientSex=F", "PatientID", "PatientName"],
      expected: 5,
    },
    {
      name: "PATIENT level, no match",
      model: "-P",
      keys: ["QueryRetrieveLevel=PATIENT", "PatientName=Nobody*", "PatientID"],
      expected: 0,
    },
    {
      name: "PATIENT level in the Patient/Study Only model",
      model: "-O",
      keys: ["QueryRetrieveLevel=PATIENT", "PatientName=*a*", "PatientID", "PatientBirthDate"],
      expected: 7,
    },
    {
      name: "STUDY level in the Patient/Study Only model, PatientID=1234",
      model: "-O",
      keys: ["QueryRetrieveLevel=STUDY", "PatientID=1234", "StudyInstanceUID", "StudyDate"],
      expected: 2,
    },
    {
      name: "STUDY level in Patient Root, PatientID=1234",
      model: "-P",
      keys: ["QueryRetrieveLevel=STUDY", "PatientID=1234", ...studyKeys.slice(0, 6)],
      expected: 2,
    },
    {
      name: "STUDY level, derived ModalitiesInStudy, SOPClassesInStudy and counts",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=STUDY",
        "PatientID=1234",
        "StudyInstanceUID",
        "ModalitiesInStudy",
        "SOPClassesInStudy",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
      ],
      expected: 2,
      check: (ours) => {
        for (const ds of ours) {
          assertEquals(ds.strings("ModalitiesInStudy"), ["CT", "MR"]);
          assertEquals(ds.strings("SOPClassesInStudy"), [CT_IMAGE_STORAGE, MR_IMAGE_STORAGE]);
          assertEquals(ds.string("NumberOfStudyRelatedSeries"), "2");
          assertEquals(ds.string("NumberOfStudyRelatedInstances"), "20");
        }
      },
    },
    {
      name: "STUDY level, ModalitiesInStudy=US matches no study (they are CT and MR)",
      model: "-S",
      keys: ["QueryRetrieveLevel=STUDY", "ModalitiesInStudy=US", "StudyInstanceUID"],
      expected: 0,
      dcmqrscpDiffers: {
        count: 20,
        why: "dcmqrscp 3.6.7 does not keep ModalitiesInStudy in its index and ignores " +
          "the key: every study matches. PS3.4 §C.6.2.1.2 makes it an optional key; an " +
          "SCP that supports it (we do) must match it.",
      },
    },
    {
      name: "STUDY level, closed date range StudyDate=20240101-20240301",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=STUDY",
        ...studyKeys.filter((k) => k !== "StudyDate"),
        "StudyDate=20240101-20240301",
      ],
      expected: 3,
    },
    {
      name: "STUDY level, open date range StudyDate=-20240201",
      model: "-S",
      keys: ["QueryRetrieveLevel=STUDY", "StudyDate=-20240201", "StudyInstanceUID"],
      expected: 2,
    },
    {
      name: "STUDY level, open date range StudyDate=20240201-",
      model: "-S",
      keys: ["QueryRetrieveLevel=STUDY", "StudyDate=20240201-", "StudyInstanceUID", "PatientID"],
      expected: 19,
    },
    {
      name: "STUDY level, single date StudyDate=20240301",
      model: "-S",
      keys: ["QueryRetrieveLevel=STUDY", "StudyDate=20240301", "StudyInstanceUID"],
      expected: 1,
    },
    {
      name: "STUDY level, time range StudyTime=0800-0859",
      model: "-S",
      keys: ["QueryRetrieveLevel=STUDY", "StudyTime=0800-0859", "StudyInstanceUID"],
      expected: 10,
    },
    {
      name: "STUDY level, UID list StudyInstanceUID=uid1\\uid2",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=STUDY",
        `StudyInstanceUID=${studies[0]}\\${studies[5]}`,
        ...studyKeys.slice(1),
      ],
      expected: 2,
    },
    {
      name: "STUDY level, wildcard AccessionNumber=A1*",
      model: "-S",
      keys: ["QueryRetrieveLevel=STUDY", "AccessionNumber=A1*", "StudyInstanceUID"],
      expected: 4, // A11, A12, A101, A102
    },
    {
      name: "SERIES level, every series with the series return keys",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=SERIES",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "Modality",
        "SeriesNumber",
        "SeriesDescription",
      ],
      expected: 40,
      check: (ours) => {
        for (const ds of ours) {
          const description = `${ds.string("Modality")} series ${ds.string("SeriesNumber")}`;
          assertEquals(ds.string("SeriesDescription"), description);
        }
      },
    },
    {
      name: "SERIES level, Modality=MR in one study",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=SERIES",
        `StudyInstanceUID=${study}`,
        "Modality=MR",
        "SeriesInstanceUID",
        "SeriesNumber",
      ],
      expected: 1,
    },
    {
      name: "SERIES level, UID list SeriesInstanceUID=uid1\\uid2",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=SERIES",
        `StudyInstanceUID=${study}`,
        `SeriesInstanceUID=${series.join("\\")}`,
        "Modality",
      ],
      expected: 2,
    },
    {
      name: "SERIES level with NumberOfSeriesRelatedInstances",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=SERIES",
        `StudyInstanceUID=${study}`,
        "SeriesInstanceUID",
        "NumberOfSeriesRelatedInstances",
      ],
      expected: 2,
      check: (ours) => {
        for (const ds of ours) assertEquals(ds.string("NumberOfSeriesRelatedInstances"), "10");
      },
    },
    {
      name: "SERIES level without the study's unique key, narrowed by PatientID",
      model: "-S",
      keys: ["QueryRetrieveLevel=SERIES", "PatientID=1234", "SeriesInstanceUID"],
      expected: 4,
      dcmqrscpDiffers: {
        count: 0,
        why: "PS3.4 §C.4.1.2.2.1 asks the SCU of a hierarchical query for the unique " +
          "key of each level above; dcmqrscp finds nothing without it ('No UID Key " +
          "found'), we search the series of the matching studies. The standard sets " +
          "no SCP behaviour for this SCU error; both are defensible.",
      },
    },
    {
      name: "IMAGE level, every instance of a series with the instance return keys",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=IMAGE",
        `StudyInstanceUID=${study}`,
        `SeriesInstanceUID=${series[0]}`,
        "SOPInstanceUID",
        "SOPClassUID",
        "InstanceNumber",
      ],
      expected: 10,
      check: (ours) => {
        const byUid = new Map(files.map((f) => [f.sopInstanceUid, f.sopClassUid]));
        for (const ds of ours) {
          assertEquals(ds.string("SOPClassUID"), byUid.get(ds.string("SOPInstanceUID")!));
        }
      },
    },
    {
      name: "IMAGE level, UID list SOPInstanceUID=uid1\\uid2\\uid3",
      model: "-S",
      keys: [
        "QueryRetrieveLevel=IMAGE",
        `StudyInstanceUID=${study}`,
        `SeriesInstanceUID=${series[0]}`,
        `SOPInstanceUID=${images.slice(2, 5).join("\\")}`,
        "InstanceNumber",
      ],
      expected: 3,
    },
    {
      name: "IMAGE level, every instance of the archive",
      model: "-S",
      keys: ["QueryRetrieveLevel=IMAGE", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"],
      expected: 400,
    },
  ];
}

Deno.test({
  name:
    "findscu gets the same identifiers from our QueryRetrieveScp as from dcmqrscp over the same corpus",
  ignore: dcmtkIgnore("dcmqrscp"),
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "qr_corpus_" });
    try {
      const files = await writeSampleCorpus(dir);
      using archive = Archive.open({ database: ":memory:" });
      await archive.ingestDirectory(dir);
      await using ours = new QueryRetrieveScp({
        hostname: HOST,
        port: 0,
        archive,
        aeTitle: OUR_AE,
      });
      await using dcmqrscp = await startDcmqrscp(dir);
      for (const c of findCases(files)) {
        await t.step(c.name, async () => {
          // The request names its character set, so dcmqrscp answers in UTF-8 (not ASCII).
          const keys = [UTF8, ...c.keys];
          const [a, b] = await Promise.all([
            findscu(ours.port, OUR_AE, keys, [c.model]),
            findscu(dcmqrscp.port, dcmqrscp.aeTitle, keys, [c.model]),
          ]);
          assertEquals(a.code, 0, a.log);
          assertEquals(b.code, 0, b.log);
          const mine = project(a.identifiers, c.keys);
          const theirs = project(b.identifiers, c.keys);
          if (c.dcmqrscpDiffers === undefined) assertEquals(mine, theirs);
          else assertEquals(b.identifiers.length, c.dcmqrscpDiffers.count, c.dcmqrscpDiffers.why);
          assertEquals(a.identifiers.length, c.expected);
          c.check?.(a.identifiers);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Runs a DCMTK tool to its end; returns its exit code and log. */
async function run(name: string, args: readonly string[]): Promise<{ code: number; log: string }> {
  const out = await new Deno.Command(name, {
    args: [...args],
    env: { ...DCMTK_ENV },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, log: decoder.decode(out.stderr) + decoder.decode(out.stdout) };
}

/** DCMTK's storescp on a free port, writing what it receives unchanged (+B) into `dir`. */
async function startStorescp(dir: string, aeTitle: string) {
  const port = freePort();
  const child = new Deno.Command("storescp", {
    args: ["+B", "-od", dir, "-aet", aeTitle, String(port)],
    env: { ...DCMTK_ENV },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForListener(port, child.status);
  } catch (e) {
    await child.status;
    throw e;
  }
  return {
    port,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/**
 * Asserts that `dir` holds exactly the `expected` instances, each with the
 * data set bytes (everything after the meta group) of its archived file.
 */
async function assertReceived(dir: string, expected: readonly SampleFile[]): Promise<void> {
  const received = new Map<string, Uint8Array>();
  for (const path of filesUnder(dir)) {
    const bytes = await datasetBytesOf(path);
    const uid = (await Deno.readFile(path).then(decodePart10)).dataset.string("SOPInstanceUID")!;
    received.set(uid, bytes);
  }
  assertEquals(
    [...received.keys()].sort(),
    expected.map((f) => f.sopInstanceUid).sort(),
  );
  for (const f of expected) {
    const want = await datasetBytesOf(f.path);
    assert(sameBytes(received.get(f.sopInstanceUid)!, want), `${f.sopInstanceUid} differs`);
  }
}

/** A temporary folder removed on dispose. */
async function tempDir(prefix: string) {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

Deno.test({
  name:
    "movescu moves every instance of a study (to DCMTK storescp) and of a patient (to our StorageScp) from ours, byte for byte, with the Move Originator",
  ignore: dcmtkIgnore("movescu"),
  async fn() {
    await using corpus = await tempDir("qr_corpus_");
    await using toDcmtk = await tempDir("qr_storescp_");
    await using toOurs = await tempDir("qr_storagescp_");
    const files = await writeSampleCorpus(corpus.path);
    using archive = Archive.open();
    await archive.ingestDirectory(corpus.path);
    await using storescp = await startStorescp(toDcmtk.path, "STORESCP");
    const originators = new Set<string>();
    await using storage = new StorageScp({
      hostname: HOST,
      port: 0,
      aeTitle: "OURSTORE",
      handleObject: async (object) => {
        originators.add(`${object.moveOriginatorAeTitle}/${object.moveOriginatorMessageId}`);
        const bytes = new Uint8Array(await new Response(object.dataset).arrayBuffer());
        await Deno.writeFile(`${toOurs.path}/${object.sopInstanceUid}`, bytes);
      },
    });
    await using ours = new QueryRetrieveScp({
      hostname: HOST,
      port: 0,
      archive,
      aeTitle: OUR_AE,
      destinations: {
        STORESCP: { hostname: HOST, port: storescp.port },
        OURSTORE: { hostname: HOST, port: storage.port },
      },
      moveParallelism: 2,
    });
    const study = files[0]!.studyInstanceUid;
    const patient = files.at(-1)!.patientId;
    const [byStudy, byPatient] = await Promise.all([
      run("movescu", [
        "-v",
        "-S",
        "-aet",
        "MOVESCU",
        "-aec",
        OUR_AE,
        "-aem",
        "STORESCP",
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        `StudyInstanceUID=${study}`,
        HOST,
        String(ours.port),
      ]),
      run("movescu", [
        "-v",
        "-P",
        "-aet",
        "MOVESCU",
        "-aec",
        OUR_AE,
        "-aem",
        "OURSTORE",
        "-k",
        "QueryRetrieveLevel=PATIENT",
        "-k",
        `PatientID=${patient}`,
        HOST,
        String(ours.port),
      ]),
    ]);
    assertEquals(byStudy.code, 0, byStudy.log);
    assertEquals(byPatient.code, 0, byPatient.log);
    assertMatch(byStudy.log, /Received Final Move Response \(Success\)/);
    assertMatch(byPatient.log, /Received Final Move Response \(Success\)/);
    await assertReceived(toDcmtk.path, files.filter((f) => f.studyInstanceUid === study));
    // Our StorageScp got bare data sets: compare them directly.
    const mine = files.filter((f) => f.patientId === patient);
    assertEquals(
      [...Deno.readDirSync(toOurs.path)].map((e) => e.name).sort(),
      mine.map((f) => f.sopInstanceUid).sort(),
    );
    for (const f of mine) {
      const got = await Deno.readFile(`${toOurs.path}/${f.sopInstanceUid}`);
      assert(sameBytes(got, await datasetBytesOf(f.path)), `${f.sopInstanceUid} differs`);
    }
    // PS3.4 C.4.2.2: each sub-operation names the C-MOVE's requestor and message.
    assertEquals(originators.size, 1);
    assertMatch([...originators][0]!, /^MOVESCU\/\d+$/);
  },
});

Deno.test({
  name:
    "getscu retrieves every instance of a study and of a patient from ours on the same association, byte for byte",
  ignore: dcmtkIgnore("getscu"),
  async fn() {
    await using corpus = await tempDir("qr_corpus_");
    await using byStudyDir = await tempDir("qr_get_study_");
    await using byPatientDir = await tempDir("qr_get_patient_");
    const files = await writeSampleCorpus(corpus.path);
    using archive = Archive.open();
    await archive.ingestDirectory(corpus.path);
    await using ours = new QueryRetrieveScp({ hostname: HOST, port: 0, archive, aeTitle: OUR_AE });
    const study = files.at(-1)!.studyInstanceUid;
    const patient = files[0]!.patientId;
    const get = (dir: string, keys: string[]) =>
      run("getscu", [
        "-v",
        "+B",
        "-od",
        dir,
        "-aet",
        "GETSCU",
        "-aec",
        OUR_AE,
        ...keys.flatMap((k) => ["-k", k]),
        HOST,
        String(ours.port),
      ]);
    const [byStudy, byPatient] = await Promise.all([
      get(byStudyDir.path, ["QueryRetrieveLevel=STUDY", `StudyInstanceUID=${study}`]),
      get(byPatientDir.path, ["-P", "QueryRetrieveLevel=PATIENT", `PatientID=${patient}`]),
    ]);
    assertEquals(byStudy.code, 0, byStudy.log);
    assertEquals(byPatient.code, 0, byPatient.log);
    await assertReceived(byStudyDir.path, files.filter((f) => f.studyInstanceUid === study));
    await assertReceived(byPatientDir.path, files.filter((f) => f.patientId === patient));
  },
});

Deno.test({
  name:
    "findscu --cancel stops our C-FIND early with status FE00, and the server serves the next association",
  ignore: dcmtkIgnore("findscu"),
  async fn() {
    // C-FIND reads only the index: 2,000 indexed instances (no files) make
    // a query that outlasts findscu's three responses and its C-CANCEL.
    using archive = Archive.open();
    let n = 0;
    for (const ds of generateSampleStudies({ instancesPerSeries: 50, imageSize: 1 })) {
      archive.index(ds, `/nowhere/${n++}.dcm`, "1.2.840.10008.1.2.1");
    }
    await using ours = new QueryRetrieveScp({ hostname: HOST, port: 0, archive, aeTitle: OUR_AE });
    const everyInstance = [
      "QueryRetrieveLevel=IMAGE",
      "StudyInstanceUID",
      "SeriesInstanceUID",
      "SOPInstanceUID",
    ];
    const cancelled = await findscu(ours.port, OUR_AE, everyInstance, [
      "-S",
      "-v",
      "--cancel",
      "3",
    ]);
    assertEquals(cancelled.code, 0, cancelled.log);
    assert(cancelled.identifiers.length >= 3, cancelled.log);
    // Stopped early: the C-CANCEL took effect long before the last match.
    assert(
      cancelled.identifiers.length < n / 2,
      `${cancelled.identifiers.length} responses of ${n}`,
    );
    assertMatch(cancelled.log, /Sending Cancel Request/);
    assertMatch(cancelled.log, /Received Final Find Response \(Cancel/);
    const after = await findscu(
      ours.port,
      OUR_AE,
      ["QueryRetrieveLevel=STUDY", "StudyInstanceUID"],
      [
        "-S",
      ],
    );
    assertEquals(after.code, 0, after.log);
    assertEquals(after.identifiers.length, 20);
  },
});

Deno.test({
  name: "the dcmqrscp fixture moves a study to a destination given as { AE: port }",
  ignore: dcmtkIgnore("dcmqrscp"),
  async fn() {
    await using corpus = await tempDir("qr_corpus_");
    const files = await writeSampleCorpus(corpus.path, {
      patients: 1,
      studiesPerPatient: 2,
      seriesPerStudy: 1,
      instancesPerSeries: 3,
    });
    const received: string[] = [];
    await using storage = new StorageScp({
      hostname: HOST,
      port: 0,
      aeTitle: "FIXTURE",
      handleObject: async (object) => {
        await object.dataset.cancel();
        received.push(object.sopInstanceUid);
      },
    });
    await using dcmqrscp = await startDcmqrscp(corpus.path, {
      destinations: { FIXTURE: storage.port },
    });
    const study = files[0]!.studyInstanceUid;
    const moved = await run("movescu", [
      "-S",
      "-aec",
      dcmqrscp.aeTitle,
      "-aem",
      "FIXTURE",
      "-k",
      "QueryRetrieveLevel=STUDY",
      "-k",
      `StudyInstanceUID=${study}`,
      HOST,
      String(dcmqrscp.port),
    ]);
    assertEquals(moved.code, 0, moved.log);
    assertEquals(
      received.sort(),
      files.filter((f) => f.studyInstanceUid === study).map((f) => f.sopInstanceUid).sort(),
    );
  },
});
