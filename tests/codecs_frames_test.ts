// readFrame()/decodeFrames(): typed arrays by Bits Allocated and Pixel
// Representation, samples interleaved, values as PS3.5 §8.1.1 defines them
// (Bits Stored bits; the sign from the High Bit), the data set untouched.
import { Dataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { decodeFrames, readFrame, transcode } from "../codecs/mod.ts";
import { assertEquals } from "./_assert.ts";

function image(
  values: number[],
  options: { signed: boolean; stored: number; samples?: number; planar?: number },
): Dataset {
  const samples = options.samples ?? 1;
  return new Dataset()
    .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
    .set(Tag.SOPInstanceUID, "2.25.4242")
    .set(Tag.SamplesPerPixel, samples)
    .set(Tag.PhotometricInterpretation, samples === 1 ? "MONOCHROME2" : "RGB")
    .set(Tag.Rows, 1)
    .set(Tag.Columns, values.length / samples)
    .set(Tag.BitsAllocated, 16)
    .set(Tag.BitsStored, options.stored)
    .set(Tag.HighBit, options.stored - 1)
    .set(Tag.PixelRepresentation, options.signed ? 1 : 0)
    .set(Tag.PlanarConfiguration, options.planar ?? 0)
    .set(Tag.PixelData, new Uint8Array(new Uint16Array(values).buffer), "OW");
}

const EXPLICIT = Uid.ExplicitVRLittleEndian;

Deno.test("readFrame() sign-extends 12-bit signed values from bit 11 and leaves the data set's bytes alone", async () => {
  // -96 as a 12-bit pattern (0x0FA0), 5, and -1 already sign-extended (0xFFFF).
  const dataset = image([0x0fa0, 5, 0xffff], { signed: true, stored: 12 });
  const before = [...dataset.bytes(Tag.PixelData)!];
  const frame = await readFrame({ dataset, transferSyntax: EXPLICIT }, 0);
  assertEquals(frame.pixels, new Int16Array([-96, 5, -1]));
  assertEquals([...dataset.bytes(Tag.PixelData)!], before);
});

Deno.test("readFrame() clears bits above Bits Stored of unsigned values (overlay bits, PS3.5 §8.1.1)", async () => {
  const dataset = image([0xf123, 0x0fff], { signed: false, stored: 12 });
  const frame = await readFrame({ dataset, transferSyntax: EXPLICIT }, 0);
  assertEquals(frame.pixels, new Uint16Array([0x123, 0xfff]));
});

Deno.test("signed 12-bit data through JPEG-LS (which codes the bit pattern) reads back as the same values", async () => {
  const values = [0xffa0, 5, 0xf800, 0x07ff]; // -96, 5, -2048, 2047
  const dataset = image(values, { signed: true, stored: 12 });
  const jls = await transcode({ dataset, transferSyntax: EXPLICIT }, Uid.JPEGLSLossless);
  const [frame] = await decodeFrames(jls);
  assertEquals(frame!.pixels, new Int16Array([-96, 5, -2048, 2047]));
});

Deno.test("readFrame() interleaves by-plane samples (Planar Configuration 1)", async () => {
  const dataset = image([1, 2, 10, 20, 100, 200], {
    signed: false,
    stored: 16,
    samples: 3,
    planar: 1,
  });
  const frame = await readFrame({ dataset, transferSyntax: EXPLICIT }, 0);
  assertEquals(frame.pixels, new Uint16Array([1, 10, 100, 2, 20, 200]));
});
