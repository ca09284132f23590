// Bad compressed pixel data: truncated and corrupt bitstreams, offset tables
// that lie, frame counts that disagree with the data, geometry that does not
// match. Each is a CodecError (or UnsupportedTransferSyntaxError) for that
// object; the WebAssembly decoders' odd throws (C++ exception pointers as
// numbers) never escape, and a decoder that failed is usable again after.
import { Dataset, decodePart10, type Part10File } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { CodecError, decodeFrames, encapsulatedFrames, readFrame } from "../codecs/mod.ts";
import { DicomError } from "../errors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { PYDICOM_DATA } from "./_peers.ts";

const FILES = `${PYDICOM_DATA}test_files/`;

function read(name: string): Part10File {
  return decodePart10(Deno.readFileSync(FILES + name));
}

/** The file with its Pixel Data fragments replaced. */
function withFragments(
  file: Part10File,
  fragments: Uint8Array[],
  offsetTable = new Uint8Array(0),
): Part10File {
  const dataset = new Dataset();
  for (const e of file.dataset) dataset.setElement(e);
  dataset.setElement({ tag: Tag.PixelData, vr: "OB", kind: "fragments", offsetTable, fragments });
  return { ...file, dataset };
}

const COMPRESSED = [
  "SC_rgb_jpeg_dcmtk.dcm", // JPEG Baseline
  "JPGExtended.dcm", // JPEG Extended, 12-bit (jpeg_dct.ts)
  "SC_rgb_jpeg_gdcm.dcm", // JPEG Lossless SV1
  "MR_small_jpeg_ls_lossless.dcm", // JPEG-LS
  "MR_small_jp2klossless.dcm", // JPEG 2000
  "MR_small_RLE.dcm", // RLE
];

Deno.test("a frame cut anywhere is a CodecError, never a crash, a hang or garbage pixels", async () => {
  for (const name of COMPRESSED) {
    const file = read(name);
    const whole = file.dataset.fragments()!.fragments[0]!;
    for (const fraction of [0.02, 0.25, 0.5, 0.9, 0.99]) {
      const cut = whole.subarray(0, Math.floor(whole.length * fraction) & ~1);
      const error = await decodeFrames(withFragments(file, [cut])).catch((e) => e);
      assert(error instanceof CodecError, `${name} cut at ${fraction}: ${error}`);
      assert(/frame 1/.test(error.message), error.message);
    }
  }
});

Deno.test("a corrupt bitstream with its end marker intact is a DicomError or decodes, never a foreign throw", async () => {
  for (const name of COMPRESSED) {
    const file = read(name);
    const whole = file.dataset.fragments()!.fragments[0]!;
    for (let k = 0; k < 12; k++) {
      const broken = whole.slice();
      // Overwrite bytes after the headers, leaving the end marker.
      const at = 120 + Math.floor(((broken.length - 130) * k) / 12);
      broken.fill(k % 2 ? 0xff : 0x00, at, at + 6);
      const error = await decodeFrames(withFragments(file, [broken])).then(
        () => undefined,
        (e) => e,
      );
      assert(error === undefined || error instanceof DicomError, `${name} #${k}: ${error}`);
    }
    // The codec is usable again afterwards.
    const frames = await decodeFrames(file);
    assertEquals(frames.length, 1, name);
  }
});

Deno.test("a bitstream whose size differs from Rows/Columns is refused before it is decoded", async () => {
  for (const name of COMPRESSED) {
    const file = read(name);
    file.dataset.set(Tag.Rows, file.dataset.number(Tag.Rows)! * 2, "US");
    await assertRejects(() => decodeFrames(file), /the bitstream holds|segment 1 decodes to/, name);
  }
});

Deno.test("a Basic Offset Table that does not point at fragments, or has the wrong count, is a CodecError", () => {
  const file = read("SC_rgb_rle_2frame.dcm");
  const [a, b] = file.dataset.fragments()!.fragments as [Uint8Array, Uint8Array];
  const table = (...offsets: number[]) => new Uint8Array(new Uint32Array(offsets).buffer);
  const frames = (f: Part10File) => encapsulatedFrames(f.dataset, 2);
  assertEquals(frames(withFragments(file, [a, b], table(0, 8 + a.length))).length, 2);
  assertThrows(
    () => frames(withFragments(file, [a, b], table(0, 12))),
    /byte 12, which is not the start/,
  );
  assertThrows(() => frames(withFragments(file, [a, b], table(0))), /1 entries for 2 frames/);
  assertThrows(() => frames(withFragments(file, [a, b], table(8 + a.length, 0))), CodecError);
});

Deno.test("Number of Frames that disagrees with the fragments is a CodecError, not a wrong split", async () => {
  const file = read("SC_rgb_rle_2frame.dcm");
  file.dataset.set(Tag.NumberOfFrames, "3", "IS");
  await assertRejects(() => decodeFrames(file), CodecError);
  const one = read("MR_small_RLE.dcm");
  one.dataset.set(Tag.NumberOfFrames, "2", "IS");
  await assertRejects(() => decodeFrames(one), /Basic Offset Table has 1 entries for 2 frames/);
});

Deno.test("an Extended Offset Table whose counts or offsets lie is a CodecError", () => {
  const file = read("SC_rgb_rle_2frame.dcm");
  const [a, b] = file.dataset.fragments()!.fragments as [Uint8Array, Uint8Array];
  const u64 = (...v: number[]) => new Uint8Array(new BigUint64Array(v.map(BigInt)).buffer);
  const ok = withFragments(file, [a, b]);
  ok.dataset.set(Tag.ExtendedOffsetTable, u64(0, 8 + a.length), "OV");
  ok.dataset.set(Tag.ExtendedOffsetTableLengths, u64(a.length, b.length), "OV");
  assertEquals(encapsulatedFrames(ok.dataset, 2).map((f) => f.length), [a.length, b.length]);
  ok.dataset.set(Tag.ExtendedOffsetTable, u64(0, 9), "OV");
  assertThrows(() => encapsulatedFrames(ok.dataset, 2), /points at byte 9/);
  ok.dataset.set(Tag.ExtendedOffsetTable, u64(0), "OV");
  assertThrows(() => encapsulatedFrames(ok.dataset, 2), /1 offsets and 2 lengths for 2 frames/);
});

Deno.test("native Pixel Data shorter than its frames is a CodecError; a frame index outside is a RangeError", async () => {
  const file = read("MR_small.dcm");
  await assertRejects(() => readFrame(file, 1), RangeError);
  file.dataset.set(Tag.PixelData, new Uint8Array(100), "OW");
  await assertRejects(
    () => readFrame(file, 0),
    /Pixel Data holds 100 bytes, 1 frames of 64x64 need 8192/,
  );
});

Deno.test("a data set without the Image Pixel Module's geometry is a CodecError", async () => {
  const file = read("MR_small_RLE.dcm");
  file.dataset.delete(Tag.Columns);
  await assertRejects(() => decodeFrames(file), /Columns \(0028,0011\) is missing/);
});

Deno.test("a damaged Image Pixel Module value (text that is no number) is a CodecError, not a TypeError (fuzz pixels_7_653)", async () => {
  const file = read("MR_small_RLE.dcm");
  // What the fuzzer's mutation left: Samples per Pixel with an empty second value, as text.
  file.dataset.setElement({
    tag: Tag.SamplesPerPixel,
    vr: "IS",
    kind: "bytes",
    bytes: new TextEncoder().encode("1\\ "),
  });
  await assertRejects(() => decodeFrames(file), CodecError);
});

Deno.test("a JPEG 2000 codestream padded after EOC with an FF fill byte (as GDCM writes) is whole, not truncated", async () => {
  const [frame] = await decodeFrames(read("examples_jpeg2k.dcm"));
  assertEquals(frame!.pixels.length, 640 * 480 * 3);
});
