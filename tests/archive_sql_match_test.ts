/**
 * C-FIND matching in SQL (issue 13): `Archive.records(level, keys, query)`
 * narrows the records by the query's matching keys in SQL, and must keep
 * every record that matches() (PS3.4 §C.2.2.2) accepts. Each query here runs
 * both ways over a corpus of edge values (GLOB's and LIKE's special
 * characters, case, old-style dates, open ranges, multi-valued records and
 * queries, non-ASCII names, absent and empty values): the SQL path's matches
 * must be matches() over every record. Over the ASCII records, where SQL
 * judges every value, its candidates must be the matches exactly, so that a
 * translation too wide (LIKE's case folding, "_" as a wildcard) fails too.
 */
import { DatabaseSync } from "node:sqlite";
import { Archive, type ArchiveRecord, matches } from "../archive/mod.ts";
import { Dataset, type QueryLevel } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { assert, assertEquals } from "./_assert.ts";

interface Entry {
  readonly patient: Record<string, string | string[] | undefined>;
  readonly study: Record<string, string | string[] | undefined>;
  readonly modality: string;
  /** Every text value is plain ASCII: SQL judges each exactly. */
  readonly ascii: boolean;
}

const NAMES: readonly (string | string[] | undefined)[] = [
  "Doe^John",
  "doe^john",
  "DOE^JOHN",
  "Dxe^John",
  "Per%cent^A",
  "PerXcent^A",
  "Under_score^B",
  "UnderXscore^B",
  "Br[ack]et^C",
  "Brket^C",
  "Star*Name^D",
  "Q?mark^E",
  "O'Brien^Pat",
  ["A^B", "C^D"],
  "",
  undefined,
  "Müller^Anna",
  "Mueller^Anna",
];
const IDS = ["1234", "12345", "1_34", "1%34", "1x34", "ABC[1]", "ABC1"];
const DATES: readonly (string | undefined)[] = [
  "20240101",
  "20240615",
  "20241231",
  "2024.03.01",
  "20240301",
  "20250101",
  "bad",
  undefined,
  "",
];
const TIMES = ["083000", "1030", "235959.999", "103000.5", undefined];
const ACCESSIONS = ["A1", "a1", "A_1", "A%1", "AX1", "A11"];

/** A corpus that puts each edge value somewhere: one patient per name, two studies each. */
function corpus(): Entry[] {
  const out: Entry[] = [];
  NAMES.forEach((name, p) => {
    for (let s = 0; s < 2; s++) {
      const n = p * 2 + s;
      out.push({
        patient: {
          PatientName: name,
          PatientID: `${IDS[p % IDS.length]}${p >= IDS.length ? p : ""}`,
        },
        study: {
          StudyDate: DATES[n % DATES.length],
          StudyTime: TIMES[n % TIMES.length],
          AccessionNumber: ACCESSIONS[n % ACCESSIONS.length],
          // Some studies keep their dates in another offset (PS3.4 §C.2.2.2.5).
          TimezoneOffsetFromUTC: n % 3 === 0 ? "-0500" : undefined,
        },
        modality: ["CT", "MR", "ct"][n % 3]!,
        ascii: name === undefined || [name].flat().every((v) => /^[\x20-\x7e]*$/.test(v)),
      });
    }
  });
  // A study late on 31 December in New York is early on 1 January in Paris.
  out.push({
    patient: { PatientName: "Late^Night", PatientID: "9" },
    study: { StudyDate: "20231231", StudyTime: "2300", TimezoneOffsetFromUTC: "-0500" },
    modality: "CT",
    ascii: true,
  });
  return out;
}

function set(ds: Dataset, values: Record<string, string | string[] | undefined>): void {
  for (const [keyword, v] of Object.entries(values)) if (v !== undefined) ds.set(keyword, v);
}

/** An archive of the corpus, two series of two instances per study. */
function archiveOf(entries: readonly Entry[], database?: string): Archive {
  const archive = Archive.open(database === undefined ? {} : { database });
  entries.forEach((e, n) => {
    for (let r = 0; r < 2; r++) {
      for (let i = 0; i < 2; i++) {
        const ds = new Dataset().set(Tag.SpecificCharacterSet, "ISO_IR 192");
        set(ds, e.patient);
        set(ds, e.study);
        ds.set(Tag.StudyInstanceUID, `1.2.9.${n}`)
          .set(Tag.SeriesInstanceUID, `1.2.9.${n}.${r}`)
          .set(Tag.SOPInstanceUID, `1.2.9.${n}.${r}.${i}`)
          .set(Tag.SOPClassUID, Uid.CTImageStorage)
          .set(Tag.Modality, r === 0 ? e.modality : "OT")
          .set(Tag.InstanceNumber, String(i + 1));
        archive.index(ds, `/nowhere/${n}_${r}_${i}.dcm`, Uid.ExplicitVRLittleEndian);
      }
    }
  });
  return archive;
}

type Key = [keyword: string, value: string | string[], vr?: string];

/** The queries: [level, keys]. */
const QUERIES: readonly [QueryLevel, Key[]][] = [
  // PN: case-sensitive single values and wildcards (PS3.4 §C.2.2.2.1, .4).
  ...[
    "Doe^John",
    "doe^john",
    "doe*",
    "D*",
    "*o*",
    "D?e^John",
    "D?e*",
    "??e^John",
    "Per%cent*",
    "Per%cent^A",
    "Per_cent*",
    "Under_score^B",
    "Under?score^B",
    "Br[ack]et^C",
    "Br[ack]et*",
    "Br[a*",
    "*[*",
    "*]*",
    "Star*",
    "Star*Name^D",
    "Q?mark^E",
    "*^E",
    "%",
    "%*",
    "_*",
    "*'*",
    "Müller*",
    "M*ller^Anna",
    "M?ller^Anna",
    "A^B",
    "C^D",
    "A^B\\C^D",
    "*",
    "",
  ].map((v): [QueryLevel, Key[]] => ["STUDY", [["PatientName", v]]]),
  ["PATIENT", [["PatientName", ["Doe^John", "Kim*"]]]],
  ["PATIENT", [["PatientName", ["Doe^John", "doe^john"]]]],
  ["IMAGE", [["PatientName", "*e*"]]],
  // LO: the same characters in a Patient ID.
  ...["1_34", "1%34", "1?34", "1*34", "ABC[1]", "ABC[1]*", "ABC?1?", "1234", "1234*"].map((
    v,
  ): [QueryLevel, Key[]] => ["PATIENT", [["PatientID", v]]]),
  // DA: single dates, the old form, ranges open at either end (PS3.4 §C.2.2.2.5).
  ...[
    "20240101",
    "20240301",
    "2024.03.01",
    "20240101-20240630",
    "20240301-20240301",
    "-20240301",
    "20240601-",
    "20240101-20241231",
    "2024.01.01-2024.06.15",
    "-",
    "20250102-",
  ].map((v): [QueryLevel, Key[]] => ["STUDY", [["StudyDate", v]]]),
  ["STUDY", [["StudyDate", ["20240101", "20250101"]]]],
  ["SERIES", [["StudyDate", "20240101-20240630"], ["Modality", "CT"]]],
  // TM: a single time is the period it names; ranges.
  ...["0830", "10", "1030", "103000", "1030-1100", "-0900", "2359-", "083000-083000"].map((
    v,
  ): [QueryLevel, Key[]] => ["STUDY", [["StudyTime", v]]]),
  // Timezone Offset From UTC: the record's dates move first; SQL leaves them to matches().
  ["STUDY", [["StudyDate", "20240101"], ["StudyTime", "0300-0700"], [
    "TimezoneOffsetFromUTC",
    "+0100",
  ]]],
  ["STUDY", [["StudyDate", "20231231-20240101"], ["TimezoneOffsetFromUTC", "+0900"]]],
  // SH and CS.
  ...["A1", "a1", "A_1", "A%1", "A?1", "A*", "*1"].map((v): [QueryLevel, Key[]] => [
    "STUDY",
    [["AccessionNumber", v]],
  ]),
  ...["CT", "ct", "C*", "?T", "OT"].map((v): [QueryLevel, Key[]] => ["SERIES", [["Modality", v]]]),
  ["SERIES", [["Modality", ["CT", "MR"]]]],
  // Modalities in Study: derived from the series' Modality.
  ...["CT", "ct", "C*", "?R", "OT", "XA"].map((v): [QueryLevel, Key[]] => [
    "STUDY",
    [["ModalitiesInStudy", v]],
  ]),
  ["STUDY", [["ModalitiesInStudy", ["XA", "MR"]], ["PatientName", "D*"]]],
  // UI: single values and lists of UIDs (PS3.4 §C.2.2.2.2); "*" is no wildcard in a UI.
  ["STUDY", [["StudyInstanceUID", ["1.2.9.3", "1.2.9.7", "1.2.9.999"]]]],
  ["SERIES", [["SeriesInstanceUID", "1.2.9.4.1"]]],
  ["IMAGE", [["SOPInstanceUID", ["1.2.9.4.1.0", "1.2.9.5.0.1"]]]],
  ["IMAGE", [["SOPClassUID", Uid.CTImageStorage], ["InstanceNumber", "2"]]],
  // Several keys together, and a key given with another VR than the dictionary's.
  ["STUDY", [["PatientName", "D*"], ["StudyDate", "20240101-20240630"], ["AccessionNumber", "A*"]]],
  ["STUDY", [["StudyDate", "2024.03.01", "LO"]]],
  ["STUDY", [["PatientName", "*john", "LO"]]],
];

function queryOf(level: QueryLevel, keys: readonly Key[]): Dataset {
  const q = new Dataset().set(Tag.QueryRetrieveLevel, level);
  for (const [keyword, value, vr] of keys) {
    if (vr === undefined) q.set(keyword, value);
    else q.set(keyword, value, vr as "LO");
  }
  return q;
}

const describe = (level: QueryLevel, keys: readonly Key[]) =>
  `${level} ${
    keys.map(([k, v, vr]) => `${k}${vr ? `(${vr})` : ""}=${JSON.stringify(v)}`).join(" ")
  }`;

/** The keys matches() accepts among all records, and among the SQL path's candidates. */
function bothWays(archive: Archive, level: QueryLevel, query: Dataset) {
  // The derived attributes (Modalities in Study ...), as search() adds them before matches().
  const withDerived = (records: ArchiveRecord[]) => {
    for (const r of records) {
      for (const el of archive.derived(level, r.key)) r.dataset.setElement(el);
    }
    return records;
  };
  const all = withDerived([...archive.records(level)]);
  const candidates = withDerived([...archive.records(level, {}, query)]);
  return {
    expected: all.filter((r) => matches(query, r.dataset)).map((r) => r.key),
    viaSql: candidates.filter((r) => matches(query, r.dataset)).map((r) => r.key),
    candidates: candidates.map((r) => r.key),
    all: all.length,
  };
}

Deno.test("records(level, keys, query) keeps every record matches() accepts, for each SQL translation edge", () => {
  using archive = archiveOf(corpus());
  let narrowed = 0;
  for (const [level, keys] of QUERIES) {
    const { expected, viaSql, candidates, all } = bothWays(archive, level, queryOf(level, keys));
    assertEquals(viaSql, expected, describe(level, keys));
    if (candidates.length < all) narrowed++;
  }
  // The SQL path is taken: most queries narrow in SQL.
  assert(narrowed > QUERIES.length / 2, `only ${narrowed} of ${QUERIES.length} queries narrowed`);
});

Deno.test("over ASCII values, records(level, keys, query)'s candidates are exactly the matches (case-sensitive PN, '%' and '_' literal)", () => {
  using archive = archiveOf(corpus().filter((e) => e.ascii));
  for (const [level, keys] of QUERIES) {
    // Dates and times in another offset, and keys of another VR, are matches()'s alone.
    if (keys.some(([k, , vr]) => k === "TimezoneOffsetFromUTC" || vr !== undefined)) continue;
    const { expected, candidates } = bothWays(archive, level, queryOf(level, keys));
    assertEquals(candidates, expected, describe(level, keys));
  }
});

Deno.test("a PN query in another case, or with '_' or '%' in place of a character, matches nothing in SQL either", () => {
  using archive = archiveOf(corpus().filter((e) => e.ascii));
  for (const v of ["doe^JOHN", "D_e^John", "D%", "Per_cent^A", "Under%score^B"]) {
    const q = queryOf("PATIENT", [["PatientName", v]]);
    assertEquals([...archive.records("PATIENT", {}, q)].length, 0, v);
  }
});

Deno.test("records() with a query follows re-indexing: a corrected patient name matches its new value only", () => {
  using archive = archiveOf([]);
  const ds = (name: string) =>
    new Dataset().set(Tag.PatientName, name).set(Tag.PatientID, "7")
      .set(Tag.StudyInstanceUID, "1.2.3").set(Tag.SeriesInstanceUID, "1.2.3.1")
      .set(Tag.SOPInstanceUID, "1.2.3.1.1").set(Tag.SOPClassUID, Uid.CTImageStorage);
  archive.index(ds("Wrong^Name"), "/nowhere/a.dcm", Uid.ExplicitVRLittleEndian);
  archive.index(ds("Right^Name"), "/nowhere/a.dcm", Uid.ExplicitVRLittleEndian);
  const count = (name: string) =>
    [...archive.records("IMAGE", {}, queryOf("IMAGE", [["PatientName", name]]))].length;
  assertEquals(count("Wrong*"), 0);
  assertEquals(count("Right*"), 1);
});

Deno.test("a patient's name stored in another character set than its study's is left to matches()", () => {
  // The study comes in UTF-8; a later study of the same patient in Latin-1
  // replaces the patient's attributes. The first study's record reads the
  // patient's bytes with its own (UTF-8) character set, as matches() sees them.
  using archive = archiveOf([]);
  const ds = (charset: string, study: string) =>
    new Dataset().set(Tag.SpecificCharacterSet, charset).set(Tag.PatientName, "Müller^Anna")
      .set(Tag.PatientID, "7").set(Tag.StudyInstanceUID, study)
      .set(Tag.SeriesInstanceUID, `${study}.1`).set(Tag.SOPInstanceUID, `${study}.1.1`)
      .set(Tag.SOPClassUID, Uid.CTImageStorage);
  archive.index(ds("ISO_IR 192", "1.2.1"), "/nowhere/a.dcm", Uid.ExplicitVRLittleEndian);
  archive.index(ds("ISO_IR 100", "1.2.2"), "/nowhere/b.dcm", Uid.ExplicitVRLittleEndian);
  for (
    const [level, keys] of [["STUDY", [["PatientName", "M*ller^Anna"]]], ["STUDY", [[
      "PatientName",
      "M\uFFFDller*",
    ]]], ["STUDY", [["PatientName", "Müller^Anna"]]]] as [QueryLevel, Key[]][]
  ) {
    const { expected, viaSql } = bothWays(archive, level, queryOf(level, keys));
    assertEquals(viaSql, expected, describe(level, keys));
  }
});

Deno.test("an index made before match_keys existed gets them filled when opened", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/index.db`;
    archiveOf(corpus(), path).close();
    // As an index of the version before: no match_keys rows, user_version 0.
    const db = new DatabaseSync(path);
    db.exec("DELETE FROM match_keys; PRAGMA user_version = 0;");
    db.close();
    using archive = Archive.open({ database: path });
    const q = queryOf("STUDY", [["PatientName", "Doe*"], ["StudyDate", "20240101-20241231"]]);
    const { expected, viaSql } = bothWays(archive, "STUDY", q);
    assert(expected.length > 0);
    assertEquals(viaSql, expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
