// Direct encapsulation (encapsulation/): documents and 3D models as
// Encapsulated Document objects and back, byte for byte (PS3.3 A.45, A.85,
// C.24.2), and JPEG / JPEG 2000 bitstreams as Secondary Capture images, the
// image attributes read from the bitstream's header (PS3.5 A.4). The
// bitstreams come from the pydicom corpus, whose files were made by DCMTK,
// GDCM and others: the attributes those encoders wrote are what our header
// reader must find.
import { Dataset, decodePart10, encodePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import {
  detectDocumentType,
  encapsulateDocument,
  encapsulateImage,
  EncapsulationError,
  extractDocument,
  extractFrames,
  readBitstreamHeader,
  readJ2kHeader,
  readJpegHeader,
} from "../encapsulation/mod.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { binaryStl, CDA, pdfOfLength } from "./_encapsulation_fixtures.ts";

const text = (s: string) => new TextEncoder().encode(s);

const OBJ = text("# a triangle\nmtllib t.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl red\nf 1 2 3\n");
const MTL = text("# a material\nnewmtl red\nKd 1.0 0.0 0.0\n");

function roundTrip(ds: Dataset): Dataset {
  return decodePart10(encodePart10(ds)).dataset;
}

Deno.test("encapsulateDocument() gives back a PDF byte for byte, of even and of odd length", () => {
  for (const n of [100, 101]) {
    const pdf = pdfOfLength(n);
    assertEquals(pdf.length, n);
    const ds = roundTrip(encapsulateDocument(pdf));
    // PS3.5 §7.1.1: values have even length; the pad byte is not the document's.
    assertEquals(ds.bytes(Tag.EncapsulatedDocument)!.length, n + (n % 2));
    assertEquals(ds.number(Tag.EncapsulatedDocumentLength), n);
    assertEquals(extractDocument(ds), pdf);
  }
});

/** The Type 1 and Type 2 attributes of the modules every Encapsulated Document IOD has. */
const COMMON_REQUIRED = [
  Tag.SOPClassUID,
  Tag.SOPInstanceUID, // SOP Common C.12.1
  Tag.PatientName,
  Tag.PatientID,
  Tag.PatientBirthDate,
  Tag.PatientSex, // Patient C.7.1.1
  Tag.StudyInstanceUID,
  Tag.StudyDate,
  Tag.StudyTime,
  Tag.ReferringPhysicianName,
  Tag.StudyID,
  Tag.AccessionNumber, // General Study C.7.2.1
  Tag.Modality,
  Tag.SeriesInstanceUID,
  Tag.SeriesNumber, // Encapsulated Document Series C.24.1
  Tag.Manufacturer, // General Equipment C.7.5.1
  Tag.InstanceNumber,
  Tag.ContentDate,
  Tag.ContentTime,
  Tag.AcquisitionDateTime,
  Tag.BurnedInAnnotation,
  Tag.DocumentTitle,
  Tag.ConceptNameCodeSequence,
  Tag.MIMETypeOfEncapsulatedDocument,
  Tag.EncapsulatedDocument, // Encapsulated Document C.24.2
];
/** Type 1 attributes that must have a value. */
const TYPE_1 = [
  Tag.SOPClassUID,
  Tag.SOPInstanceUID,
  Tag.StudyInstanceUID,
  Tag.Modality,
  Tag.SeriesInstanceUID,
  Tag.SeriesNumber,
  Tag.InstanceNumber,
  Tag.BurnedInAnnotation,
  Tag.MIMETypeOfEncapsulatedDocument,
];

Deno.test("encapsulateDocument() fills every Type 1 and 2 attribute of each IOD's mandatory modules", () => {
  const cases = [
    {
      bytes: pdfOfLength(60),
      sopClass: Uid.EncapsulatedPDFStorage,
      mime: "application/pdf",
      modality: "DOC",
    },
    { bytes: CDA, sopClass: Uid.EncapsulatedCDAStorage, mime: "text/XML", modality: "DOC" },
    {
      bytes: binaryStl(2),
      sopClass: Uid.EncapsulatedSTLStorage,
      mime: "model/stl",
      modality: "M3D",
    },
    { bytes: OBJ, sopClass: Uid.EncapsulatedOBJStorage, mime: "model/obj", modality: "M3D" },
    { bytes: MTL, sopClass: Uid.EncapsulatedMTLStorage, mime: "model/mtl", modality: "M3D" },
  ];
  for (const c of cases) {
    const ds = roundTrip(encapsulateDocument(c.bytes));
    const name = c.mime;
    for (const tag of COMMON_REQUIRED) assert(ds.has(tag), `${name}: ${tag.toString(16)}`);
    for (const tag of TYPE_1) assert(ds.string(tag), `${name}: ${tag.toString(16)} empty`);
    assertEquals(ds.string(Tag.SOPClassUID), c.sopClass);
    assertEquals(ds.string(Tag.MIMETypeOfEncapsulatedDocument), c.mime);
    assertEquals(ds.string(Tag.Modality), c.modality);
    assertEquals(extractDocument(ds), c.bytes, name);
    if (c.modality === "DOC") {
      assertEquals(ds.string(Tag.ConversionType), "WSD", name); // SC Equipment C.8.6.1
    } else {
      // Enhanced General Equipment C.7.5.2, Frame of Reference C.7.4.1, Manufacturing 3D Model.
      for (
        const tag of [
          Tag.Manufacturer,
          Tag.ManufacturerModelName,
          Tag.DeviceSerialNumber,
          Tag.SoftwareVersions,
          Tag.FrameOfReferenceUID,
        ]
      ) {
        assert(ds.string(tag), `${name}: ${tag.toString(16)} empty`);
      }
      assert(ds.has(Tag.PositionReferenceIndicator), name);
      const [unit] = ds.items(Tag.MeasurementUnitsCodeSequence);
      assertEquals(unit?.string(Tag.CodingSchemeDesignator), "UCUM", name);
    }
  }
  // HL7 Instance Identifier, Type 1C for CDA: the ClinicalDocument's id, root^extension.
  assertEquals(
    roundTrip(encapsulateDocument(CDA)).string(Tag.HL7InstanceIdentifier),
    "2.16.840.1.113883.19.4^c266",
  );
});

Deno.test("encapsulateDocument() takes identity and study from options, and new UIDs otherwise", () => {
  const attributes = new Dataset()
    .set(Tag.PatientName, "Doe^Jane")
    .set(Tag.PatientID, "P1")
    .set(Tag.StudyInstanceUID, "1.2.3.4");
  const a = encapsulateDocument(pdfOfLength(50), {
    attributes,
    documentTitle: "Consent",
    now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  });
  assertEquals(a.string(Tag.PatientName), "Doe^Jane");
  assertEquals(a.string(Tag.StudyInstanceUID), "1.2.3.4");
  assertEquals(a.string(Tag.DocumentTitle), "Consent");
  assertEquals(a.string(Tag.ContentDate), "20260102");
  assertEquals(a.string(Tag.ContentTime), "030405");
  const b = encapsulateDocument(pdfOfLength(50));
  assert(b.string(Tag.SOPInstanceUID) !== a.string(Tag.SOPInstanceUID));
  assert(b.string(Tag.SeriesInstanceUID) !== a.string(Tag.SeriesInstanceUID));
  assert(b.string(Tag.StudyInstanceUID)!.startsWith("2.25."));
});

Deno.test("detectDocumentType() tells the types apart by content, and OBJ from MTL by extension", () => {
  assertEquals(detectDocumentType(pdfOfLength(60)), "pdf");
  assertEquals(detectDocumentType(CDA), "cda");
  assertEquals(detectDocumentType(binaryStl(1)), "stl");
  assertEquals(detectDocumentType(OBJ), "obj");
  assertEquals(detectDocumentType(MTL), "mtl");
  assertEquals(detectDocumentType(text("just text")), undefined);
  assertEquals(detectDocumentType(text("o my\ng good\nv is for victory\n")), undefined);
});

Deno.test("encapsulateDocument() refuses content that is not of its type, naming the problem", () => {
  const cases: [Uint8Array, Parameters<typeof encapsulateDocument>[1], RegExp][] = [
    [text("not a pdf at all"), { type: "pdf" }, /%PDF-/],
    [text("solid x\nfacet normal 0 0 1\nendsolid x\n"), { type: "stl" }, /ASCII STL/],
    [binaryStl(2).subarray(0, 150), { type: "stl" }, /84 \+ 50/],
    [text("<html></html>"), { type: "cda" }, /ClinicalDocument/],
    [new Uint8Array(0), { type: "pdf" }, /empty/],
    [text("hello"), {}, /not a PDF, CDA, binary STL, OBJ or MTL/],
    [text("solid x\nendsolid x\n"), { fileName: "part.STL" }, /ASCII STL/],
    [text('<ClinicalDocument xmlns="urn:hl7-org:v3"><title/></ClinicalDocument>'), {}, /<id root/],
  ];
  for (const [bytes, options, message] of cases) {
    assertThrows(
      () => encapsulateDocument(bytes, options),
      (e: unknown) => e instanceof EncapsulationError && message.test(e.message),
      String(message),
    );
  }
});

Deno.test("extractDocument() refuses an odd-length document with no length, and a length that does not fit", () => {
  const odd = new Dataset().set(Tag.EncapsulatedDocument, text("%PDF-"), "OB");
  assertThrows(
    () => extractDocument(odd),
    (e: unknown) => e instanceof EncapsulationError && /odd length \(5\)/.test(e.message),
  );
  const wrong = new Dataset()
    .set(Tag.EncapsulatedDocument, text("%PDF-1"), "OB")
    .set(Tag.EncapsulatedDocumentLength, 9, "UL");
  assertThrows(
    () => extractDocument(wrong),
    (e: unknown) => e instanceof EncapsulationError && /is 9 but/.test(e.message),
  );
  assertThrows(() => extractDocument(new Dataset()), EncapsulationError);
});

/** The first frame's bitstream of a corpus file and the image attributes its encoder wrote. */
async function corpusFrame(name: string) {
  const file = decodePart10(await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`));
  return {
    frame: extractFrames(file.dataset)[0]!,
    transferSyntax: file.meta.string(Tag.TransferSyntaxUID),
    ds: file.dataset,
  };
}

Deno.test("readBitstreamHeader() finds what DCMTK, GDCM and others wrote for their bitstreams", async () => {
  const files = [
    "SC_rgb_jpeg_dcmtk.dcm", // baseline, YBR_FULL (no subsampling)
    "SC_rgb_jpeg_app14_dcmd.dcm", // baseline, Adobe APP14 transform 0: RGB
    // Not SC_jpeg_no_color_transform.dcm: an RGB stream with component ids 0, 1, 2 and
    // neither JFIF nor Adobe marker, which libjpeg (and so dcmdjpeg) reads as YCbCr too.
    "SC_rgb_small_odd_jpeg.dcm", // baseline, 3 x 3
    "SC_rgb_jpeg_gdcm.dcm", // lossless SV1, RGB
    "JPGExtended.dcm", // extended, 12 bits
    "JPEG2000.dcm", // irreversible, signed 16 bits
    "MR_small_jp2klossless.dcm", // reversible, signed 16 bits
    "GDCMJ2K_TextGBR.dcm", // reversible with the RCT: YBR_RCT
  ];
  for (const name of files) {
    const { frame, transferSyntax, ds } = await corpusFrame(name);
    const info = readBitstreamHeader(frame);
    assertEquals(
      [info.transferSyntax, info.rows, info.columns, info.samplesPerPixel, info.bitsStored],
      [
        transferSyntax,
        ds.number(Tag.Rows),
        ds.number(Tag.Columns),
        ds.number(Tag.SamplesPerPixel),
        ds.number(Tag.BitsStored),
      ],
      name,
    );
    assertEquals(info.photometricInterpretation, ds.string(Tag.PhotometricInterpretation), name);
    assertEquals(info.pixelRepresentation, ds.number(Tag.PixelRepresentation), name);
  }
});

Deno.test("encapsulateImage() makes an SC image of one fragment that extractFrames() gives back", async () => {
  const { frame } = await corpusFrame("SC_rgb_jpeg_dcmtk.dcm");
  const odd = frame.length % 2 === 1 ? frame : frame.subarray(0, frame.length); // as it is
  const { dataset, transferSyntax } = encapsulateImage(odd);
  assertEquals(transferSyntax, Uid.JPEGBaseline8Bit);
  const back = decodePart10(encodePart10(dataset, { transferSyntax })).dataset;
  assertEquals(back.string(Tag.SOPClassUID), Uid.SecondaryCaptureImageStorage);
  assertEquals(back.string(Tag.ConversionType), "WSD");
  assertEquals(back.string(Tag.LossyImageCompression), "01");
  assertEquals(back.string(Tag.LossyImageCompressionMethod), "ISO_10918_1");
  assertEquals([back.number(Tag.BitsAllocated), back.number(Tag.HighBit)], [8, 7]);
  assertEquals(back.number(Tag.PlanarConfiguration), 0);
  const pixels = back.fragments()!;
  assertEquals(pixels.fragments.length, 1);
  assertEquals(pixels.offsetTable, new Uint8Array(4));
  assertEquals(extractFrames(back), [odd]);
});

Deno.test("extractFrames() gives back an odd-length JPEG without its pad byte", () => {
  // SOI, a COM segment of 1 byte, EOI: 9 bytes.
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x03, 0x41, 0xff, 0xd9]);
  const ds = new Dataset().setElement({
    tag: Tag.PixelData,
    vr: "OB",
    kind: "fragments",
    offsetTable: new Uint8Array(4),
    fragments: [new Uint8Array([...jpeg, 0])],
  });
  assertEquals(extractFrames(ds), [jpeg]);
});

/** A JPEG of a lossless frame header (T.81 B.2.2, SOF3) and a scan header with predictor `ss`. */
function losslessJpeg(ss: number, components = 1): Uint8Array {
  const sof = [0xff, 0xc3, 0, 8 + 3 * components, 16, 0, 32, 0, 48, components];
  for (let c = 1; c <= components; c++) sof.push(c, 0x11, 0);
  const sos = [0xff, 0xda, 0, 6 + 2 * components, components];
  for (let c = 1; c <= components; c++) sos.push(c, 0);
  sos.push(ss, 0, 0);
  return new Uint8Array([0xff, 0xd8, ...sof, ...sos, 0x12, 0x34, 0xff, 0xd9]);
}

Deno.test("readJpegHeader() chooses JPEG Lossless SV1 only for predictor 1 (PS3.5 A.4.1)", () => {
  const sv1 = readJpegHeader(losslessJpeg(1));
  assertEquals([sv1.transferSyntax, sv1.rows, sv1.columns, sv1.bitsStored], [
    Uid.JPEGLosslessSV1,
    32,
    48,
    16,
  ]);
  assertEquals(sv1.lossy, false);
  assertEquals(readJpegHeader(losslessJpeg(6)).transferSyntax, Uid.JPEGLossless);
  assertEquals(readJpegHeader(losslessJpeg(1, 3)).photometricInterpretation, "RGB");
});

Deno.test("readJpegHeader() refuses progressive JPEG, truncated headers and non-JPEG bytes", () => {
  const progressive = losslessJpeg(1);
  progressive[3] = 0xc2; // SOF2
  const cases: [Uint8Array, RegExp][] = [
    [progressive, /SOF2 \(progressive\)/],
    [losslessJpeg(1).subarray(0, 12), /runs past the end/],
    [new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), /ends \(EOI\)/],
    [new Uint8Array([0x89, 0x50, 0x4e, 0x47]), /SOI/],
  ];
  for (const [bytes, message] of cases) {
    assertThrows(
      () => readJpegHeader(bytes),
      (e: unknown) => e instanceof EncapsulationError && message.test(e.message),
      String(message),
    );
  }
});

Deno.test("readJ2kHeader() reads a JP2 file's codestream, and refuses a truncated SIZ", async () => {
  const { frame } = await corpusFrame("MR_small_jp2klossless.dcm");
  // A JP2 file (ISO 15444-1 I.5): signature box, then a jp2c box holding the codestream.
  const signature = [0, 0, 0, 12, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
  const box = new Uint8Array(8 + frame.length);
  new DataView(box.buffer).setUint32(0, box.length);
  box.set(text("jp2c"), 4);
  box.set(frame, 8);
  const jp2 = new Uint8Array([...signature, ...box]);
  const info = readJ2kHeader(jp2);
  assertEquals(info.codestream, frame);
  assertEquals(
    encapsulateImage(jp2).dataset.fragments()!.fragments[0]!.subarray(0, frame.length),
    frame,
  );
  assertThrows(
    () => readJ2kHeader(frame.subarray(0, 30)),
    (e: unknown) => e instanceof EncapsulationError && /SIZ/.test(e.message),
  );
});

/** A small deterministic generator (mulberry32), so that a failing case can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("damaged bitstreams and documents give a value or an EncapsulationError, never another error", async () => {
  const seeds = [
    (await corpusFrame("SC_rgb_jpeg_dcmtk.dcm")).frame.subarray(0, 700),
    (await corpusFrame("MR_small_jp2klossless.dcm")).frame.subarray(0, 300),
    losslessJpeg(1, 3),
    pdfOfLength(64),
    binaryStl(1),
  ];
  const next = random(15);
  for (let i = 0; i < 3000; i++) {
    const input = new Uint8Array(seeds[i % seeds.length]!);
    const cut = next() < 0.3 ? Math.floor(next() * input.length) : input.length;
    const bytes = input.subarray(0, cut);
    for (let flips = 1 + Math.floor(next() * 4); flips > 0 && bytes.length > 0; flips--) {
      // Header bytes mostly: lengths and marker codes are where readers go wrong.
      const at = Math.floor(next() ** 2 * bytes.length);
      bytes[at] = next() < 0.5
        ? bytes[at]! ^ (1 << Math.floor(next() * 8))
        : Math.floor(next() * 256);
    }
    for (const run of [() => readBitstreamHeader(bytes), () => encapsulateDocument(bytes)]) {
      try {
        run();
      } catch (e) {
        assert(e instanceof EncapsulationError, `case ${i}: ${e}`);
      }
    }
  }
});

Deno.test("encapsulateImage() of several frames: a Multi-frame SC IOD, one fragment and one offset per frame", async () => {
  const { frame } = await corpusFrame("SC_rgb_small_odd_jpeg.dcm"); // odd length: padded
  const { frame: other } = await corpusFrame("SC_rgb_jpeg_dcmtk.dcm");
  assert(frame.length % 2 === 1);
  const frames = [frame, frame, frame];
  const { dataset } = encapsulateImage(frames);
  assertEquals(
    dataset.string(Tag.SOPClassUID),
    Uid.MultiFrameTrueColorSecondaryCaptureImageStorage,
  );
  assertEquals(dataset.number(Tag.NumberOfFrames), 3);
  assertEquals(dataset.numbers(Tag.FrameIncrementPointer), [Tag.FrameLabelVector]);
  const pixels = dataset.fragments()!;
  assertEquals(pixels.fragments.length, 3);
  // PS3.5 A.4: offsets from the first fragment's item tag; 8 bytes of item header per fragment.
  const step = 8 + frame.length + 1;
  const table = new DataView(pixels.offsetTable.buffer, pixels.offsetTable.byteOffset);
  assertEquals([0, 1, 2].map((i) => table.getUint32(4 * i, true)), [0, step, 2 * step]);
  assertEquals(extractFrames(roundTrip(dataset)), frames);
  // Frames must agree; 12-bit grey frames make a Grayscale Word object.
  assertThrows(
    () => encapsulateImage([frame, other]),
    (e: unknown) =>
      e instanceof EncapsulationError && /frame 2 .*rows is 100, not 3/.test(e.message),
  );
  const { frame: grey12 } = await corpusFrame("JPGExtended.dcm");
  assertEquals(
    encapsulateImage([grey12, grey12]).dataset.string(Tag.SOPClassUID),
    Uid.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
  );
  const { frame: signed } = await corpusFrame("JPEG2000.dcm");
  assertThrows(
    () => encapsulateImage([signed, signed]),
    (e: unknown) =>
      e instanceof EncapsulationError && /no Multi-frame Secondary Capture IOD/.test(e.message),
  );
});
