/**
 * Retrieval as stored (issue 12, item 2): get(), retrieve() and `dcm get`
 * receive JPEG Baseline, JPEG Extended, JPEG Lossless, JPEG-LS, JPEG 2000
 * and RLE objects in the transfer syntax the archive holds them in, byte for
 * byte, from our Q/R SCP (in process and `dcm qrscp`); with
 * `prefer: "uncompressed"` only uncompressed contexts are proposed; a study
 * needing more contexts than one association holds (PS3.8 §9.3.2.2: 128)
 * arrives whole over several; C-MOVE into our StorageScp takes every
 * syntax; a folder that cannot be written fails before any association.
 * Orthanc's side is in tests/get_stored_orthanc_test.ts.
 */
import { Archive } from "../archive/mod.ts";
import { connect } from "../association/mod.ts";
import { Identifier } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { QueryRetrieveScp, StorageScp } from "../scp/mod.ts";
import { QueryRetrieveScu, RetrieveDirectoryError } from "../scu/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { dcm, ServerProcess } from "./_cli.ts";
import { datasetBytesOf, HOST } from "./_qr_fixtures.ts";
import {
  pixelBytesOf,
  type StoredObject,
  type StoredStudy,
  storedSyntaxOf,
  writeStoredStudy,
} from "./_stored_study.ts";

interface Fixture extends AsyncDisposable {
  readonly root: string;
  readonly study: StoredStudy;
  readonly archive: Archive;
  readonly scp: QueryRetrieveScp;
  /** A fresh folder to retrieve into. */
  out(name: string): string;
}

async function openFixture(): Promise<Fixture> {
  const root = await Deno.makeTempDir({ prefix: "get_stored_" });
  const study = await writeStoredStudy(`${root}/archive`);
  const archive = Archive.open();
  await archive.ingestDirectory(`${root}/archive`);
  const scp = new QueryRetrieveScp({ hostname: HOST, port: 0, aeTitle: "QRSCP", archive });
  return {
    root,
    study,
    archive,
    scp,
    out: (name) => `${root}/${name}`,
    async [Symbol.asyncDispose]() {
      await scp.shutdown();
      archive.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

function studyQuery(study: StoredStudy): Identifier {
  return new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, study.studyInstanceUid);
}

/**
 * Asserts that `dir` holds every object of the study as `<SOP Instance UID>.dcm`,
 * each in its stored transfer syntax with the stored data set byte for byte.
 */
async function assertReceivedAsStored(dir: string, objects: readonly StoredObject[]) {
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => !n.startsWith("."));
  assertEquals(names.sort(), objects.map((o) => `${o.sopInstanceUid}.dcm`).sort());
  for (const o of objects) {
    const got = `${dir}/${o.sopInstanceUid}.dcm`;
    assertEquals(await storedSyntaxOf(got), o.transferSyntax, `${o.source}: transfer syntax`);
    const a = await datasetBytesOf(got), b = await datasetBytesOf(o.path);
    assert(
      a.length === b.length && a.every((x, i) => x === b[i]),
      `${o.source}: the data set differs from the stored one`,
    );
  }
}

Deno.test("get() receives JPEG, JPEG-LS, JPEG 2000, RLE and uncompressed objects from our Q/R SCP as stored, byte for byte", async () => {
  await using f = await openFixture();
  await using scu = new QueryRetrieveScu(HOST, f.scp.port, { calledAeTitle: "QRSCP" });
  const result = await scu.get(studyQuery(f.study), { directory: f.out("got") });
  assertEquals([result.completed, result.failed, result.warning], [f.study.objects.length, 0, 0]);
  await assertReceivedAsStored(f.out("got"), f.study.objects);
});
