/**
 * C-FIND response identifiers encoded straight into bytes (issue 13): for
 * every record, in Implicit and Explicit VR Little Endian, the bytes are
 * those of the general encoder over responseFor() (PS3.4 §C.4.1.1.3.2);
 * what only the general encoder writes (sequences, Deflated and Big Endian
 * syntaxes) is handed back as a data set.
 */
import { Archive, generateSampleStudies } from "../archive/mod.ts";
import { Dataset, encodeDataset, type QueryLevel } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { search } from "../scp/_query.ts";
import { responseFor } from "../scp/_query.ts";
import { FindResponseEncoder } from "../scp/_find_response.ts";
import { assert, assertEquals } from "./_assert.ts";

const SYNTAXES = [Uid.ImplicitVRLittleEndian, Uid.ExplicitVRLittleEndian];

function archive(): Archive {
  const a = Archive.open();
  let n = 0;
  for (const ds of generateSampleStudies({ patients: 3, instancesPerSeries: 2 })) {
    if (ds.string(Tag.PatientID) === "1234") {
      ds.set(Tag.OtherPatientIDsSequence, [new Dataset().set(Tag.PatientID, "X1")]);
    }
    // A long text value: a 32-bit length in Explicit VR (UT), and an LT's 16-bit one.
    if (n === 2) ds.set(Tag.ImageComments, "c".repeat(70_000), "UT");
    ds.set(Tag.PatientComments, "odd length?"); // stored padded to even
    a.index(ds, `/nowhere/${n++}.dcm`, Uid.ExplicitVRLittleEndian);
  }
  return a;
}

const QUERIES: readonly [QueryLevel, Dataset][] = [
  [
    "STUDY",
    new Dataset().set("PatientID", "*").set("StudyInstanceUID", null, "UI").set(
      "StudyDate",
      null,
      "DA",
    ).set("PatientName", null, "PN"),
  ],
  [
    "PATIENT",
    // File-set ID (0004,1130) sorts before Specific Character Set (0008,0005).
    new Dataset().set("FileSetID", null, "CS").set("PatientName", null, "PN").set(
      "PatientID",
      null,
      "LO",
    ).set(
      "RetrieveAETitle",
      null,
      "AE",
    ).set("OtherPatientIDsSequence", []).set("PatientComments", null, "LT").set(
      "IssuerOfPatientID",
      null,
      "LO",
    ),
  ],
  [
    "IMAGE",
    new Dataset().set("SOPInstanceUID", null, "UI").set("ImageComments", null, "UT").set(
      "InstanceNumber",
      null,
      "IS",
    ).set("SpecificCharacterSet", "ISO_IR 100"),
  ],
  [
    "SERIES",
    new Dataset().set("Modality", "CT").set("SeriesInstanceUID", null, "UI").set(
      "ReferencedImageSequence",
      [new Dataset().set("ReferencedSOPInstanceUID", null, "UI")],
    ).set("SeriesNumber", null, "IS"),
  ],
];

Deno.test("FindResponseEncoder writes the bytes encodeDataset(responseFor()) writes, in Implicit and Explicit VR LE", () => {
  using a = archive();
  let fast = 0, general = 0;
  for (const [level, q] of QUERIES) {
    const query = q.set(Tag.QueryRetrieveLevel, level);
    for (const transferSyntax of SYNTAXES) {
      const encoder = new FindResponseEncoder(query, level, "ARCHIVE", transferSyntax);
      for (const record of search(a, query, level)) {
        const expected = encodeDataset(responseFor(query, record.dataset, level, "ARCHIVE"), {
          transferSyntax,
        });
        const got = encoder.encode(record.dataset);
        if (got instanceof Uint8Array) fast++;
        else general++;
        const bytes = got instanceof Uint8Array ? got : encodeDataset(got, { transferSyntax });
        assertEquals(bytes, expected, `${level} ${transferSyntax} ${record.key}`);
      }
    }
  }
  assert(fast > 0 && general > 0, `fast ${fast}, general ${general}`);
});

Deno.test("FindResponseEncoder hands back a data set for a Deflated or Big Endian context", () => {
  using a = archive();
  const [level, query] = QUERIES[0]!;
  for (const transferSyntax of [Uid.DeflatedExplicitVRLittleEndian, Uid.ExplicitVRBigEndian]) {
    const encoder = new FindResponseEncoder(query, level, "ARCHIVE", transferSyntax);
    const [record] = search(a, query, level);
    assert(encoder.encode(record!.dataset) instanceof Dataset);
  }
});

Deno.test("FindResponseEncoder writes the general encoder's bytes for a Retrieve AE Title outside ASCII too", () => {
  using a = archive();
  const level = "STUDY";
  const query = new Dataset().set(Tag.QueryRetrieveLevel, level).set("PatientID", "*")
    .set("RetrieveAETitle", null, "AE").set("StudyInstanceUID", null, "UI");
  for (const aeTitle of ["ÄRCHIVE", "ARCH\u0100VE"]) {
    for (const transferSyntax of SYNTAXES) {
      const encoder = new FindResponseEncoder(query, level, aeTitle, transferSyntax);
      let records = 0;
      for (const record of search(a, query, level)) {
        const expected = encodeDataset(responseFor(query, record.dataset, level, aeTitle), {
          transferSyntax,
        });
        const got = encoder.encode(record.dataset);
        const bytes = got instanceof Uint8Array ? got : encodeDataset(got, { transferSyntax });
        assertEquals(bytes, expected, `${aeTitle} ${transferSyntax} ${record.key}`);
        records++;
      }
      assert(records > 0);
    }
  }
});
