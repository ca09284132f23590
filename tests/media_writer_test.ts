// FileSetWriter, encodeDicomdir and `dcm dicomdir create`, judged by DCMTK:
// dcmdump reads what we write with no warning and its record links (read
// from dcmdump's own output, not from our reader) form the tree we meant;
// dcmgpdir +A appends to our File-sets without a warning; we update
// DICOMDIRs that dcmgpdir made. Then a DICOMDIR as a source: store() sends
// what it references to DCMTK's storescp, indexFolder() indexes a File-set.
import { join, relative } from "node:path";
import { Dataset, decodePart10, encodePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import {
  encodeDicomdir,
  FileSetError,
  FileSetWriter,
  readFileSet,
  recordTypeFor,
} from "../media/mod.ts";
import { Archive } from "../archive/mod.ts";
import { indexFolder } from "../scp/mod.ts";
import { store } from "../scu/mod.ts";
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "./_assert.ts";
import { dcm, ServerProcess } from "./_cli.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import { DcmtkServer, HOST, run } from "./_storage_corpus.ts";

const FILES = `${PYDICOM_DATA}test_files/`;
const DIRTESTS = `${FILES}dicomdirtests/`;

/** A record as dcmdump shows it: where its item starts, its type, links and File ID. */
interface DumpedRecord {
  offset: number;
  type: string;
  next: number;
  lower: number;
  inUse: number;
  fileId: string;
}

/** dcmdump's reading of a DICOMDIR: the root offsets, the records, and what it said on stderr. */
interface Dump {
  first: number;
  last: number;
  records: Map<number, DumpedRecord>;
  stderr: string;
  text: string;
}

async function dcmdump(path: string): Promise<Dump> {
  const r = await run("dcmdump", [path]);
  assertEquals(r.code, 0, r.stderr);
  const records = new Map<number, DumpedRecord>();
  let first = -1, last = -1;
  let current: DumpedRecord | undefined;
  for (const line of r.stdout.split("\n")) {
    const item = line.match(/#\s+offset=\$(\d+)(?:\s+refFileID="([^"]*)")?/);
    if (item) {
      current = { offset: Number(item[1]), type: "", next: -1, lower: -1, inUse: -1, fileId: "" };
      current.fileId = item[2] ?? "";
      records.set(current.offset, current);
      continue;
    }
    const value = (tag: string) => {
      const m = line.match(new RegExp(`^\\s*\\(${tag}\\) \\w\\w (?:\\[([^\\]]*)\\]|(\\d+))`));
      return m ? (m[1] ?? m[2]!) : undefined;
    };
    first = Number(value("0004,1200") ?? first);
    last = Number(value("0004,1202") ?? last);
    if (!current) continue;
    current.next = Number(value("0004,1400") ?? current.next);
    current.inUse = Number(value("0004,1410") ?? current.inUse);
    current.lower = Number(value("0004,1420") ?? current.lower);
    current.type = value("0004,1430")?.trim() ?? current.type;
  }
  return { first, last, records, stderr: r.stderr, text: r.stdout };
}

/**
 * The tree dcmdump's link values describe, as indented lines "TYPE fileId";
 * every link must land on an item dcmdump shows, and the last root record
 * must be the one (0004,1202) names.
 */
function linkedTree(dump: Dump): string[] {
  const lines: string[] = [];
  const seen = new Set<number>();
  const walk = (offset: number, depth: number): number => {
    let previous = 0;
    for (let at = offset; at !== 0;) {
      const record = dump.records.get(at);
      assert(record, `a link points to offset ${at}, where dcmdump shows no item`);
      assert(!seen.has(at), `a loop at ${at}`);
      seen.add(at);
      lines.push(`${"  ".repeat(depth)}${record.type} ${record.fileId}`.trimEnd());
      walk(record.lower, depth + 1);
      previous = at;
      at = record.next;
    }
    return previous;
  };
  assertEquals(walk(dump.first, 0), dump.last, "(0004,1202) names the last root record");
  assertEquals(seen.size, dump.records.size, "every record is linked");
  return lines;
}

/** A File ID component of PS3.10 8.2 / the General Purpose profiles. */
const COMPONENT = /^[A-Z0-9_]{1,8}$/;

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "dcm_fileset_" });
}

/** `CT_small.dcm` as another instance of its series: same patient, study and series, new SOP Instance UID. */
async function sibling(uid: string, instanceNumber: number): Promise<Uint8Array> {
  const { dataset } = decodePart10(await Deno.readFile(`${FILES}CT_small.dcm`));
  dataset.set(Tag.SOPInstanceUID, uid).set(Tag.InstanceNumber, instanceNumber);
  return encodePart10(dataset);
}

/** Runs a DCMTK tool in `cwd`; returns its exit code and output. */
async function inFolder(cwd: string, name: string, args: string[]) {
  const out = await new Deno.Command(name, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test(
  "encodeDicomdir() links records by the offsets of their Item tags, as dcmdump shows them",
  {
    ignore: dcmtkIgnore("dcmdump"),
  },
  async () => {
    const record = (type: string, children: ReturnType<typeof tree>[] = []) => tree(type, children);
    const tree = (type: string, children: { dataset: Dataset; children: unknown[] }[]) => ({
      dataset: new Dataset().set(Tag.DirectoryRecordType, type).set(Tag.PatientID, type),
      children: children as { dataset: Dataset; children: never[] }[],
    });
    const records = [
      record("PATIENT", [record("STUDY", [record("SERIES", [record("IMAGE"), record("IMAGE")])])]),
      record("PATIENT", [record("STUDY"), record("STUDY", [record("SERIES")])]),
      record("PATIENT"),
    ];
    const folder = await tempDir();
    try {
      await Deno.writeFile(join(folder, "DICOMDIR"), encodeDicomdir(records, { fileSetId: "T" }));
      const dump = await dcmdump(join(folder, "DICOMDIR"));
      assertEquals(dump.stderr, "");
      assertEquals(linkedTree(dump), [
        "PATIENT",
        "  STUDY",
        "    SERIES",
        "      IMAGE",
        "      IMAGE",
        "PATIENT",
        "  STUDY",
        "  STUDY",
        "    SERIES",
        "PATIENT",
      ]);
      assert([...dump.records.values()].every((r) => r.inUse === 65535));
      assertMatch(dump.text, /\(0002,0002\) UI =MediaStorageDirectoryStorage/);
      assertMatch(dump.text, /\(0002,0010\) UI =LittleEndianExplicit/);
      assertMatch(dump.text, /\(0004,1130\) CS \[T\]/);
      assertMatch(dump.text, /\(0004,1212\) US 0 /);
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
);

Deno.test("encodeDicomdir() refuses a File-set ID PS3.10 does not allow", () => {
  assertThrows(() => encodeDicomdir([], { fileSetId: "lower case" }), FileSetError);
  assertThrows(() => encodeDicomdir([], { fileSetId: "SEVENTEEN_CHARS_X" }), FileSetError);
});

Deno.test("recordTypeFor() gives the record types of PS3.3 Table F.4-2", () => {
  assertEquals(recordTypeFor(Uid.CTImageStorage), "IMAGE");
  assertEquals(recordTypeFor(Uid.EnhancedMRImageStorage), "IMAGE");
  assertEquals(recordTypeFor(Uid.SegmentationStorage), "IMAGE");
  assertEquals(recordTypeFor(Uid.ComprehensiveSRStorage), "SR DOCUMENT");
  assertEquals(recordTypeFor(Uid.KeyObjectSelectionDocumentStorage), "KEY OBJECT DOC");
  assertEquals(recordTypeFor(Uid.GrayscaleSoftcopyPresentationStateStorage), "PRESENTATION");
  assertEquals(recordTypeFor(Uid.TwelveLeadECGWaveformStorage), "WAVEFORM");
  assertEquals(recordTypeFor(Uid.EncapsulatedPDFStorage), "ENCAP DOC");
  assertEquals(recordTypeFor(Uid.EncapsulatedCDAStorage), "ENCAP DOC");
  assertEquals(recordTypeFor(Uid.RTDoseStorage), "RT DOSE");
  assertEquals(recordTypeFor(Uid.RTStructureSetStorage), "RT STRUCTURE SET");
  assertEquals(recordTypeFor(Uid.RTPlanStorage), "RT PLAN");
  assertEquals(recordTypeFor(Uid.RTBeamsTreatmentRecordStorage), "RT TREAT RECORD");
  assertEquals(recordTypeFor(Uid.RawDataStorage), "RAW DATA");
  assertEquals(recordTypeFor(Uid.SpatialRegistrationStorage), "REGISTRATION");
  assertEquals(recordTypeFor(Uid.MRSpectroscopyStorage), "SPECTROSCOPY");
  assertEquals(recordTypeFor(Uid.ModalityWorklistInformationModelFind), undefined);
  assertEquals(recordTypeFor("1.2.3.4"), undefined);
});

Deno.test(
  "dcm dicomdir create makes a File-set dcmdump reads with no warning: the tree we meant, conformant File IDs that exist",
  {
    ignore: dcmtkIgnore("dcmdump"),
  },
  async () => {
    const root = await tempDir();
    const out = join(root, "OUT");
    try {
      const r = await dcm(
        "dicomdir",
        "create",
        out,
        "--fileset-id",
        "EXPORT_1",
        `${FILES}CT_small.dcm`,
        `${FILES}MR_small.dcm`,
        `${DIRTESTS}98892003`,
      );
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stderr, "");
      const dump = await dcmdump(join(out, "DICOMDIR"));
      assertEquals(dump.stderr, "");
      assertMatch(dump.text, /\(0004,1130\) CS \[EXPORT_1\]/);
      const tree = linkedTree(dump);
      // 98892003 holds one study of patient 98890234, as pydicom's DICOMDIR says.
      const source = await readFileSet(`${DIRTESTS}DICOMDIR`);
      const images = [...source.walk()].filter((w) => w.record.path?.includes("98892003"));
      let files = 0;
      for (const series of ["MR1", "MR2", "MR700"]) {
        for await (const _ of Deno.readDir(`${DIRTESTS}98892003/${series}`)) files++;
      }
      assertEquals(images.length, files);
      assertEquals(tree.filter((l) => l.startsWith("PATIENT")).length, 3);
      const studies = source.records.flatMap((p) => p.children).filter((study) =>
        study.children.some((series) =>
          series.children.some((image) => image.path?.includes("98892003"))
        )
      );
      assertEquals(tree.filter((l) => l.startsWith("  STUDY")).length, 2 + studies.length);
      assertEquals(tree.filter((l) => l.trim().startsWith("IMAGE")).length, 2 + images.length);
      for (const record of dump.records.values()) {
        if (record.type !== "IMAGE") {
          assertEquals(record.fileId, "");
          continue;
        }
        const components = record.fileId.split("\\");
        assert(components.length <= 8, record.fileId);
        assert(components.every((c) => COMPONENT.test(c)), record.fileId);
        const copy = await Deno.readFile(join(out, ...components));
        assertEquals(
          decodePart10(copy).meta.string(Tag.MediaStorageSOPClassUID)?.length! > 0,
          true,
        );
      }
      // Each copy is byte for byte its source.
      const ours = await readFileSet(join(out, "DICOMDIR"));
      const ctUid = decodePart10(await Deno.readFile(`${FILES}CT_small.dcm`)).dataset
        .string(Tag.SOPInstanceUID);
      const ct = [...ours.walk()].find(({ record }) =>
        record.dataset.string(Tag.ReferencedSOPInstanceUIDInFile) === ctUid
      )!;
      assertEquals(
        await Deno.readFile(ct.record.path!),
        await Deno.readFile(`${FILES}CT_small.dcm`),
      );
      assertEquals(ours.warnings, []);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
);

Deno.test(
  "dcmgpdir +A appends to a File-set we made, into our PATIENT/STUDY/SERIES, with no warning",
  {
    ignore: dcmtkIgnore("dcmgpdir"),
  },
  async () => {
    const folder = await tempDir();
    try {
      const writer = await FileSetWriter.open(folder, { fileSetId: "OURS" });
      await writer.add(`${FILES}CT_small.dcm`);
      await writer.add(`${FILES}MR_small.dcm`);
      await writer.commit();
      await Deno.mkdir(join(folder, "NEW"));
      await Deno.writeFile(join(folder, "NEW", "IM1"), await sibling("2.25.1001", 7));
      await Deno.copyFile(`${DIRTESTS}77654033/CR1/6154`, join(folder, "NEW", "IM2"));
      const r = await inFolder(folder, "dcmgpdir", ["+A", "-nb", "NEW/IM1", "NEW/IM2"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stderr, "");
      const dump = await dcmdump(join(folder, "DICOMDIR"));
      assertEquals(dump.stderr, "");
      linkedTree(dump);
      // The sibling went into our CT series: one PATIENT more (the CR's), no STUDY or SERIES more for the CT.
      const fileSet = await readFileSet(join(folder, "DICOMDIR"));
      assertEquals(fileSet.fileSetId, "OURS");
      assertEquals(fileSet.records.length, 3);
      const ct = fileSet.records.find((p) => p.dataset.string(Tag.PatientID) === "1CT1")!;
      assertEquals(ct.children.length, 1);
      assertEquals(ct.children[0]!.children.length, 1);
      const images = ct.children[0]!.children[0]!.children;
      assertEquals(
        images.map((i) => relative(folder, i.path!).split("/")[0]),
        ["DICOM", "NEW"],
      );
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
);

Deno.test(
  "FileSetWriter updates a DICOMDIR dcmgpdir made: adds, removes with emptied parents, keeps DCMTK's records; DCMTK reads and appends to the result",
  {
    ignore: dcmtkIgnore("dcmgpdir"),
  },
  async () => {
    const folder = await tempDir();
    try {
      await Deno.mkdir(join(folder, "A"));
      await Deno.copyFile(`${FILES}MR_small.dcm`, join(folder, "A", "MR1"));
      await Deno.copyFile(`${DIRTESTS}77654033/CR1/6154`, join(folder, "A", "CR1"));
      const made = await inFolder(folder, "dcmgpdir", ["+F", "DCMTK", "A/MR1", "A/CR1"]);
      assertEquals(made.code, 0, made.stderr);
      const before = await readFileSet(join(folder, "DICOMDIR"));
      const crUid = before.records[1]!.children[0]!.children[0]!.children[0]!.dataset
        .string(Tag.ReferencedSOPInstanceUIDInFile)!;

      const writer = await FileSetWriter.open(folder);
      assertEquals(writer.fileSetId, "DCMTK");
      assertEquals(writer.instances.length, 2);
      assertEquals(writer.remove(crUid), true);
      assertEquals(writer.remove(crUid), false);
      const added = await writer.add(`${FILES}CT_small.dcm`);
      assertEquals(added.type, "IMAGE");
      // Not yet committed: DCMTK's DICOMDIR and the CR file are as they were.
      assert(await exists(join(folder, "A", "CR1")));
      await writer.commit();
      assert(!await exists(join(folder, "A", "CR1")), "the removed instance's file is deleted");
      assert(await exists(join(folder, "A")), "a folder still in use stays");

      const dump = await dcmdump(join(folder, "DICOMDIR"));
      assertEquals(dump.stderr, "");
      assertEquals(linkedTree(dump).map((l) => l.replace(/^(\s*\S+).*$/, "$1")), [
        "PATIENT",
        "  STUDY",
        "    SERIES",
        "      IMAGE",
        "PATIENT",
        "  STUDY",
        "    SERIES",
        "      IMAGE",
      ]);
      assertMatch(dump.text, /refFileID="A\\MR1"/);
      assertEquals(dump.text.includes("A\\CR1"), false);
      // DCMTK's own MR records are kept as DCMTK wrote them (its keys, e.g. InstanceNumber).
      assertEquals(
        (await readFileSet(join(folder, "DICOMDIR"))).records[0]!.dataset.string(Tag.PatientID),
        before.records[0]!.dataset.string(Tag.PatientID),
      );
      await Deno.copyFile(`${DIRTESTS}77654033/CR1/6154`, join(folder, "A", "CR2"));
      const appended = await inFolder(folder, "dcmgpdir", ["+A", "-nb", "A/CR2"]);
      assertEquals(appended.code, 0, appended.stderr);
      assertEquals(appended.stderr, "");
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  },
);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("FileSetWriter.remove() takes out the parents an instance leaves empty, and commit() deletes its file and emptied folders", async () => {
  const root = await tempDir();
  const folder = join(root, "FS");
  try {
    const writer = await FileSetWriter.open(folder);
    const a = await writer.add(`${FILES}CT_small.dcm`);
    await Deno.writeFile(join(root, "sibling.dcm"), await sibling("2.25.77", 2));
    const b = await writer.add(join(root, "sibling.dcm"));
    await Deno.remove(join(root, "sibling.dcm"));
    const c = await writer.add(`${FILES}MR_small.dcm`);
    assertEquals(a.fileId.slice(0, 3), b.fileId.slice(0, 3), "one folder per series");
    await writer.commit();

    const again = await FileSetWriter.open(folder);
    again.remove(a.sopInstanceUid);
    await again.commit();
    let fileSet = await readFileSet(join(folder, "DICOMDIR"));
    assertEquals(fileSet.records.length, 2, "the CT series keeps its other instance");
    assert(!await exists(a.path));
    assert(await exists(b.path));

    const third = await FileSetWriter.open(folder);
    third.remove(c.sopInstanceUid);
    await third.commit();
    fileSet = await readFileSet(join(folder, "DICOMDIR"));
    assertEquals(fileSet.records.map((p) => p.dataset.string(Tag.PatientID)), ["1CT1"]);
    assertEquals([...fileSet.walk()].map((w) => w.record.type), [
      "PATIENT",
      "STUDY",
      "SERIES",
      "IMAGE",
    ]);
    // MR's study and series folders went with it; nothing else is left but DICOMDIR and the CT copy.
    assert(!await exists(join(folder, ...c.fileId.slice(0, 2))));
    const left: string[] = [];
    const walk = async (dir: string) => {
      for await (const e of Deno.readDir(dir)) {
        if (e.isDirectory) await walk(join(dir, e.name));
        else left.push(relative(folder, join(dir, e.name)));
      }
    };
    await walk(folder);
    assertEquals(left.sort(), ["DICOMDIR", join(...b.fileId)].sort());
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test(
  "FileSetWriter makes the record each SOP class calls for, with its PS3.3 F.5 keys: SR DOCUMENT, ENCAP DOC (pdf2dcm), RT DOSE",
  {
    ignore: dcmtkIgnore("pdf2dcm"),
  },
  async () => {
    const root = await tempDir();
    const folder = join(root, "FS");
    try {
      // A PDF encapsulated by DCMTK's pdf2dcm.
      const pdf = join(root, "doc.pdf");
      await Deno.writeTextFile(
        pdf,
        "%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
      );
      const encapsulated = `${pdf}.dcm`;
      const made = await run("pdf2dcm", [
        "+pn",
        "Doe^Jane",
        "+pi",
        "PDF1",
        "+t",
        "Report title",
        pdf,
        encapsulated,
      ]);
      assertEquals(made.code, 0, made.stderr);
      const writer = await FileSetWriter.open(folder, { invent: true });
      const sr = await writer.add(`${FILES}reportsi.dcm`);
      const doc = await writer.add(encapsulated);
      const dose = await writer.add(`${FILES}rtdose.dcm`);
      await Deno.remove(pdf);
      await Deno.remove(encapsulated);
      assertEquals([sr.type, doc.type, dose.type], ["SR DOCUMENT", "ENCAP DOC", "RT DOSE"]);
      // rtdose.dcm has no Instance Number (Type 1 in F.5.20): invented, and said so.
      assert(
        writer.warnings.some((w) =>
          /rtdose\.dcm has no InstanceNumber \(0020,0013\): RT DOSE record has 1$/.test(w)
        ),
        writer.warnings.join("\n"),
      );
      await writer.commit();

      const dump = await dcmdump(join(folder, "DICOMDIR"));
      assertEquals(dump.stderr, "");
      linkedTree(dump);
      const fileSet = await readFileSet(join(folder, "DICOMDIR"));
      const leaf = (type: string) =>
        [...fileSet.walk()].find((w) => w.record.type === type)!.record.dataset;
      const report = decodePart10(await Deno.readFile(`${FILES}reportsi.dcm`)).dataset;
      const srRecord = leaf("SR DOCUMENT");
      for (
        const tag of [
          Tag.InstanceNumber,
          Tag.CompletionFlag,
          Tag.VerificationFlag,
          Tag.ContentDate,
          Tag.ContentTime,
        ]
      ) assertEquals(srRecord.string(tag), report.string(tag));
      assertEquals(
        srRecord.items(Tag.ConceptNameCodeSequence)[0]!.string(Tag.CodeValue),
        report.items(Tag.ConceptNameCodeSequence)[0]!.string(Tag.CodeValue),
      );
      const docRecord = leaf("ENCAP DOC");
      assertEquals(docRecord.string(Tag.MIMETypeOfEncapsulatedDocument), "application/pdf");
      assertEquals(docRecord.string(Tag.DocumentTitle), "Report title");
      assert(docRecord.has(Tag.ContentDate));
      assertEquals(docRecord.string(Tag.ReferencedSOPClassUIDInFile), Uid.EncapsulatedPDFStorage);
      assertEquals(
        leaf("RT DOSE").string(Tag.DoseSummationType),
        decodePart10(await Deno.readFile(`${FILES}rtdose.dcm`)).dataset.string(
          Tag.DoseSummationType,
        ),
      );
      assertEquals(leaf("RT DOSE").string(Tag.InstanceNumber), "1");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
);

Deno.test("FileSetWriter.add() refuses, naming the file, what a File-set cannot take", async () => {
  const folder = await tempDir();
  const scratch = await tempDir();
  try {
    const writer = await FileSetWriter.open(folder);
    await writer.add(`${FILES}MR_small.dcm`);
    const write = async (name: string, dataset: Dataset, sopClassUid?: string) => {
      const path = join(scratch, name);
      await Deno.writeFile(
        path,
        encodePart10(dataset, {
          sopClassUid: sopClassUid ?? Uid.CTImageStorage,
          sopInstanceUid: "2.25.9",
        }),
      );
      return path;
    };
    const base = () =>
      new Dataset()
        .set(Tag.SOPClassUID, Uid.CTImageStorage)
        .set(Tag.StudyInstanceUID, "2.25.10")
        .set(Tag.SeriesInstanceUID, "2.25.11");
    const noUid = await write("NOUID", base());
    await assertRejects(
      () => writer.add(noUid),
      FileSetError,
      `Cannot add ${noUid} to the File-set: it has no SOP Instance UID (0008,0018)`,
    );
    await assertRejects(
      () => writer.add(`${FILES}MR_small_implicit.dcm`),
      FileSetError,
      `Cannot add ${FILES}MR_small_implicit.dcm to the File-set: SOP Instance UID 1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457 is already in the File-set`,
    );
    await assertRejects(
      () => writer.add(`${FILES}no_meta.dcm`),
      FileSetError,
      `Cannot add ${FILES}no_meta.dcm to the File-set: it has no File Meta Information`,
    );
    const unknown = await write(
      "UNKNOWN",
      base().set(Tag.SOPInstanceUID, "2.25.12").set(Tag.SOPClassUID, "1.2.3.4"),
    );
    await assertRejects(
      () => writer.add(unknown),
      FileSetError,
      `Cannot add ${unknown} to the File-set: no directory record type for SOP class 1.2.3.4`,
    );
    await assertRejects(
      () => writer.add(`${DIRTESTS}DICOMDIR`),
      FileSetError,
      `Cannot add ${DIRTESTS}DICOMDIR to the File-set: it is a DICOMDIR`,
    );
    const noStudyDate = await write("NODATE", base().set(Tag.SOPInstanceUID, "2.25.13"));
    await assertRejects(
      () => writer.add(noStudyDate),
      FileSetError,
      "it has no PatientID (0010,0020), which its PATIENT record requires (PS3.3 F.5)",
    );
    const moved = await write(
      "MOVED",
      base().set(Tag.SOPInstanceUID, "2.25.14").set(Tag.PatientID, "OTHER").set(
        Tag.StudyInstanceUID,
        decodePart10(await Deno.readFile(`${FILES}MR_small.dcm`)).dataset.string(
          Tag.StudyInstanceUID,
        )!,
      ),
    );
    await assertRejects(
      () => writer.add(moved),
      FileSetError,
      'is filed under Patient ID "4MR1", not "OTHER"',
    );
    // Nothing refused was copied in.
    const copies: string[] = [];
    for await (const e of Deno.readDir(join(folder, "DICOM"))) copies.push(e.name);
    assertEquals(copies.length, 1);
  } finally {
    await Deno.remove(folder, { recursive: true });
    await Deno.remove(scratch, { recursive: true });
  }
});

Deno.test("FileSetWriter.commit() replaces DICOMDIR whole or not at all: a failed write leaves the old one and no temporary file", async () => {
  const folder = await tempDir();
  try {
    const writer = await FileSetWriter.open(folder, { fileSetId: "FIRST" });
    await writer.add(`${FILES}CT_small.dcm`);
    await writer.commit();
    const before = await Deno.readFile(join(folder, "DICOMDIR"));
    const bad = await FileSetWriter.open(folder, { fileSetId: "not allowed" });
    await bad.add(`${FILES}MR_small.dcm`);
    await assertRejects(() => bad.commit(), FileSetError);
    await bad.discard();
    assertEquals(await Deno.readFile(join(folder, "DICOMDIR")), before);
    const names: string[] = [];
    for await (const e of Deno.readDir(folder)) names.push(e.name);
    assertEquals(names.sort(), ["DICOM", "DICOMDIR"]);
    assertEquals((await readFileSet(join(folder, "DICOMDIR"))).warnings, []);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("dcm dicomdir create refuses an existing DICOMDIR without --add; --add and --remove update it", async () => {
  const root = await tempDir();
  const out = join(root, "OUT");
  try {
    assertEquals((await dcm("dicomdir", "create", out, `${FILES}CT_small.dcm`)).code, 0);
    const again = await dcm("dicomdir", "create", out, `${FILES}MR_small.dcm`);
    assertEquals(again.code, 1);
    assertMatch(again.stderr, /DICOMDIR exists: give --add to update that File-set/);
    const ct = decodePart10(await Deno.readFile(`${FILES}CT_small.dcm`)).dataset
      .string(Tag.SOPInstanceUID)!;
    const added = await dcm(
      "dicomdir",
      "create",
      out,
      "--add",
      "--remove",
      ct,
      `${FILES}MR_small.dcm`,
    );
    assertEquals(added.code, 0, added.stderr);
    assertMatch(added.stdout, /1 added, 1 removed, 1 instances/);
    const list = await dcm("dicomdir", "list", "--json", join(out, "DICOMDIR"));
    const records = list.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(records.map((r) => r.type), ["PATIENT", "STUDY", "SERIES", "IMAGE"]);
    assertEquals(records[0].keys.PatientID, "4MR1");
    // A refused object fails the command and leaves no copy behind.
    const refused = await dcm("dicomdir", "create", out, "--add", `${FILES}rtdose.dcm`);
    assertEquals(refused.code, 1);
    assertMatch(refused.stderr, /rtdose\.dcm to the File-set: it has no InstanceNumber/);
    assertEquals((await readFileSet(join(out, "DICOMDIR"))).warnings, []);
    let files = 0;
    const walk = async (dir: string) => {
      for await (const e of Deno.readDir(dir)) {
        if (e.isDirectory) await walk(join(dir, e.name));
        else files++;
      }
    };
    await walk(out);
    assertEquals(files, 2, "DICOMDIR and the MR copy");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("store() of a DICOMDIR delivers every object it references to DCMTK's storescp", {
  ignore: dcmtkIgnore("storescp"),
}, async () => {
  const received = await tempDir();
  try {
    const fileSet = await readFileSet(`${DIRTESTS}DICOMDIR`);
    const expected = [...fileSet.walk()]
      .map((w) => w.record.dataset.string(Tag.ReferencedSOPInstanceUIDInFile))
      .filter((uid) => uid !== undefined).sort();
    assertEquals(expected.length, 31);
    await using scp = await DcmtkServer.start(
      "storescp",
      (port) => ["-od", received, String(port)],
    );
    const summary = await store(HOST, scp.port, [`${DIRTESTS}DICOMDIR`], {
      calledAeTitle: "STORESCP",
    });
    assertEquals(summary.failed, 0, summary.results.find((r) => r.error)?.error?.message);
    assertEquals(summary.completed, 31);
    const uids: string[] = [];
    for await (const e of Deno.readDir(received)) {
      uids.push(
        decodePart10(await Deno.readFile(join(received, e.name))).meta
          .string(Tag.MediaStorageSOPInstanceUID)!,
      );
    }
    assertEquals(uids.sort(), expected);
  } finally {
    await Deno.remove(received, { recursive: true });
  }
});

Deno.test(
  "dcm store of a folder with a DICOMDIR sends each referenced object once, and no DICOMDIR",
  {
    ignore: dcmtkIgnore("storescp"),
  },
  async () => {
    const root = await tempDir();
    const out = join(root, "OUT");
    const received = join(root, "IN");
    await Deno.mkdir(received);
    try {
      const made = await dcm(
        "dicomdir",
        "create",
        out,
        `${FILES}CT_small.dcm`,
        `${DIRTESTS}98892003`,
      );
      assertEquals(made.code, 0, made.stderr);
      const instances = (await FileSetWriter.open(out)).instances;
      await using scp = await DcmtkServer.start(
        "storescp",
        (port) => ["-od", received, String(port)],
      );
      const r = await dcm("store", HOST, String(scp.port), "--json", out);
      assertEquals(r.code, 0, r.stdout + r.stderr);
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(lines.at(-1).summary.completed, instances.length);
      assertEquals(lines.at(-1).summary.failed, 0);
      assertEquals(
        lines.filter((l) => l.file).map((l) => l.sopInstanceUid).sort(),
        [...instances].sort(),
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
);

Deno.test("store() reports a DICOMDIR's missing referenced file as that file's failure, and sends the rest", async () => {
  const folder = await tempDir();
  try {
    const writer = await FileSetWriter.open(folder);
    const a = await writer.add(`${FILES}CT_small.dcm`);
    await writer.add(`${FILES}MR_small.dcm`);
    await writer.commit();
    await Deno.remove(a.path);
    // The missing file is reported before store() connects for the rest; the
    // port has nothing behind it, so the connection then fails.
    const listener = Deno.listen({ hostname: HOST, port: 0 });
    const port = listener.addr.port;
    listener.close();
    const results: string[] = [];
    await store(HOST, port, [join(folder, "DICOMDIR")], {
      onResult: (r) => results.push(`${r.source} ${r.error?.name}`),
    }).catch(() => {});
    assertEquals(results, [`${a.path} NotFound`]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("indexFolder() indexes a File-set's referenced files, the other files of the folder, and not the DICOMDIR as a skipped object", async () => {
  const folder = await tempDir();
  try {
    const writer = await FileSetWriter.open(folder);
    await writer.add(`${FILES}CT_small.dcm`);
    await writer.add(`${FILES}MR_small.dcm`);
    await writer.commit();
    await Deno.copyFile(`${FILES}JPEG2000.dcm`, join(folder, "STORED"));
    using archive = Archive.open();
    const warnings: string[] = [];
    const result = await indexFolder(archive, folder, { onWarning: (m) => warnings.push(m) });
    assertEquals(result, { indexed: 3, skipped: 0, referenced: 2 });
    assertEquals(archive.counts().instances, 3);
    assertEquals(warnings, []);

    using plain = Archive.open();
    await Deno.remove(join(folder, "DICOMDIR"));
    assertEquals(await indexFolder(plain, folder), {
      indexed: 3,
      skipped: 0,
      referenced: undefined,
    });
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("dcm qrscp --dir on a File-set indexes what its DICOMDIR references, and does not count the DICOMDIR as skipped", async () => {
  const root = await tempDir();
  const out = join(root, "OUT");
  try {
    const made = await dcm(
      "dicomdir",
      "create",
      out,
      `${FILES}CT_small.dcm`,
      `${FILES}MR_small.dcm`,
    );
    assertEquals(made.code, 0, made.stderr);
    await using qrscp = new ServerProcess("qrscp", out);
    await qrscp.listening();
    assert(
      qrscp.stderr.lines.includes(`${out}/DICOMDIR references 2 files`),
      qrscp.stderr.lines.join("\n"),
    );
    assert(
      qrscp.stderr.lines.some((l) =>
        /^indexed 2 files \(0 skipped\): 2 patients, 2 studies, 2 series, 2 instances$/.test(l)
      ),
      qrscp.stderr.lines.join("\n"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** Copies pydicom's dicomdirtests File-set (its 31 images) into `folder`, with `variant` as DICOMDIR. */
async function copyCorpusFileSet(folder: string, variant: string): Promise<void> {
  await Deno.copyFile(`${DIRTESTS}${variant}`, join(folder, "DICOMDIR"));
  const copy = async (from: string, to: string) => {
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) {
      if (e.isDirectory) await copy(join(from, e.name), join(to, e.name));
      else await Deno.copyFile(join(from, e.name), join(to, e.name));
    }
  };
  for (const patient of ["77654033", "98892001", "98892003"]) {
    await copy(`${DIRTESTS}${patient}`, join(folder, patient));
  }
}

for (const variant of ["DICOMDIR-bigEnd", "DICOMDIR-implicit"]) {
  Deno.test(
    `FileSetWriter updates ${variant}: the records keep their values, written in Explicit VR Little Endian, and dcmdump reads them`,
    {
      ignore: dcmtkIgnore("dcmdump"),
    },
    async () => {
      const folder = await tempDir();
      try {
        await copyCorpusFileSet(folder, variant);
        const before = await readFileSet(join(folder, "DICOMDIR"));
        const writer = await FileSetWriter.open(folder);
        await writer.add(`${FILES}CT_small.dcm`);
        await writer.commit();
        const dump = await dcmdump(join(folder, "DICOMDIR"));
        assertEquals(dump.stderr, "");
        assertMatch(dump.text, /\(0002,0010\) UI =LittleEndianExplicit/);
        assertEquals(linkedTree(dump).filter((l) => l.trim().startsWith("IMAGE")).length, 32);
        const after = await readFileSet(join(folder, "DICOMDIR"));
        assertEquals(after.warnings, []);
        const keys = (fileSet: typeof before) =>
          [...fileSet.walk()].map(({ record }) =>
            [
              record.type,
              record.dataset.string(Tag.PatientID),
              record.dataset.string(Tag.StudyDate),
              record.dataset.string(Tag.SeriesNumber),
              record.dataset.string(Tag.InstanceNumber),
              record.dataset.number(Tag.Rows),
              record.path,
            ].join(" ")
          );
        assertEquals(keys(after).slice(0, keys(before).length), keys(before));
      } finally {
        await Deno.remove(folder, { recursive: true });
      }
    },
  );
}

Deno.test("dcm dicomdir create --add on a DICOMDIR whose links loop fails naming the record, and changes nothing", async () => {
  const folder = await tempDir();
  try {
    await copyCorpusFileSet(folder, "DICOMDIR");
    // The first PATIENT record (item at 396) links to itself as its next record.
    const bytes = await Deno.readFile(join(folder, "DICOMDIR"));
    const view = new DataView(bytes.buffer);
    for (let p = 396 + 8;; p += 2) {
      if (view.getUint16(p, true) === 0x0004 && view.getUint16(p + 2, true) === 0x1400) {
        view.setUint32(p + 8, 396, true);
        break;
      }
    }
    await Deno.writeFile(join(folder, "DICOMDIR"), bytes);
    const r = await dcm("dicomdir", "create", folder, "--add", `${FILES}CT_small.dcm`);
    assertEquals(r.code, 1);
    assertMatch(
      r.stderr,
      /the PATIENT record at offset 396 links back to the PATIENT record at offset 396, a loop/,
    );
    assertEquals(await Deno.readFile(join(folder, "DICOMDIR")), bytes);
    assertEquals(await exists(join(folder, "DICOM")), false);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test(
  "dcm dicomdir create of a folder holding File-sets adds what their DICOMDIRs reference, each once, and skips files that are not DICOM",
  {
    ignore: dcmtkIgnore("dcmdump"),
  },
  async () => {
    const root = await tempDir();
    const out = join(root, "OUT");
    try {
      const r = await dcm("dicomdir", "create", out, DIRTESTS);
      assertEquals(r.code, 0, r.stderr);
      // pydicom's DICOMDIR (and its variants) reference 31 images, TINY_ALPHA's 50.
      assertMatch(r.stdout, /: 81 added, 0 removed, 81 instances\n$/);
      assertMatch(
        r.stderr,
        /warning: skipped .*dicomdirtests\/+README\.txt: not a DICOM Part 10 file/,
      );
      const dump = await dcmdump(join(out, "DICOMDIR"));
      assertEquals(dump.stderr, "");
      assertEquals(linkedTree(dump).filter((l) => l.trim().startsWith("IMAGE")).length, 81);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
);
