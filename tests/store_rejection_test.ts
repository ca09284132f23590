// A C-STORE answered with a failure while most of its data set is still to
// come (PS3.4 B.2.3 A900 and C000): the rest of the data set is read and
// dropped, and the association goes on to the next C-STORE and the release
// (PS3.7 §9.3.1.1). Both receivers are covered: the Storage SCP (directory and
// handleObject) and a C-GET SCU, which receives on its own association.
import { type Association, connect, type ProposedPresentationContext } from "../association/mod.ts";
import { concatBytes, encodeDataset, Identifier, QUERY_MODELS } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import {
  DimseChannel,
  type OutgoingDataset,
  type RequestToSend,
  type ResponseCommand,
  STATUS,
} from "../dimse/mod.ts";
import { StorageScp, type StorageScpOptions } from "../scp/mod.ts";
import { ServiceProvider } from "../service/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import {
  CT_IMAGE_STORAGE,
  ctDataset,
  EXPLICIT_LE,
  filesIn,
  HOST,
  randomUid,
  withDeadline,
} from "./_storage_corpus.ts";

const CT_CONTEXT: ProposedPresentationContext = {
  abstractSyntax: CT_IMAGE_STORAGE,
  transferSyntaxes: [EXPLICIT_LE],
};
/** Far more than the 1 MiB the receiving channel buffers ahead of its reader. */
const LARGE = 4 << 20;
/** A safety net only: without the fix the second request waits for its response until then. */
const DIMSE_TIMEOUT = 5_000;
/** Long enough for anything here to finish on a loaded CI machine; only a hang reaches it. */
const DEADLINE = 15_000;

/** A data set whose SOP Instance UID (0008,0018) is not `commandUid`. */
function mismatched(): Uint8Array {
  return encodeDataset(ctDataset(randomUid(), LARGE));
}

/** A data set for `uid` whose structure breaks right after its header: an element of VR "ZZ". */
function broken(uid: string): Uint8Array {
  const badElement = new Uint8Array([0x11, 0x00, 0x10, 0x00, 0x5a, 0x5a, 0x00, 0x00]);
  return concatBytes([encodeDataset(ctDataset(uid)), badElement, new Uint8Array(LARGE)]);
}

function cStore(sopInstanceUid: string): RequestToSend<"C-STORE-RQ"> {
  return {
    type: "C-STORE-RQ",
    hasDataset: true,
    affectedSopClassUid: CT_IMAGE_STORAGE,
    affectedSopInstanceUid: sopInstanceUid,
    priority: 0,
  };
}

/** Sends one C-STORE-RQ and returns its status. */
async function storeStatus(
  channel: DimseChannel,
  association: Association,
  uid: string,
  dataset: OutgoingDataset,
): Promise<number> {
  const context = association.findContext(CT_IMAGE_STORAGE);
  assert(context, "no accepted CT context");
  let last: ResponseCommand<"C-STORE-RQ"> | undefined;
  for await (const response of channel.request(context.id, cStore(uid), dataset)) {
    last = response.command;
  }
  assert(last, "no response");
  return last.status;
}

function hex(status: number): string {
  return status.toString(16).padStart(4, "0").toUpperCase();
}

/**
 * On one association: the rejected store, then a valid one, then the
 * release; after shutdown only the valid object is in `dir`, and no
 * temporary file.
 */
async function rejectedThenStored(
  options: Omit<StorageScpOptions, "hostname" | "port">,
  dir: string,
  rejected: (uid: string) => Uint8Array,
  expected: string,
): Promise<void> {
  const scp = new StorageScp({ hostname: HOST, port: 0, ...options });
  try {
    const association = await connect(HOST, scp.port, { presentationContexts: [CT_CONTEXT] });
    const channel = new DimseChannel(association, { dimseTimeout: DIMSE_TIMEOUT });
    const bad = randomUid();
    assertEquals(hex(await storeStatus(channel, association, bad, rejected(bad))), expected);
    const good = randomUid();
    const status = await storeStatus(
      channel,
      association,
      good,
      encodeDataset(ctDataset(good, 1024)),
    );
    assertEquals(hex(status), "0000");
    await withDeadline(association.release(), DEADLINE, "the release");
    await channel.closed;
  } finally {
    await withDeadline(scp.shutdown(), DEADLINE, "the shutdown");
  }
  assertEquals(scp.activeAssociations, 0);
  const left = (await filesIn(dir, { all: true })).map((p) => p.slice(dir.length + 1));
  assertEquals(left.length, options.directory === undefined ? 0 : 1, `left: ${left.join(", ")}`);
  for (const name of left) assert(!name.startsWith("."), `a temporary file was left: ${name}`);
}

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dcm_store_rejection_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A handleObject that reads every data set whole, as most do. */
async function readWhole(object: { readDataset(): Promise<unknown> }): Promise<void> {
  await object.readDataset();
}

Deno.test("a 4 MiB data set naming another SOP instance is answered A900 and dropped; the same association stores the next object and releases (directory)", async () => {
  await inTempDir((dir) => rejectedThenStored({ directory: dir }, dir, mismatched, "A900"));
});

Deno.test("a 4 MiB data set naming another SOP instance is answered A900 and dropped; the same association stores the next object and releases (handleObject)", async () => {
  await inTempDir((dir) =>
    rejectedThenStored({ handleObject: readWhole }, dir, mismatched, "A900")
  );
});

Deno.test("a data set broken early with 4 MiB still to come is answered C000 and dropped; the same association stores the next object and releases (directory)", async () => {
  await inTempDir((dir) => rejectedThenStored({ directory: dir }, dir, broken, "C000"));
});

Deno.test("a data set broken early with 4 MiB still to come is answered C000 and dropped; the same association stores the next object and releases (handleObject)", async () => {
  await inTempDir((dir) => rejectedThenStored({ handleObject: readWhole }, dir, broken, "C000"));
});

Deno.test("40 rejected large stores in a row, each on its own released association, leave every slot of maxAssociations: 4 free", async () => {
  await inTempDir(async (dir) => {
    const scp = new StorageScp({ hostname: HOST, port: 0, directory: dir, maxAssociations: 4 });
    try {
      const bytes = mismatched();
      for (let i = 0; i < 40; i++) {
        const association = await connect(HOST, scp.port, { presentationContexts: [CT_CONTEXT] });
        const channel = new DimseChannel(association, { dimseTimeout: DIMSE_TIMEOUT });
        assertEquals(hex(await storeStatus(channel, association, randomUid(), bytes)), "A900");
        await withDeadline(association.release(), DEADLINE, `release ${i + 1}`);
        await channel.closed;
      }
      // A fresh association is still accepted, and stores.
      const association = await connect(HOST, scp.port, { presentationContexts: [CT_CONTEXT] });
      const channel = new DimseChannel(association, { dimseTimeout: DIMSE_TIMEOUT });
      const good = randomUid();
      assertEquals(
        hex(await storeStatus(channel, association, good, encodeDataset(ctDataset(good)))),
        "0000",
      );
      await withDeadline(association.release(), DEADLINE, "the last release");
      await channel.closed;
    } finally {
      await withDeadline(scp.shutdown(), DEADLINE, "the shutdown");
    }
    assertEquals(scp.activeAssociations, 0);
    const left = (await filesIn(dir, { all: true })).map((p) => p.slice(dir.length + 1));
    assertEquals(left.length, 1, `left: ${left.join(", ")}`);
  });
});

/**
 * A C-GET SCP that sends, as sub-operations, a large data set naming another
 * instance than its command does, then a valid one, and reports the
 * statuses its peer gave.
 */
function oneBadThenOneGood(good: string, bad: string): ServiceProvider {
  return new ServiceProvider({
    supportedAbstractSyntaxes: [
      { abstractSyntax: QUERY_MODELS.STUDY_ROOT.get, transferSyntaxes: [EXPLICIT_LE] },
      {
        abstractSyntax: CT_IMAGE_STORAGE,
        transferSyntaxes: [EXPLICIT_LE],
        requestorRoles: { scu: false, scp: true },
      },
    ],
    handlers: {
      "C-GET-RQ": async (_request, context) => {
        const channel = context.channel;
        const counts = { completed: 0, failed: 0, warning: 0 };
        for (
          const [uid, bytes] of [[bad, mismatched()], [
            good,
            encodeDataset(ctDataset(good)),
          ]] as const
        ) {
          const status = await storeStatus(channel, channel.association, uid, bytes);
          if (status === STATUS.SUCCESS) counts.completed++;
          else counts.failed++;
        }
        await context.respond({ status: STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES, ...counts });
      },
    },
  }, { hostname: HOST, port: 0, dimseTimeout: DIMSE_TIMEOUT });
}

Deno.test("get() answers A900 to a 4 MiB sub-operation naming another instance and still receives the next one and completes", async () => {
  await inTempDir(async (dir) => {
    const good = randomUid();
    const bad = randomUid();
    await using scp = oneBadThenOneGood(good, bad);
    await using scu = new QueryRetrieveScu(HOST, scp.port, { dimseTimeout: DIMSE_TIMEOUT });
    const result = await scu.get(
      new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, "*"),
      { sopClasses: [CT_IMAGE_STORAGE], directory: dir },
    );
    assertEquals(result.completed, 1);
    assertEquals(result.failed, 1);
    assertEquals(result.received, [good]);
    const left = (await filesIn(dir, { all: true })).map((p) => p.slice(dir.length + 1));
    assertEquals(left.length, 1, `left: ${left.join(", ")}`);
    assert(left[0]!.includes(good), `stored: ${left[0]}`);
  });
});

Deno.test("a C-STORE handler that answers a failure with the data set's reader still locked does not stall the association: the rest is dropped, the next request is served", async () => {
  const statuses = [STATUS.OUT_OF_RESOURCES, STATUS.SUCCESS];
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [{
      abstractSyntax: CT_IMAGE_STORAGE,
      transferSyntaxes: [EXPLICIT_LE],
    }],
    handlers: {
      "C-STORE-RQ": async (request, context) => {
        const status = statuses.shift()!;
        const reader = request.dataset!.getReader();
        // The first request: one chunk read, the reader kept, neither released nor cancelled.
        if (status === STATUS.SUCCESS) { while (!(await reader.read()).done); }
        else await reader.read();
        await context.respond({ status });
      },
    },
  }, { hostname: HOST, port: 0 });
  const association = await connect(HOST, scp.port, { presentationContexts: [CT_CONTEXT] });
  const channel = new DimseChannel(association, { dimseTimeout: DIMSE_TIMEOUT });
  const uid = randomUid();
  assertEquals(hex(await storeStatus(channel, association, uid, mismatched())), "A700");
  assertEquals(
    hex(await storeStatus(channel, association, uid, encodeDataset(ctDataset(uid)))),
    "0000",
  );
  await withDeadline(association.release(), DEADLINE, "the release");
  await channel.closed;
});
