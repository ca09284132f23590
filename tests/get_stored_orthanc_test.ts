/**
 * Retrieval as stored against Orthanc (issue 12, item 2): Orthanc holding
 * JPEG Baseline, JPEG Extended, JPEG Lossless, JPEG-LS, JPEG 2000 and RLE
 * objects (uploaded over its REST API, kept as uploaded) and uncompressed
 * ones; get() and `dcm get` receive each in its stored transfer syntax, byte
 * for byte; with `prefer: "uncompressed"` Orthanc transcodes and every object
 * arrives uncompressed. Skipped without Orthanc; required in CI.
 */
import { Uid } from "../dictionary/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { HOST } from "./_qr_fixtures.ts";
import { type Orthanc, orthancIgnore, startOrthanc } from "./_orthanc.ts";
import { dcm } from "./_cli.ts";
import { sameBytes } from "./_storage_corpus.ts";
import {
  pixelBytesOf,
  type StoredObject,
  type StoredStudy,
  storedSyntaxOf,
  studyQuery,
  TWENTY_IMAGE_CLASSES,
  writeAcrossClasses,
  writeStoredStudy,
} from "./_stored_study.ts";

const OUR_AE = "DCMNET";

/** Orthanc holding the studies, uploaded over its REST API. */
async function orthancWith(...studies: StoredStudy[]) {
  const orthanc = await startOrthanc({ modalities: { [OUR_AE]: 104 } });
  try {
    for (const study of studies) {
      for (const o of study.objects) {
        assertEquals(await orthanc.upload(await Deno.readFile(o.path)), "Success", o.source);
      }
    }
  } catch (e) {
    await orthanc[Symbol.asyncDispose]();
    throw e;
  }
  return orthanc;
}

/** Our Q/R SCU, as OUR_AE, calling Orthanc. */
function scuFor(orthanc: Orthanc): QueryRetrieveScu {
  return new QueryRetrieveScu(HOST, orthanc.port, {
    callingAeTitle: OUR_AE,
    calledAeTitle: orthanc.aeTitle,
  });
}

/**
 * Asserts that `dir` holds every object in its stored syntax with the
 * stored Pixel Data bytes (fragments and offset table included). Orthanc
 * re-encodes sequences of undefined length with explicit lengths (DCMTK's
 * writer), so the rest of the data set is equal in value, not in bytes.
 */
async function assertReceivedAsStored(dir: string, objects: readonly StoredObject[]) {
  for (const o of objects) {
    const got = `${dir}/${o.sopInstanceUid}.dcm`;
    assertEquals(await storedSyntaxOf(got), o.transferSyntax, `${o.source}: transfer syntax`);
    const a = await pixelBytesOf(got), b = await pixelBytesOf(o.path);
    assert(sameBytes(a, b), `${o.source}: Pixel Data differs from the stored one`);
  }
}

Deno.test({
  name:
    "get() and dcm get receive JPEG, JPEG-LS, JPEG 2000, RLE and uncompressed objects from Orthanc as stored, Pixel Data byte for byte",
  ignore: orthancIgnore(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "get_stored_orthanc_" });
    try {
      const study = await writeStoredStudy(`${root}/study`);
      await using orthanc = await orthancWith(study);
      await using scu = scuFor(orthanc);
      const result = await scu.get(studyQuery(study), { directory: `${root}/got` });
      assertEquals([result.completed, result.failed, result.warning], [10, 0, 0]);
      await assertReceivedAsStored(`${root}/got`, study.objects);
      const cli = await dcm(
        "get",
        HOST,
        String(orthanc.port),
        "--aet",
        OUR_AE,
        "--call",
        orthanc.aeTitle,
        "--dir",
        `${root}/cli`,
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        `StudyInstanceUID=${study.studyInstanceUid}`,
      );
      assertEquals(cli.code, 0, cli.stderr);
      await assertReceivedAsStored(`${root}/cli`, study.objects);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    'get() with prefer: "uncompressed" from Orthanc receives every object it can decode uncompressed',
  ignore: orthancIgnore(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "get_stored_orthanc_" });
    try {
      // Orthanc's own decoders (DCMTK's) cover JPEG, JPEG-LS and RLE; without its
      // GDCM plugin it fails a whole C-GET with C000 on a JPEG 2000 object.
      const all = await writeStoredStudy(`${root}/study`);
      const study = {
        ...all,
        objects: all.objects.filter((o) =>
          o.transferSyntax !== Uid.JPEG2000 && o.transferSyntax !== Uid.JPEG2000Lossless
        ),
      };
      await using orthanc = await orthancWith(study);
      await using scu = scuFor(orthanc);
      const result = await scu.get(studyQuery(study), {
        directory: `${root}/got`,
        prefer: "uncompressed",
      });
      assertEquals([result.completed, result.failed], [study.objects.length, 0]);
      for (const o of study.objects) {
        const ts = await storedSyntaxOf(`${root}/got/${o.sopInstanceUid}.dcm`);
        assertEquals(ts, Uid.ExplicitVRLittleEndian, o.source);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a study needing more than 128 contexts arrives whole from Orthanc, as stored, over several associations with narrowed C-GETs",
  ignore: orthancIgnore(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "get_stored_orthanc_" });
    try {
      const base = await writeStoredStudy(`${root}/base`);
      // 20 classes × 7 compressed objects; Orthanc answers SOP Classes in Study
      // but not Available Transfer Syntax UID, so each class needs 12 contexts.
      const objects = await writeAcrossClasses(base, `${root}/study`, TWENTY_IMAGE_CLASSES);
      const study = { ...base, objects };
      await using orthanc = await orthancWith(study);
      await using scu = scuFor(orthanc);
      const result = await scu.get(studyQuery(study), { directory: `${root}/got` });
      assertEquals([result.completed, result.failed, result.warning], [objects.length, 0, 0]);
      assertEquals(result.received.length, objects.length);
      await assertReceivedAsStored(`${root}/got`, objects);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
