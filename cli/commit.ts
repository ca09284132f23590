/**
 * `dcm commit HOST PORT FILE_OR_DIR... [--port P]`: asks a Storage
 * Commitment SCP (PS3.4 Annex J) to commit to keeping the instances of the
 * files given, waits for its report on the same association or on a new
 * one to `--port`, and prints each instance's result and a summary. Exit 0
 * only when every instance is committed.
 *
 * @module
 */
import { decodePart10Header } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { formatStatus } from "../dimse/mod.ts";
import {
  type CommitmentInstanceResult,
  CommitmentTimeoutError,
  expandPaths,
  StorageCommitmentScu,
} from "../scu/mod.ts";
import { COMMITMENT_FAILURE_REASON, type SopReference } from "../service/mod.ts";
import { defineCommand, UsageError } from "./_args.ts";
import { clientOptions, explained, hostPort, NETWORK_OPTIONS, PEER_OPTIONS } from "./_common.ts";
import { fileError } from "./_file_error.ts";

/** What each Failure Reason means (PS3.3 C.14.1.1). */
const REASONS: ReadonlyMap<number, string> = new Map([
  [COMMITMENT_FAILURE_REASON.PROCESSING_FAILURE, "processing failure"],
  [COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE, "no such object instance"],
  [COMMITMENT_FAILURE_REASON.RESOURCE_LIMITATION, "resource limitation"],
  [
    COMMITMENT_FAILURE_REASON.REFERENCED_SOP_CLASS_NOT_SUPPORTED,
    "referenced SOP class not supported",
  ],
  [COMMITMENT_FAILURE_REASON.CLASS_INSTANCE_CONFLICT, "class/instance conflict"],
  [COMMITMENT_FAILURE_REASON.DUPLICATE_TRANSACTION_UID, "duplicate transaction UID"],
]);

/** Bytes read from the start of a file for its meta information. */
const META_READ_LENGTH = 64 * 1024;

/** The SOP class and instance a Part 10 file's meta information names. */
async function referenceOf(path: string): Promise<SopReference> {
  let bytes: Uint8Array;
  try {
    using file = await Deno.open(path, { read: true });
    const buffer = new Uint8Array(META_READ_LENGTH);
    let length = 0;
    while (length < buffer.length) {
      const n = await file.read(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
    bytes = buffer.subarray(0, length);
  } catch (e) {
    throw fileError(path, e);
  }
  const meta = decodePart10Header(bytes).meta;
  const sopClassUid = meta.string(Tag.MediaStorageSOPClassUID);
  const sopInstanceUid = meta.string(Tag.MediaStorageSOPInstanceUID);
  if (!sopClassUid || !sopInstanceUid) {
    throw new Error("no Media Storage SOP Class and Instance UIDs in its meta information");
  }
  return { sopClassUid, sopInstanceUid };
}

/** Seconds of `--timeout` (60 by default) in milliseconds. */
function reportTimeout(text: string | undefined): number {
  if (text === undefined) return 60_000;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`--timeout must be a number of seconds, not "${text}"`);
  }
  return Math.round(seconds * 1000);
}

/** `dcm commit`: exits 0 when every instance is committed, 1 otherwise. */
export const commit = defineCommand({
  name: "commit",
  synopsis: "HOST PORT FILE_OR_DIR...",
  summary: "Request storage commitment for files' instances (N-ACTION) and wait for the report.",
  positionals: [3, Infinity],
  options: {
    ...PEER_OPTIONS,
    timeout: {
      type: "string",
      value: "SECONDS",
      description:
        "seconds to wait for the report (default 60), and for the connection, the association and each response",
    },
    port: {
      type: "string",
      value: "PORT",
      description:
        "listen on this port for the report on a new association (the SCP's AE table must name it); without it, only on the same association",
    },
    "listen-host": {
      type: "string",
      default: "0.0.0.0",
      value: "ADDRESS",
      description: "address the --port listener listens on",
    },
    state: {
      type: "string",
      value: "DIR",
      description:
        "keep pending transactions and results in DIR/storage-commitment.jsonl across runs: a late report for one of them, taken by a later run with --port, is recorded",
    },
    ...NETWORK_OPTIONS,
  },
}, async (values, positionals) => {
  const { host, port, rest } = hostPort(positionals);
  const timeout = reportTimeout(values.timeout);
  let listenPort: number | undefined;
  if (values.port !== undefined) {
    listenPort = Number(values.port);
    if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535) {
      throw new UsageError(`--port must be a TCP port, not "${values.port}"`);
    }
  }
  const files: string[] = [];
  for (const path of rest) {
    try {
      files.push(...await expandPaths([path]));
    } catch (e) {
      throw fileError(path, e);
    }
  }
  const references: SopReference[] = [];
  const fileOf = new Map<string, string>();
  let unreadable = 0;
  for (const file of files) {
    try {
      const reference = await referenceOf(file);
      references.push(reference);
      fileOf.set(`${reference.sopClassUid}\\${reference.sopInstanceUid}`, file);
    } catch (e) {
      unreadable++;
      const message = e instanceof Error ? e.message : String(e);
      if (values.json) console.log(JSON.stringify({ file, committed: false, error: message }));
      else console.error(`failed: ${file}: ${message}`);
    }
  }
  if (references.length === 0) throw new Error("no instance to commit");
  await using scu = await StorageCommitmentScu.open({
    aeTitle: values.aet,
    hostname: values["listen-host"],
    ...(listenPort !== undefined ? { port: listenPort } : {}),
    ...(values.state !== undefined ? { stateDirectory: values.state } : {}),
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  if (listenPort !== undefined) {
    console.error(`listening for the report on ${values["listen-host"]}:${scu.port}`);
  }
  let instances: readonly CommitmentInstanceResult[];
  let note: string;
  try {
    const result = await explained(
      host,
      port,
      () => scu.commit(host, port, references, { ...clientOptions(values), timeout }),
    );
    instances = result.instances;
    note = `transaction ${result.transactionUid}, report on the ${
      result.via === "same-association" ? "same" : "a new"
    } association`;
  } catch (e) {
    if (!(e instanceof CommitmentTimeoutError)) throw e;
    instances = references.map((r) => ({ ...r, committed: false }));
    note = `no report within ${timeout / 1000} s for transaction ${e.transactionUid}${
      values.state !== undefined ? " (kept pending)" : ""
    }`;
  }
  let committed = 0;
  for (const i of instances) {
    if (i.committed) committed++;
    const file = fileOf.get(`${i.sopClassUid}\\${i.sopInstanceUid}`);
    const reason = i.failureReason;
    if (values.json) {
      console.log(JSON.stringify({
        file,
        sopClassUid: i.sopClassUid,
        sopInstanceUid: i.sopInstanceUid,
        committed: i.committed,
        ...(reason !== undefined ? { failureReason: formatStatus(reason) } : {}),
      }));
    } else if (i.committed) {
      console.log(`committed ${i.sopInstanceUid} (${file})`);
    } else {
      const why = reason === undefined
        ? "no result"
        : `${formatStatus(reason)} ${REASONS.get(reason) ?? "failure"}`;
      console.log(`FAILED    ${i.sopInstanceUid} (${file}): ${why}`);
    }
  }
  const failed = instances.length - committed + unreadable;
  if (values.json) console.log(JSON.stringify({ committed, failed }));
  else console.log(`${committed} committed, ${failed} failed: ${note}`);
  return failed === 0 ? 0 : 1;
});
