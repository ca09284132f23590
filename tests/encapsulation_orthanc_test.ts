// Direct encapsulation against Orthanc, a second independent peer: Orthanc
// takes what we encapsulate (REST upload of the Part 10 file), gives the PDF
// back byte for byte (/instances/{id}/pdf) and decodes our JPEG frames to
// the size their header gave (/frames/N/preview). Skipped with a message
// when Orthanc is not installed (CI installs it when it can, .ci/run).
import { decodePart10, encodePart10 } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { encapsulateDocument, encapsulateImage, extractFrames } from "../encapsulation/mod.ts";
import { assertEquals } from "./_assert.ts";
import { LineReader } from "./_cli.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { pdfOfLength } from "./_encapsulation_fixtures.ts";

const ORTHANC = "/usr/sbin/Orthanc";

function orthancIgnore(): boolean {
  try {
    Deno.statSync(ORTHANC);
    return false;
  } catch {
    console.warn(`skipping: Orthanc is not installed at ${ORTHANC} (apt-get install -y orthanc)`);
    return true;
  }
}

function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

/** An Orthanc of its own: a temporary storage folder, free ports, no plugins. */
async function startOrthanc(dir: string) {
  const http = freePort();
  const config = {
    Name: "encap-test",
    StorageDirectory: `${dir}/db`,
    IndexDirectory: `${dir}/db`,
    HttpPort: http,
    DicomPort: freePort(),
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    Plugins: [],
  };
  await Deno.writeTextFile(`${dir}/orthanc.json`, JSON.stringify(config));
  const child = new Deno.Command(ORTHANC, {
    args: [`${dir}/orthanc.json`],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new LineReader(child.stdout);
  const stderr = new LineReader(child.stderr);
  // Orthanc logs to stderr; the line comes once its HTTP server listens.
  await Promise.race([stderr.find(/Orthanc has started/), stdout.find(/Orthanc has started/)]);
  const base = `http://127.0.0.1:${http}`;
  return {
    async upload(file: Uint8Array): Promise<string> {
      const response = await fetch(`${base}/instances`, { method: "POST", body: file.slice() });
      const body = await response.json();
      assertEquals(response.status, 200, JSON.stringify(body));
      return body.ID as string;
    },
    async get(path: string): Promise<Uint8Array> {
      const response = await fetch(`${base}${path}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      assertEquals(response.status, 200, `${path}: ${new TextDecoder().decode(bytes)}`);
      return bytes;
    },
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await Promise.all([stdout.done, stderr.done]);
    },
  };
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
    const dir = await Deno.makeTempDir({ prefix: "encap_orthanc_" });
    try {
      await using orthanc = await startOrthanc(dir);
      for (const n of [500, 501]) {
        const pdf = pdfOfLength(n);
        const id = await orthanc.upload(encodePart10(encapsulateDocument(pdf)));
        assertEquals(await orthanc.get(`/instances/${id}/pdf`), pdf, `${n} bytes`);
      }
      for (const name of ["SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_small_odd_jpeg.dcm"]) {
        const source = decodePart10(await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`))
          .dataset;
        const [frame] = extractFrames(source);
        const { dataset, transferSyntax } = encapsulateImage([frame!, frame!]);
        const id = await orthanc.upload(encodePart10(dataset, { transferSyntax }));
        const size = [source.number(Tag.Columns), source.number(Tag.Rows)];
        for (const n of [0, 1]) {
          const raw = await orthanc.get(`/instances/${id}/frames/${n}/raw`);
          // Orthanc gives the fragment as stored: the bitstream, plus its pad byte if odd.
          assertEquals(raw.subarray(0, frame!.length), frame, `${name} frame ${n}`);
          assertEquals(pngSize(await orthanc.get(`/instances/${id}/frames/${n}/preview`)), size);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
