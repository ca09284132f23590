/**
 * Modality Performed Procedure Step (PS3.4 F.7), both roles: a test per
 * state transition of F.1.5 and per rule of F.7.2.1.3 / F.7.2.2.3, the
 * subscription, persistence across a restart, and bad input. The SCU is
 * `MppsScu`; the raw tests build their command sets and data sets by hand
 * from PS3.7 Tables 10.3-5 and 10.3-9 and PS3.5 §7.1.3 / §7.5.
 */
import { connect } from "../association/mod.ts";
import { concatBytes, Dataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { STATUS } from "../dimse/mod.ts";
import { MppsScp, type ProcedureStepEvent } from "../scp/mod.ts";
import { MppsScu, MppsStatusError } from "../scu/mod.ts";
import { NService, ServiceProvider } from "../service/mod.ts";
import { DicomError } from "../errors.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { encodeCommand, readMessage, ui, uidOf, us, usOf } from "./association_dimse_stub.ts";

const HOST = "127.0.0.1";

/** The N-CREATE Attribute List of Table F.7.2-1: every type 1 with a value, type 2 present. */
function inProgress(): Dataset {
  return new Dataset()
    .set(Tag.SpecificCharacterSet, "ISO_IR 100")
    .set(Tag.Modality, "CT")
    .set(Tag.ProcedureCodeSequence, [])
    .set(Tag.ReferencedPatientSequence, [])
    .set(Tag.PatientName, "Doe^Jane")
    .set(Tag.PatientID, "P-42")
    .set(Tag.PatientBirthDate, "19700101")
    .set(Tag.PatientSex, "F")
    .set(Tag.StudyID, "")
    .set(Tag.PerformedStationAETitle, "CT1")
    .set(Tag.PerformedStationName, "")
    .set(Tag.PerformedLocation, "")
    .set(Tag.PerformedProcedureStepStartDate, "20261203")
    .set(Tag.PerformedProcedureStepStartTime, "093000")
    .set(Tag.PerformedProcedureStepEndDate, "")
    .set(Tag.PerformedProcedureStepEndTime, "")
    .set(Tag.PerformedProcedureStepStatus, "IN PROGRESS")
    .set(Tag.PerformedProcedureStepID, "PPS-1")
    .set(Tag.PerformedProcedureStepDescription, "")
    .set(Tag.PerformedProcedureTypeDescription, "")
    .set(Tag.PerformedProtocolCodeSequence, [])
    .set(Tag.ScheduledStepAttributesSequence, [
      new Dataset()
        .set(Tag.AccessionNumber, "A-7")
        .set(Tag.ReferencedStudySequence, [])
        .set(Tag.StudyInstanceUID, "2.25.100")
        .set(Tag.RequestedProcedureDescription, "")
        .set(Tag.ScheduledProcedureStepDescription, "")
        .set(Tag.ScheduledProtocolCodeSequence, [])
        .set(Tag.ScheduledProcedureStepID, "SPS-1")
        .set(Tag.RequestedProcedureID, "RP-1"),
    ])
    .set(Tag.PerformedSeriesSequence, []);
}

/** What the final state needs (Table F.7.2-1, "Final State" column). */
function finalState(): Dataset {
  return new Dataset()
    .set(Tag.PerformedProcedureStepEndDate, "20261203")
    .set(Tag.PerformedProcedureStepEndTime, "094500")
    .set(Tag.PerformedSeriesSequence, [
      new Dataset()
        .set(Tag.RetrieveAETitle, "")
        .set(Tag.SeriesDescription, "")
        .set(Tag.PerformingPhysicianName, "")
        .set(Tag.OperatorsName, "")
        .set(Tag.ProtocolName, "HEAD")
        .set(Tag.ReferencedImageSequence, [])
        .set(Tag.SeriesInstanceUID, "2.25.200")
        .set(Tag.ReferencedNonImageCompositeSOPInstanceSequence, []),
    ]);
}

async function tempDatabase(): Promise<{ file: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "mpps_test_" });
  return {
    file: `${dir}/mpps.sqlite`,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

async function refused(promise: Promise<unknown>): Promise<MppsStatusError> {
  let error: unknown;
  await assertRejects(promise, (e) => {
    error = e;
    return e instanceof MppsStatusError;
  });
  return error as MppsStatusError;
}

Deno.test("MPPS N-CREATE IN PROGRESS is accepted and stored with our UID; subscribers get the full data set", async () => {
  const events: ProcedureStepEvent[] = [];
  await using scp = new MppsScp({ hostname: HOST, port: 0, onChange: (e) => events.push(e) });
  await using mpps = await MppsScu.connect(HOST, scp.port, { callingAeTitle: "MODALITY" });
  const created = await mpps.create(inProgress());
  assertEquals(created.status, STATUS.SUCCESS);
  assert(created.sopInstanceUid.startsWith("2.25."), created.sopInstanceUid);
  const step = scp.service.get(created.sopInstanceUid);
  assertEquals(step?.status, "IN PROGRESS");
  assertEquals(step?.dataset.string(Tag.PatientName), "Doe^Jane");
  assertEquals(
    step?.dataset.items(Tag.ScheduledStepAttributesSequence)[0]?.string(Tag.StudyInstanceUID),
    "2.25.100",
  );
  assertEquals(events.map((e) => [e.type, e.step.sopInstanceUid, e.callingAeTitle]), [
    ["created", created.sopInstanceUid, "MODALITY"],
  ]);
  assertEquals(events[0]!.step.dataset.string(Tag.PerformedProcedureStepID), "PPS-1");
});

Deno.test("MPPS N-CREATE with a status other than IN PROGRESS is refused 0106 with the attribute, and nothing is stored", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  for (const status of ["COMPLETED", "DISCONTINUED", "SCHEDULED"]) {
    const error = await refused(
      mpps.create(inProgress().set(Tag.PerformedProcedureStepStatus, status), {
        sopInstanceUid: "2.25.1",
      }),
    );
    assertEquals(error.status, STATUS.INVALID_ATTRIBUTE_VALUE);
    assert(error.errorComment?.includes(status), error.errorComment);
  }
  assertEquals(scp.service.store.list(), []);
});

Deno.test("MPPS N-CREATE lacking a type 1 attribute is refused 0120 (absent) or 0121 (empty) with its tag", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const withoutModality = inProgress();
  withoutModality.delete(Tag.Modality);
  const absent = await refused(mpps.create(withoutModality));
  assertEquals(absent.status, STATUS.MISSING_ATTRIBUTE);
  assertEquals(absent.attributeIdentifierList, [Tag.Modality]);

  const emptyStudy = inProgress().set(Tag.ScheduledStepAttributesSequence, [
    new Dataset().set(Tag.StudyInstanceUID, ""),
  ]).set(Tag.PerformedStationAETitle, "");
  const empty = await refused(mpps.create(emptyStudy));
  assertEquals(empty.status, STATUS.MISSING_ATTRIBUTE_VALUE);
  assertEquals(empty.attributeIdentifierList, [Tag.PerformedStationAETitle, Tag.StudyInstanceUID]);

  const noItem = inProgress().set(Tag.ScheduledStepAttributesSequence, []);
  assertEquals((await refused(mpps.create(noItem))).status, STATUS.MISSING_ATTRIBUTE_VALUE);
  assertEquals(scp.service.store.list(), []);
});

Deno.test("MPPS N-CREATE of a SOP instance that exists is refused 0111 and leaves the first untouched", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  await mpps.create(inProgress(), { sopInstanceUid: "2.25.11" });
  const error = await refused(
    mpps.create(inProgress().set(Tag.PatientName, "Other^Patient"), { sopInstanceUid: "2.25.11" }),
  );
  assertEquals(error.status, STATUS.DUPLICATE_SOP_INSTANCE);
  assertEquals(scp.service.get("2.25.11")?.dataset.string(Tag.PatientName), "Doe^Jane");
});

Deno.test("MPPS N-CREATE without a SOP Instance UID gets one assigned by the SCP, which the SCU returns", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const created = await mpps.create(inProgress(), { scpAssignsUid: true });
  assert(created.sopInstanceUid.startsWith("2.25."), created.sopInstanceUid);
  assertEquals(scp.service.store.list().map((s) => s.sopInstanceUid), [created.sopInstanceUid]);
});

Deno.test("MppsScu.create() leaving the UID to an SCP that accepts without naming one fails with a DicomError", async () => {
  const service = new NService({
    [Uid.ModalityPerformedProcedureStep]: { "N-CREATE-RQ": () => ({ status: STATUS.SUCCESS }) },
  });
  await using scp = new ServiceProvider(service, { hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  await assertRejects(
    mpps.create(inProgress(), { scpAssignsUid: true }),
    (e) => e instanceof DicomError && !(e instanceof MppsStatusError) && /assigned/.test(e.message),
  );
  assertEquals(
    (await mpps.create(inProgress(), { sopInstanceUid: "2.25.5" })).sopInstanceUid,
    "2.25.5",
  );
});

Deno.test("MPPS N-SET while IN PROGRESS merges the Modification List and tells subscribers 'updated'", async () => {
  const events: ProcedureStepEvent[] = [];
  await using scp = new MppsScp({ hostname: HOST, port: 0, onChange: (e) => events.push(e) });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const { sopInstanceUid } = await mpps.create(inProgress());
  const set = await mpps.set(
    sopInstanceUid,
    new Dataset().set(Tag.PerformedProcedureStepDescription, "CT HEAD").set(
      Tag.PerformedProcedureStepStatus,
      "IN PROGRESS",
    ),
  );
  assertEquals(set.status, STATUS.SUCCESS);
  const step = scp.service.get(sopInstanceUid)!;
  assertEquals(step.status, "IN PROGRESS");
  assertEquals(step.dataset.string(Tag.PerformedProcedureStepDescription), "CT HEAD");
  assertEquals(step.dataset.string(Tag.PatientName), "Doe^Jane");
  assertEquals(events.map((e) => e.type), ["created", "updated"]);
  assertEquals(events[1]!.step.dataset.string(Tag.PerformedProcedureStepDescription), "CT HEAD");
});

Deno.test("MPPS N-SET in another Specific Character Set does not replace the N-CREATE's: both texts read back (PS3.4 F.7.2.2.3)", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const { sopInstanceUid } = await mpps.create(
    inProgress().set(Tag.SpecificCharacterSet, "ISO_IR 100").set(Tag.PatientName, "Müller^Jörg"),
  );
  await mpps.set(
    sopInstanceUid,
    new Dataset().set(Tag.SpecificCharacterSet, "ISO_IR 192")
      .set(Tag.PerformedProcedureStepDescription, "Ürün 日本語")
      .set(Tag.PerformedSeriesSequence, [
        new Dataset().set(Tag.ProtocolName, "Schädel").set(Tag.SeriesInstanceUID, "2.25.9"),
      ]),
  );
  // An N-SET in the default repertoire keeps what is there.
  await mpps.set(sopInstanceUid, new Dataset().set(Tag.PerformedProcedureTypeDescription, "CT"));
  const step = scp.service.get(sopInstanceUid)!;
  assertEquals(step.dataset.string(Tag.PatientName), "Müller^Jörg");
  assertEquals(step.dataset.string(Tag.PerformedProcedureStepDescription), "Ürün 日本語");
  assertEquals(
    step.dataset.items(Tag.PerformedSeriesSequence)[0]?.string(Tag.ProtocolName),
    "Schädel",
  );
  assertEquals(step.dataset.string(Tag.PerformedProcedureTypeDescription), "CT");
  assertEquals(
    step.dataset.items(Tag.ScheduledStepAttributesSequence)[0]?.string(Tag.AccessionNumber),
    "A-7",
  );
});

Deno.test("MPPS N-SET COMPLETED ends the step; any N-SET after it is refused 0110 'may no longer be updated' with Error ID A710, and logged", async () => {
  const events: ProcedureStepEvent[] = [];
  const warnings: string[] = [];
  await using scp = new MppsScp({
    hostname: HOST,
    port: 0,
    onChange: (e) => events.push(e),
    onWarning: (m) => warnings.push(m),
  });
  await using mpps = await MppsScu.connect(HOST, scp.port, { callingAeTitle: "CT1" });
  const { sopInstanceUid } = await mpps.create(inProgress());
  await mpps.complete(sopInstanceUid, finalState());
  assertEquals(scp.service.get(sopInstanceUid)?.status, "COMPLETED");
  assertEquals(events.map((e) => e.type), ["created", "completed"]);
  assertEquals(
    events[1]!.step.dataset.items(Tag.PerformedSeriesSequence)[0]?.string(Tag.SeriesInstanceUID),
    "2.25.200",
  );
  for (
    const changes of [
      new Dataset().set(Tag.PerformedProcedureStepDescription, "late"),
      new Dataset().set(Tag.PerformedProcedureStepStatus, "IN PROGRESS"),
      new Dataset().set(Tag.PerformedProcedureStepStatus, "DISCONTINUED"),
    ]
  ) {
    const error = await refused(mpps.set(sopInstanceUid, changes));
    assertEquals(error.status, STATUS.PROCESSING_FAILURE);
    assertEquals(error.errorComment, "Performed Procedure Step Object may no longer be updated");
    assertEquals(error.errorId, 0xa710);
  }
  const step = scp.service.get(sopInstanceUid)!;
  assertEquals(step.status, "COMPLETED");
  assertEquals(step.dataset.string(Tag.PerformedProcedureStepDescription), undefined);
  assertEquals(events.length, 2);
  assertEquals(warnings.length, 3);
  assertEquals(
    warnings[0],
    `MPPS N-SET ${sopInstanceUid} from CT1 refused 0110: Performed Procedure Step Object may no longer be updated`,
  );
});

Deno.test("MPPS: of 8 associations completing or discontinuing one step at once, exactly one wins; the others get 0110 A710", async () => {
  const events: ProcedureStepEvent[] = [];
  await using scp = new MppsScp({ hostname: HOST, port: 0, onChange: (e) => events.push(e) });
  await using first = await MppsScu.connect(HOST, scp.port);
  const { sopInstanceUid } = await first.create(inProgress());
  const scus = await Promise.all(Array.from({ length: 8 }, () => MppsScu.connect(HOST, scp.port)));
  try {
    const outcomes = await Promise.allSettled(
      scus.map((scu, i) =>
        i % 2
          ? scu.complete(sopInstanceUid, finalState())
          : scu.discontinue(sopInstanceUid, finalState())
      ),
    );
    const won = outcomes.filter((o) => o.status === "fulfilled");
    assertEquals(won.length, 1);
    for (const o of outcomes) {
      if (o.status === "rejected") {
        assert(o.reason instanceof MppsStatusError, String(o.reason));
        assertEquals([o.reason.status, o.reason.errorId], [STATUS.PROCESSING_FAILURE, 0xa710]);
      }
    }
    assertEquals(events.length, 2);
    assertEquals(scp.service.get(sopInstanceUid)?.status.toLowerCase(), events[1]!.type);
  } finally {
    await Promise.all(scus.map((scu) => scu.release()));
  }
});

Deno.test("MPPS N-SET DISCONTINUED ends the step; an N-SET after it is refused 0110 A710", async () => {
  const events: ProcedureStepEvent[] = [];
  await using scp = new MppsScp({ hostname: HOST, port: 0, onChange: (e) => events.push(e) });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const { sopInstanceUid } = await mpps.create(inProgress());
  await mpps.discontinue(sopInstanceUid, finalState());
  assertEquals(scp.service.get(sopInstanceUid)?.status, "DISCONTINUED");
  const error = await refused(mpps.complete(sopInstanceUid, finalState()));
  assertEquals([error.status, error.errorId], [STATUS.PROCESSING_FAILURE, 0xa710]);
  assertEquals(events.map((e) => e.type), ["created", "discontinued"]);
});

Deno.test("MPPS Retrieve N-GET (PS3.4 F.8) returns the step, or the requested attributes (absent ones empty); an unknown step is 0112", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const { sopInstanceUid } = await mpps.create(inProgress());
  await mpps.complete(sopInstanceUid, finalState());
  const all = await mpps.get(sopInstanceUid);
  assertEquals(all.status, STATUS.SUCCESS);
  assertEquals(all.dataset?.string(Tag.PerformedProcedureStepStatus), "COMPLETED");
  assertEquals(all.dataset?.string(Tag.PatientName), "Doe^Jane");
  const some = await mpps.get(sopInstanceUid, [
    Tag.PerformedProcedureStepStatus,
    Tag.PerformedSeriesSequence,
    Tag.CommentsOnThePerformedProcedureStep,
  ]);
  assertEquals(some.dataset?.tags(), [
    Tag.SpecificCharacterSet,
    Tag.PerformedProcedureStepStatus,
    Tag.CommentsOnThePerformedProcedureStep,
    Tag.PerformedSeriesSequence,
  ]);
  assertEquals(some.dataset?.string(Tag.CommentsOnThePerformedProcedureStep), undefined);
  assertEquals(
    some.dataset?.items(Tag.PerformedSeriesSequence)[0]?.string(Tag.ProtocolName),
    "HEAD",
  );
  const error = await refused(mpps.get("2.25.404"));
  assertEquals(error.status, STATUS.NO_SUCH_SOP_INSTANCE);
});

Deno.test("MPPS N-SET of an unknown SOP instance is refused 0112", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const error = await refused(mpps.complete("2.25.404", finalState()));
  assertEquals(error.status, STATUS.NO_SUCH_SOP_INSTANCE);
});

Deno.test("MPPS N-SET of an attribute Table F.7.2-1 does not allow to set is refused 0105 with its tag, changing nothing", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const { sopInstanceUid } = await mpps.create(inProgress());
  const error = await refused(
    mpps.set(
      sopInstanceUid,
      new Dataset().set(Tag.PatientName, "Changed^Name").set(Tag.Modality, "MR")
        .set(Tag.PerformedProcedureStepDescription, "allowed"),
    ),
  );
  assertEquals(error.status, STATUS.NO_SUCH_ATTRIBUTE);
  assertEquals(error.attributeIdentifierList, [Tag.Modality, Tag.PatientName]);
  const step = scp.service.get(sopInstanceUid)!;
  assertEquals(step.dataset.string(Tag.PatientName), "Doe^Jane");
  assertEquals(step.dataset.string(Tag.PerformedProcedureStepDescription), undefined);
});

Deno.test("MPPS N-SET COMPLETED without the Final State attributes is refused 0121 and the step stays IN PROGRESS", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const { sopInstanceUid } = await mpps.create(inProgress());
  const error = await refused(mpps.complete(sopInstanceUid));
  assertEquals(error.status, STATUS.MISSING_ATTRIBUTE_VALUE);
  assertEquals(error.attributeIdentifierList, [
    Tag.PerformedProcedureStepEndDate,
    Tag.PerformedProcedureStepEndTime,
    Tag.PerformedSeriesSequence,
  ]);
  const noProtocol = finalState().set(Tag.PerformedSeriesSequence, [
    new Dataset().set(Tag.SeriesInstanceUID, "2.25.201"),
  ]);
  const item = await refused(mpps.complete(sopInstanceUid, noProtocol));
  assertEquals(item.attributeIdentifierList, [Tag.ProtocolName]);
  assertEquals(scp.service.get(sopInstanceUid)?.status, "IN PROGRESS");
  // Sent in two N-SETs, the same attributes complete it (F.7.2.2.2: "one or more").
  await mpps.set(sopInstanceUid, finalState());
  await mpps.complete(sopInstanceUid);
  assertEquals(scp.service.get(sopInstanceUid)?.status, "COMPLETED");
});

Deno.test("MPPS steps survive a restart of the SCP: created before, completed after, then refused", async () => {
  await using db = await tempDatabase();
  let uid: string;
  {
    await using scp = new MppsScp({ hostname: HOST, port: 0, database: db.file });
    await using mpps = await MppsScu.connect(HOST, scp.port);
    uid = (await mpps.create(inProgress())).sopInstanceUid;
  }
  {
    await using scp = new MppsScp({ hostname: HOST, port: 0, database: db.file });
    assertEquals(scp.service.get(uid)?.status, "IN PROGRESS");
    await using mpps = await MppsScu.connect(HOST, scp.port);
    await mpps.complete(uid, finalState());
  }
  {
    await using scp = new MppsScp({ hostname: HOST, port: 0, database: db.file });
    const step = scp.service.get(uid)!;
    assertEquals(step.status, "COMPLETED");
    assertEquals(step.dataset.string(Tag.PatientID), "P-42");
    await using mpps = await MppsScu.connect(HOST, scp.port);
    const error = await refused(
      mpps.set(uid, new Dataset().set(Tag.PerformedProcedureStepID, "x")),
    );
    assertEquals(error.errorId, 0xa710);
  }
});

Deno.test("an MPPS subscriber that throws is reported and the change is still made and answered", async () => {
  const warnings: string[] = [];
  await using scp = new MppsScp({
    hostname: HOST,
    port: 0,
    onChange: () => {
      throw new Error("the RIS bridge is down");
    },
    onWarning: (m) => warnings.push(m),
  });
  await using mpps = await MppsScu.connect(HOST, scp.port);
  const { sopInstanceUid } = await mpps.create(inProgress());
  assertEquals(scp.service.get(sopInstanceUid)?.status, "IN PROGRESS");
  assertEquals(warnings.length, 1);
  assert(warnings[0]!.includes("the RIS bridge is down"), warnings[0]);
});

// --- Hand-built messages (PS3.7 Tables 10.3-5 and 10.3-9, PS3.5 §7.1.3 and §7.5) ---

/** An Implicit VR Little Endian element (PS3.5 §7.1.3), the value padded to even length. */
function element(tag: number, value: Uint8Array | string): Uint8Array {
  let bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  if (bytes.length % 2) bytes = Uint8Array.of(...bytes, typeof value === "string" ? 0x20 : 0);
  const out = new Uint8Array(8 + bytes.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  view.setUint32(4, bytes.length, true);
  out.set(bytes, 8);
  return out;
}

/** A sequence of undefined length with items of undefined length (PS3.5 §7.5.1, Table 7.5-3). */
function sequence(tag: number, items: Uint8Array[][]): Uint8Array {
  const header = (group: number, elem: number, length: number) => {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint16(0, group, true);
    v.setUint16(2, elem, true);
    v.setUint32(4, length, true);
    return b;
  };
  const parts: Uint8Array[] = [header(tag >>> 16, tag & 0xffff, 0xffffffff)];
  for (const item of items) {
    parts.push(header(0xfffe, 0xe000, 0xffffffff), ...item, header(0xfffe, 0xe00d, 0));
  }
  parts.push(header(0xfffe, 0xe0dd, 0));
  return concatBytes(parts);
}

/** The N-CREATE Attribute List of Table F.7.2-1, in ascending tag order, by hand. */
function handBuiltAttributeList(status: string): Uint8Array {
  return concatBytes([
    element(0x0008_0060, "MR"), // Modality
    element(0x0010_0010, "Roe^Rita"), // Patient's Name
    element(0x0010_0020, "P-7"), // Patient ID
    element(0x0040_0241, "MR1"), // Performed Station AE Title
    element(0x0040_0244, "20261203"), // Performed Procedure Step Start Date
    element(0x0040_0245, "101500"), // Performed Procedure Step Start Time
    element(0x0040_0252, status), // Performed Procedure Step Status
    element(0x0040_0253, "PPS-9"), // Performed Procedure Step ID
    sequence(0x0040_0270, [[element(0x0020_000d, "2.25.300")]]), // Scheduled Step Attributes Sequence
  ]);
}

async function rawAssociation(port: number) {
  return await connect(HOST, port, {
    presentationContexts: [{
      abstractSyntax: Uid.ModalityPerformedProcedureStep,
      transferSyntaxes: [Uid.ImplicitVRLittleEndian],
    }],
  });
}

Deno.test("hand-built N-CREATE-RQ and N-SET-RQ (PS3.7 Tables 10.3-9, 10.3-5) get the statuses, Error Comment and Error ID of PS3.4 F.7", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using association = await rawAssociation(scp.port);
  const contextId = association.findContext(Uid.ModalityPerformedProcedureStep)!.id;
  const reader = association.pData.getReader();
  const send = async (command: Uint8Array, dataset?: Uint8Array) => {
    await association.sendPData([{
      presentationContextId: contextId,
      isCommand: true,
      isLastFragment: true,
      data: command,
    }]);
    if (dataset) {
      await association.sendPData([{
        presentationContextId: contextId,
        isCommand: false,
        isLastFragment: true,
        data: dataset,
      }]);
    }
    return (await readMessage(reader))!.command;
  };
  const mpps = ui(Uid.ModalityPerformedProcedureStep);
  const uid = "2.25.77";
  const nCreate = (messageId: number) =>
    encodeCommand([
      [0x0002, mpps], // Affected SOP Class UID
      [0x0100, us(0x0140)], // Command Field: N-CREATE-RQ
      [0x0110, us(messageId)], // Message ID
      [0x0800, us(0x0000)], // Command Data Set Type: present
      [0x1000, ui(uid)], // Affected SOP Instance UID
    ]);
  const nSet = (messageId: number) =>
    encodeCommand([
      [0x0003, mpps], // Requested SOP Class UID
      [0x0100, us(0x0120)], // Command Field: N-SET-RQ
      [0x0110, us(messageId)],
      [0x0800, us(0x0000)],
      [0x1001, ui(uid)], // Requested SOP Instance UID
    ]);

  const refusedCreate = await send(nCreate(1), handBuiltAttributeList("COMPLETED"));
  assertEquals(usOf(refusedCreate.get(0x0100)), 0x8140); // N-CREATE-RSP
  assertEquals(usOf(refusedCreate.get(0x0120)), 1);
  assertEquals(usOf(refusedCreate.get(0x0900)), 0x0106);

  const created = await send(nCreate(2), handBuiltAttributeList("IN PROGRESS"));
  assertEquals(usOf(created.get(0x0900)), 0x0000);
  assertEquals(uidOf(created.get(0x1000)), uid);

  const completed = await send(
    nSet(3),
    concatBytes([
      element(0x0040_0250, "20261203"), // End Date
      element(0x0040_0251, "103000"), // End Time
      element(0x0040_0252, "COMPLETED"),
      sequence(0x0040_0340, [[element(0x0018_1030, "KNEE"), element(0x0020_000e, "2.25.301")]]),
    ]),
  );
  assertEquals(usOf(completed.get(0x0100)), 0x8120); // N-SET-RSP
  assertEquals(usOf(completed.get(0x0900)), 0x0000);

  const late = await send(nSet(4), element(0x0040_0254, "too late"));
  assertEquals(usOf(late.get(0x0900)), 0x0110);
  assertEquals(
    new TextDecoder().decode(late.get(0x0902)).trimEnd(),
    "Performed Procedure Step Object may no longer be updated",
  );
  assertEquals(usOf(late.get(0x0903)), 0xa710);
  await association.release();
});

Deno.test("a garbage data set in N-CREATE or N-SET gets a failure status; that association and the others go on", async () => {
  await using scp = new MppsScp({ hostname: HOST, port: 0 });
  await using association = await rawAssociation(scp.port);
  const contextId = association.findContext(Uid.ModalityPerformedProcedureStep)!.id;
  const reader = association.pData.getReader();
  const send = async (command: Uint8Array, dataset: Uint8Array) => {
    await association.sendPData([
      { presentationContextId: contextId, isCommand: true, isLastFragment: true, data: command },
      { presentationContextId: contextId, isCommand: false, isLastFragment: true, data: dataset },
    ]);
    return (await readMessage(reader))!.command;
  };
  const mpps = ui(Uid.ModalityPerformedProcedureStep);
  // An element that claims 1000 bytes where 4 follow; then a sequence never closed.
  const truncated = Uint8Array.of(
    0x10,
    0x00,
    0x10,
    0x00,
    0xe8,
    0x03,
    0x00,
    0x00,
    0x41,
    0x42,
    0x43,
    0x44,
  );
  const unclosed = concatBytes([
    element(0x0040_0252, "IN PROGRESS"),
    Uint8Array.of(0x40, 0x00, 0x70, 0x02, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0),
  ]);
  for (const [messageId, garbage] of [[1, truncated], [2, unclosed]] as const) {
    const answer = await send(
      encodeCommand([
        [0x0002, mpps],
        [0x0100, us(0x0140)],
        [0x0110, us(messageId)],
        [0x0800, us(0x0000)],
        [0x1000, ui(`2.25.9${messageId}`)],
      ]),
      garbage,
    );
    assertEquals(usOf(answer.get(0x0120)), messageId);
    assertEquals(usOf(answer.get(0x0900)), STATUS.PROCESSING_FAILURE);
    assert(new TextDecoder().decode(answer.get(0x0902)).length > 0);
  }
  const set = await send(
    encodeCommand([
      [0x0003, mpps],
      [0x0100, us(0x0120)],
      [0x0110, us(3)],
      [0x0800, us(0x0000)],
      [0x1001, ui("2.25.91")],
    ]),
    truncated,
  );
  assertEquals(usOf(set.get(0x0900)), STATUS.PROCESSING_FAILURE);
  assertEquals(scp.service.store.list(), []);

  // Another association is served meanwhile, and this one still takes a good N-CREATE.
  await using other = await MppsScu.connect(HOST, scp.port);
  await other.create(inProgress());
  const good = await send(
    encodeCommand([
      [0x0002, mpps],
      [0x0100, us(0x0140)],
      [0x0110, us(4)],
      [0x0800, us(0x0000)],
      [0x1000, ui("2.25.94")],
    ]),
    handBuiltAttributeList("IN PROGRESS"),
  );
  assertEquals(usOf(good.get(0x0900)), STATUS.SUCCESS);
  assertEquals(scp.service.store.list().length, 2);
  await association.release();
});
