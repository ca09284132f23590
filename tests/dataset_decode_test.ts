// Decoding data sets from bytes written by hand from PS3.5 §7.
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { decodeDataset, DicomDecodeError, encodeDataset } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { DicomError } from "../errors.ts";

const IMPLICIT = "1.2.840.10008.1.2";
const EXPLICIT = "1.2.840.10008.1.2.1";
const BIG = "1.2.840.10008.1.2.2";

function bytes(...parts: (number[] | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") { for (const c of p) out.push(c.charCodeAt(0)); }
    else out.push(...p);
  }
  return new Uint8Array(out);
}

function decodeError(fn: () => unknown): DicomDecodeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DicomDecodeError) return e;
    throw e;
  }
  throw new Error("expected a DicomDecodeError");
}

Deno.test("decodeDataset() reads Implicit VR LE elements with the dictionary's VR (PS3.5 §7.1.3)", () => {
  const ds = decodeDataset(
    bytes(
      [0x10, 0x00, 0x10, 0x00, 8, 0, 0, 0],
      "Doe^John",
      [0x28, 0x00, 0x10, 0x00, 2, 0, 0, 0, 0x00, 0x02],
    ),
    { transferSyntax: IMPLICIT },
  );
  assertEquals(ds.get(Tag.PatientName)?.vr, "PN");
  assertEquals(ds.string(Tag.PatientName), "Doe^John");
  assertEquals(ds.number(Tag.Rows), 512);
});

Deno.test("decodeDataset() reads Explicit VR LE short and long headers (PS3.5 Table 7.1-1, 7.1-2)", () => {
  const ds = decodeDataset(
    bytes(
      [0x08, 0x00, 0x60, 0x00],
      "CS",
      [2, 0],
      "CT",
      [0x10, 0x00, 0x20, 0x00],
      "LO",
      [4, 0],
      "1234",
      [0x09, 0x00, 0x10, 0x10],
      "UN",
      [0, 0, 3, 0, 0, 0],
      [1, 2, 3],
      [0x3a, 0x54, 0x00, 0x10],
      "OW",
      [0, 0, 4, 0, 0, 0],
      [1, 0, 2, 0],
    ),
    { transferSyntax: EXPLICIT },
  );
  assertEquals(ds.string(Tag.Modality), "CT");
  assertEquals(ds.string(Tag.PatientID), "1234");
  assertEquals(ds.get(0x00091010)?.vr, "UN");
  assertEquals(ds.bytes(0x00091010), new Uint8Array([1, 2, 3]));
  assertEquals(ds.numbers(0x543a1000), [1, 2]);
});

Deno.test("decodeDataset() byte-swaps binary values of Explicit VR Big Endian (PS3.5 §7.3)", () => {
  const ds = decodeDataset(
    bytes(
      [0x00, 0x28, 0x00, 0x10],
      "US",
      [0, 2],
      [0x02, 0x00],
      [0x00, 0x28, 0x00, 0x30],
      "DS",
      [0, 4],
      "1\\2 ",
      [0x00, 0x28, 0x01, 0x06],
      "SS",
      [0, 2],
      [0xff, 0xfe],
      [0x00, 0x20, 0x90, 0x57],
      "UL",
      [0, 4],
      [0, 1, 0, 2],
    ),
    { transferSyntax: BIG },
  );
  assertEquals(ds.number(Tag.Rows), 512);
  assertEquals(ds.numbers(Tag.PixelSpacing), [1, 2]);
  assertEquals(ds.number(0x00280106), -2);
  assertEquals(ds.number(0x00209057), 65538);
});

Deno.test("decodeDataset() reads nested sequences of defined and undefined length (PS3.5 §7.5)", () => {
  // (0008,1140) SQ undefined length { item undefined { (0008,1150) UI "1.2" ; (0040,A730) SQ defined { item defined { (0010,0020) LO "AB" } } } }
  const inner = bytes([0x10, 0x00, 0x20, 0x00], "LO", [2, 0], "AB");
  const innerItem = bytes([0xfe, 0xff, 0x00, 0xe0, inner.length, 0, 0, 0], [...inner]);
  const innerSeq = bytes([0x40, 0x00, 0x30, 0xa7], "SQ", [0, 0, innerItem.length, 0, 0, 0], [
    ...innerItem,
  ]);
  const ds = decodeDataset(
    bytes(
      [0x08, 0x00, 0x40, 0x11],
      "SQ",
      [0, 0, 0xff, 0xff, 0xff, 0xff],
      [0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff],
      [0x08, 0x00, 0x55, 0x11],
      "UI",
      [4, 0],
      "1.2\0",
      [...innerSeq],
      [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0],
      [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0],
      [0x10, 0x00, 0x10, 0x00],
      "PN",
      [2, 0],
      "X ",
    ),
    { transferSyntax: EXPLICIT },
  );
  const items = ds.items(Tag.ReferencedImageSequence);
  assertEquals(items.length, 1);
  assertEquals(items[0]!.string(Tag.ReferencedSOPInstanceUID), "1.2");
  assertEquals(items[0]!.items(0x0040a730)[0]!.string(Tag.PatientID), "AB");
  assertEquals(ds.string(Tag.PatientName), "X");
  assert(items[0]!.parent === ds);
});

Deno.test("decodeDataset() reads UN of undefined length as Implicit VR LE items (PS3.5 §6.2.2)", () => {
  const src = bytes(
    [0x09, 0x00, 0x10, 0x10],
    "UN",
    [0, 0, 0xff, 0xff, 0xff, 0xff],
    [0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff],
    [0x10, 0x00, 0x20, 0x00, 2, 0, 0, 0],
    "AB",
    [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0],
    [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0],
  );
  const ds = decodeDataset(src, { transferSyntax: EXPLICIT });
  const el = ds.get(0x00091010);
  assertEquals(el?.kind, "sequence");
  assertEquals(ds.items(0x00091010)[0]!.string(Tag.PatientID), "AB");
  assertEquals(encodeDataset(ds, { transferSyntax: EXPLICIT }), src);
});

Deno.test("decodeDataset() keeps encapsulated pixel data fragments untouched (PS3.5 §A.4)", () => {
  const src = bytes(
    [0xe0, 0x7f, 0x10, 0x00],
    "OB",
    [0, 0, 0xff, 0xff, 0xff, 0xff],
    [0xfe, 0xff, 0x00, 0xe0, 4, 0, 0, 0, 0, 0, 0, 0],
    [0xfe, 0xff, 0x00, 0xe0, 6, 0, 0, 0, 0xff, 0xd8, 1, 2, 0xff, 0xd9],
    [0xfe, 0xff, 0x00, 0xe0, 2, 0, 0, 0, 9, 9],
    [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0],
  );
  const ds = decodeDataset(src, { transferSyntax: "1.2.840.10008.1.2.4.50" });
  const px = ds.fragments();
  assertEquals(px?.offsetTable, new Uint8Array(4));
  assertEquals(px?.fragments.map((f) => f.length), [6, 2]);
  assertEquals(encodeDataset(ds, { transferSyntax: "1.2.840.10008.1.2.4.50" }), src);
});

Deno.test("decodeDataset() stops before a tag when asked", () => {
  const ds = decodeDataset(
    bytes(
      [0x10, 0x00, 0x20, 0x00, 2, 0, 0, 0],
      "AB",
      [0xe0, 0x7f, 0x10, 0x00, 0xff, 0xff, 0xff, 0x7f], // an absurd length never read
    ),
    { transferSyntax: IMPLICIT, stopBefore: Tag.PixelData },
  );
  assertEquals(ds.tags(), [Tag.PatientID]);
});

Deno.test("decodeDataset() rejects a value length beyond the remaining bytes with its offset", () => {
  const e = decodeError(() =>
    decodeDataset(
      bytes([0x08, 0x00, 0x00, 0x00, 0, 0, 0, 0], [0x10, 0x00, 0x20, 0x00, 0xff, 0, 0, 0], "AB"),
    )
  );
  assertEquals(e.offset, 8);
  assert(e.truncated);
  assert(e instanceof DicomError);
});

Deno.test("decodeDataset() rejects an unknown VR code in explicit VR", () => {
  const e = decodeError(() =>
    decodeDataset(bytes([0x10, 0x00, 0x20, 0x00], "ZZ", [2, 0], "AB"), { transferSyntax: EXPLICIT })
  );
  assertEquals(e.offset, 4);
  assert(/unknown VR code "ZZ"/.test(e.message));
});

Deno.test("decodeDataset() rejects an element whose length overruns its item", () => {
  const e = decodeError(() =>
    decodeDataset(
      bytes(
        [0x08, 0x00, 0x40, 0x11],
        "SQ",
        [0, 0, 22, 0, 0, 0],
        [0xfe, 0xff, 0x00, 0xe0, 14, 0, 0, 0],
        [0x10, 0x00, 0x20, 0x00],
        "LO",
        [8, 0],
        "ABCDEFGH",
      ),
      { transferSyntax: EXPLICIT },
    )
  );
  assert(!e.truncated);
  assert(/exceeds/.test(e.message), e.message);
});

Deno.test("decodeDataset() rejects sequences nested deeper than maxDepth in bounded time", () => {
  const depth = 5000;
  const open = [
    0x08,
    0x00,
    0x40,
    0x11,
    0x53,
    0x51,
    0,
    0,
    0xff,
    0xff,
    0xff,
    0xff,
    0xfe,
    0xff,
    0x00,
    0xe0,
    0xff,
    0xff,
    0xff,
    0xff,
  ];
  const src = new Uint8Array(open.length * depth);
  for (let i = 0; i < depth; i++) src.set(open, i * open.length);
  const e = decodeError(() => decodeDataset(src, { transferSyntax: EXPLICIT }));
  assert(/nested deeper than 64/.test(e.message));
});

Deno.test("decodeDataset() never throws anything but DicomDecodeError on any truncation of valid input", () => {
  const ds = decodeDataset(
    bytes(
      [0x08, 0x00, 0x40, 0x11],
      "SQ",
      [0, 0, 0xff, 0xff, 0xff, 0xff],
      [0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff],
      [0x08, 0x00, 0x55, 0x11],
      "UI",
      [4, 0],
      "1.2\0",
      [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0],
      [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0],
      [0x10, 0x00, 0x10, 0x00],
      "PN",
      [2, 0],
      "X ",
    ),
    { transferSyntax: EXPLICIT },
  );
  const src = encodeDataset(ds, { transferSyntax: EXPLICIT });
  // Only a cut between the two top-level elements leaves a valid (shorter) data set.
  const sequenceEnd = src.length - 10;
  for (let cut = 1; cut < src.length; cut++) {
    try {
      decodeDataset(src.subarray(0, cut), { transferSyntax: EXPLICIT });
      assertEquals(cut, sequenceEnd, `a cut at ${cut} decoded without an error`);
    } catch (e) {
      assert(e instanceof DicomDecodeError, `cut at ${cut}: ${e}`);
    }
  }
});

Deno.test("decodeDataset() refuses a deflated transfer syntax with a pointer to readPart10()", () => {
  assertThrows(
    () => decodeDataset(new Uint8Array(0), { transferSyntax: "1.2.840.10008.1.2.1.99" }),
    TypeError,
  );
});

Deno.test("decodeDataset() warns about an odd value length, and refuses it in strict mode (PS3.5 §7.1.1)", () => {
  const src = bytes([0x10, 0x00, 0x20, 0x00], "LO", [3, 0], "ABC");
  const warnings: string[] = [];
  const ds = decodeDataset(src, { transferSyntax: EXPLICIT, onWarning: (m) => warnings.push(m) });
  assertEquals(ds.string(Tag.PatientID), "ABC");
  assertEquals(warnings.length, 1);
  const e = decodeError(() => decodeDataset(src, { transferSyntax: EXPLICIT, strict: true }));
  assertEquals(e.offset, 0);
  assert(/odd length 3/.test(e.message), e.message);
});
