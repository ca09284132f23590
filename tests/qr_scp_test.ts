/**
 * The Query/Retrieve SCP (issue 5) on loopback, given what a careful SCU
 * never sends: keys at the wrong level, unknown levels, malformed ranges,
 * unknown or unreachable move destinations, destinations that fail halfway,
 * archived files that went missing, C-GET for classes the SCU did not take
 * the SCP role for. And C-STORE into the archive, found by the next C-FIND.
 */
import { connect, serveAssociations } from "../association/mod.ts";
import { Archive, generateSampleStudies } from "../archive/mod.ts";
import {
  type Dataset,
  decodeDataset,
  Identifier,
  QUERY_MODELS,
  type QueryModel,
} from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { DimseChannel, DimseStatusError, type ResponseCommand, STATUS } from "../dimse/mod.ts";
import { QueryRetrieveScp, type QueryRetrieveScpOptions, StorageScp } from "../scp/mod.ts";
import { StoreService } from "../service/mod.ts";
import { echo, QueryRetrieveScu, store } from "../scu/mod.ts";
import { assertEquals, assertMatch } from "./_assert.ts";
import { freePort, HOST, type SampleFile, writeSampleCorpus } from "./_qr_fixtures.ts";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";
const FAILED_SOP_INSTANCE_UID_LIST = 0x00080058;

/** An archive of 2 patients × 2 studies × 2 series (CT, MR) × 5 instances on disk, served. */
interface Served extends AsyncDisposable {
  readonly dir: string;
  readonly files: readonly SampleFile[];
  readonly archive: Archive;
  readonly scp: QueryRetrieveScp;
}

async function serve(options: Partial<QueryRetrieveScpOptions> = {}): Promise<Served> {
  const dir = await Deno.makeTempDir({ prefix: "qr_scp_" });
  const files = await writeSampleCorpus(`${dir}/archive`, {
    patients: 2,
    studiesPerPatient: 2,
    seriesPerStudy: 2,
    instancesPerSeries: 5,
  });
  const archive = Archive.open();
  await archive.ingestDirectory(`${dir}/archive`);
  const scp = new QueryRetrieveScp({
    hostname: HOST,
    port: 0,
    aeTitle: "QRSCP",
    archive,
    ...options,
  });
  return {
    dir,
    files,
    archive,
    scp,
    async [Symbol.asyncDispose]() {
      await scp.shutdown();
      archive.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A response as the raw requestor sees it: command and decoded identifier. */
interface RawResponse<T extends QueryRequestType> {
  readonly command: ResponseCommand<T>;
  readonly identifier: Dataset | undefined;
}

const REQUEST_TYPE = { find: "C-FIND-RQ", move: "C-MOVE-RQ", get: "C-GET-RQ" } as const;
type QueryRequestType = (typeof REQUEST_TYPE)[keyof typeof REQUEST_TYPE];

/**
 * Sends one Q/R request over a fresh association and collects every
 * response: for what QueryRetrieveScu does not show (identifiers of final
 * responses, levels it would refuse to build).
 */
async function request<O extends keyof typeof REQUEST_TYPE>(
  port: number,
  model: QueryModel,
  operation: O,
  identifier: Dataset,
  extra: { readonly moveDestination?: string } = {},
): Promise<RawResponse<(typeof REQUEST_TYPE)[O]>[]> {
  const sopClass = QUERY_MODELS[model][operation];
  await using association = await connect(HOST, port, {
    callingAeTitle: "RAWSCU",
    calledAeTitle: "QRSCP",
    presentationContexts: [{ abstractSyntax: sopClass, transferSyntaxes: [EXPLICIT_LE] }],
  });
  const channel = new DimseChannel(association);
  const contextId = association.findContext(sopClass)!.id;
  const common = { hasDataset: true, affectedSopClassUid: sopClass, priority: 0 } as const;
  const sent = operation === "move"
    ? channel.request(contextId, {
      ...common,
      type: "C-MOVE-RQ",
      moveDestination: extra.moveDestination ?? "",
    }, identifier)
    : channel.request(contextId, {
      ...common,
      type: REQUEST_TYPE[operation as "find" | "get"],
    }, identifier);
  const out: RawResponse<QueryRequestType>[] = [];
  for await (const r of sent) {
    out.push({
      command: r.command,
      identifier: r.dataset
        ? decodeDataset(r.dataset, { transferSyntax: r.transferSyntax })
        : undefined,
    });
  }
  await association.release();
  await channel.closed;
  // The responses to the request of `operation`.
  return out as RawResponse<(typeof REQUEST_TYPE)[O]>[];
}

function final<T extends QueryRequestType>(responses: RawResponse<T>[]): RawResponse<T> {
  return responses.at(-1)!;
}

async function statusOf(promise: PromiseLike<unknown>): Promise<number> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof DimseStatusError) return e.status;
    throw e;
  }
  throw new Error("expected a failure status");
}

async function drain(find: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of find) n++;
  return n;
}

// ---- C-FIND: identifiers the SCP refuses ----

Deno.test("C-FIND with a SERIES key (Modality) in a hierarchical STUDY query is refused with A900", async () => {
  await using served = await serve();
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const query = new Identifier("STUDY_ROOT", "STUDY").set(Tag.Modality, "CT")
    .request(Tag.StudyInstanceUID);
  assertEquals(await statusOf(drain(scu.find(query))), STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS);
});

Deno.test("C-FIND with an IMAGE unique key (SOPInstanceUID) in a hierarchical SERIES query is refused with A900", async () => {
  await using served = await serve();
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const query = new Identifier("STUDY_ROOT", "SERIES")
    .set(Tag.StudyInstanceUID, served.files[0]!.studyInstanceUid)
    .set(Tag.SOPInstanceUID, served.files[0]!.sopInstanceUid)
    .request(Tag.SeriesInstanceUID);
  assertEquals(await statusOf(drain(scu.find(query))), STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS);
});

Deno.test("C-FIND with a SERIES key in a STUDY query is answered when relational queries were negotiated", async () => {
  await using served = await serve();
  const warnings: string[] = [];
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, {
    calledAeTitle: "QRSCP",
    relational: true,
    onWarning: (m) => warnings.push(m),
  });
  const query = new Identifier("STUDY_ROOT", "STUDY").set(Tag.Modality, "CT")
    .request(Tag.StudyInstanceUID);
  assertEquals(await drain(scu.find(query)), 4);
  assertEquals(warnings, []); // granted: nothing to warn about
});

Deno.test("a relational PATIENT query matches patients through keys of their studies and series (PS3.4 C.4.1.2.2.2)", async () => {
  await using served = await serve();
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, {
    calledAeTitle: "QRSCP",
    relational: true,
  });
  const ids = async (keys: [number, string][]) => {
    const q = new Identifier("PATIENT_ROOT", "PATIENT").request(Tag.PatientID);
    for (const [tag, value] of keys) q.set(tag, value);
    const out: string[] = [];
    for await (const m of scu.find(q)) out.push(m.string(Tag.PatientID)!);
    return out.sort();
  };
  // Studies are dated 2024-01-01 and 2024-02-01 (patient 1234), 2024-03-01 and 2024-04-01.
  const other = served.files.at(-1)!.patientId;
  assertEquals(await ids([[Tag.StudyDate, "20240301-"]]), [other]);
  assertEquals(await ids([[Tag.StudyDate, "20240101"], [Tag.Modality, "MR"]]), ["1234"]);
  assertEquals(await ids([[Tag.Modality, "MR"]]), ["1234", other].sort());
  assertEquals(await ids([[Tag.Modality, "US"]]), []);
  assertEquals(
    await ids([[Tag.SOPInstanceUID, served.files.at(-1)!.sopInstanceUid]]),
    [other],
  );
});

Deno.test("C-FIND with an unknown Query/Retrieve Level is refused with A900", async () => {
  await using served = await serve();
  const query = new Identifier("STUDY_ROOT", "STUDY").set(Tag.QueryRetrieveLevel, "FOO");
  const responses = await request(served.scp.port, "STUDY_ROOT", "find", query);
  assertEquals(responses.length, 1);
  assertEquals(final(responses).command.status, STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS);
  assertMatch(final(responses).command.errorComment ?? "", /FOO/);
});

Deno.test("C-FIND at PATIENT level in the Study Root model (which has no such level) is refused with A900", async () => {
  await using served = await serve();
  const query = new Identifier("PATIENT_ROOT", "PATIENT").request(Tag.PatientID);
  const responses = await request(served.scp.port, "STUDY_ROOT", "find", query);
  assertEquals(final(responses).command.status, STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS);
});

Deno.test("C-FIND without Query/Retrieve Level is refused with A900", async () => {
  await using served = await serve();
  const query = new Identifier("STUDY_ROOT", "STUDY").request(Tag.StudyInstanceUID);
  query.delete(Tag.QueryRetrieveLevel);
  const responses = await request(served.scp.port, "STUDY_ROOT", "find", query);
  assertEquals(final(responses).command.status, STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS);
});

// PS3.4 C.4.1.1.4 (C-FIND statuses): A900 is "Identifier does not match SOP
// Class" (keys or levels the model does not have); a key of the model whose
// value cannot be interpreted is C000-CFFF "Unable to process".
for (const value of ["2024-01-01", "20240101-20240201-20240301", "2024XX01", "20241301x"]) {
  Deno.test(`C-FIND with a malformed date range StudyDate=${value} is answered C000 (unable to process)`, async () => {
    await using served = await serve();
    await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
    const query = new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyDate, value)
      .request(Tag.StudyInstanceUID);
    assertEquals(await statusOf(drain(scu.find(query))), STATUS.CANNOT_UNDERSTAND);
  });
}

Deno.test("C-FIND with a malformed time StudyTime=25h is answered C000 and the association goes on", async () => {
  await using served = await serve();
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const bad = new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyTime, "25h")
    .request(Tag.StudyInstanceUID);
  assertEquals(await statusOf(drain(scu.find(bad))), STATUS.CANNOT_UNDERSTAND);
  const good = new Identifier("STUDY_ROOT", "STUDY").request(Tag.StudyInstanceUID);
  assertEquals(await drain(scu.find(good)), 4);
});

// PS3.4 C.2.2.2.4: "*" matches any run of characters. A backtracking
// matcher takes time exponential in the number of stars, and the SCP shares
// one event loop with every other association.
Deno.test("C-FIND of PatientName 32 '*' then 'Z' is answered at once, and another association's C-ECHO meanwhile succeeds", async () => {
  await using served = await serve();
  const query = new Identifier("PATIENT_ROOT", "PATIENT").set(Tag.PatientName, `${"*".repeat(32)}Z`)
    .request(Tag.PatientID);
  assertEquals(query.string(Tag.PatientName)!.length, 33);
  const [responses, echoed] = await Promise.all([
    request(served.scp.port, "PATIENT_ROOT", "find", query),
    echo(HOST, served.scp.port, { calledAeTitle: "QRSCP" }),
  ]);
  assertEquals(responses.map((r) => r.command.status), [STATUS.SUCCESS]); // no patient matches
  assertEquals(echoed.status, STATUS.SUCCESS);
  // And a pattern that does match still does.
  const matching = new Identifier("PATIENT_ROOT", "PATIENT").set(
    Tag.PatientName,
    `${"*".repeat(32)}^*`,
  )
    .request(Tag.PatientID);
  assertEquals((await request(served.scp.port, "PATIENT_ROOT", "find", matching)).length, 3);
});

// ---- C-FIND: keys of binary VRs (PS3.4 C.2.2.2 defines no matching for them) ----

const PRIVATE_UN = 0x0009_1001;

/** An in-memory archive of one series of two instances; the first has an Encapsulated Document. */
function serveBinary(): AsyncDisposable & { readonly scp: QueryRetrieveScp } {
  const archive = Archive.open();
  let n = 0;
  for (
    const ds of generateSampleStudies({
      patients: 1,
      studiesPerPatient: 1,
      seriesPerStudy: 1,
      instancesPerSeries: 2,
    })
  ) {
    if (n === 0) ds.set(Tag.EncapsulatedDocument, new Uint8Array([1, 2, 3, 4]), "OB");
    archive.index(ds, `/nonexistent/IM${n++}`, EXPLICIT_LE); // C-FIND reads no file
  }
  const scp = new QueryRetrieveScp({ hostname: HOST, port: 0, aeTitle: "QRSCP", archive });
  return {
    scp,
    async [Symbol.asyncDispose]() {
      await scp.shutdown();
      archive.close();
    },
  };
}

Deno.test("C-FIND with empty OB, OD, OF, OL, OV, OW and UN return keys answers every match, with the stored value or zero length", async () => {
  await using served = serveBinary();
  const binaryKeys = [
    [Tag.EncapsulatedDocument, "OB"],
    [Tag.DoublePointCoordinatesData, "OD"],
    [Tag.PointCoordinatesData, "OF"],
    [Tag.LongPrimitivePointIndexList, "OL"],
    [Tag.SelectorOVValue, "OV"],
    [0x6000_3000, "OW"], // Overlay Data
    [PRIVATE_UN, "UN"],
  ] as const;
  const query = new Identifier("STUDY_ROOT", "IMAGE").request(Tag.SOPInstanceUID);
  for (const [tag, vr] of binaryKeys) query.set(tag, new Uint8Array(0), vr);
  const responses = await request(served.scp.port, "STUDY_ROOT", "find", query);
  assertEquals(responses.map((r) => r.command.status), [
    STATUS.PENDING,
    STATUS.PENDING,
    STATUS.SUCCESS,
  ]);
  const matches = responses.slice(0, 2).map((r) => r.identifier!)
    .sort((a, b) => a.string(Tag.SOPInstanceUID)!.localeCompare(b.string(Tag.SOPInstanceUID)!));
  assertEquals(matches[0]!.bytes(Tag.EncapsulatedDocument), new Uint8Array([1, 2, 3, 4]));
  assertEquals(matches[1]!.bytes(Tag.EncapsulatedDocument)?.length, 0);
  for (const match of matches) {
    for (const [tag] of binaryKeys.slice(1)) assertEquals(match.bytes(tag)?.length, 0);
  }
});

Deno.test("QueryRetrieveScu.find() with an OB return key gets both instances, the OB key in each", async () => {
  await using served = serveBinary();
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const query = new Identifier("STUDY_ROOT", "IMAGE").request(
    Tag.SOPInstanceUID,
    Tag.EncapsulatedDocument,
  );
  const lengths: number[] = [];
  for await (const m of scu.find(query)) lengths.push(m.bytes(Tag.EncapsulatedDocument)!.length);
  assertEquals(lengths.sort(), [0, 4]);
});

Deno.test("C-FIND with a non-empty OB matching key is answered C000 naming the key, before any match, and the association goes on", async () => {
  await using served = serveBinary();
  const bad = new Identifier("STUDY_ROOT", "IMAGE").request(Tag.SOPInstanceUID)
    .set(Tag.EncapsulatedDocument, new Uint8Array([1, 2, 3, 4]), "OB");
  const responses = await request(served.scp.port, "STUDY_ROOT", "find", bad);
  assertEquals(responses.map((r) => r.command.status), [STATUS.CANNOT_UNDERSTAND]);
  assertMatch(final(responses).command.errorComment ?? "", /^Cannot match \(0042,0011\) \(OB\)/);
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  assertEquals(await statusOf(drain(scu.find(bad))), STATUS.CANNOT_UNDERSTAND);
  const good = new Identifier("STUDY_ROOT", "IMAGE").request(Tag.SOPInstanceUID);
  assertEquals(await drain(scu.find(good)), 2);
});

// ---- C-MOVE: destinations ----

function studyQuery(study: string): Identifier {
  return new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, study);
}

Deno.test("C-MOVE to an unknown destination is answered A801", async () => {
  await using served = await serve({ destinations: {} });
  const responses = await request(
    served.scp.port,
    "STUDY_ROOT",
    "move",
    studyQuery(served.files[0]!.studyInstanceUid),
    { moveDestination: "NOBODY" },
  );
  assertEquals(responses.length, 1);
  assertEquals(final(responses).command.status, STATUS.MOVE_DESTINATION_UNKNOWN);
});

Deno.test("C-MOVE to an unreachable destination fails every sub-operation and lists every instance as failed", async () => {
  const closed = freePort();
  await using served = await serve({
    destinations: { DEAD: { hostname: HOST, port: closed } },
  });
  const study = served.files[0]!.studyInstanceUid;
  const uids = served.files.filter((f) => f.studyInstanceUid === study).map((f) =>
    f.sopInstanceUid
  );
  const responses = await request(
    served.scp.port,
    "STUDY_ROOT",
    "move",
    studyQuery(study),
    { moveDestination: "DEAD" },
  );
  const last = final(responses);
  assertEquals(last.command.status, STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS); // A702
  assertEquals(last.command.completed, 0);
  assertEquals(last.command.failed, uids.length);
  assertEquals(last.identifier?.strings(FAILED_SOP_INSTANCE_UID_LIST).sort(), uids.sort());
});

Deno.test("C-MOVE sends its final response once every sub-operation is answered, without waiting for the destination's A-RELEASE-RP", async () => {
  // A destination that holds its A-RELEASE-RP until the C-MOVE's final
  // response has come (at most 2 s: without the fix it never comes first).
  const finalSeen = Promise.withResolvers<void>();
  let holdingRelease = false;
  await using storage = new StoreService({ handleObject: (o) => o.dataset.cancel() });
  await using destination = serveAssociations({ hostname: HOST, port: 0 }, async (association) => {
    const channel = new DimseChannel(association, { handlers: { "C-STORE-RQ": storage.handler } });
    await channel.closed;
    holdingRelease = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      finalSeen.promise,
      new Promise((resolve) => timer = setTimeout(resolve, 2000)),
    ]);
    clearTimeout(timer);
    holdingRelease = false;
  }, {
    supportedAbstractSyntaxes: [CT_IMAGE_STORAGE, MR_IMAGE_STORAGE].map((abstractSyntax) => ({
      abstractSyntax,
      transferSyntaxes: [EXPLICIT_LE],
    })),
  });
  await using served = await serve({
    destinations: { HOLDER: { hostname: HOST, port: destination.addr.port } },
  });
  const sopClass = QUERY_MODELS.STUDY_ROOT.move;
  await using association = await connect(HOST, served.scp.port, {
    calledAeTitle: "QRSCP",
    presentationContexts: [{ abstractSyntax: sopClass, transferSyntaxes: [EXPLICIT_LE] }],
  });
  const channel = new DimseChannel(association);
  const move = channel.request(association.findContext(sopClass)!.id, {
    type: "C-MOVE-RQ",
    hasDataset: true,
    affectedSopClassUid: sopClass,
    priority: 0,
    moveDestination: "HOLDER",
  }, studyQuery(served.files[0]!.studyInstanceUid));
  let finalWhileHolding = false;
  let last: ResponseCommand<"C-MOVE-RQ"> | undefined;
  for await (const response of move) {
    last = response.command;
    if (response.command.status !== STATUS.PENDING) finalWhileHolding = holdingRelease;
  }
  finalSeen.resolve();
  assertEquals([last?.status, last?.completed], [STATUS.SUCCESS, 10]);
  assertEquals(finalWhileHolding, true);
  await association.release();
});

Deno.test("C-MOVE keeps several sub-operations outstanding when the destination grants an Asynchronous Operations Window", async () => {
  // A destination granting a window of 4 that answers an object only once
  // the next one has arrived (the study's last at once): one request at a
  // time would wait for its response until the DIMSE timeout.
  let arrived = 0;
  let held = 0;
  let most = 0;
  const waiting: (() => void)[] = [];
  await using destination = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "WINDOW",
    asynchronousOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 4 },
    handleObject: async (object) => {
      await object.dataset.cancel();
      arrived++;
      held++;
      most = Math.max(most, held);
      waiting.shift()?.();
      if (arrived < 10) await new Promise<void>((resolve) => waiting.push(resolve));
      held--;
    },
  });
  await using served = await serve({
    destinations: { WINDOW: { hostname: HOST, port: destination.port } },
    dimseTimeout: 5000,
  });
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const result = await scu.move(studyQuery(served.files[0]!.studyInstanceUid), {
    destination: "WINDOW",
  });
  assertEquals([result.status, result.completed, result.failed], [STATUS.SUCCESS, 10, 0]);
  assertEquals(most >= 2, true);
});

Deno.test("C-MOVE to a destination that refuses objects after 4 ends B000 with the failed count and list", async () => {
  let n = 0;
  await using destination = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "FLAKY",
    handleObject: async (object) => {
      await object.dataset.cancel();
      if (++n > 4) throw new Error("disk full");
    },
  });
  await using served = await serve({
    destinations: { FLAKY: { hostname: HOST, port: destination.port } },
  });
  const study = served.files[0]!.studyInstanceUid;
  const responses = await request(served.scp.port, "STUDY_ROOT", "move", studyQuery(study), {
    moveDestination: "FLAKY",
  });
  const last = final(responses);
  assertEquals(last.command.status, STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES);
  assertEquals(last.command.completed, 4);
  assertEquals(last.command.failed, 6);
  assertEquals(last.identifier?.strings(FAILED_SOP_INSTANCE_UID_LIST).length, 6);
  // Pending responses count the sub-operations down (PS3.4 C.4.2.1.5).
  const pending = responses.slice(0, -1).map((r) => r.command.remaining);
  assertEquals(pending, [...pending].sort((a, b) => b! - a!));
});

Deno.test("C-MOVE to a destination that aborts the association after 3 objects ends B000; the rest are failed and listed", async () => {
  let n = 0;
  const received: string[] = [];
  const associations: { abort(): Promise<void> }[] = [];
  await using destination = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "ABORTS",
    onAssociation: (a) => void associations.push(a),
    handleObject: async (object) => {
      await object.dataset.cancel();
      if (++n === 4) await associations.at(-1)!.abort();
      else received.push(object.sopInstanceUid);
    },
  });
  await using served = await serve({
    destinations: { ABORTS: { hostname: HOST, port: destination.port } },
  });
  const study = served.files[0]!.studyInstanceUid;
  const all = served.files.filter((f) => f.studyInstanceUid === study).map((f) => f.sopInstanceUid);
  const responses = await request(served.scp.port, "STUDY_ROOT", "move", studyQuery(study), {
    moveDestination: "ABORTS",
  });
  const last = final(responses);
  assertEquals(last.command.status, STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES);
  assertEquals(last.command.completed, 3);
  assertEquals(last.command.failed, all.length - 3);
  const failed = last.identifier?.strings(FAILED_SOP_INSTANCE_UID_LIST) ?? [];
  assertEquals(received.length, 3);
  assertEquals(failed.sort(), all.filter((uid) => !received.includes(uid)).sort());
});

// ---- missing files, refused roles ----

Deno.test("C-GET with an archived file gone fails that sub-operation only; the others arrive and the archive is intact", async () => {
  await using served = await serve();
  const study = served.files[0]!.studyInstanceUid;
  const inStudy = served.files.filter((f) => f.studyInstanceUid === study);
  const gone = inStudy[3]!;
  await Deno.remove(gone.path);
  const before = served.archive.counts();
  const out = `${served.dir}/got`;
  await Deno.mkdir(out);
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const result = await scu.get(studyQuery(study), {
    directory: out,
    sopClasses: [CT_IMAGE_STORAGE, MR_IMAGE_STORAGE],
  });
  assertEquals(result.status, STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES);
  assertEquals(result.completed, inStudy.length - 1);
  assertEquals(result.failed, 1);
  assertEquals(result.failedSopInstanceUids, [gone.sopInstanceUid]);
  assertEquals(result.received.length, inStudy.length - 1);
  assertEquals(served.archive.counts(), before);
  // The next retrieve of another instance of the study still works.
  const again = await scu.get(
    new Identifier("STUDY_ROOT", "IMAGE").set(Tag.StudyInstanceUID, study)
      .set(Tag.SeriesInstanceUID, inStudy[0]!.seriesInstanceUid)
      .set(Tag.SOPInstanceUID, inStudy[0]!.sopInstanceUid),
    { directory: out, sopClasses: [CT_IMAGE_STORAGE] },
  );
  assertEquals(again.completed, 1);
});

Deno.test("C-MOVE with an archived file gone fails that sub-operation only; the others arrive", async () => {
  const received: string[] = [];
  await using destination = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "DEST",
    handleObject: async (object) => {
      await object.dataset.cancel();
      received.push(object.sopInstanceUid);
    },
  });
  await using served = await serve({
    destinations: { DEST: { hostname: HOST, port: destination.port } },
  });
  const study = served.files[0]!.studyInstanceUid;
  const inStudy = served.files.filter((f) => f.studyInstanceUid === study);
  const gone = inStudy[7]!;
  await Deno.remove(gone.path);
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const result = await scu.move(studyQuery(study), { destination: "DEST" });
  assertEquals(result.status, STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES);
  assertEquals(result.completed, inStudy.length - 1);
  assertEquals(result.failed, 1);
  assertEquals(result.failedSopInstanceUids, [gone.sopInstanceUid]);
  assertEquals(
    received.sort(),
    inStudy.filter((f) => f !== gone).map((f) => f.sopInstanceUid).sort(),
  );
  assertEquals(served.archive.counts().instances, served.files.length);
});

Deno.test("C-MOVE and C-GET send a pending response for the first sub-operation, then at most one per pendingInterval (0: for each)", async () => {
  await using destination = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "DEST",
    handleObject: (object) => object.dataset.cancel(),
  });
  // An interval no retrieval lasts: only the first sub-operation is reported.
  for (const [pendingInterval, expected] of [[0, 9], [1e9, 1]] as const) {
    await using served = await serve({
      destinations: { DEST: { hostname: HOST, port: destination.port } },
      pendingInterval,
    });
    const study = studyQuery(served.files[0]!.studyInstanceUid);
    await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
    const out = `${served.dir}/got`;
    await Deno.mkdir(out);
    for (
      const operation of [
        scu.move(study, { destination: "DEST" }),
        scu.get(study, { directory: out, sopClasses: [CT_IMAGE_STORAGE, MR_IMAGE_STORAGE] }),
      ]
    ) {
      let pending = 0;
      for await (const p of operation) if (p.status === STATUS.PENDING) pending++;
      assertEquals([pendingInterval, pending, (await operation).completed], [
        pendingInterval,
        expected,
        10,
      ]);
    }
  }
});

Deno.test("C-GET fails the sub-operations of a SOP class the SCU did not take the SCP role for (PS3.4 C.4.3.3)", async () => {
  await using served = await serve();
  const study = served.files[0]!.studyInstanceUid;
  const inStudy = served.files.filter((f) => f.studyInstanceUid === study);
  const mr = inStudy.filter((f) => f.sopClassUid === MR_IMAGE_STORAGE).map((f) => f.sopInstanceUid);
  const out = `${served.dir}/got`;
  await Deno.mkdir(out);
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const result = await scu.get(studyQuery(study), {
    directory: out,
    sopClasses: [CT_IMAGE_STORAGE],
  });
  assertEquals(result.status, STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES);
  assertEquals(result.completed, inStudy.length - mr.length);
  assertEquals(result.failed, mr.length);
  assertEquals([...result.failedSopInstanceUids].sort(), mr.sort());
});

Deno.test("C-GET whose every sub-operation fails (no SCP role for the series' class) ends in Failure A702, listing them all", async () => {
  await using served = await serve();
  const mr = served.files.filter((f) => f.sopClassUid === MR_IMAGE_STORAGE);
  const series = mr[0]!.seriesInstanceUid;
  const inSeries = mr.filter((f) => f.seriesInstanceUid === series).map((f) => f.sopInstanceUid);
  const out = `${served.dir}/got`;
  await Deno.mkdir(out);
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const query = new Identifier("STUDY_ROOT", "SERIES")
    .set(Tag.StudyInstanceUID, mr[0]!.studyInstanceUid).set(Tag.SeriesInstanceUID, series);
  // PS3.4 C.4.3.3.1: "Failure if all sub-operations were unsuccessful".
  const operation = scu.get(query, { directory: out, sopClasses: [CT_IMAGE_STORAGE] });
  assertEquals(await statusOf(operation), STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS);
  assertEquals([...Deno.readDirSync(out)].length, 0);
  assertEquals(inSeries.length, 5);
});

Deno.test("C-MOVE to a destination that refuses every object ends in Failure A702 with every instance listed", async () => {
  await using destination = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "REFUSES",
    handleObject: async (object) => {
      await object.dataset.cancel();
      throw new Error("no");
    },
  });
  await using served = await serve({
    destinations: { REFUSES: { hostname: HOST, port: destination.port } },
  });
  const study = served.files[0]!.studyInstanceUid;
  const uids = served.files.filter((f) => f.studyInstanceUid === study).map((f) =>
    f.sopInstanceUid
  );
  const responses = await request(served.scp.port, "STUDY_ROOT", "move", studyQuery(study), {
    moveDestination: "REFUSES",
  });
  const last = final(responses);
  assertEquals(last.command.status, STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS);
  assertEquals(last.command.completed, 0);
  assertEquals(last.command.failed, uids.length);
  assertEquals(last.identifier?.strings(FAILED_SOP_INSTANCE_UID_LIST).sort(), uids.sort());
});

// ---- C-STORE into the archive ----

for (const withOnInstanceStored of [true, false]) {
  Deno.test(`an object C-STOREd into the QR SCP's directory is found by the next C-FIND, and its file is there (${withOnInstanceStored ? "with" : "without"} onInstanceStored)`, async () => {
    const incoming = await Deno.makeTempDir({ prefix: "qr_scp_incoming_" });
    try {
      const stored: string[] = [];
      await using served = await serve({
        directory: incoming,
        ...(withOnInstanceStored ? { onInstanceStored: (i) => void stored.push(i.path) } : {}),
      });
      const [object] = generateSampleStudies({
        patients: 1,
        studiesPerPatient: 1,
        seriesPerStudy: 1,
        instancesPerSeries: 1,
      });
      const uid = object!.string(Tag.SOPInstanceUID)!;
      const study = object!.string(Tag.StudyInstanceUID)!;
      const summary = await store(HOST, served.scp.port, [object!], { calledAeTitle: "QRSCP" });
      assertEquals(summary.completed, 1, summary.results[0]?.error?.message);
      await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
      const found = [];
      for await (
        const m of scu.find(
          new Identifier("STUDY_ROOT", "IMAGE").set(Tag.StudyInstanceUID, study)
            .request(Tag.SeriesInstanceUID, Tag.SOPInstanceUID),
        )
      ) found.push(m.string(Tag.SOPInstanceUID));
      assertEquals(found, [uid]);
      // The patient (ID 1234) is the archive's: one more study under it.
      const studies = await drain(
        scu.find(new Identifier("PATIENT_ROOT", "STUDY").set(Tag.PatientID, "1234")),
      );
      assertEquals(studies, 3);
      // Besides the hidden folder of temporary files created ahead of need.
      const files = [...Deno.readDirSync(incoming)].map((e) => e.name).filter((n) =>
        !n.startsWith(".")
      );
      assertEquals(files, [`${uid}.dcm`]);
      assertEquals(stored, withOnInstanceStored ? [`${incoming}/${uid}.dcm`] : []);
    } finally {
      await Deno.remove(incoming, { recursive: true });
    }
  });
}

// Issue 12: the A702 that ends a C-GET whose every sub-operation failed says
// why in its Error Comment (0000,0902), so that "no accepted context" and a
// file the archive cannot read no longer look the same.
async function commentOf(promise: PromiseLike<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof DimseStatusError) return e.errorComment;
    throw e;
  }
  throw new Error("expected a failure status");
}

Deno.test("C-GET whose every sub-operation fails names the cause: no accepted context, or a file that cannot be read", async () => {
  await using served = await serve();
  const mr = served.files.filter((f) => f.sopClassUid === MR_IMAGE_STORAGE);
  const series = mr[0]!.seriesInstanceUid;
  const out = `${served.dir}/got`;
  await using scu = new QueryRetrieveScu(HOST, served.scp.port, { calledAeTitle: "QRSCP" });
  const query = new Identifier("STUDY_ROOT", "SERIES")
    .set(Tag.StudyInstanceUID, mr[0]!.studyInstanceUid).set(Tag.SeriesInstanceUID, series);
  const noContext = await commentOf(
    scu.get(query, { directory: out, sopClasses: [CT_IMAGE_STORAGE] }),
  );
  assertMatch(noContext ?? "", /^5 failed: no accepted context for /);
  for (const f of mr.filter((f) => f.seriesInstanceUid === series)) await Deno.remove(f.path);
  const unreadable = await commentOf(
    scu.get(query, { directory: out, sopClasses: [MR_IMAGE_STORAGE] }),
  );
  assertMatch(unreadable ?? "", /^5 failed: cannot read the archived file/);
});
