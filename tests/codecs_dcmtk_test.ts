// Our decoders against DCMTK's (dcmdjpeg, dcmdjpls, dcmdrle), which write an
// uncompressed copy of each corpus file at test time, and our encoders'
// output decoded by DCMTK. JPEG 2000 has no DCMTK decoder (3.6.7): it is
// compared with the uncompressed twin pydicom ships (MR_small.dcm) and the
// RLE file of the same picture.
import { Dataset, decodePart10, encodePart10, type Part10File } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { decodeFrames, transcode } from "../codecs/mod.ts";
import { assertEquals } from "./_assert.ts";
import { writtenImage } from "./_jpeg_writer.ts";
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

/** How many samples differ by 0, 1, 2...: the spread the IDCTs' rounding leaves. */
function differences(a: Uint8Array, b: Uint8Array): number[] {
  const x = new Uint16Array(a.slice().buffer);
  const y = new Uint16Array(b.slice().buffer);
  const counts: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    counts[d] = (counts[d] ?? 0) + 1;
  }
  return Array.from(counts, (n) => n ?? 0);
}

/** A copy of the file whose Photometric Interpretation says RGB: our decoder then keeps YCbCr samples as they are. */
function unconverted(file: Part10File): Part10File {
  const dataset = new Dataset();
  for (const e of file.dataset) dataset.setElement(e);
  dataset.set(Tag.PhotometricInterpretation, "RGB");
  return { ...file, dataset };
}

/**
 * Our 12-bit decode of `path` against dcmdjpeg's, grey or colour; colour
 * is compared both before (dcmdjpeg +cn) and after the YCbCr to RGB
 * conversion. The IDCTs differ (ours in floating point, dcmdjpeg IJG's
 * integer "islow"), by at most 1; the conversion adds up such differences
 * (B = Y + 1.772 (Cb - c): 1 + 1.772), so converted samples may differ by 3.
 */
async function compare12(path: string, dir: string): Promise<string[]> {
  const name = path.split("/").pop()!;
  const wrong: string[] = [];
  const file = read(path);
  assertEquals(file.transferSyntax, Uid.JPEGExtended12Bit, name);
  const reference = await dcmtkDecoded("dcmdjpeg", path, dir);
  const frames = await decodeFrames(file);
  const d = maxDifference16(await pixels(file), await pixels(reference));
  const pi = reference.dataset.string(Tag.PhotometricInterpretation);
  const converted = pi === "RGB" && file.dataset.string(Tag.PhotometricInterpretation) !== "RGB";
  if (d < 0 || d > (converted ? 3 : 1)) wrong.push(`${name}: differs by ${d}`);
  if (frames[0]!.photometricInterpretation !== pi) {
    wrong.push(`${name}: ours says ${frames[0]!.photometricInterpretation}, dcmdjpeg ${pi}`);
  }
  if (frames[0]!.lossyMethod !== "ISO_10918_1") {
    wrong.push(`${name}: lossy method ${frames[0]!.lossyMethod}`);
  }
  if (converted) {
    const out = `${dir}/${name}.cn.dcm`;
    await runDcmtk("dcmdjpeg", ["+cn", "+te", path, out]);
    const raw = maxDifference16(await pixels(unconverted(file)), await pixels(read(out)));
    if (raw < 0 || raw > 1) wrong.push(`${name}: unconverted, differs by ${raw}`);
  }
  return wrong;
}

/** Largest difference between two arrays of 16-bit little endian samples, -1 when their lengths differ. */
function maxDifference16(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -1;
  return differences(a, b).length - 1;
}

Deno.test({
  name:
    "12-bit JPEG Extended (the corpus' and dcmcjpeg +ee +bt's, grey and colour) decodes to dcmdjpeg's pixels within 1 (3 after YCbCr to RGB)",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_codecs_" });
    try {
      const paths = [FILES + "JPGExtended.dcm", FILES + "JPEG-lossy.dcm"];
      const rgb = `${dir}/rgb.dcm`;
      await runDcmtk("dcmdrle", [FILES + "SC_rgb_rle.dcm", rgb]);
      const made: [string, string, string[]][] = [
        ["mr12.dcm", FILES + "MR_small.dcm", []], // 16-bit signed, scaled to 12 bits
        ["rgb12_422.dcm", rgb, []], // YBR_FULL_422: Cb, Cr 2x1 subsampled
        ["rgb12_444.dcm", rgb, ["+s4"]],
        ["rgb12_411.dcm", rgb, ["+n1"]], // 4x1: upsampled by replication
        ["rgb12_rgb.dcm", rgb, ["+cr"]], // RGB components, no conversion
      ];
      for (const [name, source, extra] of made) {
        await runDcmtk("dcmcjpeg", ["+ee", "+bt", ...extra, source, `${dir}/${name}`]);
        paths.push(`${dir}/${name}`);
      }
      const wrong: string[] = [];
      for (const path of paths) wrong.push(...await compare12(path, dir));
      assertEquals(wrong, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "12-bit JPEG with restart intervals, 4:2:0 and 4:2:2 sampling, one scan per component and 16-bit quantizers decodes to dcmdjpeg's pixels",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_codecs_" });
    try {
      const cases: [string, Parameters<typeof writtenImage>[0]][] = [
        ["grey, restart every 3 MCUs, 67x45", {
          width: 67,
          height: 45,
          sampling: [[1, 1]],
          restartInterval: 3,
        }],
        ["grey, restart every MCU", {
          width: 24,
          height: 17,
          sampling: [[1, 1]],
          restartInterval: 1,
        }],
        ["grey, 16-bit DQT", { width: 33, height: 9, sampling: [[1, 1]], quantizer: 300 }],
        ["grey, 2x2 sampled alone", {
          width: 21,
          height: 19,
          sampling: [[2, 2]],
          restartInterval: 2,
        }],
        ["4:2:0, restart every 2 MCUs", {
          width: 50,
          height: 35,
          sampling: [[2, 2], [1, 1], [1, 1]],
          restartInterval: 2,
        }],
        ["4:2:2, a scan per component, restart every 5", {
          width: 41,
          height: 30,
          sampling: [[2, 1], [1, 1], [1, 1]],
          restartInterval: 5,
          scanPerComponent: true,
        }],
        ["1x2 chroma (4:4:0)", { width: 18, height: 27, sampling: [[1, 2], [1, 1], [1, 1]] }],
        ["4:4:4, more than 8 restart intervals", {
          width: 80,
          height: 16,
          sampling: [[1, 1], [1, 1], [1, 1]],
          restartInterval: 1,
        }],
      ];
      const wrong: string[] = [];
      for (const [i, [label, spec]] of cases.entries()) {
        const path = `${dir}/written${i}.dcm`;
        const file = writtenImage(spec);
        await Deno.writeFile(
          path,
          encodePart10(file.dataset, {
            transferSyntax: Uid.JPEGExtended12Bit,
            sopClassUid: Uid.SecondaryCaptureImageStorage,
            sopInstanceUid: `2.25.${900 + i}`,
          }),
        );
        wrong.push(...(await compare12(path, dir)).map((w) => `${label}: ${w}`));
      }
      assertEquals(wrong, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
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
