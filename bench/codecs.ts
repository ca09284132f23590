/**
 * Decode speed of `@dcm/net/codecs` against DCMTK's decoders (dcmdrle,
 * dcmdjpls, dcmdjpeg) on the same files: multi-frame images generated here,
 * compressed by DCMTK's own encoders (dcmcrle, dcmcjpls, dcmcjpeg), so that
 * both decode the same bitstreams. DCMTK's time is the whole process
 * (start, read, decode, write); ours is read and decode in this process,
 * after one warm-up run that loads the codec. JPEG 2000 has no DCMTK
 * codec: ours only.
 *
 * @module
 */
import { Dataset, decodePart10, encodePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { decodeFrames, transcode } from "../codecs/mod.ts";
import { dcmtk, freshDir } from "./_compare.ts";

const FRAMES = 40;
const SIZE = 512;
const dir = await freshDir(await Deno.makeTempDir({ prefix: "dcm_bench_codecs_" }));

/** A smooth picture with noise: what medical images look like to a codec. */
function image(bits: 8 | 16): Dataset {
  const samples = SIZE * SIZE * FRAMES;
  const pixels = bits === 8 ? new Uint8Array(samples) : new Uint16Array(samples);
  let seed = 1;
  for (let f = 0; f < FRAMES; f++) {
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const v = 0.5 + 0.4 * Math.sin((x + f * 3) / 23) * Math.cos(y / 31) +
          ((seed >> 16) & 15) / 400;
        pixels[(f * SIZE + y) * SIZE + x] = Math.round(v * (bits === 8 ? 255 : 4095));
      }
    }
  }
  return new Dataset()
    .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
    .set(Tag.SOPInstanceUID, `2.25.${bits}0${FRAMES}`)
    .set(Tag.SamplesPerPixel, 1)
    .set(Tag.PhotometricInterpretation, "MONOCHROME2")
    .set(Tag.NumberOfFrames, String(FRAMES))
    .set(Tag.Rows, SIZE)
    .set(Tag.Columns, SIZE)
    .set(Tag.BitsAllocated, bits)
    .set(Tag.BitsStored, bits === 8 ? 8 : 12)
    .set(Tag.HighBit, bits === 8 ? 7 : 11)
    .set(Tag.PixelRepresentation, 0)
    .set(Tag.PixelData, new Uint8Array(pixels.buffer), bits === 8 ? "OB" : "OW");
}

const native8 = `${dir}/native8.dcm`;
const native16 = `${dir}/native16.dcm`;
await Deno.writeFile(native8, encodePart10(image(8)));
await Deno.writeFile(native16, encodePart10(image(16)));

const cases: { name: string; source: string; encode: [string, string[]]; decoder: string }[] = [
  { name: "RLE 16-bit", source: native16, encode: ["dcmcrle", []], decoder: "dcmdrle" },
  {
    name: "JPEG-LS lossless 12-bit",
    source: native16,
    encode: ["dcmcjpls", []],
    decoder: "dcmdjpls",
  },
  {
    name: "JPEG Lossless SV1 12-bit",
    source: native16,
    encode: ["dcmcjpeg", ["+e1"]],
    decoder: "dcmdjpeg",
  },
  {
    name: "JPEG Extended 12-bit",
    source: native16,
    encode: ["dcmcjpeg", ["+ee", "+bt"]],
    decoder: "dcmdjpeg",
  },
  {
    name: "JPEG Baseline 8-bit",
    source: native8,
    encode: ["dcmcjpeg", ["+eb"]],
    decoder: "dcmdjpeg",
  },
];

console.log(`${FRAMES} frames of ${SIZE}x${SIZE}, frames/s (median of 3)`);
const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
for (const c of cases) {
  const file = `${dir}/${c.name.replace(/\W+/g, "_")}.dcm`;
  await dcmtk(c.encode[0], [...c.encode[1], c.source, file]);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push(await dcmtk(c.decoder, [file, `${file}.out`]));
  const theirs = median(times);
  await decodeFrames(decodePart10(await Deno.readFile(file))); // loads the codec
  const ours: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    await decodeFrames(decodePart10(await Deno.readFile(file)));
    ours.push(performance.now() - start);
  }
  const fps = (ms: number) => (FRAMES / (ms / 1000)).toFixed(0).padStart(6);
  console.log(
    `${c.name.padEnd(26)} ours ${fps(median(ours))}   DCMTK ${fps(theirs)} (${c.decoder})`,
  );
}
for (const ts of [Uid.JPEG2000Lossless, Uid.HTJ2KLossless]) {
  const encoded = await transcode(decodePart10(await Deno.readFile(native16)), ts);
  await decodeFrames(encoded);
  const ours: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    await decodeFrames(encoded);
    ours.push(performance.now() - start);
  }
  const name = ts === Uid.HTJ2KLossless ? "HTJ2K lossless 12-bit" : "JPEG 2000 lossless 12-bit";
  console.log(
    `${name.padEnd(26)} ours ${
      (FRAMES / (median(ours) / 1000)).toFixed(0).padStart(6)
    }   (no DCMTK decoder)`,
  );
}
await Deno.remove(dir, { recursive: true });
