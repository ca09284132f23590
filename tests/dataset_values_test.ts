// Values through the Dataset API, query identifiers, DA/TM/DT and PN helpers.
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  Dataset,
  decodeDataset,
  encodeDataset,
  formatDate,
  formatPersonName,
  formatTime,
  Identifier,
  parseDate,
  parseDateTime,
  parsePersonName,
  parseRange,
  parseTime,
} from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";

const EXPLICIT = "1.2.840.10008.1.2.1";

function roundTrip(ds: Dataset, transferSyntax = EXPLICIT): Dataset {
  return decodeDataset(encodeDataset(ds, { transferSyntax }), { transferSyntax });
}

Deno.test("Dataset.set() accepts numbers where the VR has a string form (DeCaMino's query.set(Tag.PatientID, 1234))", () => {
  const ds = roundTrip(
    new Dataset().set(Tag.PatientID, 1234).set(Tag.SliceThickness, 2.5).set(Tag.SeriesNumber, 7),
  );
  assertEquals(ds.string(Tag.PatientID), "1234");
  assertEquals(ds.number(Tag.SliceThickness), 2.5);
  assertEquals(ds.number(Tag.SeriesNumber), 7);
});

Deno.test("Dataset.set() refuses an IS that is not an integer and a US out of range", () => {
  assertThrows(() => new Dataset().set(Tag.SeriesNumber, 1.5), RangeError);
  assertThrows(() => encodeDataset(new Dataset().set(Tag.Rows, 70000)), RangeError);
  assertThrows(() => new Dataset().set("NotAKeyword", 1), TypeError);
});

Deno.test("DS values are written in at most 16 bytes (PS3.5 Table 6.2-1)", () => {
  const ds = roundTrip(new Dataset().set(Tag.SliceThickness, 1 / 3));
  const bytes = ds.bytes(Tag.SliceThickness)!;
  assert(bytes.length <= 16, `${bytes.length} bytes`);
  assert(Math.abs(ds.number(Tag.SliceThickness)! - 1 / 3) < 1e-12);
});

Deno.test("multi-valued strings split on backslash and are trimmed per VR; LT keeps backslashes", () => {
  const ds = roundTrip(
    new Dataset().set(Tag.ImageType, ["ORIGINAL", "PRIMARY", "AXIAL"]).set(
      Tag.ImageComments,
      "a\\b  ",
    ),
  );
  assertEquals(ds.strings(Tag.ImageType), ["ORIGINAL", "PRIMARY", "AXIAL"]);
  assertEquals(ds.strings(Tag.ImageComments), ["a\\b"]);
  assertEquals(
    encodeDataset(new Dataset().set(Tag.Modality, "CTX")).length,
    8 + 4,
    "padded to even length",
  );
});

Deno.test("binary VRs of every size survive a round trip in each byte order", () => {
  const ds = new Dataset()
    .set(Tag.DiffusionGradientOrientation, [1.5, -2.25, 0])
    .set(Tag.TagAngleSecondAxis, -5)
    .set(Tag.InStackPositionNumber, 70000)
    .set(Tag.ReferencePixelX0, -70000)
    .set(Tag.ExaminedBodyThickness, 0.5)
    .set(Tag.DimensionIndexPointer, [Tag.PatientID, Tag.StudyDate])
    .set(Tag.SelectorSVValue, [-(2n ** 40n)])
    .set(Tag.FileLengthInContainer, [2n ** 63n]);
  for (const ts of ["1.2.840.10008.1.2", EXPLICIT, "1.2.840.10008.1.2.2"]) {
    const back = roundTrip(ds, ts);
    assertEquals(back.numbers(Tag.DiffusionGradientOrientation), [1.5, -2.25, 0], ts);
    assertEquals(back.numbers(Tag.TagAngleSecondAxis), [-5], ts);
    assertEquals(back.numbers(Tag.InStackPositionNumber), [70000], ts);
    assertEquals(back.numbers(Tag.ReferencePixelX0), [-70000], ts);
    assertEquals(back.numbers(Tag.ExaminedBodyThickness), [0.5], ts);
    assertEquals(back.numbers(Tag.DimensionIndexPointer), [Tag.PatientID, Tag.StudyDate], ts);
    assertEquals(back.bigints(Tag.SelectorSVValue), [-(2n ** 40n)], ts);
    assertEquals(back.bigints(Tag.FileLengthInContainer), [2n ** 63n], ts);
  }
});

Deno.test("private elements are kept byte-exact, odd lengths included", () => {
  const odd = new Uint8Array([1, 2, 3]);
  const ds = new Dataset().set(0x00090010, "ACME 1.0", "LO").set(0x00091001, odd, "UN");
  const back = roundTrip(ds);
  assertEquals(back.string(0x00090010), "ACME 1.0");
  assertEquals(back.bytes(0x00091001), new Uint8Array([1, 2, 3, 0]));
});

Deno.test("Dataset iterates in ascending tag order whatever the insertion order", () => {
  const ds = new Dataset().set(Tag.PatientName, "B").set(Tag.Modality, "CT").set(
    Tag.PatientID,
    "1",
  );
  assertEquals(ds.tags(), [Tag.Modality, Tag.PatientName, Tag.PatientID]);
});

Deno.test("Identifier sets the Query/Retrieve Level and return keys with empty values", () => {
  const q = new Identifier("STUDY_ROOT", "STUDY").set(Tag.PatientID, 1234).request(
    Tag.StudyDate,
    Tag.StudyInstanceUID,
  );
  assertEquals(q.level, "STUDY");
  assertEquals(q.string(Tag.QueryRetrieveLevel), "STUDY");
  assertEquals(q.string(Tag.PatientID), "1234");
  assertEquals(q.has(Tag.StudyDate), true);
  assertEquals(q.strings(Tag.StudyDate), []);
  const bytes = encodeDataset(q, { transferSyntax: "1.2.840.10008.1.2" });
  const back = decodeDataset(bytes);
  assertEquals(back.get(Tag.StudyDate)?.kind, "bytes");
  assertEquals(back.bytes(Tag.StudyDate)?.length, 0);
  assertThrows(() => new Identifier("STUDY_ROOT", "PATIENT"), RangeError);
  assertThrows(() => new Identifier("PATIENT_STUDY_ONLY", "SERIES"), RangeError);
});

Deno.test("an element set with no value encodes as zero length in every VR, OB and UN included", () => {
  // Identifier.request(Tag.EncapsulatedDocument) sets null of VR OB; so does
  // a Q/R SCP answering a return key the record lacks (PS3.4 §C.4.1.1.3.2).
  for (const vr of ["OB", "UN", "OW", "OF", "OD", "OL", "OV", "LO"] as const) {
    const q = new Dataset().set(0x00091001, null, vr);
    for (const ts of ["1.2.840.10008.1.2", EXPLICIT]) {
      const back = roundTrip(q, ts);
      assertEquals(back.bytes(0x00091001)?.length, 0, `${vr} in ${ts}`);
    }
  }
  const q = new Identifier("STUDY_ROOT", "IMAGE").request(Tag.EncapsulatedDocument);
  assertEquals(roundTrip(q).get(Tag.EncapsulatedDocument)?.vr, "OB");
});

Deno.test("DA, TM and DT parse and format (PS3.5 Table 6.2-1), old ACR-NEMA forms included", () => {
  assertEquals(parseDate("20240229"), { year: 2024, month: 2, day: 29 });
  assertEquals(parseDate("1993.08.22"), { year: 1993, month: 8, day: 22 });
  assertThrows(() => parseDate("20230229"), SyntaxError);
  assertEquals(formatDate(new Date(Date.UTC(2001, 0, 2))), "20010102");
  assertEquals(parseTime("070907.0705 "), {
    hours: 7,
    minutes: 9,
    seconds: 7,
    microseconds: 70500,
  });
  assertEquals(parseTime("10"), { hours: 10 });
  assertEquals(parseTime("10:11:12"), { hours: 10, minutes: 11, seconds: 12 });
  assertThrows(() => parseTime("2500"), SyntaxError);
  assertEquals(formatTime({ hours: 1, minutes: 2, seconds: 3, microseconds: 4 }), "010203.000004");
  assertEquals(parseDateTime("20240102030405.5+0130"), {
    year: 2024,
    month: 1,
    day: 2,
    time: { hours: 3, minutes: 4, seconds: 5, microseconds: 500000 },
    utcOffsetMinutes: 90,
  });
});

Deno.test("parseRange() splits date and date-time ranges, not UTC offsets (PS3.4 §C.2.2.2.5)", () => {
  assertEquals(parseRange("20240101-20240131"), { start: "20240101", end: "20240131" });
  assertEquals(parseRange("-20240131"), { start: undefined, end: "20240131" });
  assertEquals(parseRange("20240101-"), { start: "20240101", end: undefined });
  assertEquals(parseRange("20240101"), { start: "20240101", end: "20240101" });
  assertEquals(parseRange("202401011200-0500", "DT"), {
    start: "202401011200-0500",
    end: "202401011200-0500",
  });
  assertEquals(parseRange("202401011200-0500-202401021200", "DT"), {
    start: "202401011200-0500",
    end: "202401021200",
  });
  assertThrows(() => parseRange("1-2-3"), SyntaxError);
});

Deno.test("PN values parse into component groups and format back (PS3.5 §6.2.1.1)", () => {
  const pn = parsePersonName("Yamada^Tarou=山田^太郎=やまだ^たろう");
  assertEquals(pn.alphabetic?.familyName, "Yamada");
  assertEquals(pn.ideographic?.givenName, "太郎");
  assertEquals(pn.phonetic?.familyName, "やまだ");
  assertEquals(formatPersonName(pn), "Yamada^Tarou=山田^太郎=やまだ^たろう");
  assertEquals(
    formatPersonName({ alphabetic: { familyName: "Doe", namePrefix: "Dr." } }),
    "Doe^^^Dr.",
  );
  assertEquals(parsePersonName("=Wang"), {
    ideographic: {
      familyName: "Wang",
      givenName: "",
      middleName: "",
      namePrefix: "",
      nameSuffix: "",
    },
  });
});
