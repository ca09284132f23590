// Transcoding on send: DCMTK's storescp accepts only uncompressed syntaxes
// by default, so a JPEG 2000, JPEG-LS, RLE or JPEG file reaches it only when
// store() decodes it (the transcoder of @dcm/net/codecs). What storescp
// writes must hold the original's pixels.
import { decodePart10, type Part10File } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { decodeFrames, transcoder } from "../codecs/mod.ts";
import { NoContextError, store, type Transcoder } from "../service/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import { DcmtkServer, filesIn, HOST } from "./_storage_corpus.ts";
import { dcm } from "./_cli.ts";

const FILES = `${PYDICOM_DATA}test_files/`;
const ignore = dcmtkIgnore("storescp");

const COMPRESSED = [
  "MR_small_jp2klossless.dcm",
  "MR_small_jpeg_ls_lossless.dcm",
  "MR_small_RLE.dcm",
  "SC_rgb_jpeg_dcmtk.dcm",
];

function read(path: string): Part10File {
  return decodePart10(Deno.readFileSync(path));
}

async function pixelsOf(file: Part10File): Promise<number[]> {
  return (await decodeFrames(file)).flatMap((f) => [...f.bytes]);
}

/** storescp's files by SOP Instance UID. */
async function storedByUid(dir: string): Promise<Map<string, Part10File>> {
  const out = new Map<string, Part10File>();
  for (const path of await filesIn(dir)) {
    const file = read(path);
    out.set(file.dataset.string(Tag.SOPInstanceUID)!, file);
  }
  return out;
}

/** Runs `fn` with an uncompressed-only storescp writing into a fresh folder, removed after. */
async function withStorescp(fn: (scp: DcmtkServer, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dcm_store_transcode_" });
  try {
    await using scp = await DcmtkServer.start("storescp", (port) => ["-od", dir, String(port)]);
    await fn(scp, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "store() with the codecs' transcoder sends JPEG 2000, JPEG-LS, RLE and JPEG files to an uncompressed-only storescp",
  ignore,
  fn: () =>
    withStorescp(async (scp, dir) => {
      const paths = COMPRESSED.map((n) => FILES + n);
      const summary = await store(HOST, scp.port, paths, { transcoder });
      assertEquals(summary.results.map((r) => r.error?.message), COMPRESSED.map(() => undefined));
      assertEquals(summary.completed, COMPRESSED.length);
      const stored = await storedByUid(dir);
      for (const path of paths) {
        const source = read(path);
        const copy = stored.get(source.dataset.string(Tag.SOPInstanceUID)!)!;
        assert(copy, `${path} was not stored`);
        assert(!copy.dataset.fragments(), `${path} arrived compressed (${copy.transferSyntax})`);
        assertEquals(await pixelsOf(copy), await pixelsOf(source), path);
      }
      // The lossless ones are MR_small.dcm's pixels exactly.
      const original = await pixelsOf(read(FILES + "MR_small.dcm"));
      const mr = stored.get(read(FILES + "MR_small_RLE.dcm").dataset.string(Tag.SOPInstanceUID)!)!;
      assertEquals(await pixelsOf(mr), original);
      const jpeg = stored.get(read(paths[3]!).dataset.string(Tag.SOPInstanceUID)!)!;
      assertEquals(jpeg.dataset.string(Tag.PhotometricInterpretation), "RGB");
      assertEquals(jpeg.dataset.string(Tag.LossyImageCompression), "01");
    }),
});

Deno.test({
  name:
    "store() without a transcoder fails each compressed file with NoContextError and sends the rest",
  ignore,
  fn: () =>
    withStorescp(async (scp) => {
      const summary = await store(HOST, scp.port, [
        FILES + "MR_small_RLE.dcm",
        FILES + "MR_small.dcm",
      ]);
      assertEquals(summary.completed, 1);
      assert(summary.results[0]!.error instanceof NoContextError);
      assertMatch(
        summary.results[0]!.error!.message,
        /neither its transfer syntax nor an uncompressed one/,
      );
    }),
});

Deno.test({
  name: "store() never calls the transcoder for objects the peer takes as they are",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_store_transcode_" });
    try {
      // +xa: storescp accepts every syntax it knows, compressed ones included.
      await using scp = await DcmtkServer.start(
        "storescp",
        (port) => ["+xa", "-od", dir, String(port)],
      );
      const calls: string[] = [];
      const spy: Transcoder = {
        canDecode: (ts) => transcoder.canDecode(ts),
        toNative: (dataset, ts) => {
          calls.push(ts);
          return transcoder.toNative(dataset, ts);
        },
      };
      const summary = await store(
        HOST,
        scp.port,
        [
          FILES + "MR_small.dcm",
          FILES + "MR_small_RLE.dcm",
          FILES + "MR_small_jpeg_ls_lossless.dcm",
        ],
        { transcoder: spy },
      );
      assertEquals(summary.completed, 3);
      assertEquals(calls, []);
      assertEquals(summary.results.map((r) => r.transferSyntax), [
        read(FILES + "MR_small.dcm").transferSyntax,
        read(FILES + "MR_small_RLE.dcm").transferSyntax,
        read(FILES + "MR_small_jpeg_ls_lossless.dcm").transferSyntax,
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "dcm store decodes for an uncompressed-only storescp by default; --no-transcode fails the file",
  ignore,
  fn: () =>
    withStorescp(async (scp, dir) => {
      const file = FILES + "MR_small_jp2klossless.dcm";
      const refused = await dcm("store", "--no-transcode", HOST, String(scp.port), file);
      assertEquals(refused.code, 1);
      assertMatch(refused.stderr, /neither its transfer syntax nor an uncompressed one/);
      const r = await dcm("store", HOST, String(scp.port), file);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /^1 stored, 0 with warnings, 0 failed/m);
      const [stored] = (await storedByUid(dir)).values();
      assertEquals(await pixelsOf(stored!), await pixelsOf(read(FILES + "MR_small.dcm")));
    }),
});

Deno.test({
  name:
    "dcm store sends a 12-bit JPEG Extended file to an uncompressed-only storescp decoded, marked lossy",
  ignore,
  fn: () =>
    withStorescp(async (scp, dir) => {
      const file = FILES + "JPGExtended.dcm";
      const r = await dcm("store", HOST, String(scp.port), file);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /^1 stored, 0 with warnings, 0 failed/m);
      const [stored] = (await storedByUid(dir)).values();
      assertEquals(stored!.dataset.fragments(), undefined);
      assertEquals(stored!.dataset.string(Tag.LossyImageCompression), "01");
      assertEquals(await pixelsOf(stored!), await pixelsOf(read(file)));
    }),
});

/** Compressed files of the corpus no decoder here handles, and why. */
const NOT_DECODED: Record<string, RegExp> = {
  // Its SIZ segment is overwritten by the item delimiter pydicom's test is about.
  "JPEG2000-embedded-sequence-delimiter.dcm": /the bitstream holds 3722445056x1024/,
  // Decoded, but storescp refuses them ("bad DICOM file"): their SOP UIDs are UN elements.
  "rtdose_rle.dcm": /status C000/,
  "rtdose_rle_1frame.dcm": /status C000/,
};

Deno.test({
  name:
    "every compressed file of the corpus reaches an uncompressed-only storescp decoded, or fails alone with its reason",
  ignore,
  fn: () =>
    withStorescp(async (scp, dir) => {
      const names: string[] = [];
      for await (const e of Deno.readDir(FILES)) {
        if (!e.isFile || !e.name.endsWith(".dcm")) continue;
        try {
          const file = read(FILES + e.name);
          if (file.dataset.fragments() && file.dataset.has(Tag.SOPClassUID)) names.push(e.name);
        } catch {
          // a damaged test file: not this test's subject
        }
      }
      names.sort();
      assertEquals(names.length >= 30, true, `${names.length} compressed files`);
      const wrong: string[] = [];
      for (const name of names) {
        // One at a time: several corpus files share their SOP Instance UID.
        const [result] = (await store(HOST, scp.port, [FILES + name], { transcoder })).results;
        const files = await filesIn(dir);
        try {
          const expected = NOT_DECODED[name];
          if (expected) {
            if (!expected.test(result!.error?.message ?? "")) {
              wrong.push(`${name}: ${result!.error?.message}`);
            }
            continue;
          }
          if (result!.error) {
            wrong.push(`${name}: ${result!.error.message}`);
            continue;
          }
          const stored = read(files[0]!);
          if (stored.dataset.fragments()) wrong.push(`${name}: stored compressed`);
          const same =
            (await pixelsOf(stored)).join() === (await pixelsOf(read(FILES + name))).join();
          if (!same) wrong.push(`${name}: pixels differ`);
        } finally {
          for (const f of files) await Deno.remove(f);
        }
      }
      assertEquals(wrong, []);
    }),
});
