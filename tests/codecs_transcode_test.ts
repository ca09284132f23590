// transcode(): the attributes PS3.5 §8.2 and PS3.3 C.7.6.1.1.5 / C.7.6.3.1
// tie to the pixel data's encoding change with it, and nothing lossy is ever
// labelled lossless.
import { decodePart10, type Part10File } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { decodeFrames, transcode, UnsupportedTransferSyntaxError } from "../codecs/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { PYDICOM_DATA } from "./_peers.ts";

const FILES = `${PYDICOM_DATA}test_files/`;

function read(name: string): Part10File {
  return decodePart10(Deno.readFileSync(FILES + name));
}

Deno.test("transcode() of JPEG Baseline to Explicit VR LE: RGB, planar 0, Lossy Image Compression 01 with ratio and method", async () => {
  const source = read("SC_rgb_jpeg_lossy_gdcm.dcm"); // YBR_FULL
  // As a writer that did not record its lossy compression would leave it.
  source.dataset.delete(Tag.LossyImageCompression);
  const out = await transcode(source, Uid.ExplicitVRLittleEndian);
  const ds = out.dataset;
  assertEquals(out.transferSyntax, Uid.ExplicitVRLittleEndian);
  assertEquals(out.meta.string(Tag.TransferSyntaxUID), Uid.ExplicitVRLittleEndian);
  assertEquals(ds.string(Tag.PhotometricInterpretation), "RGB");
  assertEquals(ds.number(Tag.PlanarConfiguration), 0);
  assertEquals(ds.string(Tag.LossyImageCompression), "01");
  assertEquals(ds.strings(Tag.LossyImageCompressionMethod), ["ISO_10918_1"]);
  const ratio = Number(ds.string(Tag.LossyImageCompressionRatio));
  assert(ratio > 1 && ratio < 100, `ratio ${ratio}`);
  assertEquals(ds.bytes(Tag.PixelData)!.length, 100 * 100 * 3);
  assertEquals(ds.fragments(), undefined);
  // The source is unchanged.
  assertEquals(source.dataset.string(Tag.PhotometricInterpretation), "YBR_FULL");
});

Deno.test("transcode() keeps a lossy history: JPEG Baseline re-encoded losslessly still says 01", async () => {
  const rle = await transcode(read("SC_rgb_jpeg_dcmtk.dcm"), Uid.RLELossless);
  assertEquals(rle.dataset.string(Tag.LossyImageCompression), "01");
  const back = await transcode(rle, Uid.JPEGLSLossless);
  assertEquals(back.dataset.string(Tag.LossyImageCompression), "01");
  assertEquals(back.dataset.strings(Tag.LossyImageCompressionMethod), ["ISO_10918_1"]);
});

Deno.test("transcode() of lossless data adds no Lossy Image Compression attributes", async () => {
  for (
    const name of ["MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm"]
  ) {
    const out = await transcode(read(name), Uid.ExplicitVRLittleEndian);
    assertEquals(out.dataset.has(Tag.LossyImageCompression), false, name);
    assertEquals(out.dataset.has(Tag.LossyImageCompressionMethod), false, name);
  }
});

Deno.test("transcode() of JPEG-LS near-lossless (NEAR > 0) records ISO_14495_1", async () => {
  const out = await transcode(read("JPEGLSNearLossless_08.dcm"), Uid.ExplicitVRLittleEndian);
  assertEquals(out.dataset.string(Tag.LossyImageCompression), "01");
  assertEquals(out.dataset.strings(Tag.LossyImageCompressionMethod).at(-1), "ISO_14495_1");
});

Deno.test("transcode() writes one fragment per frame with a Basic Offset Table, and drops an Extended one", async () => {
  const out = await transcode(read("SC_rgb_rle_16bit_2frame.dcm"), Uid.JPEGLSLossless);
  const px = out.dataset.fragments()!;
  assertEquals(px.fragments.length, 2);
  const table = new DataView(px.offsetTable.buffer, px.offsetTable.byteOffset, 8);
  assertEquals([table.getUint32(0, true), table.getUint32(4, true)], [
    0,
    8 + px.fragments[0]!.length,
  ]);
  assert(px.fragments.every((f) => f.length % 2 === 0));
  assertEquals((await decodeFrames(out)).length, 2);
  assertEquals(out.dataset.has(Tag.ExtendedOffsetTable), false);
});

Deno.test("transcode() to a syntax with no encoder here (lossy JPEG) or from an unknown one is refused", async () => {
  const source = read("MR_small.dcm");
  await assertRejects(
    () => transcode(source, Uid.JPEGBaseline8Bit),
    UnsupportedTransferSyntaxError,
  );
  await assertRejects(() => transcode(source, Uid.JPEG2000), UnsupportedTransferSyntaxError);
  await assertRejects(
    () =>
      transcode(
        { ...read("MR_small_RLE.dcm"), transferSyntax: "1.2.3.4" },
        Uid.ExplicitVRLittleEndian,
      ),
    /from 1\.2\.3\.4: no decoder/,
  );
});

Deno.test("transcode() of native YBR_FULL_422 gives full-resolution YBR_FULL samples", async () => {
  const source = read("SC_ybr_full_422_uncompressed.dcm");
  const out = await transcode(source, Uid.RLELossless);
  assertEquals(out.dataset.string(Tag.PhotometricInterpretation), "YBR_FULL");
  const [frame] = await decodeFrames(out);
  const rows = source.dataset.number(Tag.Rows)!;
  const columns = source.dataset.number(Tag.Columns)!;
  assertEquals(frame!.bytes.length, rows * columns * 3);
  // The first two pixels share Cb and Cr (PS3.3 C.7.6.3.1.2).
  const raw = source.dataset.bytes(Tag.PixelData)!;
  assertEquals([...frame!.bytes.subarray(0, 6)], [raw[0], raw[2], raw[3], raw[1], raw[2], raw[3]]);
});
