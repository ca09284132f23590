/**
 * `dcm extract IN.dcm OUT`: the document an Encapsulated PDF, CDA, STL,
 * OBJ or MTL object holds, byte for byte (dcm2pdf, dcm2cda), or the
 * bitstream of each frame of encapsulated pixel data (one frame: OUT;
 * several: OUT with `_1`, `_2`, ... before its extension).
 *
 * @module
 */
import { decodePart10 } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { extractDocument, extractFrames } from "../encapsulation/mod.ts";
import { defineCommand } from "./_args.ts";
import { fileError } from "./_file_error.ts";

/** `out` for frame `n` (from 1) of `count`. */
export function framePath(out: string, n: number, count: number): string {
  if (count === 1) return out;
  const dot = out.lastIndexOf(".");
  const slash = Math.max(out.lastIndexOf("/"), out.lastIndexOf("\\"));
  return dot > slash + 1 ? `${out.slice(0, dot)}_${n}${out.slice(dot)}` : `${out}_${n}`;
}

/** The `dcm extract` command. */
export const extract = defineCommand({
  name: "extract",
  synopsis: "IN.dcm OUT",
  summary: "write out an encapsulated document, or the frames of encapsulated pixel data",
  positionals: [2, 2],
  options: {},
  notes: [
    "examples:",
    "  dcm extract report.dcm report.pdf",
    "  dcm extract photo.dcm photo.jpg      # a multi-frame object: photo_1.jpg, photo_2.jpg, ...",
  ],
}, async (_values, [input, output]) => {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(input!);
  } catch (e) {
    throw fileError(input!, e);
  }
  const { dataset } = decodePart10(bytes);
  const outputs: [string, Uint8Array][] = dataset.has(Tag.EncapsulatedDocument)
    ? [[output!, extractDocument(dataset)]]
    : extractFrames(dataset).map((frame, i, all) => [framePath(output!, i + 1, all.length), frame]);
  for (const [path, content] of outputs) {
    try {
      await Deno.writeFile(path, content);
    } catch (e) {
      throw fileError(path, e);
    }
    console.log(`${path}: ${content.length} bytes`);
  }
  return 0;
});
