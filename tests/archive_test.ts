/**
 * The embedded archive: attribute matching as PS3.4 §C.2.2.2 states it
 * (single value, universal, wildcard, UID list, range, sequence matching,
 * multi-valued records), the derived attributes of §C.3, re-indexing and
 * directory ingestion.
 */
import {
  Archive,
  generateSampleStudies,
  matches,
  MatchingKeyError,
  matchValue,
  validateQuery,
} from "../archive/mod.ts";
import { Dataset, encodePart10 } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";

/** A record: a patient's study, with a multi-valued attribute and a sequence. */
function record(): Dataset {
  return new Dataset()
    .set(Tag.SpecificCharacterSet, "ISO_IR 192")
    .set(Tag.PatientName, "Müller^Anna")
    .set(Tag.PatientID, "1234")
    .set(Tag.StudyInstanceUID, "1.2.3.4")
    .set(Tag.StudyDate, "20240215")
    .set(Tag.StudyTime, "083015.25")
    .set(Tag.AcquisitionDateTime, "20240215083015")
    .set(Tag.AccessionNumber, "A123")
    .set(Tag.ModalitiesInStudy, ["CT", "MR"])
    .set(Tag.StudyDescription, "Chest")
    .set(Tag.ReferencedStudySequence, [
      new Dataset().set(Tag.ReferencedSOPClassUID, "1.2.840.10008.3.1.2.3.1")
        .set(Tag.ReferencedSOPInstanceUID, "9.8.7"),
      new Dataset().set(Tag.ReferencedSOPClassUID, "1.2.840.10008.3.1.2.3.1")
        .set(Tag.ReferencedSOPInstanceUID, "9.8.6"),
    ]);
}

/** A query with the given matching keys and the level, as an SCU sends it. */
function query(keys: Record<string, string | string[] | Dataset[] | null>): Dataset {
  const q = new Dataset().set(Tag.QueryRetrieveLevel, "STUDY");
  for (const [k, v] of Object.entries(keys)) q.set(k, v);
  return q;
}

const matchesRecord = (keys: Record<string, string | string[] | Dataset[] | null>) =>
  matches(query(keys), record());

// ---- C.2.2.2.1 single value matching ----

Deno.test("single value matching: a value matches exactly that value", () => {
  assert(matchesRecord({ PatientID: "1234" }));
  assert(matchesRecord({ AccessionNumber: "A123" }));
  assert(!matchesRecord({ PatientID: "123" }));
  assert(!matchesRecord({ PatientID: "12345" }));
});

Deno.test("single value matching is case-sensitive for text (and for PN, our choice)", () => {
  assert(!matchesRecord({ AccessionNumber: "a123" }));
  assert(!matchesRecord({ PatientName: "müller^anna" }));
  assert(matchesRecord({ PatientName: "Müller^Anna" }));
});

Deno.test("single value matching of DA matches that date, and an old-style YYYY.MM.DD date", () => {
  assert(matchesRecord({ StudyDate: "20240215" }));
  assert(matchesRecord({ StudyDate: "2024.02.15" }));
  assert(!matchesRecord({ StudyDate: "20240216" }));
});

Deno.test("single value matching of TM with fewer components matches the whole period it names", () => {
  assert(matchesRecord({ StudyTime: "083015.25" }));
  assert(matchesRecord({ StudyTime: "0830" }));
  assert(matchesRecord({ StudyTime: "08" }));
  assert(!matchesRecord({ StudyTime: "0831" }));
});

Deno.test("a matching key does not match a record without the attribute, or with it empty", () => {
  assert(!matchesRecord({ StudyID: "1" }));
  const r = record().set(Tag.StudyID, null);
  assert(!matches(query({ StudyID: "1" }), r));
});

// ---- C.2.2.2.3 universal matching ----

Deno.test("universal matching: an empty key matches every record, even one without the attribute", () => {
  assert(matchesRecord({ PatientID: null }));
  assert(matchesRecord({ StudyID: null, StudyDate: null, ReferencedStudySequence: [] }));
});

Deno.test("a key of only '*' is universal: it matches records without the attribute too", () => {
  assert(matchesRecord({ StudyID: "*" }));
  assert(matchesRecord({ PatientName: "*" }));
});

// ---- C.2.2.2.4 wildcard matching ----

Deno.test("wildcard matching: '*' matches any run of characters, including none", () => {
  assert(matchesRecord({ PatientName: "M*" }));
  assert(matchesRecord({ PatientName: "*Anna" }));
  assert(matchesRecord({ PatientName: "Müller^Anna*" }));
  assert(matchesRecord({ PatientName: "M*l*r^*" }));
  assert(!matchesRecord({ PatientName: "D*" }));
});

Deno.test("wildcard matching: '?' matches exactly one character, a non-ASCII one too", () => {
  assert(matchesRecord({ PatientName: "M?ller^Anna" }));
  assert(matchesRecord({ AccessionNumber: "A1?3" }));
  assert(!matchesRecord({ AccessionNumber: "A1?" }));
  assert(!matchesRecord({ AccessionNumber: "A1??3" }));
});

Deno.test("wildcard characters are literal in the VRs PS3.4 excludes (UI, DA)", () => {
  assert(!matchesRecord({ StudyInstanceUID: "1.2.*" }));
  assert(matchValue("UI", "1.2.*", "1.2.*"));
  assertThrows(() => validateQuery(query({ StudyDate: "2024*" })), MatchingKeyError);
});

Deno.test("regular expression characters in a key are literal", () => {
  const r = new Dataset().set(Tag.StudyDescription, "Chest (PA)+");
  assert(matches(query({ StudyDescription: "Chest (PA)+" }), r));
  assert(matches(query({ StudyDescription: "Chest (*)+" }), r));
  assert(!matches(query({ StudyDescription: "Chest .PA.+" }), r));
});

Deno.test("wildcard matching of a run of stars takes linear time: 10,000 '*' then 'Z' against 2,000 characters", () => {
  // The first version compiled each "*" to ".*" of a backtracking RegExp:
  // exponential in the number of stars (32 of them held an SCP for 114 s).
  const pattern = `${"*".repeat(10_000)}Z`;
  assert(!matchValue("PN", pattern, "A".repeat(2_000)));
  assert(matchValue("PN", pattern, `${"A".repeat(2_000)}Z`));
  assert(!matchesRecord({ PatientName: `${"*".repeat(32)}Z` }));
  assert(matchValue("LO", `${"*?".repeat(5_000)}A`, "A".repeat(10_000)));
});

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PS3.4 §C.2.2.2.4 spelled out as a RegExp, as the first version matched: the reference. */
function referenceWildcard(pattern: string, value: string): boolean {
  const body = [...pattern].map((c) =>
    c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  ).join("");
  return new RegExp(`^${body}$`, "s").test(value);
}

Deno.test("wildcard matching agrees with a RegExp reference on 5,000 random short patterns and values", () => {
  const next = random(20240215);
  const pick = (alphabet: readonly string[], max: number) =>
    Array.from(
      { length: Math.floor(next() * (max + 1)) },
      () => alphabet[Math.floor(next() * alphabet.length)]!,
    ).join("");
  const PATTERN = ["a", "b", "ü", ".", "*", "*", "?", "?"];
  const VALUE = ["a", "b", "ü", ".", "*", "?", "A"];
  let matched = 0;
  for (let i = 0; i < 5_000; i++) {
    const pattern = pick(PATTERN, 8);
    const value = pick(VALUE, 8);
    const expected = referenceWildcard(pattern, value);
    if (expected) matched++;
    assertEquals(
      matchValue("LO", pattern, value),
      expected,
      `pattern "${pattern}", value "${value}"`,
    );
  }
  assert(matched > 250, `only ${matched} of the cases matched: the generator is too one-sided`);
});

// ---- C.2.2.2.2 list of UID matching ----

Deno.test("list of UID matching: a record matches if its UID is any of the listed ones", () => {
  assert(matchesRecord({ StudyInstanceUID: ["9.9", "1.2.3.4"] }));
  assert(matchesRecord({ StudyInstanceUID: ["1.2.3.4", "9.9", "8.8"] }));
  assert(!matchesRecord({ StudyInstanceUID: ["9.9", "1.2.3"] }));
});

// ---- C.2.2.2.5 range matching ----

Deno.test("DA range matching: closed ranges include both ends", () => {
  assert(matchesRecord({ StudyDate: "20240101-20240301" }));
  assert(matchesRecord({ StudyDate: "20240215-20240215" }));
  assert(matchesRecord({ StudyDate: "20240215-20240301" }));
  assert(matchesRecord({ StudyDate: "20240101-20240215" }));
  assert(!matchesRecord({ StudyDate: "20240216-20240301" }));
  assert(!matchesRecord({ StudyDate: "20240101-20240214" }));
});

Deno.test("DA range matching: open ranges '-date' (on or before) and 'date-' (on or after)", () => {
  assert(matchesRecord({ StudyDate: "-20240215" }));
  assert(!matchesRecord({ StudyDate: "-20240214" }));
  assert(matchesRecord({ StudyDate: "20240215-" }));
  assert(!matchesRecord({ StudyDate: "20240216-" }));
});

Deno.test("TM range matching: an end of fewer components covers its whole period", () => {
  assert(matchesRecord({ StudyTime: "0800-0830" }));
  assert(matchesRecord({ StudyTime: "083015-" }));
  assert(matchesRecord({ StudyTime: "-0830" }));
  assert(!matchesRecord({ StudyTime: "-082959" }));
  assert(!matchesRecord({ StudyTime: "0831-" }));
});

Deno.test("DT range matching, with partial ends and open ranges", () => {
  assert(matchesRecord({ AcquisitionDateTime: "2024-2024" }));
  assert(matchesRecord({ AcquisitionDateTime: "202402-" }));
  assert(matchesRecord({ AcquisitionDateTime: "20240215083015-20240215083015" }));
  assert(matchesRecord({ AcquisitionDateTime: "-2024021508" }));
  assert(!matchesRecord({ AcquisitionDateTime: "-2024021507" }));
  assert(!matchesRecord({ AcquisitionDateTime: "20240216-" }));
});

Deno.test("a stored value that is not a valid date never matches a range, and does not throw", () => {
  const r = new Dataset().set(Tag.StudyDate, "unknown", "DA");
  assert(!matches(query({ StudyDate: "20240101-" }), r));
  assert(!matches(query({ StudyDate: "20240101" }), r));
});

Deno.test("keys of binary VRs are return keys: validateQuery() refuses a value naming the key, matches() ignores them", () => {
  for (const vr of ["OB", "OD", "OF", "OL", "OV", "OW", "UN"] as const) {
    const empty = query({ PatientID: "1234" }).set(0x0009_1001, new Uint8Array(0), vr);
    validateQuery(empty);
    assert(matches(empty, record()), vr);
    const valued = query({}).set(0x0009_1001, new Uint8Array(8), vr);
    assertThrows(
      () => validateQuery(valued),
      (e) => e instanceof MatchingKeyError && e.message.includes(`(0009,1001) (${vr})`),
    );
  }
  validateQuery(query({}).set(Tag.EncapsulatedDocument, null, "OB"));
});

Deno.test("validateQuery() refuses malformed dates, times and ranges with MatchingKeyError", () => {
  for (const bad of ["2024-01-01", "20240101-20240201-20240301", "2024XX01", "202401"]) {
    assertThrows(() => validateQuery(query({ StudyDate: bad })), MatchingKeyError, bad);
  }
  assertThrows(() => validateQuery(query({ StudyTime: "25h" })), MatchingKeyError);
  assertThrows(() => validateQuery(query({ AcquisitionDateTime: "2024-13-" })), MatchingKeyError);
  validateQuery(query({ StudyDate: "20240101-", StudyTime: "-0830", AccessionNumber: "A-1" }));
});

// ---- C.2.2.2.6 sequence matching, multi-valued attributes ----

Deno.test("sequence matching: a one-item key matches if any item of the record's sequence matches it", () => {
  const item = (uid: string) => [new Dataset().set(Tag.ReferencedSOPInstanceUID, uid)];
  assert(matchesRecord({ ReferencedStudySequence: item("9.8.6") }));
  assert(matchesRecord({ ReferencedStudySequence: item("9.8.7") }));
  assert(!matchesRecord({ ReferencedStudySequence: item("9.8.5") }));
  // Every key of the item must match the same record item.
  const both = [
    new Dataset().set(Tag.ReferencedSOPClassUID, "1.2.840.10008.3.1.2.3.1")
      .set(Tag.ReferencedSOPInstanceUID, "9.8.6"),
  ];
  assert(matchesRecord({ ReferencedStudySequence: both }));
  const wrongClass = [
    new Dataset().set(Tag.ReferencedSOPClassUID, "1.2.3")
      .set(Tag.ReferencedSOPInstanceUID, "9.8.6"),
  ];
  assert(!matchesRecord({ ReferencedStudySequence: wrongClass }));
});

Deno.test("sequence matching: an empty item, or no item, is universal", () => {
  assert(matchesRecord({ ReferencedStudySequence: [new Dataset()] }));
  assert(matchesRecord({ ReferencedStudySequence: [] }));
  assert(matchesRecord({ ReferencedSeriesSequence: [new Dataset()] }));
});

Deno.test("a multi-valued record attribute matches when any of its values does", () => {
  assert(matchesRecord({ ModalitiesInStudy: "MR" }));
  assert(matchesRecord({ ModalitiesInStudy: "CT" }));
  assert(matchesRecord({ ModalitiesInStudy: "M?" }));
  assert(!matchesRecord({ ModalitiesInStudy: "US" }));
  assert(matchesRecord({ ModalitiesInStudy: ["US", "MR"] }));
});

Deno.test("keys that are not matched (Specific Character Set, Query/Retrieve Level, Retrieve AE Title) are ignored", () => {
  const q = query({
    SpecificCharacterSet: "ISO_IR 100",
    RetrieveAETitle: "OTHER",
    PatientID: "1234",
  });
  assert(matches(q, record()));
});

Deno.test("every matching key must match (the keys are ANDed)", () => {
  assert(matchesRecord({ PatientID: "1234", StudyDate: "20240215" }));
  assert(!matchesRecord({ PatientID: "1234", StudyDate: "20240216" }));
});

// ---- the archive: derived attributes, re-indexing, ingestion ----

function sampleArchive(): { archive: Archive; datasets: Dataset[] } {
  const archive = Archive.open();
  const datasets = [
    ...generateSampleStudies({
      patients: 2,
      studiesPerPatient: 2,
      seriesPerStudy: 2,
      instancesPerSeries: 3,
      imageSize: 2,
    }),
  ];
  for (const ds of datasets) {
    archive.index(ds, `/archive/${ds.string(Tag.SOPInstanceUID)}.dcm`, EXPLICIT_LE);
  }
  return { archive, datasets };
}

Deno.test("the archive keeps one record per patient, study, series and instance", () => {
  const { archive } = sampleArchive();
  using _ = archive;
  assertEquals(archive.counts(), { patients: 2, studies: 4, series: 8, instances: 24 });
  const studies = [...archive.records("STUDY")];
  assertEquals(studies.length, 4);
  // A study record carries its patient's attributes.
  assertEquals(studies[0]!.dataset.string(Tag.PatientID), "1234");
  assert(studies[0]!.dataset.has(Tag.StudyDate));
  assert(!studies[0]!.dataset.has(Tag.Modality));
});

Deno.test("derived attributes count the related studies, series and instances (PS3.4 C.3), and give an instance's stored syntax", () => {
  const { archive } = sampleArchive();
  using _ = archive;
  const [patient] = archive.records("PATIENT", { PATIENT: ["1234"] });
  const p = archive.derived("PATIENT", patient!.key);
  assertEquals(p.string(Tag.NumberOfPatientRelatedStudies), "2");
  assertEquals(p.string(Tag.NumberOfPatientRelatedSeries), "4");
  assertEquals(p.string(Tag.NumberOfPatientRelatedInstances), "12");
  const [study] = archive.records("STUDY", { PATIENT: ["1234"] });
  const s = archive.derived("STUDY", study!.key);
  assertEquals(s.string(Tag.NumberOfStudyRelatedSeries), "2");
  assertEquals(s.string(Tag.NumberOfStudyRelatedInstances), "6");
  assertEquals(s.strings(Tag.ModalitiesInStudy), ["CT", "MR"]);
  assertEquals(s.strings(Tag.SOPClassesInStudy), [CT_IMAGE_STORAGE, MR_IMAGE_STORAGE]);
  const [series] = archive.records("SERIES", { PATIENT: ["1234"] });
  assertEquals(
    archive.derived("SERIES", series!.key).string(Tag.NumberOfSeriesRelatedInstances),
    "3",
  );
  // An instance's one derived attribute: the syntax it is stored in (PS3.4 Table C.6-4).
  const image = archive.derived("IMAGE", 1);
  assertEquals([...image].map((el) => el.tag), [Tag.AvailableTransferSyntaxUID]);
  assertEquals(image.strings(Tag.AvailableTransferSyntaxUID), [EXPLICIT_LE]);
});

Deno.test("records() decodes a patient's attributes once for its studies one after another; a level with a sequence is decoded for each record, its items parented there", () => {
  const { archive } = sampleArchive();
  using _ = archive;
  const [first, second] = archive.records("STUDY", { PATIENT: ["1234"] });
  assertEquals(first!.dataset.string(Tag.PatientID), "1234");
  assertEquals(second!.dataset.string(Tag.PatientID), "1234");
  // The same element: decoded once, shared (nothing changes an element in place).
  assert(first!.dataset.get(Tag.PatientName) === second!.dataset.get(Tag.PatientName));
  assert(first!.dataset.get(Tag.StudyInstanceUID) !== second!.dataset.get(Tag.StudyInstanceUID));

  // Two studies of a patient whose attributes hold a sequence.
  const withSequence = Archive.open();
  using __ = withSequence;
  for (const study of ["1.2.3.1", "1.2.3.2"]) {
    withSequence.index(
      new Dataset()
        .set(Tag.PatientID, "P9")
        .set(Tag.OtherPatientIDsSequence, [new Dataset().set(Tag.PatientID, "OTHER")])
        .set(Tag.StudyInstanceUID, study)
        .set(Tag.SeriesInstanceUID, `${study}.1`)
        .set(Tag.SOPInstanceUID, `${study}.1.1`)
        .set(Tag.SOPClassUID, CT_IMAGE_STORAGE),
      `/archive/${study}.dcm`,
      EXPLICIT_LE,
    );
  }
  const studies = [...withSequence.records("STUDY")];
  assertEquals(studies.length, 2);
  for (const { dataset } of studies) {
    const sequence = dataset.get(Tag.OtherPatientIDsSequence);
    assert(sequence?.kind === "sequence", "the patient's sequence is in each record");
    assertEquals(sequence.items[0]!.string(Tag.PatientID), "OTHER");
    assert(sequence.items[0]!.parent === dataset, "its item's parent is its own record");
  }
});

Deno.test("records() narrows by the unique keys given: patient ID and UID lists", () => {
  const { archive, datasets } = sampleArchive();
  using _ = archive;
  const study = datasets[0]!.string(Tag.StudyInstanceUID)!;
  const series = datasets.at(-1)!.string(Tag.SeriesInstanceUID)!;
  assertEquals([...archive.records("STUDY", { STUDY: [study] })].length, 1);
  assertEquals([...archive.records("IMAGE", { STUDY: [study] })].length, 6);
  assertEquals([...archive.records("IMAGE", { SERIES: [series] })].length, 3);
  assertEquals([...archive.records("SERIES", { PATIENT: ["nobody"] })].length, 0);
  assertEquals([...archive.records("IMAGE", { STUDY: [study], SERIES: [series] })].length, 0);
});

Deno.test("instances() lists the instances under a record for retrieval, with their files", () => {
  const { archive, datasets } = sampleArchive();
  using _ = archive;
  const [study] = archive.records("STUDY", {
    STUDY: [datasets[0]!.string(Tag.StudyInstanceUID)!],
  });
  const instances = archive.instances("STUDY", study!.key);
  assertEquals(instances.length, 6);
  assertEquals(
    instances.map((i) => i.sopInstanceUid).sort(),
    datasets.slice(0, 6).map((d) => d.string(Tag.SOPInstanceUID)!).sort(),
  );
  for (const i of instances) assertEquals(i.path, `/archive/${i.sopInstanceUid}.dcm`);
  const [patient] = archive.records("PATIENT", { PATIENT: ["1234"] });
  assertEquals(archive.instances("PATIENT", patient!.key).length, 12);
});

Deno.test("re-indexing an instance replaces its entry: its path, transfer syntax and attributes", () => {
  const { archive, datasets } = sampleArchive();
  using _ = archive;
  const ds = datasets[0]!;
  const uid = ds.string(Tag.SOPInstanceUID)!;
  ds.set(Tag.InstanceNumber, 99);
  archive.index(ds, "/elsewhere/moved.dcm", "1.2.840.10008.1.2");
  assertEquals(archive.counts(), { patients: 2, studies: 4, series: 8, instances: 24 });
  const [image] = archive.records("IMAGE", { IMAGE: [uid] });
  assertEquals(image!.dataset.string(Tag.InstanceNumber), "99");
  const [entry] = archive.instances("IMAGE", image!.key);
  assertEquals(entry!.path, "/elsewhere/moved.dcm");
  assertEquals(entry!.transferSyntax, "1.2.840.10008.1.2");
});

Deno.test("re-indexing an instance into another series moves it and drops the series left empty", () => {
  const archive = Archive.open();
  using _ = archive;
  const [ds] = generateSampleStudies({
    patients: 1,
    studiesPerPatient: 1,
    seriesPerStudy: 1,
    instancesPerSeries: 1,
  });
  archive.index(ds!, "/a.dcm", EXPLICIT_LE);
  const oldSeries = ds!.string(Tag.SeriesInstanceUID)!;
  ds!.set(Tag.SeriesInstanceUID, `${oldSeries}.9`);
  archive.index(ds!, "/a.dcm", EXPLICIT_LE);
  assertEquals(archive.counts(), { patients: 1, studies: 1, series: 1, instances: 1 });
  const [series] = archive.records("SERIES");
  assertEquals(series!.dataset.string(Tag.SeriesInstanceUID), `${oldSeries}.9`);
});

Deno.test("index() refuses a data set without the UIDs the hierarchy needs", () => {
  using archive = Archive.open();
  const ds = new Dataset().set(Tag.SOPClassUID, CT_IMAGE_STORAGE).set(Tag.SOPInstanceUID, "1.2");
  assertThrows(() => archive.index(ds, "/x.dcm", EXPLICIT_LE), TypeError);
  assertEquals(archive.counts().instances, 0);
});

Deno.test("ingestDirectory() indexes the DICOM files of a tree and skips the rest, reporting each", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archive_ingest_" });
  try {
    const datasets = [
      ...generateSampleStudies({
        patients: 1,
        studiesPerPatient: 1,
        seriesPerStudy: 2,
        instancesPerSeries: 2,
        imageSize: 2,
      }),
    ];
    await Deno.mkdir(`${dir}/a/b`, { recursive: true });
    for (const [i, ds] of datasets.entries()) {
      await Deno.writeFile(`${dir}/${i % 2 ? "a/b" : "a"}/${i}.dcm`, encodePart10(ds));
    }
    await Deno.writeTextFile(`${dir}/README.txt`, "not DICOM\n");
    await Deno.writeFile(`${dir}/a/empty`, new Uint8Array());
    await Deno.writeFile(`${dir}/a/truncated.dcm`, encodePart10(datasets[0]!).subarray(0, 150));
    await Deno.writeFile(`${dir}/a/.partial.tmp`, encodePart10(datasets[0]!));
    const reports: [string, boolean][] = [];
    using archive = Archive.open();
    const result = await archive.ingestDirectory(
      dir,
      (path, error) => reports.push([path.slice(dir.length + 1), error === undefined]),
    );
    assertEquals(result, { indexed: 4, skipped: 3 });
    assertEquals(archive.counts(), { patients: 1, studies: 1, series: 2, instances: 4 });
    assertEquals(reports.filter(([, ok]) => !ok).map(([p]) => p).sort(), [
      "README.txt",
      "a/empty",
      "a/truncated.dcm",
    ]);
    // Hidden files (a writer's temporaries) are not even looked at.
    assert(!reports.some(([p]) => p.includes(".partial")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingestDirectory() indexes in a stable (sorted) order, so instances keep it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archive_order_" });
  try {
    const datasets = [
      ...generateSampleStudies({
        patients: 1,
        studiesPerPatient: 1,
        seriesPerStudy: 1,
        instancesPerSeries: 12,
        imageSize: 2,
      }),
    ];
    for (const [i, ds] of datasets.entries()) {
      await Deno.writeFile(`${dir}/IM${String(i).padStart(3, "0")}.dcm`, encodePart10(ds));
    }
    using archive = Archive.open();
    await archive.ingestDirectory(dir);
    const [series] = archive.records("SERIES");
    assertEquals(
      archive.instances("SERIES", series!.key).map((i) => i.sopInstanceUid),
      datasets.map((d) => d.string(Tag.SOPInstanceUID)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- Timezone Offset From UTC (PS3.4 §C.2.2.2.5, §C.4.1.1.3.1) ----

Deno.test("Timezone Offset From UTC in a query is not a matching key: a study stamped -0500 matches a +0100 query", () => {
  const stamped = record().set(Tag.TimezoneOffsetFromUTC, "-0500");
  const q = query({ TimezoneOffsetFromUTC: "+0100", StudyDate: "20240215" });
  assert(matches(q, stamped));
  assert(matches(q, record())); // a record without an offset as well
  assert(!matches(query({ TimezoneOffsetFromUTC: "+0100", StudyDate: "20240216" }), stamped));
});

Deno.test("DT values that both carry a UTC offset are compared at the same offset (PS3.4 §C.2.2.2.5)", () => {
  // 08:30:15 at -0500 is 13:30:15 UTC, 14:30:15 at +0100.
  assert(matchValue("DT", "20240215143015+0100", "20240215083015-0500"));
  assert(matchValue("DT", "20240215140000+0100-20240215150000+0100", "20240215083015-0500"));
  assert(!matchValue("DT", "20240215080000-0500-20240215082959-0500", "20240215083015+0000"));
  assert(matchValue("DT", "20240215-20240215", "20240215233000-0500")); // no offset on one side
});

Deno.test("the archive keeps a study's Timezone Offset From UTC, so C-FIND answers it as a return key", () => {
  using archive = Archive.open();
  const ds = [
    ...generateSampleStudies({
      patients: 1,
      studiesPerPatient: 1,
      seriesPerStudy: 1,
      instancesPerSeries: 1,
      imageSize: 2,
    }),
  ][0]!;
  ds.set(Tag.TimezoneOffsetFromUTC, "-0500");
  archive.index(ds, "/tz.dcm", EXPLICIT_LE);
  const study = [...archive.records("STUDY")][0]!.dataset;
  assertEquals(study.string(Tag.TimezoneOffsetFromUTC), "-0500");
  assert(matches(query({ TimezoneOffsetFromUTC: "+0100" }), study));
});
