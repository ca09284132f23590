/**
 * The Modality Worklist SCP and SCU (PS3.4 Annex K) against each other:
 * items from a folder of worklist files (flat, or a subfolder per called AE
 * title as DCMTK's wlmscpfs keeps them; Part 10 or bare data sets; read again
 * per query; unreadable files skipped with a warning) or from a callback;
 * C-CANCEL; the failure statuses of PS3.4 §K.4.1.2.2 for bad identifiers,
 * each leaving the server serving.
 */
import { Dataset, encodeDataset, encodePart10, Identifier } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { DimseStatusError, STATUS } from "../dimse/mod.ts";
import { WorklistScp, WorklistService } from "../scp/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { ServiceProvider } from "../service/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { HOST } from "./_qr_fixtures.ts";

/** A worklist item: a patient with one scheduled procedure step. */
function wlItem(patientId: string, modality: string, station: string, date = "20261203"): Dataset {
  return new Dataset()
    .set(Tag.SpecificCharacterSet, "ISO_IR 100")
    .set(Tag.AccessionNumber, `A${patientId}`)
    .set(Tag.PatientName, `PATIENT^${patientId}`)
    .set(Tag.PatientID, patientId)
    .set(Tag.StudyInstanceUID, `1.2.826.0.1.3680043.2.1143.${patientId.replace(/\D/g, "")}`)
    .set(Tag.ScheduledProcedureStepSequence, [
      new Dataset()
        .set(Tag.Modality, modality)
        .set(Tag.ScheduledStationAETitle, station)
        .set(Tag.ScheduledProcedureStepStartDate, date)
        .set(Tag.ScheduledProcedureStepStartTime, "090000")
        .set(Tag.ScheduledProcedureStepID, `SPS${patientId}`),
    ]);
}

/** A worklist item as a Part 10 file (worklist items have no SOP class of their own). */
function wlFile(item: Dataset): Uint8Array {
  return encodePart10(item, {
    sopClassUid: Uid.ModalityWorklistInformationModelFind,
    sopInstanceUid: item.string(Tag.StudyInstanceUID)!,
  });
}

/** A query for the steps of `modality` (any when undefined), asking for the patient and station. */
function query(modality?: string): Identifier<"MODALITY_WORKLIST"> {
  return new Identifier("MODALITY_WORKLIST")
    .set(Tag.ScheduledProcedureStepSequence, [
      new Dataset().set(Tag.Modality, modality ?? null).set(Tag.ScheduledStationAETitle, null),
    ])
    .request(Tag.PatientID, Tag.PatientName);
}

async function ids(scu: QueryRetrieveScu, q: Identifier<"MODALITY_WORKLIST">): Promise<string[]> {
  const out: string[] = [];
  for await (const match of scu.find(q)) out.push(match.string(Tag.PatientID)!);
  return out.sort();
}

/** A temporary folder, removed on dispose. */
async function worklistFolder(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "worklist_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

Deno.test("WorklistScp answers find() from a flat folder: Part 10 and bare data sets, re-read per query, garbage skipped with a warning", async () => {
  await using folder = await worklistFolder();
  const dir = folder.path;
  await Deno.writeFile(`${dir}/one.wl`, wlFile(wlItem("P1", "MR", "MR1")));
  // A bare data set, Explicit VR Little Endian, as some worklist brokers write them.
  await Deno.writeFile(
    `${dir}/two.wl`,
    encodeDataset(wlItem("P2", "CT", "CT1"), { transferSyntax: Uid.ExplicitVRLittleEndian }),
  );
  await Deno.writeFile(`${dir}/three.dcm`, wlFile(wlItem("P3", "MR", "MR2")));
  await Deno.writeTextFile(`${dir}/garbage.wl`, "this is not a worklist item at all\n".repeat(9));
  await Deno.writeTextFile(`${dir}/notes.txt`, "not a worklist file name");
  const warnings: string[] = [];
  await using scp = new WorklistScp({
    hostname: HOST,
    port: 0,
    directory: dir,
    onWarning: (m) => warnings.push(m),
  });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  assertEquals(await ids(scu, query()), ["P1", "P2", "P3"]);
  assertEquals(await ids(scu, query("MR")), ["P1", "P3"]);
  assert(warnings.some((w) => w.includes("garbage.wl")), warnings.join("\n"));
  assert(!warnings.some((w) => w.includes("notes.txt")));
  // A file dropped in is in the next answer.
  await Deno.writeFile(`${dir}/four.wl`, wlFile(wlItem("P4", "MR", "MR1")));
  assertEquals(await ids(scu, query("MR")), ["P1", "P3", "P4"]);
  // The response: the identifier's keys, the sequence reduced to the item's keys.
  const [first] = await Array.fromAsync(
    scu.find(query("CT").set(Tag.PatientBirthDate, null)),
  );
  assert(first !== undefined);
  assertEquals(first.model, "MODALITY_WORKLIST");
  assertEquals(first.level, undefined);
  assertEquals(first.string(Tag.PatientName), "PATIENT^P2");
  assert(first.has(Tag.PatientBirthDate) && first.strings(Tag.PatientBirthDate).length === 0);
  assert(!first.has(Tag.AccessionNumber));
  const step = first.items(Tag.ScheduledProcedureStepSequence)[0]!;
  assertEquals(step.string(Tag.ScheduledStationAETitle), "CT1");
  assert(!step.has(Tag.ScheduledProcedureStepID));
});

Deno.test("WorklistScp reads the subfolder named as the called AE title (wlmscpfs's layout), the flat folder otherwise", async () => {
  await using folder = await worklistFolder();
  const dir = folder.path;
  await Deno.mkdir(`${dir}/WARD1`);
  await Deno.writeFile(`${dir}/WARD1/a.wl`, wlFile(wlItem("W1", "MR", "MR1")));
  await Deno.writeFile(`${dir}/top.wl`, wlFile(wlItem("T1", "MR", "MR1")));
  await using scp = new WorklistScp({ hostname: HOST, port: 0, directory: dir });
  {
    await using scu = new QueryRetrieveScu(HOST, scp.port, { calledAeTitle: "WARD1" });
    assertEquals(await ids(scu, query()), ["W1"]);
  }
  {
    await using scu = new QueryRetrieveScu(HOST, scp.port, { calledAeTitle: "ANY" });
    assertEquals(await ids(scu, query()), ["T1"]);
  }
  {
    // A called AE title is never a path out of the folder.
    await using scu = new QueryRetrieveScu(HOST, scp.port, { calledAeTitle: ".." });
    assertEquals(await ids(scu, query()), ["T1"]);
  }
});

Deno.test("WorklistService alone answers from a callback's async iterable, matching each item itself", async () => {
  const seen: string[] = [];
  const worklist = new WorklistService({
    items: async function* (_query, info) {
      seen.push(info.calledAeTitle);
      yield wlItem("C1", "MR", "MR1");
      yield wlItem("C2", "US", "US1");
      yield wlItem("C3", "MR", "MR2", "20261204");
    },
  });
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [{
      abstractSyntax: Uid.ModalityWorklistInformationModelFind,
      transferSyntaxes: [Uid.ExplicitVRLittleEndian],
    }],
    handlers: { "C-FIND-RQ": worklist.handler },
  }, { hostname: HOST, port: 0 });
  await using scu = new QueryRetrieveScu(HOST, scp.port, { calledAeTitle: "WL" });
  assertEquals(await ids(scu, query("MR")), ["C1", "C3"]);
  const today = query("MR");
  today.items(Tag.ScheduledProcedureStepSequence)[0]!.set(
    Tag.ScheduledProcedureStepStartDate,
    "20261203",
  );
  assertEquals(await ids(scu, today), ["C1"]);
  assertEquals(seen, ["WL", "WL"]);
});

Deno.test("WorklistScp stops at C-CANCEL with FE00 and the association goes on", async () => {
  let produced = 0, associations = 0;
  await using scp = new WorklistScp({
    hostname: HOST,
    port: 0,
    onAssociation: () => void associations++,
    // A source that does not look at the signal: the service stops reading it.
    items: function* () {
      for (let i = 0; i < 10_000; i++) {
        produced++;
        yield wlItem(`P${i}`, "MR", "MR1");
      }
    },
  });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  let n = 0;
  for await (const _ of scu.find(query())) if (++n === 3) break;
  assert(produced < 10_000, `the source went on to ${produced}`);
  // The same association answers the next query.
  const again = [];
  for await (const m of scu.find(query())) {
    again.push(m);
    if (again.length === 2) break;
  }
  assertEquals(again.length, 2);
  // Not aborted after draining a flood of matches: one association served both.
  assertEquals(associations, 1);
});

Deno.test("WorklistScp: a sequence key of two items is A900, a malformed date C000, an oversized identifier A700; it goes on serving", async () => {
  await using folder = await worklistFolder();
  const dir = folder.path;
  await Deno.writeFile(`${dir}/one.wl`, wlFile(wlItem("P1", "MR", "MR1")));
  await using scp = new WorklistScp({
    hostname: HOST,
    port: 0,
    directory: dir,
    maxIdentifierLength: 2048,
  });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const failure = async (q: Identifier<"MODALITY_WORKLIST">) => {
    const e = await Array.fromAsync(scu.find(q)).then(() => undefined, (e) => e);
    assert(e instanceof DimseStatusError, String(e));
    return e;
  };
  const twoItems = new Identifier("MODALITY_WORKLIST")
    .set(Tag.ScheduledProcedureStepSequence, [
      new Dataset().set(Tag.Modality, "MR"),
      new Dataset().set(Tag.Modality, "CT"),
    ]);
  const e1 = await failure(twoItems);
  assertEquals(e1.status, STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS);
  assertMatch(e1.errorComment ?? "", /2 items/);
  const badDate = new Identifier("MODALITY_WORKLIST")
    .set(Tag.ScheduledProcedureStepSequence, [
      new Dataset().set(Tag.ScheduledProcedureStepStartDate, "2026-13-"),
    ]);
  assertEquals((await failure(badDate)).status, STATUS.CANNOT_UNDERSTAND);
  const huge = query().set(Tag.PatientComments, "x".repeat(4000));
  assertEquals((await failure(huge)).status, STATUS.OUT_OF_RESOURCES);
  assertEquals(await ids(scu, query()), ["P1"]);
});

Deno.test("WorklistScp answers FF01 for a matching key it cannot match (a binary VR), as a return key", async () => {
  await using folder = await worklistFolder();
  const dir = folder.path;
  await Deno.writeFile(`${dir}/one.wl`, wlFile(wlItem("P1", "MR", "MR1")));
  await using scp = new WorklistScp({ hostname: HOST, port: 0, directory: dir });
  const warnings: string[] = [];
  await using scu = new QueryRetrieveScu(HOST, scp.port, { onWarning: (m) => warnings.push(m) });
  const q = query().set(Tag.PixelData, new Uint8Array([1, 2]), "OB");
  assertEquals(await ids(scu, q), ["P1"]);
  assert(warnings.some((w) => w.includes("FF01")), warnings.join("\n"));
});

Deno.test("WorklistScp accepts only the worklist SOP class: a Q/R find() is refused (0122)", async () => {
  await using folder = await worklistFolder();
  const dir = folder.path;
  await using scp = new WorklistScp({ hostname: HOST, port: 0, directory: dir });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const e = await Array.fromAsync(scu.find(new Identifier("STUDY_ROOT", "STUDY")))
    .then(() => undefined, (e) => e);
  assert(e instanceof DimseStatusError, String(e));
  assertEquals(e.status, STATUS.SOP_CLASS_NOT_SUPPORTED);
});

Deno.test("WorklistScp matches text across character sets and answers in the item's (ISO_IR 100 item, ISO_IR 192 query)", async () => {
  await using folder = await worklistFolder();
  const latin1 = wlItem("P1", "MR", "MR1").set(Tag.PatientName, "Müller^Anna");
  const bytes = wlFile(latin1);
  // Stored as Latin-1: "ü" is the one byte FC.
  assert(bytes.some((b, i) => b === 0x4d && bytes[i + 1] === 0xfc), "not Latin-1");
  await Deno.writeFile(`${folder.path}/one.wl`, bytes);
  await Deno.writeFile(`${folder.path}/two.wl`, wlFile(wlItem("P2", "MR", "MR1")));
  await using scp = new WorklistScp({ hostname: HOST, port: 0, directory: folder.path });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const q = query().set(Tag.SpecificCharacterSet, "ISO_IR 192").set(Tag.PatientName, "Mü*");
  const found = await Array.fromAsync(scu.find(q));
  assertEquals(found.map((m) => m.string(Tag.PatientName)), ["Müller^Anna"]);
  assertEquals(found[0]!.string(Tag.SpecificCharacterSet), "ISO_IR 100");
});

Deno.test("WorklistScp answers C000 when the callback fails, and goes on serving", async () => {
  let calls = 0;
  const warnings: string[] = [];
  await using scp = new WorklistScp({
    hostname: HOST,
    port: 0,
    onWarning: (m) => warnings.push(m),
    items: () => {
      if (++calls === 1) throw new Error("the RIS is down");
      return [wlItem("P1", "MR", "MR1")];
    },
  });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const e = await Array.fromAsync(scu.find(query())).then(() => undefined, (e) => e);
  assert(e instanceof DimseStatusError, String(e));
  assertEquals(e.status, STATUS.CANNOT_UNDERSTAND);
  assert(warnings.some((w) => w.includes("the RIS is down")), warnings.join("\n"));
  assertEquals(await ids(scu, query()), ["P1"]);
});
