import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  DICTIONARY_VRS,
  formatTag,
  keywordOf,
  lookupElement,
  lookupUid,
  parseTag,
  RETIRED_STORAGE_SOP_CLASSES,
  STORAGE_SOP_CLASSES,
  Tag,
  tagForKeyword,
  type TagKeyword,
  TRANSFER_SYNTAXES,
  transferSyntaxInfo,
  Uid,
  uidName,
} from "../dictionary/mod.ts";

// Facts below are written by hand from PS3.5, PS3.6 and PS3.7, not from the
// generated tables.

Deno.test("lookupElement() knows Patient ID (0010,0020) LO VM 1", () => {
  assertEquals(lookupElement(0x0010_0020), {
    tag: 0x0010_0020,
    vr: "LO",
    vm: "1",
    name: "Patient ID",
    keyword: "PatientID",
    retired: false,
  });
  assertEquals(Tag.PatientID, 0x0010_0020);
});

Deno.test('lookupElement() gives Pixel Data (7FE0,0010) the VR "OB or OW"', () => {
  assertEquals(Tag.PixelData, 0x7fe0_0010);
  assertEquals(lookupElement(Tag.PixelData)?.vr, "OB or OW");
  assertEquals(lookupElement(Tag.PixelData)?.name, "Pixel Data");
});

Deno.test("lookupElement() knows names with apostrophes and keywords that differ from them", () => {
  assertEquals(lookupElement(0x0010_0010)?.name, "Patient's Name");
  assertEquals(lookupElement(0x0010_0010)?.keyword, "PatientName");
  assertEquals(lookupElement(0x0008_1048)?.keyword, "PhysiciansOfRecord");
  assertEquals(lookupElement(0x0000_1020)?.keyword, "NumberOfRemainingSuboperations");
});

Deno.test("lookupElement() knows the command group of PS3.7 Annex E", () => {
  assertEquals(Tag.CommandField, 0x0000_0100);
  const info = lookupElement(Tag.CommandField);
  assertEquals([info?.vr, info?.vm, info?.keyword], ["US", "1", "CommandField"]);
  assertEquals(lookupElement(0x0000_0000)?.keyword, "CommandGroupLength");
  assertEquals(lookupElement(Tag.AffectedSOPClassUID)?.vr, "UI");
  assertEquals(lookupElement(0x0000_0001)?.retired, true);
});

Deno.test("lookupElement() knows the item and delimitation tags, which have no VR", () => {
  assertEquals(lookupElement(0xfffe_e000)?.keyword, "Item");
  assertEquals(lookupElement(0xfffe_e00d)?.keyword, "ItemDelimitationItem");
  assertEquals(lookupElement(0xfffe_e0dd)?.vr, "NONE");
});

Deno.test("lookupElement() resolves the repeating group 60xx", () => {
  assertEquals(Tag.OverlayData, 0x6000_3000);
  assertEquals(lookupElement(0x6002_3000), {
    tag: 0x6002_3000,
    vr: "OB or OW",
    vm: "1",
    name: "Overlay Data",
    keyword: "OverlayData",
    retired: false,
  });
  assertEquals(lookupElement(0x601e_0010)?.keyword, "OverlayRows");
});

Deno.test("lookupElement() resolves the repeating groups 50xx and 7Fxx", () => {
  assertEquals(lookupElement(0x5004_3000)?.keyword, "CurveData");
  assertEquals(lookupElement(0x5004_3000)?.retired, true);
  assertEquals(lookupElement(0x7f10_0010)?.keyword, "VariablePixelData");
});

Deno.test("lookupElement() prefers a Table 6-1 element over a repeating pattern", () => {
  // (7FE0,0010) also matches (7Fxx,0010) Variable Pixel Data.
  assertEquals(lookupElement(0x7fe0_0010)?.keyword, "PixelData");
  // (0028,0400) Transform Label also matches (0028,04x0).
  assertEquals(lookupElement(0x0028_0400)?.keyword, "TransformLabel");
  assertEquals(lookupElement(0x0028_0410)?.keyword, "RowsForNthOrderCoefficients");
});

Deno.test("lookupElement() resolves element ranges such as (0020,31xx) and (1000,xxx0)", () => {
  assertEquals(lookupElement(0x0020_3105)?.keyword, "SourceImageIDs");
  assertEquals(lookupElement(0x1000_0120)?.keyword, "EscapeTriplet");
  assertEquals(lookupElement(0x1000_0125)?.keyword, "ShiftTableTriplet");
  assertEquals(lookupElement(0x1010_1234)?.keyword, "ZonalMap");
});

Deno.test("lookupElement() gives a group length (gggg,0000) for any group", () => {
  assertEquals(lookupElement(0x0008_0000), {
    tag: 0x0008_0000,
    vr: "UL",
    vm: "1",
    name: "Group Length",
    keyword: "",
    retired: true,
  });
  assertEquals(lookupElement(0x6000_0000)?.name, "Group Length");
  assertEquals(lookupElement(0x1000_0000)?.name, "Group Length");
  assertEquals(lookupElement(0x0009_0000)?.vr, "UL");
  // The two that the standard names keep their own entries.
  assertEquals(lookupElement(0x0002_0000)?.keyword, "FileMetaInformationGroupLength");
});

Deno.test("lookupElement() gives a private creator (gggg,0010-00FF) of an odd group", () => {
  for (const tag of [0x0009_0010, 0x0029_00ff, 0x6001_0010, 0x7fe1_0042]) {
    const info = lookupElement(tag);
    assertEquals(info?.tag, tag);
    assertEquals(info?.vr, "LO");
    assertEquals(info?.name, "Private Creator");
  }
});

Deno.test("lookupElement() does not know private data elements", () => {
  assertEquals(lookupElement(0x0009_1010), undefined);
  assertEquals(lookupElement(0x0029_0100), undefined);
  assertEquals(lookupElement(0x0009_0001), undefined);
  // 6001 is a private group, not an overlay group.
  assertEquals(lookupElement(0x6001_3000), undefined);
  // Groups 0001, 0003, 0005, 0007 and FFFF are not private (PS3.5 §7.8.1).
  assertEquals(lookupElement(0x0001_0010), undefined);
  assertEquals(lookupElement(0xffff_0010), undefined);
});

Deno.test("lookupElement() does not know unassigned standard tags", () => {
  assertEquals(lookupElement(0x0010_9999), undefined);
  assertEquals(lookupElement(0x0000_0005), undefined);
  assertEquals(lookupElement(0xfffe_e001), undefined);
});

Deno.test("lookupElement() rejects a number that is not a tag", () => {
  // The signed result of 0xFFFE << 16 | 0xE000 without >>> 0.
  assertThrows(() => lookupElement(0xfffe << 16 | 0xe000), RangeError);
  assertThrows(() => lookupElement(0x1_0000_0000), RangeError);
  assertThrows(() => lookupElement(1.5), RangeError);
  assertThrows(() => lookupElement(Number.NaN), RangeError);
});

Deno.test("lookupElement() returns only VRs listed in DICTIONARY_VRS", () => {
  const vrs = new Set<string>(DICTIONARY_VRS);
  for (const keyword of Object.keys(Tag) as TagKeyword[]) {
    const vr = lookupElement(Tag[keyword])?.vr;
    assert(vr !== undefined && vrs.has(vr), `${keyword}: ${vr}`);
  }
  for (const vr of ["PN", "US or SS", "OB or OW", "US or SS or OW", "NONE"]) assert(vrs.has(vr));
});

Deno.test("tagForKeyword() and keywordOf() round-trip every keyword", () => {
  const keywords = Object.keys(Tag) as TagKeyword[];
  assert(keywords.length > 5000, `only ${keywords.length} keywords`);
  for (const keyword of keywords) {
    const tag = tagForKeyword(keyword);
    assertEquals(tag, Tag[keyword], keyword);
    assertEquals(keywordOf(tag!), keyword, formatTag(tag!));
  }
});

Deno.test("tagForKeyword() returns undefined for unknown keywords", () => {
  assertEquals(tagForKeyword("NoSuchKeyword"), undefined);
  assertEquals(tagForKeyword("patientid"), undefined);
  assertEquals(tagForKeyword("toString"), undefined);
  assertEquals(tagForKeyword("__proto__"), undefined);
  assertEquals(tagForKeyword(""), undefined);
});

Deno.test("keywordOf() names repeating-group instances and nothing private", () => {
  assertEquals(keywordOf(0x6002_3000), "OverlayData");
  assertEquals(keywordOf(0x0009_0010), undefined);
  assertEquals(keywordOf(0x0008_0000), undefined);
  // A retired element without a keyword.
  assertEquals(lookupElement(0x0008_0202)?.retired, true);
  assertEquals(keywordOf(0x0008_0202), undefined);
});

Deno.test("formatTag() writes (gggg,eeee) in upper-case hex", () => {
  assertEquals(formatTag(0x0010_0020), "(0010,0020)");
  assertEquals(formatTag(0x7fe0_0010), "(7FE0,0010)");
  assertEquals(formatTag(0), "(0000,0000)");
  assertEquals(formatTag(0xfffe_e0dd), "(FFFE,E0DD)");
  assertThrows(() => formatTag(-1), RangeError);
});

Deno.test("parseTag() reads (gggg,eeee), gggg,eeee, ggggeeee and keywords", () => {
  assertEquals(parseTag("(0010,0020)"), 0x0010_0020);
  assertEquals(parseTag("0010,0020"), 0x0010_0020);
  assertEquals(parseTag("00100020"), 0x0010_0020);
  assertEquals(parseTag("(7fe0,0010)"), 0x7fe0_0010);
  assertEquals(parseTag("FFFEE0DD"), 0xfffe_e0dd);
  assertEquals(parseTag("PatientID"), 0x0010_0020);
  assertEquals(parseTag("OverlayData"), 0x6000_3000);
});

Deno.test("parseTag() round-trips formatTag()", () => {
  for (const tag of [0, 0x0010_0020, 0x6002_3000, 0xffff_ffff]) {
    assertEquals(parseTag(formatTag(tag)), tag);
  }
});

Deno.test("parseTag() throws a TypeError naming the text and the accepted forms", () => {
  for (
    const text of [
      "",
      "(0010,0020",
      "0010,0020)",
      "(0010,20)",
      "0010-0020",
      "0x00100020",
      "(0010, 0020)",
      " 00100020",
      "001000200",
      "(60xx,3000)",
      "patientid",
      "toString",
    ]
  ) {
    assertThrows(() => parseTag(text), (error: unknown) => {
      assert(error instanceof TypeError, `${text}: ${error}`);
      assert(error.message.includes(JSON.stringify(text)), error.message);
      assert(error.message.includes("(gggg,eeee)"), error.message);
      return true;
    });
  }
  assertThrows(() => parseTag(42 as unknown as string), TypeError);
});

Deno.test("Uid has the transfer syntaxes and Query/Retrieve models by keyword", () => {
  assertEquals(Uid.ImplicitVRLittleEndian, "1.2.840.10008.1.2");
  assertEquals(Uid.ExplicitVRLittleEndian, "1.2.840.10008.1.2.1");
  assertEquals(Uid.Verification, "1.2.840.10008.1.1");
  assertEquals(Uid.StudyRootQueryRetrieveInformationModelFind, "1.2.840.10008.5.1.4.1.2.2.1");
  assertEquals(Uid.PatientRootQueryRetrieveInformationModelFind, "1.2.840.10008.5.1.4.1.2.1.1");
  assertEquals(Uid.PatientRootQueryRetrieveInformationModelMove, "1.2.840.10008.5.1.4.1.2.1.2");
  assertEquals(Uid.StudyRootQueryRetrieveInformationModelGet, "1.2.840.10008.5.1.4.1.2.2.3");
  assertEquals(Uid.ModalityWorklistInformationModelFind, "1.2.840.10008.5.1.4.31");
  assertEquals(Uid.DICOMApplicationContext, "1.2.840.10008.3.1.1.1");
});

Deno.test("lookupUid() returns the registry entry", () => {
  assertEquals(lookupUid("1.2.840.10008.1.2"), {
    uid: "1.2.840.10008.1.2",
    name: "Implicit VR Little Endian",
    type: "Transfer Syntax",
    keyword: "ImplicitVRLittleEndian",
    retired: false,
    info: "Default Transfer Syntax for DICOM",
  });
  assertEquals(lookupUid(Uid.ExplicitVRBigEndian)?.retired, true);
  assertEquals(lookupUid("1.2.840.10008.5.1.4.1.2.2.1")?.type, "SOP Class");
  assertEquals(lookupUid("1.2.3.4"), undefined);
  assertEquals(lookupUid("1.2.840.10008.1.2\0"), undefined);
});

Deno.test("every Uid keyword looks up to itself", () => {
  for (const [keyword, uid] of Object.entries(Uid)) {
    assertEquals(lookupUid(uid)?.keyword, keyword);
  }
});

Deno.test("uidName() gives the registered name, or the UID itself", () => {
  assertEquals(uidName("1.2.840.10008.5.1.4.1.1.2"), "CT Image Storage");
  assertEquals(uidName("1.2.840.10008.1.20.1"), "Storage Commitment Push Model SOP Class");
  assertEquals(uidName("1.2.3.4.5"), "1.2.3.4.5");
});

Deno.test("STORAGE_SOP_CLASSES has the image, SR and other storage SOP classes", () => {
  for (
    const uid of [
      "1.2.840.10008.5.1.4.1.1.2", // CT Image Storage
      "1.2.840.10008.5.1.4.1.1.4", // MR Image Storage
      "1.2.840.10008.5.1.4.1.1.7", // Secondary Capture Image Storage
      "1.2.840.10008.5.1.4.1.1.1.1", // Digital X-Ray Image Storage - For Presentation
      "1.2.840.10008.5.1.4.1.1.88.11", // Basic Text SR Storage
      "1.2.840.10008.5.1.4.1.1.104.1", // Encapsulated PDF Storage
      "1.2.840.10008.5.1.4.1.1.481.5", // RT Plan Storage
      "1.2.840.10008.5.1.4.1.1.9.1.1", // 12-lead ECG Waveform Storage
      "1.2.840.10008.5.1.4.34.7", // RT Beams Delivery Instruction Storage
      "1.2.840.10008.5.1.4.38.1", // Hanging Protocol Storage
    ]
  ) {
    assert(STORAGE_SOP_CLASSES.includes(uid), uid);
  }
});

Deno.test("STORAGE_SOP_CLASSES leaves out services that are not storage", () => {
  for (
    const uid of [
      "1.2.840.10008.1.1", // Verification
      "1.2.840.10008.1.20.1", // Storage Commitment Push Model
      "1.2.840.10008.1.20.2", // Storage Commitment Pull Model (retired)
      "1.2.840.10008.1.3.10", // Media Storage Directory Storage (DICOMDIR)
      "1.2.840.10008.4.2", // Storage Service Class
      "1.2.840.10008.5.1.4.1.1.201.1.1", // Storage Management SOP Instance
      "1.2.840.10008.5.1.4.1.2.2.1", // Study Root Q/R FIND
      "1.2.840.10008.5.1.4.1.1.201.2", // Inventory - FIND
    ]
  ) {
    assert(!STORAGE_SOP_CLASSES.includes(uid), uid);
    assert(!RETIRED_STORAGE_SOP_CLASSES.includes(uid), uid);
  }
});

Deno.test("RETIRED_STORAGE_SOP_CLASSES has the retired ones, STORAGE_SOP_CLASSES none", () => {
  assert(RETIRED_STORAGE_SOP_CLASSES.includes("1.2.840.10008.5.1.4.1.1.6")); // US (retired)
  assert(RETIRED_STORAGE_SOP_CLASSES.includes("1.2.840.10008.5.1.4.1.1.5")); // NM (retired)
  assert(RETIRED_STORAGE_SOP_CLASSES.includes("1.2.840.10008.5.1.1.27")); // Stored Print
  for (const uid of STORAGE_SOP_CLASSES) {
    assertEquals(lookupUid(uid)?.retired, false, uid);
    assertEquals(lookupUid(uid)?.type, "SOP Class", uid);
  }
  for (const uid of RETIRED_STORAGE_SOP_CLASSES) assertEquals(lookupUid(uid)?.retired, true, uid);
  assertEquals(new Set(STORAGE_SOP_CLASSES).size, STORAGE_SOP_CLASSES.length);
});

Deno.test("transferSyntaxInfo() describes the uncompressed transfer syntaxes (PS3.5 A.1-A.3, A.5)", () => {
  const flags = (uid: string) => {
    const ts = transferSyntaxInfo(uid);
    return ts && [ts.explicitVr, ts.littleEndian, ts.deflated, ts.encapsulated, ts.retired];
  };
  assertEquals(flags("1.2.840.10008.1.2"), [false, true, false, false, false]);
  assertEquals(flags("1.2.840.10008.1.2.1"), [true, true, false, false, false]);
  assertEquals(flags("1.2.840.10008.1.2.2"), [true, false, false, false, true]);
  assertEquals(flags("1.2.840.10008.1.2.1.99"), [true, true, true, false, false]);
  assertEquals(flags("1.2.840.10008.1.2.1.98"), [true, true, false, true, false]);
});

Deno.test("transferSyntaxInfo() marks compressed transfer syntaxes encapsulated", () => {
  for (
    const uid of [
      "1.2.840.10008.1.2.4.50", // JPEG Baseline
      "1.2.840.10008.1.2.4.70", // JPEG Lossless SV1
      "1.2.840.10008.1.2.4.80", // JPEG-LS Lossless
      "1.2.840.10008.1.2.4.90", // JPEG 2000 Lossless
      "1.2.840.10008.1.2.4.201", // HTJ2K Lossless
      "1.2.840.10008.1.2.4.100", // MPEG2
      "1.2.840.10008.1.2.5", // RLE Lossless
      "1.2.840.10008.1.2.8.1", // Deflated Image Frame Compression
    ]
  ) {
    const ts = transferSyntaxInfo(uid);
    assertEquals([ts?.explicitVr, ts?.littleEndian, ts?.encapsulated], [true, true, true], uid);
    assertEquals(ts?.deflated, false, uid);
  }
});

Deno.test("transferSyntaxInfo() marks the JPIP Referenced Deflate syntaxes deflated, not encapsulated", () => {
  for (const uid of ["1.2.840.10008.1.2.4.95", "1.2.840.10008.1.2.4.205"]) {
    assertEquals(transferSyntaxInfo(uid)?.deflated, true, uid);
    assertEquals(transferSyntaxInfo(uid)?.encapsulated, false, uid);
  }
  assertEquals(transferSyntaxInfo("1.2.840.10008.1.2.4.94")?.deflated, false);
});

Deno.test("transferSyntaxInfo() returns undefined for unknown and non-encoding UIDs", () => {
  assertEquals(transferSyntaxInfo("1.2.3.4"), undefined);
  assertEquals(transferSyntaxInfo(Uid.CTImageStorage), undefined);
  assertEquals(transferSyntaxInfo(Uid.RFC2557MIMEEncapsulation), undefined);
});

Deno.test("TRANSFER_SYNTAXES has exactly one implicit VR and one big endian syntax", () => {
  assertEquals(TRANSFER_SYNTAXES.filter((ts) => !ts.explicitVr).map((ts) => ts.uid), [
    "1.2.840.10008.1.2",
  ]);
  assertEquals(TRANSFER_SYNTAXES.filter((ts) => !ts.littleEndian).map((ts) => ts.uid), [
    "1.2.840.10008.1.2.2",
  ]);
  for (const ts of TRANSFER_SYNTAXES) {
    assertEquals(lookupUid(ts.uid)?.type, "Transfer Syntax", ts.uid);
    assert(!(ts.deflated && ts.encapsulated), ts.uid);
  }
});
