/**
 * `dcm transcode IN OUT --ts SYNTAX`: writes a Part 10 file in another
 * transfer syntax, decoding and encoding its pixel data with
 * `@dcm/net/codecs` (loaded only by this command), like DCMTK's dcmconv,
 * dcmcrle/dcmdrle and dcmcjpls/dcmdjpls in one.
 *
 * @module
 */
import { deflateDataset, encodeDataset, encodeFileMeta } from "../dataset/mod.ts";
import { transferSyntaxInfo, Uid } from "../dictionary/mod.ts";
import { defineCommand, UsageError } from "./_args.ts";
import { fileError } from "./_file_error.ts";
import { readPart10File } from "./_part10_file.ts";

/** Short names for `--ts`, besides any transfer syntax UID. */
const NAMES: Readonly<Record<string, string>> = {
  explicit: Uid.ExplicitVRLittleEndian,
  implicit: Uid.ImplicitVRLittleEndian,
  "explicit-big": Uid.ExplicitVRBigEndian,
  deflate: Uid.DeflatedExplicitVRLittleEndian,
  rle: Uid.RLELossless,
  "jpeg-ls-lossless": Uid.JPEGLSLossless,
  "j2k-lossless": Uid.JPEG2000Lossless,
  "htj2k-lossless": Uid.HTJ2KLossless,
};

/** `dcm transcode`: exits 1 when the file cannot be read, decoded or encoded. */
export const transcode = defineCommand({
  name: "transcode",
  synopsis: "IN OUT",
  summary: "Write a file in another transfer syntax, decoding and encoding its pixel data.",
  positionals: [2, 2],
  options: {
    ts: {
      type: "string",
      value: "SYNTAX",
      description: `the transfer syntax to write: a UID or one of ${Object.keys(NAMES).join(", ")}`,
    },
  },
  notes: [
    "Decodes RLE, JPEG Baseline, JPEG Extended (8 and 12 bits), JPEG Lossless, JPEG-LS, JPEG 2000, HTJ2K;",
    "encodes RLE, JPEG-LS, JPEG 2000 and HTJ2K, losslessly only. Lossy input keeps",
    "Lossy Image Compression 01 (PS3.3 C.7.6.1.1.5).",
    "example: dcm transcode ct_j2k.dcm ct.dcm --ts explicit",
  ],
}, async (values, positionals) => {
  const [input, output] = positionals as [string, string];
  if (values.ts === undefined) throw new UsageError("--ts is required");
  const ts = NAMES[values.ts] ?? values.ts;
  if (!transferSyntaxInfo(ts)) {
    throw new UsageError(
      `--ts ${values.ts}: not a transfer syntax UID nor one of ${Object.keys(NAMES).join(", ")}`,
    );
  }
  const file = await readPart10File(input);
  const codecs = await import("../codecs/mod.ts");
  const out = await codecs.transcode(file, ts);
  const head = encodeFileMeta(out.meta, out.preamble);
  let body = encodeDataset(out.dataset, { transferSyntax: ts });
  if (transferSyntaxInfo(ts)?.deflated) body = await deflateDataset(body);
  const whole = new Uint8Array(head.length + body.length);
  whole.set(head);
  whole.set(body, head.length);
  try {
    await Deno.writeFile(output, whole);
  } catch (e) {
    throw fileError(output, e);
  }
  console.log(
    `${input} (${
      transferSyntaxInfo(file.transferSyntax)?.name ?? file.transferSyntax
    }) -> ${output} (${transferSyntaxInfo(ts)!.name})`,
  );
  return 0;
});
