/**
 * Network mode of `deno task fuzz` (`--target net`, issue 11): a live
 * {@linkcode QueryRetrieveScp} on 127.0.0.1, port 0, over a temporary
 * folder, is sent valid A-ASSOCIATE-RQs followed by mutated P-DATA-TF PDUs
 * (built from real command sets and data sets), or mutated A-ASSOCIATE-RQs.
 * After each batch of connections a C-ECHO must succeed within 5 s.
 *
 * @module
 */
import { DicomError } from "../errors.ts";
import { Uid } from "../dictionary/mod.ts";
import { Dataset, encodeDataset } from "../dataset/mod.ts";
import { type Command, encodeCommand } from "../dimse/mod.ts";
import { encodePdu, type Pdu, PduFramer } from "../pdu/mod.ts";
import { Archive } from "../archive/mod.ts";
import { MppsService, QueryRetrieveScp } from "../scp/mod.ts";
import { encodeCommitmentRequest } from "../service/mod.ts";
import { echo } from "../scu/mod.ts";
import { mutate, prng } from "./mutate.ts";
import { concat, pData } from "./targets.ts";

/** Options of {@linkcode fuzzNetwork}. */
export interface NetworkFuzzOptions {
  /** PRNG seed. */
  seed: number;
  /** Connections to open. */
  cases: number;
  /** Connections between two C-ECHO checks. @default {50} */
  batch?: number;
  /** Connections open at once. @default {25} */
  parallel?: number;
  /** Milliseconds a connection may stay open without the server ending it. @default {500} */
  deadlineMs?: number;
  /** Called with each finding: the bytes of the case that preceded it. */
  onFinding: (name: string, bytes: Uint8Array, why: string) => void | Promise<void>;
  /** Called after each batch. */
  onProgress?: (done: number, counts: NetworkFuzzCounts) => void;
}

/** What {@linkcode fuzzNetwork} counts. */
export interface NetworkFuzzCounts {
  /** Connections opened and fed a case. */
  connections: number;
  /** Connections whose association the server accepted. */
  accepted: number;
  /** Connections where the server sent a DIMSE message back. */
  answered: number;
  /** C-ECHO checks that succeeded. */
  echoes: number;
  /** Failed checks and unexpected server errors. */
  finding: number;
}

const CT = Uid.CTImageStorage;
const FIND = Uid.StudyRootQueryRetrieveInformationModelFind;
const INSTANCE = "1.2.826.0.1.3680043.2.1143.9.9.9";
const COMMIT = Uid.StorageCommitmentPushModel;
const MPPS = Uid.ModalityPerformedProcedureStep;
const COMMIT_INSTANCE = Uid.StorageCommitmentPushModelInstance;
const STEP = "1.2.826.0.1.3680043.2.1143.9.9.10";

function associateRq(): Uint8Array {
  return encodePdu({
    type: "A-ASSOCIATE-RQ",
    protocolVersion: 1,
    calledAeTitle: "QRSCP",
    callingAeTitle: "FUZZ",
    applicationContext: "1.2.840.10008.3.1.1.1",
    presentationContexts: [
      { id: 1, abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ImplicitVRLittleEndian] },
      { id: 3, abstractSyntax: CT, transferSyntaxes: [Uid.ExplicitVRLittleEndian] },
      { id: 5, abstractSyntax: FIND, transferSyntaxes: [Uid.ImplicitVRLittleEndian] },
      { id: 7, abstractSyntax: COMMIT, transferSyntaxes: [Uid.ExplicitVRLittleEndian] },
      { id: 9, abstractSyntax: MPPS, transferSyntaxes: [Uid.ExplicitVRLittleEndian] },
    ],
    userInformation: { maxPduLength: 16384, implementationClassUid: "1.2.3.4.5" },
  });
}

/** An MPPS N-CREATE attribute list with the Type 1 attributes of PS3.4 Table F.7.2-1. */
function createdStep(): Dataset {
  return new Dataset()
    .set("ScheduledStepAttributesSequence", [new Dataset().set("StudyInstanceUID", "1.2.3")])
    .set("PerformedProcedureStepID", "FUZZ1")
    .set("PerformedStationAETitle", "FUZZ")
    .set("PerformedProcedureStepStartDate", "20261203")
    .set("PerformedProcedureStepStartTime", "120000")
    .set("PerformedProcedureStepStatus", "IN PROGRESS")
    .set("Modality", "CT");
}

/** An MPPS N-SET to COMPLETED with what PS3.4 F.7.2.2 asks of the final state. */
function completedStep(): Dataset {
  return new Dataset()
    .set("PerformedProcedureStepStatus", "COMPLETED")
    .set("PerformedProcedureStepEndDate", "20261203")
    .set("PerformedProcedureStepEndTime", "121000")
    .set("PerformedSeriesSequence", [
      new Dataset().set("SeriesInstanceUID", "1.2.3.4").set("ProtocolName", "FUZZ"),
    ]);
}

/** A message seed: its command set, data set and presentation context. */
interface Message {
  readonly command: Uint8Array;
  readonly dataset?: Uint8Array;
  readonly context: number;
}

function messages(): Message[] {
  const ct = new Dataset().set("SOPClassUID", CT).set("SOPInstanceUID", INSTANCE)
    .set("PatientID", "FUZZ").set("PatientName", "Fuzz^Case").set("StudyInstanceUID", "1.2.3")
    .set("SeriesInstanceUID", "1.2.3.4").set("Modality", "CT");
  const query = new Dataset().set("QueryRetrieveLevel", "STUDY").set("PatientID", "*")
    .set("StudyInstanceUID", "");
  const c = (cmd: Command) => encodeCommand(cmd);
  return [
    {
      command: c({
        type: "C-ECHO-RQ",
        hasDataset: false,
        messageId: 1,
        affectedSopClassUid: Uid.Verification,
      }),
      context: 1,
    },
    {
      command: c({
        type: "C-STORE-RQ",
        hasDataset: true,
        messageId: 2,
        affectedSopClassUid: CT,
        affectedSopInstanceUid: INSTANCE,
        priority: 0,
      }),
      dataset: encodeDataset(ct, { transferSyntax: Uid.ExplicitVRLittleEndian }),
      context: 3,
    },
    {
      // A storage commitment request for the instance (PS3.4 J.3.2).
      command: c({
        type: "N-ACTION-RQ",
        hasDataset: true,
        messageId: 4,
        requestedSopClassUid: COMMIT,
        requestedSopInstanceUid: COMMIT_INSTANCE,
        actionTypeId: 1,
      }),
      dataset: encodeDataset(
        encodeCommitmentRequest({
          transactionUid: "1.2.826.0.1.3680043.2.1143.9.9.11",
          references: [{ sopClassUid: CT, sopInstanceUid: INSTANCE }],
        }),
        { transferSyntax: Uid.ExplicitVRLittleEndian },
      ),
      context: 7,
    },
    {
      // A procedure step created IN PROGRESS, then completed (PS3.4 F.7.2).
      command: c({
        type: "N-CREATE-RQ",
        hasDataset: true,
        messageId: 5,
        affectedSopClassUid: MPPS,
        affectedSopInstanceUid: STEP,
      }),
      dataset: encodeDataset(createdStep(), { transferSyntax: Uid.ExplicitVRLittleEndian }),
      context: 9,
    },
    {
      command: c({
        type: "N-SET-RQ",
        hasDataset: true,
        messageId: 6,
        requestedSopClassUid: MPPS,
        requestedSopInstanceUid: STEP,
      }),
      dataset: encodeDataset(completedStep(), { transferSyntax: Uid.ExplicitVRLittleEndian }),
      context: 9,
    },
    {
      command: c({
        type: "C-FIND-RQ",
        hasDataset: true,
        messageId: 3,
        affectedSopClassUid: FIND,
        priority: 0,
      }),
      dataset: encodeDataset(query),
      context: 5,
    },
  ];
}

/**
 * One case: what a fuzzing client writes after connecting, and what it
 * writes once the association is accepted (P-DATA-TF may not be sent
 * before the A-ASSOCIATE-AC: PS3.8 Table 9-10, Sta3 Evt10 is an abort).
 */
export interface NetworkCase {
  /** The (possibly mutated) A-ASSOCIATE-RQ. */
  readonly associate: Uint8Array;
  /** The (possibly mutated) P-DATA-TF PDUs; empty when the request is mutated. */
  readonly data: Uint8Array;
}

function buildCase(rand: () => number, rq: Uint8Array, seeds: readonly Message[]): NetworkCase {
  const m = seeds[Math.floor(rand() * seeds.length)]!;
  const pick = rand();
  if (pick < 0.2) return { associate: mutate(rq, rq, rand), data: new Uint8Array() };
  let command = m.command;
  let dataset = m.dataset;
  if (pick < 0.5 || !dataset) command = mutate(command, m.command, rand);
  else dataset = mutate(dataset, dataset, rand);
  const pdus = [pData(command, true, m.context)];
  if (dataset) pdus.push(pData(dataset, false, m.context));
  const data = concat(pdus);
  // Sometimes the PDU framing itself is mutated.
  return { associate: rq, data: rand() < 0.2 ? mutate(data, data, rand) : data };
}

/** The bytes of a case in one array, as a finding is saved: the request, then the data. */
export function caseBytes(c: NetworkCase): Uint8Array {
  return concat([c.associate, c.data]);
}

/**
 * Writes the A-ASSOCIATE-RQ; once accepted, the P-DATA-TF PDUs and an
 * A-RELEASE-RQ; reads the answers until the server closes, releases,
 * aborts or rejects (PS3.8 §9.3; the requestor closes the transport after
 * A-RELEASE-RP) or the deadline passes (a server waiting for the rest of a
 * cut-off PDU), then closes.
 */
async function sendCase(port: number, c: NetworkCase, deadlineMs: number): Promise<Pdu["type"][]> {
  const seen: Pdu["type"][] = [];
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const deadline = setTimeout(() => conn.close(), deadlineMs);
  const framer = new PduFramer();
  let ended = false;
  let accepted = false;
  const on = (pdu: Pdu) => {
    seen.push(pdu.type);
    if (pdu.type === "A-ASSOCIATE-AC") accepted = true;
    if (pdu.type === "A-RELEASE-RP" || pdu.type === "A-ABORT" || pdu.type === "A-ASSOCIATE-RJ") {
      ended = true;
    }
  };
  const buf = new Uint8Array(65536);
  const readUntil = async (done: () => boolean) => {
    while (!ended && !done()) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return false;
      try {
        framer.push(buf.slice(0, n), on);
      } catch {
        return false; // the server's bytes are not ours to judge here
      }
    }
    return !ended;
  };
  try {
    await conn.write(c.associate).catch(() => {});
    if (await readUntil(() => accepted)) {
      await conn.write(c.data).catch(() => {});
      await conn.write(new Uint8Array([5, 0, 0, 0, 0, 4, 0, 0, 0, 0])).catch(() => {});
      await readUntil(() => false);
    }
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch { /* closed by the deadline */ }
  }
  return seen;
}

/** An error the server may report for a malformed peer: a DicomError or a socket error. */
function expected(e: unknown): boolean {
  return e instanceof DicomError || e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.BrokenPipe || e instanceof Deno.errors.UnexpectedEof ||
    e instanceof Deno.errors.NotConnected || e instanceof Deno.errors.Interrupted ||
    (e instanceof DOMException && e.name === "AbortError") ||
    (e instanceof DOMException && e.name === "TimeoutError");
}

/**
 * Fuzzes a live SCP over TCP; see the module doc.
 *
 * @param options Seed, number of connections and where findings go.
 * @returns The counts.
 */
export async function fuzzNetwork(options: NetworkFuzzOptions): Promise<NetworkFuzzCounts> {
  const { seed, cases, batch = 50, parallel = 25, deadlineMs = 500 } = options;
  const dir = await Deno.makeTempDir({ prefix: "fuzz_net_" });
  const counts: NetworkFuzzCounts = {
    connections: 0,
    accepted: 0,
    answered: 0,
    echoes: 0,
    finding: 0,
  };
  const unexpected: unknown[] = [];
  using archive = Archive.open();
  using mpps = new MppsService();
  const scp = new QueryRetrieveScp({
    hostname: "127.0.0.1",
    port: 0,
    aeTitle: "QRSCP",
    archive,
    directory: dir,
    idleTimeout: 2000,
    // Storage Commitment and MPPS too: their N-ACTION, N-CREATE and N-SET
    // handlers take mutated requests like the rest.
    commitment: { retries: 0 },
    mpps,
    onError: (e) => {
      if (!expected(e)) unexpected.push(e);
    },
  });
  const rq = associateRq();
  const seeds = messages();
  let group: { index: number; case: NetworkCase }[] = [];
  try {
    for (let i = 0; i < cases; i += parallel) {
      group = [];
      for (let k = i; k < Math.min(i + parallel, cases); k++) {
        const rand = prng(Math.imul(seed, 0x9e3779b1) ^ k);
        group.push({ index: k, case: buildCase(rand, rq, seeds) });
      }
      for (
        const seen of await Promise.all(group.map((c) => sendCase(scp.port, c.case, deadlineMs)))
      ) {
        if (seen.includes("A-ASSOCIATE-AC")) counts.accepted++;
        if (seen.includes("P-DATA-TF")) counts.answered++;
      }
      counts.connections += group.length;
      // An unexpected server error belongs to one of the cases sent together: keep them all.
      for (const e of unexpected.splice(0)) {
        counts.finding++;
        for (const c of group) {
          await options.onFinding(
            `net_${seed}_${c.index}`,
            caseBytes(c.case),
            `server error: ${String(e)}`,
          );
        }
      }
      const done = i + group.length;
      if (done % batch < parallel || done === cases) {
        try {
          const r = await echo("127.0.0.1", scp.port, {
            calledAeTitle: "QRSCP",
            signal: AbortSignal.timeout(5000),
          });
          if (r.status !== 0) throw new Error(`C-ECHO status ${r.status.toString(16)}`);
          counts.echoes++;
        } catch (e) {
          counts.finding++;
          const c = group.at(-1)!;
          await options.onFinding(
            `net_${seed}_${c.index}`,
            caseBytes(c.case),
            `C-ECHO after the batch failed: ${String(e)}`,
          );
        }
        options.onProgress?.(done, counts);
      }
    }
  } finally {
    await scp.shutdown({ abort: true });
    await Deno.remove(dir, { recursive: true });
  }
  return counts;
}
