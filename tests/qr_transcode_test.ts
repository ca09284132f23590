// The Q/R SCP's sub-operations with a transcoder (issue 12, item 4): a
// study held as JPEG 2000, JPEG-LS and RLE reaches DCMTK's storescp by
// C-MOVE and DCMTK's getscu by C-GET, both of which accept only uncompressed
// syntaxes by default, decoded to the original pixels. Without a
// transcoder those sub-operations fail, as before.
import { Archive } from "../archive/mod.ts";
import { decodePart10, encodeDataset, encodeFileMeta, type Part10File } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { decodeFrames, transcoder } from "../codecs/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import { assertEquals } from "./_assert.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import { DcmtkServer, filesIn, HOST, run } from "./_storage_corpus.ts";

const FILES = `${PYDICOM_DATA}test_files/`;
const ignore = dcmtkIgnore("movescu") || dcmtkIgnore("getscu") || dcmtkIgnore("storescp");
const STUDY = "2.25.77001";

function read(path: string): Part10File {
  return decodePart10(Deno.readFileSync(path));
}

async function pixelsOf(file: Part10File): Promise<number[]> {
  return (await decodeFrames(file)).flatMap((f) => [...f.bytes]);
}

/**
 * pydicom's three compressed copies of MR_small, their bitstreams untouched,
 * as three instances of one study (the copies share their UIDs).
 */
async function writeStudy(dir: string): Promise<void> {
  const names = ["MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_RLE.dcm"];
  for (const [i, name] of names.entries()) {
    const file = read(FILES + name);
    const uid = `2.25.77001${i + 1}`;
    file.dataset.set(Tag.SOPInstanceUID, uid).set(Tag.StudyInstanceUID, STUDY);
    file.meta.set(Tag.MediaStorageSOPInstanceUID, uid, "UI");
    const head = encodeFileMeta(file.meta);
    const body = encodeDataset(file.dataset, { transferSyntax: file.transferSyntax });
    await Deno.writeFile(`${dir}/${i}.dcm`, new Uint8Array([...head, ...body]));
  }
}

async function assertDecodedStudy(dir: string): Promise<void> {
  const files = (await filesIn(dir)).map(read);
  assertEquals(files.length, 3, `received ${files.length} of 3`);
  const original = await pixelsOf(read(FILES + "MR_small.dcm"));
  for (const file of files) {
    assertEquals(file.dataset.fragments(), undefined);
    assertEquals(await pixelsOf(file), original, file.dataset.string(Tag.SOPInstanceUID));
  }
}

const keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", `StudyInstanceUID=${STUDY}`];

Deno.test({
  name:
    "QueryRetrieveScp with a transcoder: movescu to an uncompressed-only storescp and getscu receive decoded pixels",
  ignore,
  async fn() {
    const dirs = await Promise.all(
      ["src", "move", "get", "plain"].map((p) =>
        Deno.makeTempDir({ prefix: `dcm_qr_transcode_${p}_` })
      ),
    );
    const [src, moved, got, plain] = dirs as [string, string, string, string];
    try {
      await writeStudy(src);
      using archive = Archive.open();
      await archive.ingestDirectory(src);
      await using storescp = await DcmtkServer.start("storescp", (p) => ["-od", moved, String(p)]);
      await using plainScp = await DcmtkServer.start("storescp", (p) => ["-od", plain, String(p)]);
      const destinations = {
        STORESCP: { hostname: HOST, port: storescp.port },
        PLAIN: { hostname: HOST, port: plainScp.port },
      };
      await using ours = new QueryRetrieveScp({
        hostname: HOST,
        port: 0,
        archive,
        aeTitle: "OURQR",
        destinations,
        transcoder,
      });
      // movescu asking an SCP of ours ("OURQR") on `port` to move the study to `destination`.
      const movescu = (destination: string, port: number) =>
        run("movescu", ["-S", "-aec", "OURQR", "-aem", destination, ...keys, HOST, String(port)]);
      const move = await movescu("STORESCP", ours.port);
      assertEquals(move.code, 0, move.stderr);
      await assertDecodedStudy(moved);
      const get = await run("getscu", [
        "-S",
        "-od",
        got,
        "-aec",
        "OURQR",
        ...keys,
        HOST,
        String(ours.port),
      ]);
      assertEquals(get.code, 0, get.stderr);
      await assertDecodedStudy(got);

      // The same SCP without a transcoder: every sub-operation fails.
      await using without = new QueryRetrieveScp({
        hostname: HOST,
        port: 0,
        archive,
        aeTitle: "OURQR",
        destinations,
      });
      await movescu("PLAIN", without.port);
      assertEquals((await filesIn(plain)).length, 0);
    } finally {
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});
