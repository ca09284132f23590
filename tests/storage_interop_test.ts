// Interoperability of the Storage SCP and SCU with DCMTK (issue 4): a corpus
// of at least 500 objects in mixed transfer syntaxes goes from DCMTK's
// storescu to our StorageScp and to DCMTK's storescp, and from our store() to
// storescp, and every object must arrive with the same data set bytes. CI
// installs DCMTK; without it these tests are skipped with a message (and fail
// in CI).
import { connect } from "../association/mod.ts";
import {
  createFileMeta,
  type Dataset,
  decodePart10Header,
  deflateRaw,
  encodeDataset,
  encodeFileMeta,
  inflateRaw,
  readPart10,
  writePart10,
} from "../dataset/mod.ts";
import { DimseChannel } from "../dimse/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { echo, store } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { dcmtkIgnore } from "./_peers.ts";
import {
  buildStorageCorpus,
  type CorpusObject,
  CT_IMAGE_STORAGE,
  ctDataset,
  DcmtkServer,
  DEFLATED_LE,
  filesIn,
  HOST,
  NATIVE_SYNTAXES,
  randomUid,
  readStoredBody,
  run,
  sameBytes,
  storedBodies,
  writeStorescuProfile,
} from "./_storage_corpus.ts";

const CORPUS_SIZE = 500;
const ignore = dcmtkIgnore("storescu") || dcmtkIgnore("storescp") || dcmtkIgnore("echoscu");

/** DCMTK's warning, error and fatal log lines. */
function complaints(stderr: string): string[] {
  return stderr.split("\n").filter((line) => /^[WEF]: /.test(line));
}

/** At most `n` items, then "... and N more", for readable failure messages. */
function some(items: readonly string[], n = 8): string {
  const more = items.length > n ? ` ... and ${items.length - n} more` : "";
  return items.slice(0, n).join("; ") + more;
}

/** Runs storescu over the corpus folder with one context per (SOP class, transfer syntax). */
async function storescu(port: number, input: string, profile: string[]): Promise<void> {
  const r = await run("storescu", [...profile, "+sd", "-nh", HOST, String(port), input]);
  const errors = complaints(r.stderr).filter((l) => !l.startsWith("W: "));
  assertEquals([r.code, errors], [0, []], `storescu failed: ${some(errors)}`);
}

/** Checks that `dir` holds exactly the corpus's objects and nothing else. */
async function assertHoldsCorpus(dir: string, objects: readonly CorpusObject[]): Promise<void> {
  const all = await filesIn(dir, { all: true });
  const hidden = all.filter((p) => p.slice(dir.length + 1).startsWith("."));
  assertEquals(hidden, [], "temporary files were left");
  const stored = await storedBodies(dir);
  const missing = objects.filter((o) => !stored.has(o.sopInstanceUid));
  assertEquals(
    missing.length,
    0,
    `not stored: ${some(missing.map((o) => `${o.source} in ${o.transferSyntax}`))}`,
  );
  assertEquals(all.length, objects.length, "one file per object");
}

Deno.test({
  name: "DCMTK and @dcm/net exchange a corpus of 500 objects in mixed transfer syntaxes unchanged",
  ignore,
  async fn(t) {
    const base = await Deno.makeTempDir({ prefix: "dcm_storage_interop_" });
    try {
      const input = `${base}/in`;
      const fromStorescuToUs = `${base}/a`;
      const fromStorescuToDcmtk = `${base}/b`;
      const fromUsToDcmtk = `${base}/c`;
      for (const d of [input, fromStorescuToUs, fromStorescuToDcmtk, fromUsToDcmtk]) {
        await Deno.mkdir(d);
      }
      const objects = await buildStorageCorpus(input, CORPUS_SIZE);
      const profile = await writeStorescuProfile(`${base}/storescu.cfg`, objects);

      await t.step(
        "the corpus has fresh UIDs, native objects in all four syntaxes and encapsulated ones in their own",
        () => {
          assert(objects.length >= CORPUS_SIZE, `${objects.length} objects`);
          assertEquals(new Set(objects.map((o) => o.sopInstanceUid)).size, objects.length);
          const syntaxes = new Set(objects.map((o) => o.transferSyntax));
          for (const ts of NATIVE_SYNTAXES) assert(syntaxes.has(ts), `no object in ${ts}`);
          assert(syntaxes.size >= NATIVE_SYNTAXES.length + 6, `only ${[...syntaxes]}`);
        },
      );

      await t.step(
        "storescu → StorageScp stores every object with the data set bytes DCMTK's storescp +B writes",
        async () => {
          {
            await using dcmtk = await DcmtkServer.start(
              "storescp",
              (port) => ["+B", "+xa", "-od", fromStorescuToDcmtk, String(port)],
            );
            await storescu(dcmtk.port, input, profile);
          }
          {
            await using scp = new StorageScp({
              hostname: HOST,
              port: 0,
              directory: fromStorescuToUs,
            });
            await storescu(scp.port, input, profile);
          }
          await assertHoldsCorpus(fromStorescuToDcmtk, objects);
          await assertHoldsCorpus(fromStorescuToUs, objects);
          const ours = await storedBodies(fromStorescuToUs);
          const theirs = await storedBodies(fromStorescuToDcmtk);
          const differ = objects.filter((o) => {
            const a = ours.get(o.sopInstanceUid)!;
            const b = theirs.get(o.sopInstanceUid)!;
            return a.transferSyntax !== o.transferSyntax ||
              b.transferSyntax !== o.transferSyntax || !sameBytes(a.body, b.body);
          });
          assertEquals(
            differ.length,
            0,
            `data sets differ from DCMTK's: ${
              some(differ.map((o) => `${o.source} in ${o.transferSyntax}`))
            }`,
          );
        },
      );

      await t.step(
        "DCMTK's dcmdump reads every file StorageScp wrote without a warning",
        async () => {
          const files = await filesIn(fromStorescuToUs);
          assert(files.length >= 50, `only ${files.length} files to read`);
          const r = await run("dcmdump", ["-q", ...files]);
          if (r.code === 0 && complaints(r.stderr).length === 0) return;
          // Name the files DCMTK complains about.
          const bad: string[] = [];
          for (const file of files) {
            const one = await run("dcmdump", ["-q", file]);
            const lines = complaints(one.stderr);
            if (one.code !== 0 || lines.length > 0) bad.push(`${file}: ${lines[0] ?? one.code}`);
          }
          assertEquals(bad, [], `dcmdump complained (exit ${r.code})`);
        },
      );

      await t.step(
        "store() → DCMTK storescp +B: every object stored with the data set bytes of its file",
        async () => {
          let summary;
          {
            await using dcmtk = await DcmtkServer.start(
              "storescp",
              (port) => ["+B", "+xa", "-od", fromUsToDcmtk, String(port)],
            );
            summary = await store(HOST, dcmtk.port, objects.map((o) => o.path), {
              calledAeTitle: "STORESCP",
            });
          }
          const failed = summary.results.filter((r) => r.status !== 0);
          assertEquals(
            failed.length,
            0,
            `not stored: ${
              some(failed.map((r) => `${r.source}: ${r.error?.message ?? r.status}`))
            }`,
          );
          await assertHoldsCorpus(fromUsToDcmtk, objects);
          const stored = await storedBodies(fromUsToDcmtk);
          const differ: string[] = [];
          for (const [i, o] of objects.entries()) {
            const sent = summary.results[i]!.transferSyntax!;
            const got = stored.get(o.sopInstanceUid)!;
            const own = await readStoredBody(o.path);
            // Unchanged when the file's own syntax was accepted; else what store() converts to.
            const expected = sent === o.transferSyntax
              ? own.body
              : encodeDataset((await readPart10(await Deno.readFile(o.path))).dataset, {
                transferSyntax: sent,
              });
            if (got.transferSyntax !== sent || !sameBytes(got.body, expected)) {
              differ.push(`${o.source} in ${o.transferSyntax} sent as ${sent}`);
            }
          }
          assertEquals(differ.length, 0, `data sets differ from what was sent: ${some(differ)}`);
        },
      );
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test({
  name: "echoscu verifies our StorageScp with C-ECHO",
  ignore,
  async fn() {
    await using scp = new StorageScp({ hostname: HOST, port: 0, handleObject: () => {} });
    const r = await run("echoscu", ["-d", HOST, String(scp.port)]);
    assertEquals(r.code, 0, r.stderr);
    assert(/Received Echo Response \(Success\)/.test(r.stderr), r.stderr);
  },
});

Deno.test({
  name: "echo() verifies DCMTK's storescp",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_storage_interop_" });
    try {
      await using dcmtk = await DcmtkServer.start("storescp", (port) => ["-od", dir, String(port)]);
      const result = await echo(HOST, dcmtk.port, { calledAeTitle: "STORESCP" });
      assertEquals(result.status, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A data set whose Deflated Explicit VR LE encoding by writePart10() has an odd length. */
/**
 * A Part 10 file whose deflated data set has odd length, as other writers
 * leave them (ours pads, PS3.5 §A.5): built from deflateRaw() directly.
 */
async function oddDeflated(): Promise<{ dataset: Dataset; file: Uint8Array }> {
  for (let n = 0; n < 200; n++) {
    const dataset = ctDataset(randomUid(), 0).set(0x00100010, `ODD^DEFLATE^${n}`);
    const body = await deflateRaw(encodeDataset(dataset));
    if (body.length % 2 === 0) continue;
    const head = encodeFileMeta(createFileMeta(dataset, { transferSyntax: DEFLATED_LE }));
    const file = new Uint8Array(head.length + body.length);
    file.set(head);
    file.set(body, head.length);
    return { dataset, file };
  }
  throw new Error("no odd-length deflated data set in 200 tries");
}

Deno.test({
  name: "store() pads a file's odd-length deflated data set as it sends it, and DCMTK stores it",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_storage_interop_" });
    try {
      const { dataset, file } = await oddDeflated();
      await Deno.mkdir(`${dir}/out`);
      await Deno.writeFile(`${dir}/odd.dcm`, file);
      let summary;
      {
        await using dcmtk = await DcmtkServer.start(
          "storescp",
          (port) => ["+B", "+xa", "-od", `${dir}/out`, String(port)],
        );
        summary = await store(HOST, dcmtk.port, [`${dir}/odd.dcm`]);
      }
      assertEquals(summary.results[0]?.transferSyntax, DEFLATED_LE);
      assertEquals(summary.completed, 1, summary.results[0]?.error?.message);
      const [stored] = await filesIn(`${dir}/out`);
      const { body } = await readStoredBody(stored!);
      assertEquals(body.length % 2, 0);
      assertEquals(await inflateRaw(body), encodeDataset(dataset));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "DimseChannel sends a Dataset on a deflated context in a form DCMTK's storescp accepts",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dcm_storage_interop_" });
    try {
      const { dataset } = await oddDeflated();
      await using dcmtk = await DcmtkServer.start(
        "storescp",
        (port) => ["+B", "+xa", "-od", dir, String(port)],
      );
      await using association = await connect(HOST, dcmtk.port, {
        calledAeTitle: "STORESCP",
        presentationContexts: [{
          abstractSyntax: CT_IMAGE_STORAGE,
          transferSyntaxes: [DEFLATED_LE],
        }],
      });
      const context = association.findContext(CT_IMAGE_STORAGE, DEFLATED_LE);
      assert(context, "storescp +xa accepts deflate");
      const channel = new DimseChannel(association);
      try {
        let status: number | undefined;
        for await (
          const response of channel.request(context.id, {
            type: "C-STORE-RQ",
            hasDataset: true,
            affectedSopClassUid: CT_IMAGE_STORAGE,
            affectedSopInstanceUid: dataset.string(0x00080018)!,
            priority: 0,
          }, dataset)
        ) status = response.command.status;
        assertEquals(status, 0);
        await association.release();
      } finally {
        await channel.closed;
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("writePart10() writes a deflated data set of even length", async () => {
  const lengths: number[] = [];
  for (let n = 0; n < 8; n++) {
    const ds = ctDataset(randomUid()).set(0x00100010, `EVEN^DEFLATE^${n}`);
    const file = await writePart10(ds, { transferSyntax: DEFLATED_LE });
    lengths.push(file.length - decodePart10Header(file).datasetOffset);
  }
  assertEquals(lengths.filter((n) => n % 2 === 1), [], `deflated data set lengths: ${lengths}`);
});
