// readFileSet() and `dcm dicomdir list` on real DICOMDIRs: pydicom's
// dicomdirtests (made by DCMTK's dcmmkdir, then varied) and DICOMDIRs that
// DCMTK's dcmgpdir makes here; the records are compared with what dcmdump
// shows. The broken DICOMDIRs are the corpus's, with a few bytes patched.
import { join, relative, sep } from "node:path";
import { decodeFileSet, type FileSet, FileSetError, readFileSet } from "../media/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "./_assert.ts";
import { dcm } from "./_cli.ts";
import { dcmdumpRecords, dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";

const DIR = `${PYDICOM_DATA}test_files/dicomdirtests/`;
const DICOMDIR = `${DIR}DICOMDIR`;

/** How many records of each type the walk meets. */
function counts(fileSet: FileSet): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { record } of fileSet.walk()) out[record.type] = (out[record.type] ?? 0) + 1;
  return out;
}

/** The tree as lines: depth, type, SOP Instance UID or key, path relative to `folder`. */
function shape(fileSet: FileSet, folder: string): string[] {
  return [...fileSet.walk()].map(({ record, depth }) => {
    const ds = record.dataset;
    const key = ds.string(Tag.ReferencedSOPInstanceUIDInFile) ?? ds.string(Tag.SeriesInstanceUID) ??
      ds.string(Tag.StudyInstanceUID) ?? ds.string(Tag.PatientID) ?? "";
    const path = record.path === undefined ? "" : relative(folder, record.path);
    return `${depth} ${record.type} ${key.trim()} ${path}`;
  });
}

/** Our records in dcmdump's terms. */
function ourRecords(fileSet: FileSet, folder: string): string[] {
  return [...fileSet.walk()].map(({ record }) =>
    `${record.offset} ${record.type} ${
      record.path === undefined ? "" : relative(folder, record.path).split(sep).join("\\")
    }`
  ).sort();
}

/** The corpus DICOMDIR with the 4 bytes after `tag` (Explicit VR LE, short header) in the item at `item` set to `value`. */
async function patched(item: number, tag: number, value: number, size = 4): Promise<Uint8Array> {
  const bytes = await Deno.readFile(DICOMDIR);
  const view = new DataView(bytes.buffer);
  for (let p = item + 8; p < bytes.length - 8; p += 2) {
    if (view.getUint16(p, true) === tag >>> 16 && view.getUint16(p + 2, true) === (tag & 0xffff)) {
      if (size === 4) view.setUint32(p + 8, value, true);
      else view.setUint16(p + 8, value, true);
      return bytes;
    }
  }
  throw new Error(`no ${tag.toString(16)} after ${item}`);
}

Deno.test("readFileSet() reads pydicom's DICOMDIR: 2 patients, 6 studies, 13 series, 31 images, every file found", async () => {
  const fileSet = await readFileSet(DICOMDIR);
  assertEquals(fileSet.fileSetId, "PYDICOM_TEST");
  assertEquals(counts(fileSet), { PATIENT: 2, STUDY: 6, SERIES: 13, IMAGE: 31 });
  assertEquals(fileSet.records.map((r) => r.dataset.string(Tag.PatientID)), [
    "77654033",
    "98890234",
  ]);
  assertEquals(fileSet.warnings, []);
  const first = fileSet.records[0]!.children[0]!.children[0]!.children[0]!;
  assertEquals(first.type, "IMAGE");
  assertEquals(first.path, join(DIR, "77654033", "CR1", "6154"));
});

for (const name of ["DICOMDIR", "DICOMDIR-bigEnd", "DICOMDIR-implicit", "DICOMDIR-reordered"]) {
  Deno.test(
    `readFileSet() gives each record of ${name} the offset dcmdump shows, and the same Referenced File IDs`,
    {
      ignore: dcmtkIgnore("dcmdump"),
    },
    async () => {
      const fileSet = await readFileSet(DIR + name);
      assertEquals(ourRecords(fileSet, DIR), await dcmdumpRecords(DIR + name));
    },
  );
}

for (
  const variant of [
    "DICOMDIR-bigEnd",
    "DICOMDIR-implicit",
    "DICOMDIR-reordered",
    "DICOMDIR-nooffset",
  ]
) {
  Deno.test(`readFileSet() reads ${variant} as the same tree as DICOMDIR`, async () => {
    const expected = shape(await readFileSet(DICOMDIR), DIR);
    const fileSet = await readFileSet(DIR + variant);
    assertEquals(shape(fileSet, DIR), expected);
    assertEquals(fileSet.warnings, []);
  });
}

Deno.test("readFileSet() of DICOMDIR-reordered follows the offsets, not the sequence order", async () => {
  const fileSet = await readFileSet(`${DIR}DICOMDIR-reordered`);
  const first = fileSet.records[0]!;
  assertEquals(first.type, "PATIENT");
  assert(first.offset > fileSet.records[0]!.children[0]!.offset, "PATIENT item after its STUDY");
});

Deno.test("readFileSet() of DICOMDIR-nopatient follows its root link to one IMAGE and warns of the 51 records left unlinked", async () => {
  const fileSet = await readFileSet(`${DIR}DICOMDIR-nopatient`);
  assertEquals(counts(fileSet), { IMAGE: 1 });
  assertEquals(fileSet.warnings.length, 1);
  assertMatch(fileSet.warnings[0]!, /^51 of the 52 directory records/);
});

Deno.test("readFileSet() of DICOMDIR-empty.dcm has no records", async () => {
  const fileSet = await readFileSet(`${DIR}DICOMDIR-empty.dcm`);
  assertEquals(fileSet.records, []);
  assertEquals(fileSet.warnings, []);
});

Deno.test("readFileSet() reads TINY_ALPHA: one patient, study and series with 50 images, as its README says", async () => {
  const folder = `${DIR}TINY_ALPHA/`;
  const fileSet = await readFileSet(`${folder}DICOMDIR`);
  assertEquals(fileSet.fileSetId, "TINY ALPHA");
  assertEquals(counts(fileSet), { PATIENT: 1, STUDY: 1, SERIES: 1, IMAGE: 50 });
  assertEquals(fileSet.warnings, []);
  const images = fileSet.records[0]!.children[0]!.children[0]!.children;
  assertEquals(images[0]!.path, join(folder, "PT000000", "ST000000", "SE000000", "IM000000"));
});

Deno.test("readFileSet() leaves out an inactive record (Record In-use Flag 0000H) and what is below it", async () => {
  // 396 is the first PATIENT (77654033, 1 + 3 studies' records below it).
  const bytes = await patched(396, Tag.RecordInUseFlag, 0, 2);
  const fileSet = decodeFileSet(bytes, DIR);
  assertEquals(fileSet.records.map((r) => r.dataset.string(Tag.PatientID)), ["98890234"]);
  assertMatch(fileSet.warnings[0] ?? "", /not reached/);
});

Deno.test("decodeFileSet() throws a FileSetError naming the record for a loop in the links", async () => {
  const bytes = await patched(396, Tag.OffsetOfTheNextDirectoryRecord, 396);
  assertThrows(() => decodeFileSet(bytes, DIR), FileSetError);
  assertThrows(
    () => decodeFileSet(bytes, DIR),
    /the PATIENT record at offset 396 links back to the PATIENT record at offset 396, a loop/,
  );
});

Deno.test("decodeFileSet() throws a FileSetError naming the record for an offset where no record starts", async () => {
  const bytes = await patched(396, Tag.OffsetOfReferencedLowerLevelDirectoryEntity, 398);
  assertThrows(() => decodeFileSet(bytes, DIR), FileSetError);
  assertThrows(
    () => decodeFileSet(bytes, DIR),
    /the PATIENT record at offset 396 links to offset 398, where no directory record starts/,
  );
});

Deno.test("decodeFileSet() gives no path to a Referenced File ID with a '..' component, and warns naming the record", async () => {
  const bytes = await Deno.readFile(DICOMDIR);
  const text = new TextDecoder("latin1").decode(bytes);
  const at = text.indexOf("77654033\\CR1\\6154");
  bytes.set(new TextEncoder().encode(".. "), at + "77654033\\".length);
  const fileSet = decodeFileSet(bytes, DIR);
  const image = fileSet.records[0]!.children[0]!.children[0]!.children[0]!;
  assertEquals(image.type, "IMAGE");
  assertEquals(image.path, undefined);
  assertEquals(fileSet.warnings, [
    `the IMAGE record at offset ${image.offset} has Referenced File ID "77654033\\\\..\\\\6154": component ".." could leave the File-set; no path given`,
  ]);
});

Deno.test("readFileSet() warns of each missing referenced file, naming the record, and still lists it", async () => {
  const folder = await Deno.makeTempDir();
  try {
    await Deno.copyFile(DICOMDIR, join(folder, "DICOMDIR"));
    const fileSet = await readFileSet(join(folder, "DICOMDIR"));
    assertEquals(counts(fileSet)["IMAGE"], 31);
    assertEquals(fileSet.warnings.length, 31);
    assertMatch(
      fileSet.warnings[0]!,
      /^the IMAGE record at offset \d+ references .*77654033.CR1.6154, which does not exist$/,
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("readFileSet() rejects a missing DICOMDIR with Deno's NotFound", async () => {
  await assertRejects(() => readFileSet(`${DIR}NO_SUCH_DICOMDIR`), Deno.errors.NotFound);
});

Deno.test("readFileSet() lists what dcmdump shows of a DICOMDIR that dcmgpdir made", {
  ignore: dcmtkIgnore("dcmgpdir"),
}, async () => {
  const folder = await Deno.makeTempDir();
  try {
    const src = `${PYDICOM_DATA}test_files/`;
    await Deno.mkdir(join(folder, "CT", "A"), { recursive: true });
    await Deno.mkdir(join(folder, "MR"));
    await Deno.copyFile(`${src}CT_small.dcm`, join(folder, "CT", "A", "IM1"));
    await Deno.copyFile(`${src}MR_small.dcm`, join(folder, "MR", "IM1"));
    await Deno.copyFile(`${DIR}77654033/CR1/6154`, join(folder, "MR", "IM2"));
    const out = await new Deno.Command("dcmgpdir", {
      args: ["+r", "+I", "CT", "MR"],
      cwd: folder,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const path = join(folder, "DICOMDIR");
    const fileSet = await readFileSet(path);
    assertEquals(fileSet.warnings, []);
    assertEquals(counts(fileSet)["IMAGE"], 3);
    assertEquals(ourRecords(fileSet, folder), await dcmdumpRecords(path));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("dcm dicomdir list prints the tree indented by level, and --json one object per record", async () => {
  const text = await dcm("dicomdir", "list", DICOMDIR);
  assertEquals(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split("\n");
  assertEquals(lines[0], "File-set PYDICOM_TEST");
  assertEquals(lines[1], "  PATIENT PatientID=77654033 PatientName=Doe^Archibald");
  assertMatch(lines[4]!, /^ {8}IMAGE InstanceNumber=1 .*6154$/);
  assertEquals(lines.length, 1 + 52);

  const json = await dcm("dicomdir", "list", "--json", DICOMDIR);
  assertEquals(json.code, 0, json.stderr);
  const records = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assertEquals(records.length, 52);
  const images = records.filter((r) => r.type === "IMAGE");
  assertEquals(images.length, 31);
  assertEquals(images[0].level, 3);
  assertEquals(images[0].path, join(DIR, "77654033", "CR1", "6154"));
  assertEquals(records[0].keys, { PatientID: "77654033", PatientName: "Doe^Archibald" });
});

Deno.test("dcm dicomdir with an action other than list is a usage error, exit 2", async () => {
  const r = await dcm("dicomdir", "show", DICOMDIR);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /unknown action "show": expected list/);
});

Deno.test("decodeFileSet() warns, naming the record, of a File ID PS3.10 8.2 does not allow, and still resolves it", async () => {
  const bytes = await Deno.readFile(DICOMDIR);
  const text = new TextDecoder("latin1").decode(bytes);
  // "77654033\CR1\6154" becomes "77654033\cr1\6154": lower case is not a D character.
  const at = text.indexOf("77654033\\CR1\\6154");
  bytes.set(new TextEncoder().encode("cr1"), at + "77654033\\".length);
  const fileSet = decodeFileSet(bytes, DIR);
  const image = fileSet.records[0]!.children[0]!.children[0]!.children[0]!;
  assertEquals(image.path, join(DIR, "77654033", "cr1", "6154"));
  assertEquals(fileSet.warnings, [
    `the IMAGE record at offset ${image.offset} has Referenced File ID "77654033\\\\cr1\\\\6154": component "cr1" is not 1 to 8 of A-Z, 0-9 and _ (PS3.10 8.2)`,
  ]);
});
