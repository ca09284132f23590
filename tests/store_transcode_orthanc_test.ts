// Transcoding on send against Orthanc, a second independent peer: an
// Orthanc configured to refuse JPEG, JPEG 2000, JPEG Lossless and RLE
// (its *TransferSyntaxAccepted options) receives our JPEG 2000, RLE and JPEG
// files decoded to Explicit VR Little Endian, and what its REST API hands
// back holds the original pixels. Orthanc is started by tests/_orthanc.ts;
// skipped with a message when it is not installed (.ci/run installs it when
// it can).
import { decodePart10, type Part10File } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { decodeFrames, transcoder } from "../codecs/mod.ts";
import { store } from "../service/mod.ts";
import { assertEquals } from "./_assert.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { HOST } from "./_storage_corpus.ts";
import { orthancIgnore, startOrthanc } from "./_orthanc.ts";

const FILES = `${PYDICOM_DATA}test_files/`;

async function pixelsOf(file: Part10File): Promise<number[]> {
  return (await decodeFrames(file)).flatMap((f) => [...f.bytes]);
}

Deno.test({
  name:
    "store() decodes JPEG 2000, RLE and JPEG for an Orthanc that accepts only uncompressed syntaxes",
  ignore: orthancIgnore(),
  async fn() {
    await using orthanc = await startOrthanc({
      config: {
        JpegTransferSyntaxAccepted: false,
        Jpeg2000TransferSyntaxAccepted: false,
        JpegLosslessTransferSyntaxAccepted: false,
        RleTransferSyntaxAccepted: false,
      },
    });
    const names = ["MR_small_jp2klossless.dcm", "SC_rgb_rle.dcm", "SC_rgb_jpeg_dcmtk.dcm"];
    const summary = await store(HOST, orthanc.port, names.map((n) => FILES + n), {
      calledAeTitle: orthanc.aeTitle,
      transcoder,
    });
    assertEquals(
      summary.results.map((r) => [r.error?.message, r.transferSyntax]),
      names.map(() => [undefined, Uid.ExplicitVRLittleEndian]),
    );
    const http = `http://${HOST}:${orthanc.httpPort}`;
    for (const name of names) {
      const source = decodePart10(await Deno.readFile(FILES + name));
      const uid = source.dataset.string(Tag.SOPInstanceUID)!;
      const found = await fetch(`${http}/tools/lookup`, { method: "POST", body: uid });
      const [{ ID }] = await found.json() as [{ ID: string }];
      const bytes = new Uint8Array(
        await (await fetch(`${http}/instances/${ID}/file`)).arrayBuffer(),
      );
      const stored = decodePart10(bytes);
      assertEquals(stored.transferSyntax, Uid.ExplicitVRLittleEndian, name);
      assertEquals(await pixelsOf(stored), await pixelsOf(source), name);
    }
  },
});
