// Issue 12, "How we will know": every compressed file of the test corpus,
// C-STOREd to our Q/R SCP and C-GET back through our SCU, arrives in its
// stored transfer syntax with its data set byte for byte as stored.
import { decodePart10, encodePart10, Identifier } from "../dataset/mod.ts";
import { Tag, transferSyntaxInfo } from "../dictionary/mod.ts";
import { Archive } from "../archive/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import { QueryRetrieveScu, store } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { datasetBytesOf, HOST } from "./_qr_fixtures.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { sameBytes } from "./_storage_corpus.ts";

const STUDY = "2.25.1207202612030001";

/** The corpus's compressed files, each given an identity of its own in one study. */
async function compressedCorpus(dir: string): Promise<Map<string, { source: string; ts: string }>> {
  const out = new Map<string, { source: string; ts: string }>();
  const names = [...Deno.readDirSync(`${PYDICOM_DATA}test_files`)]
    .filter((e) => e.isFile && e.name.endsWith(".dcm"))
    .map((e) => e.name)
    .sort();
  for (const name of names) {
    let file;
    try {
      file = decodePart10(await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`));
    } catch {
      continue; // the corpus's damaged files are other tests' business
    }
    if (!transferSyntaxInfo(file.transferSyntax)?.encapsulated) continue;
    if (!file.dataset.has("PixelData")) continue;
    // rtdose_rle*.dcm name their SOP class in the meta information only.
    const sopClass = file.dataset.string(Tag.SOPClassUID) ??
      file.meta.string(Tag.MediaStorageSOPClassUID);
    if (sopClass === undefined) continue;
    const n = out.size + 1;
    const uid = `${STUDY}.${n}.1`;
    // Several corpus files share UIDs (MR_small in each syntax): one instance each here.
    file.dataset
      .set(Tag.SOPClassUID, sopClass, "UI")
      .set(Tag.PatientID, "CORPUS", "LO")
      .set(Tag.StudyInstanceUID, STUDY, "UI")
      .set(Tag.SeriesInstanceUID, `${STUDY}.${n}`, "UI")
      .set(Tag.SOPInstanceUID, uid, "UI");
    await Deno.writeFile(
      `${dir}/${uid}.dcm`,
      encodePart10(file.dataset, { transferSyntax: file.transferSyntax }),
    );
    out.set(uid, { source: name, ts: file.transferSyntax });
  }
  return out;
}

Deno.test("every compressed file of the corpus: C-STORE to our Q/R SCP, then C-GET back, as stored byte for byte", async () => {
  const root = await Deno.makeTempDir({ prefix: "corpus_as_stored_" });
  try {
    await Deno.mkdir(`${root}/src`);
    await Deno.mkdir(`${root}/archive`);
    const corpus = await compressedCorpus(`${root}/src`);
    assert(corpus.size >= 30, `only ${corpus.size} compressed files`);
    using archive = Archive.open();
    await using scp = new QueryRetrieveScp({
      hostname: HOST,
      port: 0,
      aeTitle: "QRSCP",
      archive,
      directory: `${root}/archive`,
    });
    const files = [...corpus.keys()].map((uid) => `${root}/src/${uid}.dcm`);
    const sent = await store(HOST, scp.port, files, { calledAeTitle: "QRSCP" });
    assertEquals(
      sent.results.filter((r) => r.error !== undefined).map((r) => `${r.source}: ${r.error}`),
      [],
    );
    // Each went as it is stored: no context made us convert it.
    for (const r of sent.results) {
      const { source, ts } = corpus.get(r.sopInstanceUid!)!;
      assertEquals(r.transferSyntax, ts, source);
    }
    await using scu = new QueryRetrieveScu(HOST, scp.port, { calledAeTitle: "QRSCP" });
    const result = await scu.get(
      new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, STUDY),
      { directory: `${root}/out` },
    );
    assertEquals(result.failed, 0, `failed: ${result.failedSopInstanceUids?.join(", ")}`);
    assertEquals(result.completed, corpus.size);
    for (const [uid, { source, ts }] of corpus) {
      const got = `${root}/out/${uid}.dcm`;
      assertEquals(decodePart10(await Deno.readFile(got)).transferSyntax, ts, source);
      const a = await datasetBytesOf(got), b = await datasetBytesOf(`${root}/src/${uid}.dcm`);
      assert(sameBytes(a, b), `${source}: data set differs`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
