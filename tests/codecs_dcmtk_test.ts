// Our decoders against DCMTK's (dcmdjpeg, dcmdjpls, dcmdrle), which write an
// uncompressed copy of each corpus file at test time, and our encoders'
// output decoded by DCMTK. JPEG 2000 has no DCMTK decoder (3.6.7): it is
// compared with the uncompressed twin pydicom ships (MR_small.dcm) and the
// RLE file of the same picture.
import { decodePart10, encodePart10, type Part10File } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { decodeFrames, transcode, UnsupportedTransferSyntaxError } from "../codecs/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { dcmtkIgnore, PYDICOM_DATA, runDcmtk } from "./_peers.ts";

const FILES = `${PYDICOM_DATA}test_files/`;
const ignore = dcmtkIgnore("dcmdjpeg") || dcmtkIgnore("dcmdjpls") || dcmtkIgnore("dcmdrle") ||
  dcmtkIgnore("dcmcjpeg");

function read(path: string): Part10File {
  return decodePart10(Deno.readFileSync(path));
}

/** All frames' native bytes, joined. */
async function pixels(file: Part10File): Promise<Uint8Array> {
  const frames = await decodeFrames(file);
  const out = new Uint8Array(frames.reduce((n, f) => n + f.bytes.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f.bytes, at);
    at += f.bytes.length;
  }
  return out;
}

/** Largest difference between two byte arrays of the same length, or -1 when the lengths differ. */
function maxDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -1;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** DCMTK's decode of `path` into an uncompressed file (Explicit VR LE), read back. */
async function dcmtkDecoded(tool: string, path: string, dir: string): Promise<Part10File> {
  const out = `${dir}/${path.split("/").pop()}.${tool}.dcm`;
  await runDcmtk(tool, ["+te", path, out]);
  return read(out);
}

const LOSSLESS: Record<string, string[]> = {
  dcmdrle: [
    "MR_small_RLE.dcm",
    "SC_rgb_rle.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_rle_16bit.dcm",
    "SC_rgb_rle_16bit_2frame.dcm",
    "SC_rgb_rle_32bit.dcm",
    "SC_rgb_rle_32bit_2frame.dcm",
    "rtdose_rle.dcm",
    "rtdose_rle_1frame.dcm",
  ],
  dcmdjpls: [
    "MR_small_jpeg_ls_lossless.dcm",
    "JPEGLSNearLossless_08.dcm",
    "JPEGLSNearLossless_16.dcm",
    "SC_rgb_jls_lossy_line.dcm",
    "SC_rgb_jls_lossy_sample.dcm",
  ],
  dcmdjpeg: ["SC_rgb_jpeg_gdcm.dcm"],
};

const LOSSY_JPEG = [
  "SC_rgb_jpeg_dcmtk.dcm",
  "SC_rgb_dcmtk_+eb+cr.dcm",
  "SC_rgb_dcmtk_+eb+cy+n1.dcm",
  "SC_rgb_dcmtk_+eb+cy+n2.dcm",
  "SC_rgb_dcmtk_+eb+cy+np.dcm",
  "SC_rgb_dcmtk_+eb+cy+s2.dcm",
  "SC_rgb_dcmtk_+eb+cy+s4.dcm",
  "SC_rgb_jpeg_lossy_gdcm.dcm",
  "SC_rgb_jpeg_app14_dcmd.dcm",
  "SC_jpeg_no_color_transform.dcm",
  "SC_jpeg_no_color_transform_2.dcm",
  "SC_rgb_small_odd_jpeg.dcm",
  "examples_ybr_color.dcm",
];

Deno.test({
  name:
    "RLE, JPEG-LS (lossless and near-lossless) and JPEG Lossless SV1 decode to DCMTK's pixels, byte for byte",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_codecs_" });
    try {
      const wrong: string[] = [];
      for (const [tool, names] of Object.entries(LOSSLESS)) {
        for (const name of names) {
          const ours = await pixels(read(FILES + name));
          const theirs = await pixels(await dcmtkDecoded(tool, FILES + name, dir));
          const d = maxDifference(ours, theirs);
          if (d !== 0) wrong.push(`${name}: ${d < 0 ? "lengths differ" : `differs by ${d}`}`);
        }
      }
      assertEquals(wrong, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "JPEG Baseline decodes to dcmdjpeg's pixels and Photometric Interpretation (YBR_FULL and YBR_FULL_422 become RGB)",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_codecs_" });
    try {
      const wrong: string[] = [];
      for (const name of LOSSY_JPEG) {
        const file = read(FILES + name);
        const frames = await decodeFrames(file);
        const reference = await dcmtkDecoded("dcmdjpeg", FILES + name, dir);
        const d = maxDifference(await pixels(file), await pixels(reference));
        // Both are libjpeg's integer IDCT here; the brief allows 1, we see 0.
        if (d < 0 || d > 1) wrong.push(`${name}: ${d < 0 ? "lengths differ" : `differs by ${d}`}`);
        const pi = reference.dataset.string(Tag.PhotometricInterpretation);
        if (frames[0]!.photometricInterpretation !== pi) {
          wrong.push(`${name}: ours says ${frames[0]!.photometricInterpretation}, dcmdjpeg ${pi}`);
        }
        assertEquals(frames[0]!.lossyMethod, "ISO_10918_1");
      }
      assertEquals(wrong, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "JPEG Lossless (process 14) with every predictor 1-7, made by dcmcjpeg, decodes to the original",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_codecs_" });
    try {
      const original = await pixels(read(FILES + "MR_small.dcm"));
      for (let sv = 1; sv <= 7; sv++) {
        const out = `${dir}/sv${sv}.dcm`;
        await runDcmtk("dcmcjpeg", ["+el", "+sv", String(sv), FILES + "MR_small.dcm", out]);
        const file = read(out);
        assertEquals(file.transferSyntax, Uid.JPEGLossless);
        assertEquals(maxDifference(await pixels(file), original), 0, `predictor ${sv}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "our RLE and JPEG-LS encodings, decoded by dcmdrle and dcmdjpls, give back the original pixels",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_codecs_" });
    try {
      const sources = [
        read(FILES + "MR_small.dcm"), // 16-bit signed
        read(FILES + "SC_rgb_rle.dcm"), // 8-bit RGB
        read(FILES + "SC_rgb_rle_16bit_2frame.dcm"), // 16-bit RGB, 2 frames
        read(FILES + "rtdose_rle.dcm"), // 32-bit, 15 frames (RLE only)
      ];
      for (const [i, source] of sources.entries()) {
        const original = await pixels(source);
        const targets: [string, string][] = [[Uid.RLELossless, "dcmdrle"]];
        if (source.dataset.number(Tag.BitsAllocated)! <= 16) {
          targets.push([Uid.JPEGLSLossless, "dcmdjpls"]);
        }
        for (const [ts, tool] of targets) {
          const encoded = await transcode(source, ts);
          const path = `${dir}/${i}.${ts}.dcm`;
          const meta = {
            transferSyntax: ts,
            sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
            sopInstanceUid: `2.25.${i + 1}`,
          };
          await Deno.writeFile(path, encodePart10(encoded.dataset, meta));
          const back = await dcmtkDecoded(tool, path, dir);
          assertEquals(maxDifference(await pixels(back), original), 0, `${i} via ${tool}`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("JPEG 2000 lossless decodes to pydicom's uncompressed twin and to the RLE copy of the same picture", async () => {
  const j2k = await pixels(read(FILES + "MR_small_jp2klossless.dcm"));
  assertEquals(maxDifference(j2k, await pixels(read(FILES + "MR_small.dcm"))), 0);
  const rgb = read(FILES + "SC_rgb_gdcm_KY.dcm"); // 4.91 holding a reversible codestream
  assertEquals(maxDifference(await pixels(rgb), await pixels(read(FILES + "SC_rgb_rle.dcm"))), 0);
  assertEquals((await decodeFrames(rgb))[0]!.lossyMethod, undefined);
});

Deno.test("JPEG 2000 and HTJ2K lossless encodings decode back to the original; colour JPEG 2000 says YBR_RCT", async () => {
  for (const name of ["MR_small.dcm", "SC_rgb_rle.dcm"]) {
    const source = read(FILES + name);
    const original = await pixels(source);
    for (const ts of [Uid.JPEG2000Lossless, Uid.HTJ2KLossless]) {
      const encoded = await transcode(source, ts);
      assertEquals(maxDifference(await pixels(encoded), original), 0, `${name} ${ts}`);
      const pi = encoded.dataset.string(Tag.PhotometricInterpretation);
      if (name === "SC_rgb_rle.dcm" && ts === Uid.JPEG2000Lossless) assertEquals(pi, "YBR_RCT");
    }
  }
});

Deno.test("12-bit JPEG Extended is refused with UnsupportedTransferSyntaxError naming its syntax", async () => {
  for (const name of ["JPGExtended.dcm", "JPEG-lossy.dcm"]) {
    await assertRejects(() => decodeFrames(read(FILES + name)), UnsupportedTransferSyntaxError);
  }
  const error = await decodeFrames(read(FILES + "JPGExtended.dcm")).catch((e) => e);
  assert(error instanceof UnsupportedTransferSyntaxError);
  assertEquals(error.transferSyntax, Uid.JPEGExtended12Bit);
  assert(/12-bit/.test(error.message), error.message);
});

Deno.test({
  name: "8-bit JPEG Extended (process 2, SOF1), made by dcmcjpeg +ee, decodes to dcmdjpeg's pixels",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_codecs_" });
    try {
      const native = `${dir}/native.dcm`;
      await runDcmtk("dcmdrle", [FILES + "SC_rgb_rle.dcm", native]);
      const extended = `${dir}/extended.dcm`;
      await runDcmtk("dcmcjpeg", ["+ee", native, extended]);
      const file = read(extended);
      assertEquals(file.transferSyntax, Uid.JPEGExtended12Bit);
      const reference = await dcmtkDecoded("dcmdjpeg", extended, dir);
      assertEquals(maxDifference(await pixels(file), await pixels(reference)), 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
