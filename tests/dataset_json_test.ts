// The DICOM JSON Model (PS3.18 Annex F): the standard's rules by hand, pydicom's
// JSON samples, and the whole corpus through JSON and back.
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  Dataset,
  decodeDataset,
  encodeDataset,
  fromDicomJson,
  type JsonDataset,
  readPart10,
  toDicomJson,
} from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { compareDatasets, compareDicomJson, corpusFiles } from "./_corpus.ts";

const EXPLICIT = "1.2.840.10008.1.2.1";

/** Encodes and decodes again, so that values set through the API become bytes as read. */
function reread(ds: Dataset): Dataset {
  return decodeDataset(encodeDataset(ds, { transferSyntax: EXPLICIT }), {
    transferSyntax: EXPLICIT,
  });
}

Deno.test("toDicomJson() writes PN as Alphabetic, Ideographic and Phonetic groups (PS3.18 §F.2.2)", () => {
  const ds = new Dataset()
    .set(Tag.SpecificCharacterSet, "ISO_IR 192")
    .set(Tag.PatientName, "Yamada^Tarou=山田^太郎=やまだ^たろう")
    .set(Tag.ReferringPhysicianName, ["=王^小東", "Doe^Jane==Dō^Jēn", ""]);
  const json = toDicomJson(reread(ds));
  assertEquals(json["00100010"], {
    vr: "PN",
    Value: [{ Alphabetic: "Yamada^Tarou", Ideographic: "山田^太郎", Phonetic: "やまだ^たろう" }],
  });
  assertEquals(json["00080090"], {
    vr: "PN",
    Value: [{ Ideographic: "王^小東" }, { Alphabetic: "Doe^Jane", Phonetic: "Dō^Jēn" }, null],
  });
  const back = fromDicomJson(json);
  assertEquals(back.strings(Tag.PatientName), ["Yamada^Tarou=山田^太郎=やまだ^たろう"]);
  assertEquals(back.strings(Tag.ReferringPhysicianName), ["=王^小東", "Doe^Jane==Dō^Jēn", ""]);
});

Deno.test("toDicomJson() writes AT as 8 hex digits and fromDicomJson() reads them back (PS3.18 §F.2.3)", () => {
  const ds = reread(new Dataset().set(Tag.FrameIncrementPointer, [0x00181063, 0x7fe00010], "AT"));
  const json = toDicomJson(ds);
  assertEquals(json, { "00280009": { vr: "AT", Value: ["00181063", "7FE00010"] } });
  const bytes = encodeDataset(fromDicomJson(json));
  // Each tag is two 16-bit words, group then element (PS3.5 §6.2).
  assertEquals([...bytes.subarray(8)], [0x18, 0, 0x63, 0x10, 0xe0, 0x7f, 0x10, 0]);
});

Deno.test("toDicomJson() leaves out Value for empty attributes and writes null for empty values (PS3.18 §F.2.5)", () => {
  const ds = reread(
    new Dataset()
      .set(Tag.ImageType, ["ORIGINAL", "", "AXIAL"])
      .set(Tag.PatientName, null)
      .set(Tag.AccessionNumber, "")
      .set(Tag.PixelSpacing, null)
      .set(Tag.Rows, null),
  );
  assertEquals(toDicomJson(ds), {
    "00080008": { vr: "CS", Value: ["ORIGINAL", null, "AXIAL"] },
    "00080050": { vr: "SH" },
    "00100010": { vr: "PN" },
    "00280010": { vr: "US" },
    "00280030": { vr: "DS" },
  });
  const back = fromDicomJson(toDicomJson(ds));
  assertEquals(back.strings(Tag.ImageType), ["ORIGINAL", "", "AXIAL"]);
  assertEquals(encodeDataset(back), encodeDataset(ds));
});

Deno.test("toDicomJson() writes numbers for IS, DS and binary numeric VRs, strings for text (PS3.18 §F.2.3)", () => {
  const ds = reread(
    new Dataset()
      .set(Tag.SeriesNumber, "  12 ")
      .set(Tag.PixelSpacing, ["0.5", "2.5e-1"])
      .set(Tag.Rows, 512)
      .set(Tag.PixelPaddingValue, -2000, "SS")
      .set(Tag.RescaleSlope, "1")
      .set(Tag.StudyDate, "20240102"),
  );
  assertEquals(toDicomJson(ds), {
    "00080020": { vr: "DA", Value: ["20240102"] },
    "00200011": { vr: "IS", Value: [12] },
    "00280010": { vr: "US", Value: [512] },
    "00280030": { vr: "DS", Value: [0.5, 0.25] },
    "00280120": { vr: "SS", Value: [-2000] },
    "00281053": { vr: "DS", Value: [1] },
  });
});

Deno.test("toDicomJson() writes sequences as arrays of data sets, empty ones without Value (PS3.18 §F.2.4)", () => {
  const item = new Dataset()
    .set(Tag.ReferencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2")
    .set(Tag.ReferencedSOPInstanceUID, "1.2.3.4");
  const ds = reread(
    new Dataset()
      .set(Tag.ReferencedImageSequence, [item, new Dataset()])
      .set(Tag.ReferencedStudySequence, []),
  );
  const json = toDicomJson(ds);
  assertEquals(json, {
    "00081110": { vr: "SQ" },
    "00081140": {
      vr: "SQ",
      Value: [
        {
          "00081150": { vr: "UI", Value: ["1.2.840.10008.5.1.4.1.1.2"] },
          "00081155": { vr: "UI", Value: ["1.2.3.4"] },
        },
        {},
      ],
    },
  });
  const back = fromDicomJson(json);
  assertEquals(back.items(Tag.ReferencedImageSequence).length, 2);
  assertEquals(
    back.items(Tag.ReferencedImageSequence)[0]!.string(Tag.ReferencedSOPInstanceUID),
    "1.2.3.4",
  );
  assertEquals(encodeDataset(back), encodeDataset(ds));
});

Deno.test("toDicomJson() writes binary values as base64 InlineBinary, also when set from numbers (PS3.18 §F.2.7)", () => {
  const ds = new Dataset()
    .set(Tag.FileMetaInformationVersion, new Uint8Array([0, 1]), "OB")
    .set(0x00091002, new Uint8Array([0xcf, 0x4c, 0x7d, 0x73, 0xcb, 0xfb]), "UN")
    .set(Tag.PixelData, [1, 0x0203], "OW")
    .set(Tag.RedPaletteColorLookupTableData, new Uint8Array(0), "OW");
  const json = toDicomJson(ds);
  assertEquals(json, {
    "00020001": { vr: "OB", InlineBinary: "AAE=" },
    "00091002": { vr: "UN", InlineBinary: "z0x9c8v7" },
    "00281201": { vr: "OW" },
    // OW words are little endian in InlineBinary.
    "7FE00010": { vr: "OW", InlineBinary: btoa("\x01\x00\x03\x02") },
  });
  const back = fromDicomJson(json);
  assertEquals(back.bytes(0x00091002), new Uint8Array([0xcf, 0x4c, 0x7d, 0x73, 0xcb, 0xfb]));
  assertEquals(back.numbers(Tag.PixelData), [1, 0x0203]);
});

Deno.test("fromDicomJson() keeps a BulkDataURI attribute as an empty value of its VR", () => {
  const ds = fromDicomJson({ "7FE00010": { vr: "OB", BulkDataURI: "https://example.com/bulk/1" } });
  assertEquals(ds.get(Tag.PixelData)?.vr, "OB");
  assertEquals(ds.bytes(Tag.PixelData), new Uint8Array(0));
});

Deno.test("fromDicomJson() leaves out null among binary numbers, which have no empty form", () => {
  const ds = fromDicomJson({
    "00181310": { vr: "US", Value: [128, 0, 0, 32, null] },
    "00280009": { vr: "AT", Value: [null, "00181063"] },
  });
  assertEquals(reread(ds).numbers(Tag.AcquisitionMatrix), [128, 0, 0, 32]);
  assertEquals(reread(ds).numbers(Tag.FrameIncrementPointer), [0x00181063]);
});

Deno.test("fromDicomJson() rejects a key that is not 8 hex digits and an unknown VR with a TypeError", () => {
  assertThrows(() => fromDicomJson({ "0010001": { vr: "LO" } }), TypeError);
  assertThrows(() => fromDicomJson({ "0010,0020": { vr: "LO" } }), TypeError);
  assertThrows(() => fromDicomJson({ "00100020": { vr: "XX" } }), TypeError);
  assertThrows(() => fromDicomJson({ "00100020": {} as JsonDataset[string] }), TypeError);
});

async function pydicomJson(name: string): Promise<JsonDataset> {
  return JSON.parse(await Deno.readTextFile(`${PYDICOM_DATA}test_files/${name}`));
}

Deno.test("fromDicomJson() reads pydicom's test_PN.json: empty and nested PN, LO, AS, DA", async () => {
  const json = await pydicomJson("test_PN.json");
  const ds = reread(fromDicomJson(json));
  assertEquals(ds.string(Tag.PatientName), "Prostate^Volunteer");
  assertEquals(ds.strings(Tag.ReferringPhysicianName), []);
  const inner = ds.items(0x04000561)[0]!.items(0x04000550)[0]!;
  assertEquals(inner.string(Tag.PatientAge), "051Y");
  assertEquals(inner.string(Tag.PatientSex), "M");
  assertEquals(inner.strings(Tag.PatientName), []);
  assertEquals(compareDicomJson(toDicomJson(ds), json), []);
});

Deno.test("fromDicomJson() reads pydicom's test1.json, a GE MR header with private tags and a BulkDataURI", async () => {
  const json = await pydicomJson("test1.json");
  const ds = reread(fromDicomJson(json));
  assertEquals(ds.string(Tag.SOPClassUID), "1.2.840.10008.5.1.4.1.1.4");
  assertEquals(ds.number(Tag.PatientWeight), 87.09);
  assertEquals(ds.numbers(Tag.AcquisitionMatrix), [128, 0, 0, 32]);
  assertEquals(ds.number(Tag.Rows), 256);
  assertEquals(ds.number(0x00251007), 714);
  assertEquals(ds.get(0x00251007)?.vr, "SL");
  assertEquals(ds.strings(Tag.SoftwareVersions), [
    "24",
    "LX",
    "MR Software release:DV24.0_R01_1344.a",
  ]);
  assertEquals(ds.items(Tag.DeidentificationMethodCodeSequence).length, 9);
  assertEquals(ds.bytes(Tag.PixelData), new Uint8Array(0));
  // Back to JSON: the same but for the null left out of (0018,1310) and the bulk data.
  const diffs = compareDicomJson(toDicomJson(ds), json, { ignoreTopLevel: new Set(["7FE00010"]) });
  assertEquals(diffs, ["(0018,1310): [128,0,0,32], DCMTK [128,0,0,32,null]"]);
});

/** Every corpus file we read. */
async function* corpus(): AsyncGenerator<{ name: string; dataset: Dataset }> {
  for (const name of await corpusFiles()) {
    const file = await readPart10(await Deno.readFile(PYDICOM_DATA + name)).catch(() => undefined);
    if (file !== undefined) yield { name, dataset: file.dataset };
  }
}

Deno.test("toDicomJson() of every corpus data set survives JSON text and fromDicomJson() unchanged", async () => {
  const failures: string[] = [];
  let count = 0;
  for await (const { name, dataset } of corpus()) {
    count++;
    const text = JSON.stringify(toDicomJson(dataset));
    if (JSON.stringify(toDicomJson(fromDicomJson(JSON.parse(text)))) !== text) failures.push(name);
  }
  assert(count > 150, `only ${count} corpus files`);
  assertEquals(failures, []);
});

Deno.test("fromDicomJson(toDicomJson(ds)) encodes every corpus data set to its bytes, but for text whose JSON form is a number or trimmed", async () => {
  // In JSON, DS and IS are numbers ("5.000000" is 5), text values lose their
  // padding, -0 is 0, UN sequences are SQ and encapsulated pixel data is one
  // binary value (PS3.18 §F.2): such elements are compared by value, all
  // others by bytes.
  const failures: Record<string, string[]> = {};
  let identical = 0;
  for await (const { name, dataset } of corpus()) {
    const original = encodeDataset(dataset, { transferSyntax: EXPLICIT });
    const bytes = encodeDataset(fromDicomJson(toDicomJson(dataset)), { transferSyntax: EXPLICIT });
    if (bytes.length === original.length && bytes.every((b, i) => b === original[i])) {
      identical++;
      continue;
    }
    const diffs = compareDatasets(dataset, decodeDataset(bytes, { transferSyntax: EXPLICIT }), {
      viaJson: true,
    });
    if (diffs.length > 0) failures[name] = diffs.slice(0, 10);
  }
  assertEquals(failures, {});
  assert(
    identical > 50,
    `only ${identical} corpus data sets encode to the same bytes through JSON`,
  );
});
