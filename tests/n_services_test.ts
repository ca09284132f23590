import { connect } from "../association/mod.ts";
import { Dataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { DimseChannel, DimseStatusError, STATUS } from "../dimse/mod.ts";
import {
  nAction,
  nCreate,
  nDelete,
  nEventReport,
  nGet,
  NService,
  nSet,
  ServiceProvider,
} from "../service/mod.ts";
import { assertEquals, assertRejects } from "./_assert.ts";

const MPPS = Uid.ModalityPerformedProcedureStep;
const COMMITMENT = Uid.StorageCommitmentPushModel;
/** Accepted by the provider, but no N-service is registered for it. */
const UNREGISTERED = Uid.DisplaySystem;

/** An MPPS-like SCP keeping its instances in a map, and a Storage Commitment one. */
function startProvider() {
  const instances = new Map<string, Dataset>();
  let next = 0;
  const events: { eventTypeId: number; transactionUid: string | undefined }[] = [];
  const service = new NService({
    [MPPS]: {
      "N-CREATE-RQ": ({ sopInstanceUid, dataset }) => {
        const uid = sopInstanceUid ?? `2.25.${++next}`;
        instances.set(uid, dataset ?? new Dataset());
        return {
          status: STATUS.SUCCESS,
          affectedSopInstanceUid: uid,
          ...(dataset ? { dataset } : {}),
        };
      },
      "N-SET-RQ": ({ sopInstanceUid, dataset }) => {
        const stored = instances.get(sopInstanceUid!);
        if (!stored) return { status: STATUS.NO_SUCH_SOP_INSTANCE };
        for (const element of dataset ?? []) stored.setElement(element);
        return { status: STATUS.SUCCESS };
      },
      "N-GET-RQ": ({ sopInstanceUid, command }) => {
        const stored = instances.get(sopInstanceUid!);
        if (!stored) return { status: STATUS.NO_SUCH_SOP_INSTANCE };
        const wanted = command.attributeIdentifierList;
        const dataset = new Dataset();
        for (const element of stored) {
          if (!wanted || wanted.includes(element.tag)) dataset.setElement(element);
        }
        return { status: STATUS.SUCCESS, dataset };
      },
      "N-DELETE-RQ": ({ sopInstanceUid }) =>
        instances.delete(sopInstanceUid!)
          ? { status: STATUS.SUCCESS }
          : { status: STATUS.NO_SUCH_SOP_INSTANCE },
      "N-ACTION-RQ": () => {
        throw new Error("the procedure log is unavailable");
      },
    },
    [COMMITMENT]: {
      "N-ACTION-RQ": ({ command, dataset }) => ({
        status: STATUS.SUCCESS,
        dataset: new Dataset().set(Tag.TransactionUID, dataset?.string(Tag.TransactionUID) ?? "")
          .set(Tag.Manufacturer, `action ${command.actionTypeId}`),
      }),
      "N-EVENT-REPORT-RQ": ({ command, dataset }) => {
        events.push({
          eventTypeId: command.eventTypeId,
          transactionUid: dataset?.string(Tag.TransactionUID),
        });
        return { status: STATUS.SUCCESS };
      },
    },
  });
  const provider = new ServiceProvider({
    ...service,
    supportedAbstractSyntaxes: [
      ...service.supportedAbstractSyntaxes,
      { abstractSyntax: UNREGISTERED, transferSyntaxes: [Uid.ExplicitVRLittleEndian] },
    ],
  }, { hostname: "127.0.0.1", port: 0 });
  return { provider, instances, events };
}

async function associate(port: number) {
  const association = await connect("127.0.0.1", port, {
    presentationContexts: [MPPS, COMMITMENT, UNREGISTERED, Uid.Verification].map((uid) => ({
      abstractSyntax: uid,
      transferSyntaxes: [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian],
    })),
  });
  return { association, channel: new DimseChannel(association) };
}

Deno.test("nCreate() without a UID returns the one the SCP assigned; nGet, nSet, nDelete round-trip it", async () => {
  const { provider, instances } = startProvider();
  await using _provider = provider;
  const { association, channel } = await associate(provider.port);
  await using _association = association;

  const created = await nCreate(channel, {
    sopClassUid: MPPS,
    dataset: new Dataset().set(Tag.PerformedProcedureStepStatus, "IN PROGRESS")
      .set(Tag.PerformedStationName, "CT1"),
  });
  assertEquals(created.status, STATUS.SUCCESS);
  assertEquals(created.statusCategory, "success");
  assertEquals(created.affectedSopInstanceUid, "2.25.1");
  assertEquals(created.dataset?.string(Tag.PerformedStationName), "CT1");
  assertEquals(instances.has("2.25.1"), true);

  const set = await nSet(channel, {
    sopClassUid: MPPS,
    sopInstanceUid: "2.25.1",
    dataset: new Dataset().set(Tag.PerformedProcedureStepStatus, "COMPLETED"),
  });
  assertEquals(set.status, STATUS.SUCCESS);
  assertEquals(set.affectedSopInstanceUid, "2.25.1");

  const got = await nGet(channel, {
    sopClassUid: MPPS,
    sopInstanceUid: "2.25.1",
    attributeIdentifierList: [Tag.PerformedProcedureStepStatus],
  });
  assertEquals(got.status, STATUS.SUCCESS);
  assertEquals(got.dataset?.string(Tag.PerformedProcedureStepStatus), "COMPLETED");
  assertEquals(got.dataset?.has(Tag.PerformedStationName), false);

  assertEquals(
    (await nDelete(channel, { sopClassUid: MPPS, sopInstanceUid: "2.25.1" })).status,
    STATUS.SUCCESS,
  );
  const gone = await nGet(channel, { sopClassUid: MPPS, sopInstanceUid: "2.25.1" });
  assertEquals(gone.status, STATUS.NO_SUCH_SOP_INSTANCE);
  assertEquals(gone.statusCategory, "failure");
  assertEquals(gone.dataset, undefined);
  await association.release();
});

Deno.test("nCreate() with a UID keeps the requestor's UID", async () => {
  const { provider } = startProvider();
  await using _provider = provider;
  const { association, channel } = await associate(provider.port);
  await using _association = association;
  const created = await nCreate(channel, { sopClassUid: MPPS, sopInstanceUid: "2.25.77" });
  assertEquals(created.affectedSopInstanceUid, "2.25.77");
  assertEquals(created.dataset, undefined);
  await association.release();
});

Deno.test("nAction() and nEventReport() carry their type IDs and data sets both ways", async () => {
  const { provider, events } = startProvider();
  await using _provider = provider;
  const { association, channel } = await associate(provider.port);
  await using _association = association;
  const action = await nAction(channel, {
    sopClassUid: COMMITMENT,
    sopInstanceUid: Uid.StorageCommitmentPushModelInstance,
    actionTypeId: 1,
    dataset: new Dataset().set(Tag.TransactionUID, "2.25.500"),
  });
  assertEquals(action.status, STATUS.SUCCESS);
  assertEquals(action.affectedSopInstanceUid, Uid.StorageCommitmentPushModelInstance);
  assertEquals(action.dataset?.string(Tag.TransactionUID), "2.25.500");
  assertEquals(action.dataset?.string(Tag.Manufacturer), "action 1");
  assertEquals(action.actionTypeId, 1);

  const report = await nEventReport(channel, {
    sopClassUid: COMMITMENT,
    sopInstanceUid: Uid.StorageCommitmentPushModelInstance,
    eventTypeId: 2,
    dataset: new Dataset().set(Tag.TransactionUID, "2.25.500"),
  });
  assertEquals(report.status, STATUS.SUCCESS);
  assertEquals(report.eventTypeId, 2);
  assertEquals(events, [{ eventTypeId: 2, transactionUid: "2.25.500" }]);
  await association.release();
});

Deno.test("NService answers 0122 for a SOP class it has no handlers for", async () => {
  const { provider } = startProvider();
  await using _provider = provider;
  const { association, channel } = await associate(provider.port);
  await using _association = association;
  const result = await nGet(channel, { sopClassUid: UNREGISTERED, sopInstanceUid: "2.25.1" });
  assertEquals(result.status, STATUS.SOP_CLASS_NOT_SUPPORTED);
  assertEquals(result.statusCategory, "failure");
  await association.release();
});

Deno.test("NService answers 0211 for a message type the SOP class does not register", async () => {
  const { provider } = startProvider();
  await using _provider = provider;
  const { association, channel } = await associate(provider.port);
  await using _association = association;
  const result = await nDelete(channel, {
    sopClassUid: COMMITMENT,
    sopInstanceUid: Uid.StorageCommitmentPushModelInstance,
  });
  assertEquals(result.status, STATUS.UNRECOGNIZED_OPERATION);
  await association.release();
});

Deno.test("a handler that throws is answered 0110 with its message, and the association still serves C-ECHO", async () => {
  const { provider } = startProvider();
  await using _provider = provider;
  const { association, channel } = await associate(provider.port);
  await using _association = association;
  const result = await nAction(channel, {
    sopClassUid: MPPS,
    sopInstanceUid: "2.25.1",
    actionTypeId: 1,
  });
  assertEquals(result.status, STATUS.PROCESSING_FAILURE);
  assertEquals(result.errorComment, "the procedure log is unavailable");
  const context = association.findContext(Uid.Verification)!;
  const statuses = [];
  for await (
    const response of channel.request(context.id, {
      type: "C-ECHO-RQ",
      hasDataset: false,
      affectedSopClassUid: Uid.Verification,
    })
  ) statuses.push(response.command.status);
  assertEquals(statuses, [STATUS.SUCCESS]);
  await association.release();
});

/**
 * A Storage Commitment exchange on one association: the SCP answers
 * N-ACTION, then sends N-EVENT-REPORT to the SCU's NService. `reported`
 * resolves in the SCU's handler, before its response is sent; `answered`
 * with the status the SCP got back.
 */
async function commitmentExchange() {
  const answered = Promise.withResolvers<number>();
  const scp = new NService({
    [COMMITMENT]: {
      "N-ACTION-RQ": ({ channel, sopInstanceUid, dataset }) => {
        const transactionUid = dataset?.string(Tag.TransactionUID) ?? "";
        // After the N-ACTION-RSP, which the channel sends first (PS3.4 J.3.3).
        queueMicrotask(() =>
          nEventReport(channel, {
            sopClassUid: COMMITMENT,
            sopInstanceUid: sopInstanceUid!,
            eventTypeId: 1,
            dataset: new Dataset().set(Tag.TransactionUID, transactionUid),
          }).then((result) => answered.resolve(result.status), answered.reject)
        );
        return { status: STATUS.SUCCESS };
      },
    },
  });
  const provider = new ServiceProvider(scp, { hostname: "127.0.0.1", port: 0 });
  const reported = Promise.withResolvers<string | undefined>();
  const scu = new NService({
    [COMMITMENT]: {
      "N-EVENT-REPORT-RQ": ({ command, dataset }) => {
        reported.resolve(`${command.eventTypeId} ${dataset?.string(Tag.TransactionUID)}`);
        return { status: STATUS.SUCCESS };
      },
    },
  });
  const association = await connect("127.0.0.1", provider.port, {
    presentationContexts: [{
      abstractSyntax: COMMITMENT,
      transferSyntaxes: [Uid.ExplicitVRLittleEndian],
    }],
  });
  const channel = new DimseChannel(association, { handlers: scu.handlers });
  const action = await nAction(channel, {
    sopClassUid: COMMITMENT,
    sopInstanceUid: Uid.StorageCommitmentPushModelInstance,
    actionTypeId: 1,
    dataset: new Dataset().set(Tag.TransactionUID, "2.25.900"),
  });
  assertEquals(action.status, STATUS.SUCCESS);
  return { provider, association, channel, reported, answered };
}

Deno.test("Storage Commitment shape: the SCP answers N-ACTION, then sends N-EVENT-REPORT on the same association to the SCU's NService", async () => {
  const { provider, association, reported, answered } = await commitmentExchange();
  await using _provider = provider;
  assertEquals(await reported.promise, "1 2.25.900");
  assertEquals(await answered.promise, STATUS.SUCCESS);
  await association.release();
});

Deno.test("DimseChannel.release() right after a handler has told its news still sends that handler's response first (PS3.8 Sta7 allows no P-DATA)", async () => {
  const { provider, channel, reported, answered } = await commitmentExchange();
  await using _provider = provider;
  assertEquals(await reported.promise, "1 2.25.900");
  // At once, as StorageCommitmentScu does once its report is in.
  await channel.release();
  assertEquals(await answered.promise, STATUS.SUCCESS);
});

Deno.test("an N call for a SOP class with no accepted context throws DimseStatusError 0122 without sending", async () => {
  const { provider } = startProvider();
  await using _provider = provider;
  await using association = await connect("127.0.0.1", provider.port, {
    presentationContexts: [{
      abstractSyntax: MPPS,
      transferSyntaxes: [Uid.ExplicitVRLittleEndian],
    }],
  });
  const channel = new DimseChannel(association);
  await assertRejects(
    () => nGet(channel, { sopClassUid: COMMITMENT, sopInstanceUid: "2.25.1" }),
    (e: unknown) => e instanceof DimseStatusError && e.status === STATUS.SOP_CLASS_NOT_SUPPORTED,
  );
  await association.release();
});
