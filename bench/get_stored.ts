/**
 * C-GET of a compressed study from Orthanc, ours against DCMTK's getscu
 * (issue 12): 200 objects (25 copies of pydicom's JPEG Baseline, JPEG
 * Extended, JPEG Lossless, JPEG-LS, RLE and three uncompressed files; JPEG
 * 2000 is left out, since Orthanc cannot decompress it for getscu).
 *
 * - ours as stored (`get()`'s default: each object in its stored syntax, no
 *   transcoding on Orthanc's side) against getscu, which proposes
 *   uncompressed syntaxes only, so Orthanc decompresses every compressed
 *   object;
 * - ours with `prefer: "uncompressed"`, the same work as getscu.
 *
 * Objects/s, median of 5 alternating rounds. Ours includes its preliminary
 * C-FIND (SOP Classes in Study) and flushing every file to the disk
 * (`durable: "deferred"`); getscu never fsyncs. Skipped without Orthanc.
 *
 * Run: `deno run -A bench/get_stored.ts`.
 *
 * @module
 */
import { decodePart10, encodePart10, Identifier } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { compare, dcmtk, freshDir } from "./_compare.ts";
import { HOST } from "../tests/_qr_fixtures.ts";
import { hasOrthanc, startOrthanc } from "../tests/_orthanc.ts";
import { writeStoredStudy } from "../tests/_stored_study.ts";

const COPIES = 25;
const OUR_AE = "DCMNET";

if (!hasOrthanc()) {
  console.log("get_stored: skipped, Orthanc is not installed (apt-get install -y orthanc)");
  Deno.exit(0);
}

const root = await Deno.makeTempDir({ prefix: "bench-get-stored-" });
try {
  const study = await writeStoredStudy(`${root}/study`);
  const sources = study.objects.filter((o) =>
    o.transferSyntax !== Uid.JPEG2000 && o.transferSyntax !== Uid.JPEG2000Lossless
  );
  await using orthanc = await startOrthanc({ modalities: { [OUR_AE]: 104 } });
  let count = 0;
  for (let k = 0; k < COPIES; k++) {
    for (const o of sources) {
      const { dataset, transferSyntax } = decodePart10(await Deno.readFile(o.path));
      dataset.set(Tag.SOPInstanceUID, `${o.sopInstanceUid}.${k}`, "UI");
      const status = await orthanc.upload(
        encodePart10(dataset, { transferSyntax }) as Uint8Array<ArrayBuffer>,
      );
      if (status !== "Success") throw new Error(`Orthanc answered ${status}`);
      count++;
    }
  }
  const query = new Identifier("STUDY_ROOT", "STUDY")
    .set(Tag.StudyInstanceUID, study.studyInstanceUid);
  const ours = (prefer: "stored" | "uncompressed") => async () => {
    const directory = await freshDir(`${root}/ours`);
    await using scu = new QueryRetrieveScu(HOST, orthanc.port, {
      callingAeTitle: OUR_AE,
      calledAeTitle: orthanc.aeTitle,
    });
    const start = performance.now();
    const result = await scu.get(query, { directory, prefer });
    const ms = performance.now() - start;
    if (result.completed !== count) throw new Error(`${result.completed} of ${count}`);
    return count / (ms / 1000);
  };
  const getscu = async () => {
    const ms = await dcmtk("getscu", [
      "-aet",
      OUR_AE,
      "-aec",
      orthanc.aeTitle,
      "-od",
      await freshDir(`${root}/getscu`),
      "-k",
      "QueryRetrieveLevel=STUDY",
      "-k",
      `StudyInstanceUID=${study.studyInstanceUid}`,
      HOST,
      String(orthanc.port),
    ]);
    return count / (ms / 1000);
  };
  console.log(`${count} objects (${sources.length} kinds × ${COPIES}) in Orthanc`);
  await compare("C-GET as stored vs getscu", "obj/s", ours("stored"), getscu);
  await compare("C-GET uncompressed vs getscu", "obj/s", ours("uncompressed"), getscu);
} finally {
  await Deno.remove(root, { recursive: true });
}
