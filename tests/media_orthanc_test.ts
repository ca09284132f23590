// File-sets against Orthanc: we read the DICOMDIR Orthanc's media export
// writes as dcmdump does, and `dcm store` of a File-set we made delivers
// every instance to Orthanc's DICOM port (Orthanc started by
// tests/_orthanc.ts). Skipped (with a message) when Orthanc, unzip or dcmdump
// is missing (a missing Orthanc fails in CI); run and must pass when present.
import { join, relative, sep } from "node:path";
import { readFileSet } from "../media/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { assertEquals } from "./_assert.ts";
import { dcm } from "./_cli.ts";
import { dcmdumpRecords, dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import { HOST } from "./_storage_corpus.ts";
import { type Orthanc, orthancIgnore, startOrthanc } from "./_orthanc.ts";

const FILES = `${PYDICOM_DATA}test_files/`;
const UNZIP = "/usr/bin/unzip";

function missing(): boolean {
  if (orthancIgnore()) return true;
  try {
    Deno.statSync(UNZIP);
  } catch {
    console.warn(`skipping: ${UNZIP} is not installed; the Orthanc File-set tests need it`);
    return true;
  }
  return dcmtkIgnore("dcmdump");
}

/** What Orthanc's REST API answers to `path`; throws unless it is a success. */
async function rest(orthanc: Orthanc, path: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(`http://${HOST}:${orthanc.httpPort}${path}`, init);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response;
}

Deno.test(
  "readFileSet() reads the DICOMDIR of Orthanc's media export as dcmdump does, every referenced file found",
  {
    ignore: missing(),
  },
  async () => {
    const folder = await Deno.makeTempDir({ prefix: "dcm_orthanc_media_" });
    try {
      await using orthanc = await startOrthanc();
      const patients: string[] = [];
      for (const name of ["CT_small.dcm", "MR_small.dcm", "test-SR.dcm"]) {
        const stored = await (await rest(orthanc, "/instances", {
          method: "POST",
          body: await Deno.readFile(`${FILES}${name}`),
        })).json();
        patients.push(stored.ParentPatient);
      }
      const zip = await (await rest(orthanc, "/tools/create-media", {
        method: "POST",
        body: JSON.stringify({ Resources: patients }),
      })).bytes();
      const media = join(folder, "media");
      await Deno.mkdir(media);
      await Deno.writeFile(join(folder, "media.zip"), zip);
      const unzip = await new Deno.Command("unzip", {
        args: ["-q", join(folder, "media.zip"), "-d", media],
      }).output();
      assertEquals(unzip.code, 0);
      const fileSet = await readFileSet(join(media, "DICOMDIR"));
      assertEquals(fileSet.warnings, []);
      const ours = [...fileSet.walk()].map(({ record }) =>
        `${record.offset} ${record.type} ${
          record.path === undefined ? "" : relative(media, record.path).split(sep).join("\\")
        }`
      ).sort();
      assertEquals(ours, await dcmdumpRecords(join(media, "DICOMDIR")));
      assertEquals(fileSet.records.length, 3);
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
);

Deno.test("dcm store of a File-set we made delivers every instance it references to Orthanc", {
  ignore: missing(),
}, async () => {
  const folder = await Deno.makeTempDir({ prefix: "dcm_orthanc_media_" });
  try {
    const out = join(folder, "OUT");
    const made = await dcm(
      "dicomdir",
      "create",
      out,
      `${FILES}CT_small.dcm`,
      `${FILES}MR_small.dcm`,
      `${PYDICOM_DATA}test_files/dicomdirtests/98892001`,
    );
    assertEquals(made.code, 0, made.stderr);
    const expected = [...(await readFileSet(join(out, "DICOMDIR"))).walk()]
      .map((w) => w.record.dataset.string(Tag.ReferencedSOPInstanceUIDInFile))
      .filter((uid) => uid !== undefined).sort();
    await using orthanc = await startOrthanc();
    const r = await dcm(
      "store",
      HOST,
      String(orthanc.port),
      "--call",
      orthanc.aeTitle,
      join(out, "DICOMDIR"),
    );
    assertEquals(r.code, 0, r.stdout + r.stderr);
    const uids: string[] = [];
    for (const id of await (await rest(orthanc, "/instances")).json() as string[]) {
      const tags = await (await rest(orthanc, `/instances/${id}/simplified-tags`)).json();
      uids.push(tags.SOPInstanceUID);
    }
    assertEquals(uids.sort(), expected);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
