// `dcm transcode IN OUT --ts SYNTAX` through the real entry point, its
// output read back by DCMTK, and the list of syntaxes `dcm store` decodes
// without loading the codecs.
import { decodePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { decodeFrames } from "../codecs/mod.ts";
import { assertEquals, assertMatch } from "./_assert.ts";
import { dcm } from "./_cli.ts";
import { dcmtkIgnore, PYDICOM_DATA, runDcmtk } from "./_peers.ts";

const FILES = `${PYDICOM_DATA}test_files/`;

async function pixelsOf(path: string): Promise<number[]> {
  return (await decodeFrames(decodePart10(await Deno.readFile(path)))).flatMap((f) => [...f.bytes]);
}

Deno.test("dcm transcode --ts explicit decodes JPEG 2000 to MR_small.dcm's pixels and says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_cli_transcode_" });
  try {
    const out = `${dir}/out.dcm`;
    const r = await dcm("transcode", FILES + "MR_small_jp2klossless.dcm", out, "--ts", "explicit");
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      /\(JPEG 2000 Image Compression \(Lossless Only\)\) -> .*\(Explicit VR Little Endian\)/,
    );
    const file = decodePart10(await Deno.readFile(out));
    assertEquals(file.meta.string(Tag.TransferSyntaxUID), Uid.ExplicitVRLittleEndian);
    assertEquals(await pixelsOf(out), await pixelsOf(FILES + "MR_small.dcm"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "dcm transcode --ts rle and --ts jpeg-ls-lossless write files DCMTK decodes to the original",
  ignore: dcmtkIgnore("dcmdrle") || dcmtkIgnore("dcmdjpls"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_cli_transcode_" });
    try {
      const original = await pixelsOf(FILES + "SC_rgb_rle_2frame.dcm");
      for (const [name, tool] of [["rle", "dcmdrle"], ["jpeg-ls-lossless", "dcmdjpls"]]) {
        const out = `${dir}/${name}.dcm`;
        const r = await dcm("transcode", FILES + "SC_rgb_rle_2frame.dcm", out, "--ts", name!);
        assertEquals(r.code, 0, r.stderr);
        await runDcmtk(tool!, [out, `${out}.raw`]);
        assertEquals(await pixelsOf(`${out}.raw`), original, name);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("dcm transcode refuses an unknown --ts (exit 2) and a frame it cannot decode (exit 1)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_cli_transcode_" });
  try {
    const bad = await dcm("transcode", FILES + "MR_small.dcm", `${dir}/x.dcm`, "--ts", "jpeg-9000");
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /--ts jpeg-9000: not a transfer syntax UID/);
    // Its SIZ segment is overwritten by the item delimiter pydicom's test is about.
    const broken = await dcm(
      "transcode",
      FILES + "JPEG2000-embedded-sequence-delimiter.dcm",
      `${dir}/y.dcm`,
      "--ts",
      "explicit",
    );
    assertEquals(broken.code, 1);
    assertMatch(broken.stderr, /the bitstream holds 3722445056x1024/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm transcode decodes 12-bit JPEG Extended to Explicit VR Little Endian, still marked lossy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_cli_transcode_" });
  try {
    const out = `${dir}/twelve.dcm`;
    const r = await dcm("transcode", FILES + "JPGExtended.dcm", out, "--ts", "explicit");
    assertEquals(r.code, 0, r.stderr);
    const file = decodePart10(await Deno.readFile(out));
    assertEquals(file.transferSyntax, Uid.ExplicitVRLittleEndian);
    assertEquals(file.dataset.string(Tag.LossyImageCompression), "01");
    const original = decodePart10(await Deno.readFile(FILES + "JPGExtended.dcm"));
    const [ours] = await decodeFrames(original);
    const [written] = await decodeFrames(file);
    assertEquals(written!.bytes, ours!.bytes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm dump --frames prints the same frame line for MR_small.dcm and its RLE, JPEG-LS and JPEG 2000 copies", async () => {
  const frameLines = async (name: string) => {
    const r = await dcm("dump", "--frames", FILES + name);
    assertEquals(r.code, 0, r.stderr);
    return r.stdout.split("\n").filter((l) => l.startsWith("# Frame"));
  };
  const expected = await frameLines("MR_small.dcm");
  assertEquals(expected.length, 2);
  assertMatch(
    expected[1]!,
    /^# Frame 1: 64x64, 1 sample\(s\) of 16\/16 bits \(Int16Array\), MONOCHROME2: min -?\d+ max \d+ mean [\d.]+$/,
  );
  for (
    const name of ["MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm"]
  ) {
    assertEquals(await frameLines(name), expected, name);
  }
  const refused = await dcm("dump", "--frames", "--json", FILES + "MR_small.dcm");
  assertEquals(refused.code, 2);
});

Deno.test("dcm transcode writes and reads deflated files: RLE -> deflate -> JPEG-LS keeps the pixels", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_cli_transcode_" });
  try {
    const deflated = `${dir}/deflated.dcm`;
    const jls = `${dir}/jls.dcm`;
    assertEquals(
      (await dcm("transcode", FILES + "MR_small_RLE.dcm", deflated, "--ts", "deflate")).code,
      0,
    );
    const r = await dcm("transcode", deflated, jls, "--ts", "jpeg-ls-lossless");
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await pixelsOf(jls), await pixelsOf(FILES + "MR_small.dcm"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
