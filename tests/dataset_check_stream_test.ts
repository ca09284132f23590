// DatasetCheckStream: structure checks of data sets on their way through.
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { DatasetCheckStream, decodePart10Header, DicomDecodeError } from "../dataset/mod.ts";
import { transferSyntaxInfo } from "../dictionary/mod.ts";
import { PYDICOM_DATA } from "./_peers.ts";

function stream(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream({
    pull(c) {
      if (pos >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(pos, pos + chunk));
      pos += chunk;
    },
  });
}

async function check(bytes: Uint8Array, ts: string, chunk = 4096): Promise<number> {
  const out = await new Response(stream(bytes, chunk).pipeThrough(new DatasetCheckStream(ts)))
    .arrayBuffer();
  return out.byteLength;
}

const FILES = [
  "CT_small.dcm",
  "MR_small_bigendian.dcm",
  "MR_small_implicit.dcm",
  "JPEG2000.dcm",
  "UN_sequence.dcm",
  "nested_priv_SQ.dcm",
  "rtplan.dcm",
  "SC_rgb_rle_2frame.dcm",
  "reportsi.dcm",
];

Deno.test("DatasetCheckStream passes every byte of well-formed data sets, in any chunking", async () => {
  for (const name of FILES) {
    const file = await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`);
    const h = decodePart10Header(file);
    const body = file.subarray(h.datasetOffset);
    for (const chunk of [1, 7, 4096]) {
      assertEquals(await check(body, h.transferSyntax, chunk), body.length, `${name} / ${chunk}`);
    }
  }
});

Deno.test("DatasetCheckStream fails every truncation of a data set with sequences and fragments", async () => {
  for (const name of ["rtplan.dcm", "SC_rgb_rle_2frame.dcm"]) {
    const file = await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`);
    const h = decodePart10Header(file);
    if (transferSyntaxInfo(h.transferSyntax)?.deflated) continue;
    const body = file.subarray(h.datasetOffset);
    const step = Math.max(1, Math.floor(body.length / 300));
    let cuts = 0, failed = 0;
    for (let cut = 1; cut < body.length; cut += step) {
      cuts++;
      try {
        await check(body.subarray(0, cut), h.transferSyntax, 333);
        // Only a cut exactly between two top-level elements is a shorter, valid data set.
      } catch (e) {
        assert(e instanceof DicomDecodeError, `${name} cut at ${cut}: ${e}`);
        failed++;
      }
    }
    assert(failed >= cuts * 0.95, `${name}: only ${failed} of ${cuts} truncations failed`);
    await assertRejects(
      () => check(body.subarray(0, body.length - 1), h.transferSyntax),
      DicomDecodeError,
    );
  }
});

Deno.test("DatasetCheckStream rejects an unknown VR code as it arrives", async () => {
  const bad = new Uint8Array([0x10, 0x00, 0x20, 0x00, 0x5a, 0x5a, 2, 0, 0x41, 0x42]);
  await assertRejects(() => check(bad, "1.2.840.10008.1.2.1"), DicomDecodeError);
});
