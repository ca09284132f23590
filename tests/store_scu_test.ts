// store(): presentation contexts beyond one association's 128 (PS3.8 §9.3.2.2),
// and files read whole or streamed.
import { assert, assertEquals } from "./_assert.ts";
import { Dataset, decodePart10Header, encodePart10 } from "../dataset/mod.ts";
import { STORAGE_SOP_CLASSES, Tag } from "../dictionary/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { store } from "../scu/mod.ts";
import { CT_IMAGE_STORAGE, ctDataset, sameBytes } from "./_storage_corpus.ts";

/** Writes a CT file for `uid` with `pixelBytes` of Pixel Data at `path`; returns its data set's bytes (after the File Meta Information). */
async function writeCtFile(
  path: string,
  uid: string,
  pixelBytes: number,
): Promise<Uint8Array> {
  const file = encodePart10(ctDataset(uid, pixelBytes));
  await Deno.writeFile(path, file);
  return file.subarray(decodePart10Header(file).datasetOffset);
}

/** A StorageScp on a free port that keeps each data set received, by SOP Instance UID. */
function collectingScp(received: Map<string, Uint8Array>): StorageScp {
  return new StorageScp({
    hostname: "127.0.0.1",
    port: 0,
    handleObject: async (object) => {
      received.set(
        object.sopInstanceUid,
        new Uint8Array(await new Response(object.dataset).arrayBuffer()),
      );
    },
  });
}

Deno.test("store() spreads more than 128 SOP classes over further associations and stores every object", async () => {
  const classes = STORAGE_SOP_CLASSES.slice(0, 140);
  const received = new Set<string>();
  let associations = 0;
  await using scp = new StorageScp({
    hostname: "127.0.0.1",
    port: 0,
    onAssociation: () => void associations++,
    handleObject: (object) => void received.add(`${object.sopClassUid} ${object.sopInstanceUid}`),
  });
  const datasets = classes.map((sopClass, i) =>
    new Dataset().set("SOPClassUID", sopClass).set("SOPInstanceUID", `2.25.${1000 + i}`)
  );
  const summary = await store("127.0.0.1", scp.port, datasets);
  assertEquals(summary.failed, 0, summary.results.find((r) => r.error)?.error?.message);
  assertEquals(summary.completed, 140);
  assertEquals(received.size, 140);
  assert(associations >= 2, `${associations} association(s) for 140 SOP classes`);
});

Deno.test("store() sends files small enough to read whole and larger ones streamed in chunks, each data set byte for byte", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_store_scu_" });
  try {
    // 9 MiB is past the size read whole (8 MiB) and not a multiple of the 1 MiB read chunk;
    // 2 MiB exactly is a multiple of it.
    const sizes = [1000, 2 << 20, 9 << 20];
    const files: string[] = [];
    const expected = new Map<string, Uint8Array>();
    for (const [i, size] of sizes.entries()) {
      const uid = `2.25.${7000 + i}`;
      const path = `${dir}/${i}.dcm`;
      files.push(path);
      expected.set(uid, await writeCtFile(path, uid, size));
    }
    const received = new Map<string, Uint8Array>();
    await using scp = collectingScp(received);
    const summary = await store("127.0.0.1", scp.port, files);
    assertEquals(summary.failed, 0, summary.results.find((r) => r.error)?.error?.message);
    assertEquals([...received.keys()].sort(), [...expected.keys()].sort());
    for (const [uid, body] of expected) {
      assert(sameBytes(received.get(uid)!, body), `${uid}: the data set differs from the file's`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store() sends a KnownFile with the facts it is given, without reading its header: right facts store it, wrong ones get A900 from the peer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_store_scu_" });
  try {
    const uid = "2.25.8001";
    const path = `${dir}/a.dcm`;
    const body = await writeCtFile(path, uid, 512);
    const received: Uint8Array[] = [];
    await using scp = new StorageScp({
      hostname: "127.0.0.1",
      port: 0,
      handleObject: async (o) =>
        void received.push(new Uint8Array(await new Response(o.dataset).arrayBuffer())),
    });
    const facts = {
      path,
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: uid,
      transferSyntax: "1.2.840.10008.1.2.1",
    };
    const ok = await store("127.0.0.1", scp.port, [facts]);
    assertEquals([ok.completed, ok.results[0]!.source], [1, path]);
    assert(sameBytes(received[0]!, body));
    const wrong = await store("127.0.0.1", scp.port, [{ ...facts, sopInstanceUid: "2.25.8002" }]);
    assertEquals(wrong.results[0]!.status, 0xa900);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store() sends a file whole when its size changed after it was given (a KnownFile's size is only a hint)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_store_scu_" });
  try {
    // 300 KB and 1 MB: past the size read synchronously (256 KiB), under the size read whole (8 MiB).
    const expected = new Map<string, Uint8Array>();
    const sources = [];
    for (const [i, [pixels, hint]] of [[1_000_000, 300_000], [300_000, 2_000_000]].entries()) {
      const uid = `2.25.${7100 + i}`;
      const path = `${dir}/${i}.dcm`;
      expected.set(uid, await writeCtFile(path, uid, pixels!));
      sources.push({
        path,
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: uid,
        transferSyntax: "1.2.840.10008.1.2.1",
        size: hint!, // smaller than the file (it grew), then larger (it shrank)
      });
    }
    const received = new Map<string, Uint8Array>();
    await using scp = collectingScp(received);
    const summary = await store("127.0.0.1", scp.port, sources);
    assertEquals(summary.failed, 0, summary.results.find((r) => r.error)?.error?.message);
    for (const [uid, body] of expected) {
      assert(sameBytes(received.get(uid)!, body), `${uid}: the data set differs from the file's`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store() scans a file whose elements before SOP Instance UID outlast the first read of its header", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_store_scu_" });
  try {
    const uid = "2.25.7200";
    // 40 KB of Image Type (0008,0008) before (0008,0018), in a 300 KB file.
    const ds = ctDataset(uid, 300_000).set(Tag.ImageType, Array(4000).fill("ORIGINAL").join("\\"));
    const file = encodePart10(ds);
    const path = `${dir}/long-header.dcm`;
    await Deno.writeFile(path, file);
    let received: Uint8Array | undefined;
    await using scp = new StorageScp({
      hostname: "127.0.0.1",
      port: 0,
      handleObject: async (object) => {
        received = new Uint8Array(await new Response(object.dataset).arrayBuffer());
      },
    });
    const summary = await store("127.0.0.1", scp.port, [path]);
    assertEquals(summary.failed, 0, summary.results[0]?.error?.message);
    assertEquals(summary.results[0]?.sopInstanceUid, uid);
    assert(sameBytes(received!, file.subarray(decodePart10Header(file).datasetOffset)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
