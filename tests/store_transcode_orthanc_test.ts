// Transcoding on send against Orthanc, a second independent peer: an
// Orthanc configured to refuse JPEG, JPEG 2000, JPEG Lossless and RLE
// (its *TransferSyntaxAccepted options) receives our JPEG 2000, RLE and JPEG
// files decoded to Explicit VR Little Endian, and what its REST API hands
// back holds the original pixels. Skipped with a message when Orthanc is
// not installed (.ci/run installs it when it can).
import { decodePart10, type Part10File } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { decodeFrames, transcoder } from "../codecs/mod.ts";
import { store } from "../service/mod.ts";
import { assertEquals } from "./_assert.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { freePort, HOST, withDeadline } from "./_storage_corpus.ts";
import { LineReader } from "./_cli.ts";

const ORTHANC = "/usr/sbin/Orthanc";
const FILES = `${PYDICOM_DATA}test_files/`;

function hasOrthanc(): boolean {
  try {
    return Deno.statSync(ORTHANC).isFile;
  } catch {
    return false;
  }
}

const ignore = !hasOrthanc();
if (ignore) {
  console.warn(`skipping: Orthanc is not installed (${ORTHANC}; apt-get install -y orthanc)`);
}

async function pixelsOf(file: Part10File): Promise<number[]> {
  return (await decodeFrames(file)).flatMap((f) => [...f.bytes]);
}

Deno.test({
  name:
    "store() decodes JPEG 2000, RLE and JPEG for an Orthanc that accepts only uncompressed syntaxes",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_orthanc_" });
    const http = freePort();
    const dicom = freePort();
    await Deno.writeTextFile(
      `${dir}/orthanc.json`,
      JSON.stringify({
        Name: "DCMNET_TEST",
        StorageDirectory: `${dir}/db`,
        IndexDirectory: `${dir}/db`,
        HttpPort: http,
        DicomPort: dicom,
        DicomAet: "ORTHANC",
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
        JpegTransferSyntaxAccepted: false,
        Jpeg2000TransferSyntaxAccepted: false,
        JpegLosslessTransferSyntaxAccepted: false,
        RleTransferSyntaxAccepted: false,
        Plugins: [],
      }),
    );
    const child = new Deno.Command(ORTHANC, {
      args: [`${dir}/orthanc.json`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const log = new LineReader(child.stderr);
    try {
      await withDeadline(log.find(/Orthanc has started/), 30_000, "Orthanc to start");
      const names = ["MR_small_jp2klossless.dcm", "SC_rgb_rle.dcm", "SC_rgb_jpeg_dcmtk.dcm"];
      const summary = await store(HOST, dicom, names.map((n) => FILES + n), {
        calledAeTitle: "ORTHANC",
        transcoder,
      });
      assertEquals(
        summary.results.map((r) => [r.error?.message, r.transferSyntax]),
        names.map(() => [undefined, Uid.ExplicitVRLittleEndian]),
      );
      for (const name of names) {
        const source = decodePart10(await Deno.readFile(FILES + name));
        const uid = source.dataset.string(Tag.SOPInstanceUID)!;
        const found = await fetch(`http://${HOST}:${http}/tools/lookup`, {
          method: "POST",
          body: uid,
        });
        const [{ ID }] = await found.json() as [{ ID: string }];
        const bytes = new Uint8Array(
          await (await fetch(`http://${HOST}:${http}/instances/${ID}/file`)).arrayBuffer(),
        );
        const stored = decodePart10(bytes);
        assertEquals(stored.transferSyntax, Uid.ExplicitVRLittleEndian, name);
        assertEquals(await pixelsOf(stored), await pixelsOf(source), name);
      }
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await log.done;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
