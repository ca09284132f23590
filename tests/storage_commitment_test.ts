/**
 * Storage Commitment Push Model (PS3.4 Annex J), our SCU against our SCPs:
 * the report on the requesting association and on a new one (role
 * selection), stored, never-stored and mismatched instances, bad input on
 * both sides, a requestor that cannot be reached, and a transaction that
 * survives a restart of the SCU.
 */
import { Archive } from "../archive/mod.ts";
import { connect } from "../association/mod.ts";
import { Dataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { DimseChannel, STATUS } from "../dimse/mod.ts";
import { QueryRetrieveScp, StorageScp } from "../scp/mod.ts";
import { echo, StorageCommitmentScu } from "../scu/mod.ts";
import {
  COMMITMENT_FAILURE_REASON,
  type CommitmentDelivery,
  encodeCommitmentReport,
  encodeCommitmentRequest,
  nAction,
  nEventReport,
  NService,
  ServiceProvider,
  store,
} from "../service/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

const HOST = "127.0.0.1";
const CT = Uid.CTImageStorage;
const MR = Uid.MRImageStorage;
const SC = Uid.StorageCommitmentPushModel;
const SC_INSTANCE = Uid.StorageCommitmentPushModelInstance;

function object(sopInstanceUid: string, sopClassUid = CT): Dataset {
  return new Dataset()
    .set(Tag.SOPClassUID, sopClassUid)
    .set(Tag.SOPInstanceUID, sopInstanceUid)
    .set(Tag.PatientID, "SC1")
    .set(Tag.StudyInstanceUID, "2.25.100")
    .set(Tag.SeriesInstanceUID, "2.25.101");
}

/** A port nothing listens on (just released by us). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Resolves with the first delivery `predicate` accepts. */
function deliveries() {
  const seen: CommitmentDelivery[] = [];
  const waiters: {
    predicate: (d: CommitmentDelivery) => boolean;
    resolve: (d: CommitmentDelivery) => void;
  }[] = [];
  return {
    seen,
    onReport: (d: CommitmentDelivery) => {
      seen.push(d);
      for (const w of [...waiters]) {
        if (w.predicate(d)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(d);
        }
      }
    },
    next(predicate: (d: CommitmentDelivery) => boolean = () => true): Promise<CommitmentDelivery> {
      const found = seen.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

Deno.test("storage commitment: stored, never-stored, mismatched and unsupported instances, report on the requesting association", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scp = new StorageScp({
      hostname: HOST,
      port: 0,
      directory: dir,
      commitment: {},
    });
    const summary = await store(HOST, scp.port, [object("2.25.1"), object("2.25.2")]);
    assertEquals(summary.completed, 2);
    await using scu = await StorageCommitmentScu.open({ aeTitle: "MODALITY" });
    const result = await scu.commit(HOST, scp.port, [
      { sopClassUid: CT, sopInstanceUid: "2.25.1" },
      { sopClassUid: CT, sopInstanceUid: "2.25.2" },
      { sopClassUid: CT, sopInstanceUid: "2.25.3" }, // never stored
      { sopClassUid: MR, sopInstanceUid: "2.25.1" }, // stored as CT
      { sopClassUid: Uid.ModalityPerformedProcedureStep, sopInstanceUid: "2.25.4" },
    ], { timeout: 20_000 });
    assertEquals(result.via, "same-association");
    assertEquals(result.committed, 2);
    assertEquals(result.failed, 3);
    assertEquals(result.instances.map((i) => [i.committed, i.failureReason]), [
      [true, undefined],
      [true, undefined],
      [false, COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE],
      [false, COMMITMENT_FAILURE_REASON.CLASS_INSTANCE_CONFLICT],
      [false, COMMITMENT_FAILURE_REASON.REFERENCED_SOP_CLASS_NOT_SUPPORTED],
    ]);
    assertEquals(scu.pending(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage commitment: the report comes on a new association, with the SCP role, after the SCU released", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scu = await StorageCommitmentScu.open({
      aeTitle: "MODALITY",
      hostname: HOST,
      port: 0,
    });
    const log = deliveries();
    await using scp = new StorageScp({
      hostname: HOST,
      port: 0,
      aeTitle: "ARCHIVE",
      directory: dir,
      commitment: {
        requestors: { MODALITY: { hostname: HOST, port: scu.port! } },
        sameAssociation: false,
        onReport: log.onReport,
      },
    });
    await store(HOST, scp.port, [object("2.25.11")]);
    const uid = await scu.request(HOST, scp.port, [
      { sopClassUid: CT, sopInstanceUid: "2.25.11" },
      { sopClassUid: CT, sopInstanceUid: "2.25.12" },
    ], { calledAeTitle: "ARCHIVE" });
    // request() resolved: the requesting association is released.
    const result = await scu.result(uid, { timeout: 20_000 });
    assertEquals(result.via, "new-association");
    assertEquals(result.instances.map((i) => i.committed), [true, false]);
    assertEquals(
      result.instances[1]!.failureReason,
      COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE,
    );
    const delivery = await log.next();
    assertEquals([delivery.via, delivery.status, delivery.requestor], [
      "new-association",
      STATUS.SUCCESS,
      "MODALITY",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage commitment SCU listener grants the SCP role the reporting SCP proposes (PS3.4 J.3.3.1.3)", async () => {
  await using scu = await StorageCommitmentScu.open({ hostname: HOST, port: 0 });
  await using association = await connect(HOST, scu.port!, {
    presentationContexts: [{
      abstractSyntax: SC,
      transferSyntaxes: [Uid.ExplicitVRLittleEndian],
      roles: { scu: false, scp: true },
    }],
  });
  const context = association.findContext(SC);
  assertEquals(context?.roles.requestor, { scu: false, scp: true });
  assertEquals(
    association.response.userInformation.roleSelections,
    [{ sopClassUid: SC, scuRole: false, scpRole: true }],
  );
  await association.release();
});

Deno.test("storage commitment SCU answers a report for an unknown transaction 0115, and logs it", async () => {
  const warnings: string[] = [];
  await using scu = await StorageCommitmentScu.open({
    hostname: HOST,
    port: 0,
    onWarning: (m) => warnings.push(m),
  });
  await using association = await connect(HOST, scu.port!, {
    presentationContexts: [{
      abstractSyntax: SC,
      transferSyntaxes: [Uid.ExplicitVRLittleEndian],
      roles: { scu: false, scp: true },
    }],
  });
  const channel = new DimseChannel(association);
  const report = (transactionUid: string, eventTypeId?: number) => {
    const encoded = encodeCommitmentReport({
      transactionUid,
      committed: [{ sopClassUid: CT, sopInstanceUid: "2.25.9" }],
      failed: [],
    });
    return nEventReport(channel, {
      sopClassUid: SC,
      sopInstanceUid: SC_INSTANCE,
      eventTypeId: eventTypeId ?? encoded.eventTypeId,
      dataset: encoded.dataset,
    });
  };
  assertEquals((await report("2.25.777")).status, STATUS.INVALID_ARGUMENT_VALUE);
  assert(warnings.some((w) => w.includes("unknown transaction 2.25.777")), warnings.join("\n"));
  // An event type Storage Commitment does not define: 0113.
  assertEquals((await report("2.25.777", 3)).status, STATUS.NO_SUCH_EVENT_TYPE);
  // No Transaction UID: 0114.
  const bare = await nEventReport(channel, {
    sopClassUid: SC,
    sopInstanceUid: SC_INSTANCE,
    eventTypeId: 1,
    dataset: new Dataset().set(Tag.PatientID, "X"),
  });
  assertEquals(bare.status, STATUS.NO_SUCH_ARGUMENT);
  await association.release();
  await channel.closed;
});

Deno.test("storage commitment: a pending transaction survives a restart of the SCU and the late report resolves it", async () => {
  const dir = await Deno.makeTempDir();
  const state = await Deno.makeTempDir();
  try {
    const port = closedPort();
    const log = deliveries();
    await using scp = new StorageScp({
      hostname: HOST,
      port: 0,
      directory: dir,
      commitment: {
        requestors: { MODALITY: { hostname: HOST, port } },
        sameAssociation: false,
        retries: 12,
        retryDelay: 50,
        onReport: log.onReport,
      },
    });
    await store(HOST, scp.port, [object("2.25.21")]);
    let uid: string;
    {
      // No listener: the SCP cannot reach this one and keeps retrying.
      await using first = await StorageCommitmentScu.open({
        aeTitle: "MODALITY",
        stateDirectory: state,
      });
      uid = await first.request(HOST, scp.port, [{ sopClassUid: CT, sopInstanceUid: "2.25.21" }]);
      assertEquals(first.pending().map((p) => p.transactionUid), [uid]);
    }
    await using second = await StorageCommitmentScu.open({
      aeTitle: "MODALITY",
      stateDirectory: state,
      hostname: HOST,
      port,
    });
    // The SCP's next retry may already have resolved it: result() knows it either way.
    const result = await second.result(uid, { timeout: 60_000 });
    assertEquals([result.committed, result.via], [1, "new-association"]);
    assertEquals((await log.next()).via, "new-association");
    // And the result is kept: a third instance knows it without a report.
    await second.close();
    await using third = await StorageCommitmentScu.open({ stateDirectory: state });
    assertEquals(third.pending(), []);
    assertEquals((await third.result(uid)).committed, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("storage commitment SCP: an unreachable requestor is retried, then given up on, while others are served", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const warnings: string[] = [];
    const log = deliveries();
    await using scp = new StorageScp({
      hostname: HOST,
      port: 0,
      directory: dir,
      onWarning: (m) => warnings.push(m),
      commitment: {
        requestors: { MODALITY: { hostname: HOST, port: closedPort() } },
        sameAssociation: false,
        retries: 2,
        retryDelay: 20,
        onReport: log.onReport,
      },
    });
    await using scu = await StorageCommitmentScu.open({ aeTitle: "MODALITY" });
    await scu.request(HOST, scp.port, [{ sopClassUid: CT, sopInstanceUid: "2.25.31" }]);
    // Meanwhile the SCP serves others.
    assertEquals((await echo(HOST, scp.port)).status, STATUS.SUCCESS);
    assertEquals((await store(HOST, scp.port, [object("2.25.32")])).completed, 1);
    const delivery = await log.next();
    assertEquals(delivery.via, "undelivered");
    assertEquals(warnings.filter((w) => w.includes("Cannot report")).length, 3);
    assert(warnings.some((w) => w.includes("attempt 3 of 3")), warnings.join("\n"));
    assertEquals((await echo(HOST, scp.port)).status, STATUS.SUCCESS);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage commitment SCP: bad N-ACTIONs get their PS3.7 statuses; a reused Transaction UID fails with 0131", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scp = new StorageScp({ hostname: HOST, port: 0, directory: dir, commitment: {} });
    await store(HOST, scp.port, [object("2.25.41")]);
    const reports: Dataset[] = [];
    const arrived: (() => void)[] = [];
    const receiver = new NService({
      [SC]: {
        "N-EVENT-REPORT-RQ": ({ dataset }) => {
          reports.push(dataset!);
          arrived.shift()?.();
          return { status: STATUS.SUCCESS };
        },
      },
    });
    await using association = await connect(HOST, scp.port, {
      presentationContexts: [{
        abstractSyntax: SC,
        transferSyntaxes: [Uid.ExplicitVRLittleEndian],
      }],
    });
    const channel = new DimseChannel(association, { handlers: receiver.handlers });
    const request = encodeCommitmentRequest({
      transactionUid: "2.25.4242",
      references: [{ sopClassUid: CT, sopInstanceUid: "2.25.41" }],
    });
    const action = (
      actionTypeId: number,
      dataset?: Dataset,
      sopInstanceUid: string = SC_INSTANCE,
    ) =>
      nAction(channel, {
        sopClassUid: SC,
        sopInstanceUid,
        actionTypeId,
        ...(dataset ? { dataset } : {}),
      });
    assertEquals((await action(2, request)).status, STATUS.NO_SUCH_ACTION_TYPE);
    assertEquals((await action(1)).status, STATUS.NO_SUCH_ARGUMENT);
    assertEquals(
      (await action(1, new Dataset().set(Tag.PatientID, "X"))).status,
      STATUS.NO_SUCH_ARGUMENT,
    );
    assertEquals((await action(1, request, "2.25.5")).status, STATUS.NO_SUCH_SOP_INSTANCE);
    const empty = new Dataset().set(Tag.TransactionUID, "2.25.4243").set(
      Tag.ReferencedSOPSequence,
      [],
    );
    assertEquals((await action(1, empty)).status, STATUS.INVALID_ARGUMENT_VALUE);
    const noUids = new Dataset()
      .set(Tag.TransactionUID, "2.25.4244")
      .set(Tag.ReferencedSOPSequence, [new Dataset().set(Tag.ReferencedSOPClassUID, CT)]);
    assertEquals((await action(1, noUids)).status, STATUS.INVALID_ARGUMENT_VALUE);
    const notUid = encodeCommitmentRequest({
      transactionUid: "not a uid",
      references: [{ sopClassUid: CT, sopInstanceUid: "2.25.41" }],
    });
    assertEquals((await action(1, notUid)).status, STATUS.INVALID_ARGUMENT_VALUE);
    assertEquals(reports.length, 0);
    const first = new Promise<void>((resolve) => arrived.push(resolve));
    assertEquals((await action(1, request)).status, STATUS.SUCCESS);
    await first;
    assertEquals(reports[0]!.items(Tag.ReferencedSOPSequence).length, 1);
    const second = new Promise<void>((resolve) => arrived.push(resolve));
    assertEquals((await action(1, request)).status, STATUS.SUCCESS);
    await second;
    const failed = reports[1]!.items(Tag.FailedSOPSequence);
    assertEquals(failed.map((i) => i.number(Tag.FailureReason)), [
      COMMITMENT_FAILURE_REASON.DUPLICATE_TRANSACTION_UID,
    ]);
    assertEquals(reports[1]!.string(Tag.TransactionUID), "2.25.4242");
    await association.release();
    await channel.closed;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage commitment against the Q/R SCP: indexed instances are committed, others not", async () => {
  const dir = await Deno.makeTempDir();
  using archive = Archive.open();
  try {
    await using scp = new QueryRetrieveScp({
      hostname: HOST,
      port: 0,
      archive,
      directory: dir,
      commitment: {},
    });
    await store(HOST, scp.port, [object("2.25.51")]);
    await using scu = await StorageCommitmentScu.open();
    const result = await scu.commit(HOST, scp.port, [
      { sopClassUid: CT, sopInstanceUid: "2.25.51" },
      { sopClassUid: CT, sopInstanceUid: "2.25.52" },
      { sopClassUid: MR, sopInstanceUid: "2.25.51" },
    ], { timeout: 20_000 });
    assertEquals(result.instances.map((i) => i.failureReason), [
      undefined,
      COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE,
      COMMITMENT_FAILURE_REASON.CLASS_INSTANCE_CONFLICT,
    ]);
    // A file removed behind the archive's back is not committed.
    await Deno.remove(archive.instance("2.25.51")!.path);
    const again = await scu.commit(
      HOST,
      scp.port,
      [{ sopClassUid: CT, sopInstanceUid: "2.25.51" }],
      {
        timeout: 20_000,
      },
    );
    assertEquals(
      again.instances[0]!.failureReason,
      COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage commitment SCU: a refused request throws and leaves nothing pending", async () => {
  await using scp = new StorageScp({ hostname: HOST, port: 0, handleObject: () => {} });
  await using scu = await StorageCommitmentScu.open();
  // No Storage Commitment context: the N-ACTION cannot be sent (0122).
  await assertRejects(
    scu.request(HOST, scp.port, [{ sopClassUid: CT, sopInstanceUid: "2.25.61" }]),
    (e: Error) => e.name === "DimseStatusError",
  );
  assertEquals(scu.pending(), []);
});

Deno.test("storage commitment SCP: the N-ACTION-RSP carries the Affected SOP Class and Instance UIDs (PS3.7 Table 10.3-8), as DCMTK-based SCUs require", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scp = new StorageScp({ hostname: HOST, port: 0, directory: dir, commitment: {} });
    await using association = await connect(HOST, scp.port, {
      presentationContexts: [{
        abstractSyntax: SC,
        transferSyntaxes: [Uid.ExplicitVRLittleEndian],
      }],
    });
    const receiver = new NService({
      [SC]: { "N-EVENT-REPORT-RQ": () => ({ status: STATUS.SUCCESS }) },
    });
    const channel = new DimseChannel(association, { handlers: receiver.handlers });
    const responses = [];
    for await (
      const response of channel.request(
        association.findContext(SC)!.id,
        {
          type: "N-ACTION-RQ",
          hasDataset: true,
          requestedSopClassUid: SC,
          requestedSopInstanceUid: SC_INSTANCE,
          actionTypeId: 1,
        },
        encodeCommitmentRequest({
          transactionUid: "2.25.4343",
          references: [{ sopClassUid: CT, sopInstanceUid: "2.25.71" }],
        }),
      )
    ) responses.push(response.command);
    assertEquals(responses.length, 1);
    const rsp = responses[0]!;
    assertEquals(
      [rsp.type, rsp.status, rsp.affectedSopClassUid, rsp.affectedSopInstanceUid, rsp.hasDataset],
      ["N-ACTION-RSP", STATUS.SUCCESS, SC, SC_INSTANCE, false],
    );
    await association.release();
    await channel.closed;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage commitment SCP proposes the SCP role on the association it opens to report (PS3.4 J.3.3.1.3)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const proposed = Promise.withResolvers<unknown>();
    const reported = Promise.withResolvers<string | undefined>();
    await using requestor = new ServiceProvider(
      new NService({
        [SC]: {
          "N-EVENT-REPORT-RQ": ({ dataset }) => {
            reported.resolve(dataset?.string(Tag.TransactionUID));
            return { status: STATUS.SUCCESS };
          },
        },
      }, { requestorRoles: { scu: true, scp: true } }),
      {
        hostname: HOST,
        port: 0,
        onAssociation: (a) => proposed.resolve(a.request.userInformation.roleSelections),
      },
    );
    await using scp = new StorageScp({
      hostname: HOST,
      port: 0,
      directory: dir,
      commitment: {
        requestors: { MODALITY: { hostname: HOST, port: requestor.port } },
        sameAssociation: false,
      },
    });
    await using association = await connect(HOST, scp.port, {
      callingAeTitle: "MODALITY",
      presentationContexts: [{
        abstractSyntax: SC,
        transferSyntaxes: [Uid.ExplicitVRLittleEndian],
      }],
    });
    const channel = new DimseChannel(association);
    const result = await nAction(channel, {
      sopClassUid: SC,
      sopInstanceUid: SC_INSTANCE,
      actionTypeId: 1,
      dataset: encodeCommitmentRequest({
        transactionUid: "2.25.4545",
        references: [{ sopClassUid: CT, sopInstanceUid: "2.25.81" }],
      }),
    });
    assertEquals(result.status, STATUS.SUCCESS);
    await association.release();
    await channel.closed;
    assertEquals(await proposed.promise, [{ sopClassUid: SC, scuRole: false, scpRole: true }]);
    assertEquals(await reported.promise, "2.25.4545");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storage commitment SCU keeps at most maxResults results, in memory and in its state file", async () => {
  const dir = await Deno.makeTempDir();
  const state = await Deno.makeTempDir();
  try {
    await using scp = new StorageScp({ hostname: HOST, port: 0, directory: dir, commitment: {} });
    const refs = [{ sopClassUid: CT, sopInstanceUid: "2.25.91" }];
    let first: string, second: string;
    {
      await using scu = await StorageCommitmentScu.open({ stateDirectory: state, maxResults: 1 });
      first = (await scu.commit(HOST, scp.port, refs, { timeout: 20_000 })).transactionUid;
      second = (await scu.commit(HOST, scp.port, refs, { timeout: 20_000 })).transactionUid;
      await assertRejects(scu.result(first), RangeError);
    }
    await using reopened = await StorageCommitmentScu.open({
      stateDirectory: state,
      maxResults: 1,
    });
    assertEquals((await reopened.result(second)).transactionUid, second);
    await assertRejects(reopened.result(first), RangeError);
    const lines = (await Deno.readTextFile(`${state}/storage-commitment.jsonl`)).trim().split("\n");
    assertEquals(lines.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("storage commitment SCU skips a state line cut short by a crash or of another shape, with a warning, and keeps the rest", async () => {
  const state = await Deno.makeTempDir();
  try {
    const pending = {
      transactionUid: "2.25.99",
      references: [{ sopClassUid: CT, sopInstanceUid: "2.25.98" }],
      calledAeTitle: "ANY-SCP",
      hostname: HOST,
      port: 104,
      requestedAt: "2026-12-03T00:00:00.000Z",
    };
    await Deno.writeTextFile(
      `${state}/storage-commitment.jsonl`,
      `5\n${JSON.stringify({ pending })}\n{"result":{"transactionUid":"2.25.9`,
    );
    const warnings: string[] = [];
    await using scu = await StorageCommitmentScu.open({
      stateDirectory: state,
      onWarning: (m) => warnings.push(m),
    });
    assertEquals(scu.pending(), [pending]);
    assertEquals(warnings.map((w) => w.slice(w.lastIndexOf(".jsonl:"))), [
      ".jsonl:1: not a storage commitment record, skipped",
      ".jsonl:3: not a JSON line, skipped",
    ]);
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
