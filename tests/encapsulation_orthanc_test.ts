// Direct encapsulation against Orthanc, a second independent peer: Orthanc
// takes what we encapsulate (REST upload of the Part 10 file), gives the PDF
// back byte for byte (/instances/{id}/pdf) and decodes our JPEG frames to
// the size their header gave (/frames/N/preview). Skipped with a message
// when Orthanc is not installed (CI installs it when it can, .ci/run);
// Orthanc is started by tests/_orthanc.ts.
import { decodePart10, encodePart10 } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { encapsulateDocument, encapsulateImage, extractFrames } from "../encapsulation/mod.ts";
import { assertEquals } from "./_assert.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { pdfOfLength } from "./_encapsulation_fixtures.ts";
import { type Orthanc, orthancIgnore, startOrthanc } from "./_orthanc.ts";
import { HOST } from "./_storage_corpus.ts";

/** Uploads a Part 10 file over Orthanc's REST API; its instance ID. */
async function upload(orthanc: Orthanc, file: Uint8Array): Promise<string> {
  const response = await fetch(`http://${HOST}:${orthanc.httpPort}/instances`, {
    method: "POST",
    body: file.slice(),
  });
  const body = await response.json();
  assertEquals(response.status, 200, JSON.stringify(body));
  return body.ID as string;
}

/** What Orthanc's REST API answers to GET `path`. */
async function get(orthanc: Orthanc, path: string): Promise<Uint8Array> {
  const response = await fetch(`http://${HOST}:${orthanc.httpPort}${path}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  assertEquals(response.status, 200, `${path}: ${new TextDecoder().decode(bytes)}`);
  return bytes;
}

/** A PNG's width and height, from its IHDR chunk (PNG §11.2.2). */
function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset);
  return [view.getUint32(16), view.getUint32(20)];
}

Deno.test({
  name: "Orthanc gives back our encapsulated PDF byte for byte and decodes our JPEG frames",
  ignore: orthancIgnore(),
  async fn() {
    await using orthanc = await startOrthanc();
    for (const n of [500, 501]) {
      const pdf = pdfOfLength(n);
      const id = await upload(orthanc, encodePart10(encapsulateDocument(pdf)));
      assertEquals(await get(orthanc, `/instances/${id}/pdf`), pdf, `${n} bytes`);
    }
    for (const name of ["SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_small_odd_jpeg.dcm"]) {
      const source = decodePart10(await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`))
        .dataset;
      const [frame] = extractFrames(source);
      const { dataset, transferSyntax } = encapsulateImage([frame!, frame!]);
      const id = await upload(orthanc, encodePart10(dataset, { transferSyntax }));
      const size = [source.number(Tag.Columns), source.number(Tag.Rows)];
      for (const n of [0, 1]) {
        const raw = await get(orthanc, `/instances/${id}/frames/${n}/raw`);
        // Orthanc gives the fragment as stored: the bitstream, plus its pad byte if odd.
        assertEquals(raw.subarray(0, frame!.length), frame, `${name} frame ${n}`);
        assertEquals(pngSize(await get(orthanc, `/instances/${id}/frames/${n}/preview`)), size);
      }
    }
  },
});
