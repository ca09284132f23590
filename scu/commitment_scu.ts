/**
 * Storage Commitment Push Model SCU (PS3.4 J.3): asks an SCP to commit to
 * keeping a set of instances (N-ACTION, Action Type ID 1) and takes the
 * Storage Commitment Result (N-EVENT-REPORT, Event Type ID 1 or 2) on the
 * requesting association or on a new one the SCP opens to its listener,
 * accepting the SCP role the SCP proposes (PS3.4 J.3.3.1.3). A transaction
 * outlives its association: with a state folder, pending transactions are
 * kept in a JSON-lines file and a report arriving after a restart resolves
 * its transaction.
 *
 * @module
 */
import { connect } from "../association/mod.ts";
import { generateUid } from "../dataset/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { DimseChannel, DimseStatusError, STATUS } from "../dimse/mod.ts";
import { DicomError } from "../errors.ts";
import {
  COMMITMENT_ACTION_TYPE_REQUEST,
  COMMITMENT_EVENT_TYPE,
  CommitmentInformationError,
  type CommitmentReport,
  connectOptionsFor,
  decodeCommitmentReport,
  encodeCommitmentRequest,
  nAction,
  type NRequest,
  type NResponse,
  NService,
  type ScuOptions,
  ServiceProvider,
  type ServiceProviderOptions,
  type SopReference,
} from "../service/mod.ts";

/** One instance's outcome. */
export interface CommitmentInstanceResult extends SopReference {
  /** Whether the SCP committed to keeping it. */
  readonly committed: boolean;
  /**
   * Failure Reason (0008,1197) when not committed (PS3.3 C.14.1.1);
   * absent when the report left the instance out altogether.
   */
  readonly failureReason?: number;
}

/** The outcome of a Storage Commitment transaction. */
export interface CommitmentResult {
  /** Transaction UID (0008,1195). */
  readonly transactionUid: string;
  /** Each requested instance, in the order of the request. */
  readonly instances: readonly CommitmentInstanceResult[];
  /** How many were committed. */
  readonly committed: number;
  /** How many were not. */
  readonly failed: number;
  /** Where the report arrived. */
  readonly via: "same-association" | "new-association";
  /** When it arrived (ISO 8601). */
  readonly receivedAt: string;
}

/** A transaction requested and not yet reported. */
export interface PendingCommitment {
  /** Transaction UID (0008,1195). */
  readonly transactionUid: string;
  /** The instances whose commitment was requested. */
  readonly references: readonly SopReference[];
  /** The SCP's AE title. */
  readonly calledAeTitle: string;
  /** The SCP's address. */
  readonly hostname: string;
  /** The SCP's port. */
  readonly port: number;
  /** When the N-ACTION was sent (ISO 8601). */
  readonly requestedAt: string;
}

/** Options of {@linkcode StorageCommitmentScu.open}. */
export interface StorageCommitmentScuOptions
  extends Pick<ServiceProviderOptions, "hostname" | "tls" | "idleTimeout" | "events" | "onError"> {
  /**
   * Our AE title: the Calling AE Title of requests, and the title the
   * listener answers to (any title is accepted).
   *
   * @default {"DCMNET"}
   */
  aeTitle?: string;
  /**
   * Port of the listener that takes reports on new associations (0 picks a
   * free one, see `port`). Without it there is no listener: reports can
   * only arrive on the requesting association.
   */
  port?: number;
  /**
   * Folder where pending transactions and results are kept
   * (`storage-commitment.jsonl`), so that a report arriving after a restart
   * resolves its transaction. Without it they are kept in memory only.
   */
  stateDirectory?: string;
  /**
   * Results kept (in memory and in the state file) for `result()` to give
   * after their report; the oldest are forgotten first.
   *
   * @default {10000}
   */
  maxResults?: number;
  /** Receives what is logged: reports for unknown transactions, malformed reports. */
  onWarning?: (message: string) => void;
  /** A notification: told about each transaction as its report arrives. */
  onResult?: (result: CommitmentResult) => void;
}

/** Options of {@linkcode StorageCommitmentScu.request}. */
export interface CommitmentRequestOptions extends ScuOptions {
  /**
   * Milliseconds to keep the requesting association open waiting for the
   * report on it; it is released as soon as the report arrives, on it or on
   * a new association.
   *
   * @default {0}
   */
  holdAssociation?: number;
  /** The Transaction UID; a new one by default. */
  transactionUid?: string;
}

/** Options of {@linkcode StorageCommitmentScu.result}. */
export interface CommitmentWaitOptions {
  /** Milliseconds to wait for the report; without it, no limit. */
  timeout?: number;
  /** Stops waiting (the transaction stays pending). */
  signal?: AbortSignal;
}

/**
 * No Storage Commitment Result arrived in time; the transaction stays
 * pending (and kept, with a state folder) for a later report.
 *
 * @example
 * ```ts
 * import { CommitmentTimeoutError } from "./mod.ts";
 * const error = new CommitmentTimeoutError("2.25.1", 5000);
 * console.log(error.transactionUid); // "2.25.1"
 * ```
 */
export class CommitmentTimeoutError extends DicomError {
  /** The transaction waited for. */
  readonly transactionUid: string;

  /**
   * Creates the error.
   *
   * @param transactionUid The transaction waited for.
   * @param timeout The milliseconds waited.
   */
  constructor(transactionUid: string, timeout: number, options?: ErrorOptions) {
    super(`No storage commitment report for ${transactionUid} within ${timeout} ms`, options);
    this.name = "CommitmentTimeoutError";
    this.transactionUid = transactionUid;
  }
}

/** The state file's name in the state folder. */
const STATE_FILE = "storage-commitment.jsonl";

type StateLine =
  | { readonly pending: PendingCommitment }
  | { readonly result: CommitmentResult }
  | { readonly abandoned: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Whether a parsed line of the state file has the shape this module writes. */
function isStateLine(line: unknown): line is StateLine {
  if (!isRecord(line)) return false;
  const record = line["pending"] ?? line["result"];
  if (isRecord(record)) {
    const refs = "references" in record ? record["references"] : record["instances"];
    return typeof record["transactionUid"] === "string" && Array.isArray(refs);
  }
  return typeof line["abandoned"] === "string";
}

/**
 * Storage Commitment Push Model SCU (PS3.4 J.3.2.1.2, J.3.3.1.3).
 *
 * @example Commit an instance against a Storage Commitment SCP started here
 * ```ts
 * import { StorageCommitmentScu } from "./mod.ts";
 * import { CommitmentService, NService, ServiceProvider } from "../service/mod.ts";
 *
 * await using service = new CommitmentService(() => undefined);
 * await using scp = new ServiceProvider(new NService(service.sopClasses), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 * });
 * await using scu = await StorageCommitmentScu.open();
 * const result = await scu.commit("127.0.0.1", scp.port, [
 *   { sopClassUid: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUid: "2.25.7" },
 * ], { timeout: 10_000 });
 * console.log(result.committed, result.via); // 1 "same-association"
 * ```
 */
export class StorageCommitmentScu implements AsyncDisposable {
  readonly #options: StorageCommitmentScuOptions;
  readonly #service: NService;
  #listener: ServiceProvider | undefined;
  readonly #pending = new Map<string, PendingCommitment>();
  readonly #results = new Map<string, CommitmentResult>();
  readonly #waiters = new Map<string, Set<(result: CommitmentResult) => void>>();
  #writes: Promise<void> = Promise.resolve();

  private constructor(options: StorageCommitmentScuOptions, lines: readonly StateLine[]) {
    this.#options = options;
    for (const line of lines) {
      if ("pending" in line) this.#pending.set(line.pending.transactionUid, line.pending);
      else if ("result" in line) {
        this.#pending.delete(line.result.transactionUid);
        this.#keep(line.result);
      } else this.#pending.delete(line.abandoned);
    }
    this.#service = new NService({
      [Uid.StorageCommitmentPushModel]: {
        "N-EVENT-REPORT-RQ": (request) => this.#onReport(request),
      },
    }, {
      // PS3.4 J.3.3.1.3: the SCP proposes the SCP role to send its report.
      requestorRoles: { scu: true, scp: true },
    });
  }

  /** Starts the listener, once the state file is settled. */
  #listen(): void {
    const options = this.#options;
    this.#listener = options.port === undefined ? undefined : new ServiceProvider(this.#service, {
      aeTitle: options.aeTitle ?? "DCMNET",
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
      ...(options.events ? { events: options.events } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  }

  /**
   * Loads the state folder's transactions (a line cut short by a crash is
   * skipped with a warning), rewrites the file without what is finished
   * twice over, and starts the listener when a port is given.
   *
   * @throws {Deno.errors.PermissionDenied} and other I/O errors of the state folder.
   */
  static async open(options: StorageCommitmentScuOptions = {}): Promise<StorageCommitmentScu> {
    const lines: StateLine[] = [];
    if (options.stateDirectory !== undefined) {
      await Deno.mkdir(options.stateDirectory, { recursive: true });
      const path = `${options.stateDirectory}/${STATE_FILE}`;
      let text = "";
      try {
        text = await Deno.readTextFile(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      for (const [i, raw] of text.split("\n").entries()) {
        if (raw.trim() === "") continue;
        let line: unknown;
        try {
          line = JSON.parse(raw);
        } catch {
          options.onWarning?.(`${path}:${i + 1}: not a JSON line, skipped`);
          continue;
        }
        if (isStateLine(line)) lines.push(line);
        else options.onWarning?.(`${path}:${i + 1}: not a storage commitment record, skipped`);
      }
    }
    const scu = new StorageCommitmentScu(options, lines);
    // Before the listener starts: a report's line must not be appended to
    // the file the compaction then replaces.
    await scu.#compact();
    scu.#listen();
    return scu;
  }

  /** The listener's port, when there is a listener. */
  get port(): number | undefined {
    return this.#listener?.port;
  }

  /** The transactions requested and not yet reported. */
  pending(): PendingCommitment[] {
    return [...this.#pending.values()];
  }

  /**
   * Sends the Storage Commitment Request (N-ACTION, PS3.4 J.3.2.1.2) for
   * `references` to the SCP at `hostname`:`port` and resolves with its
   * Transaction UID once the SCP has accepted it (N-ACTION-RSP success) and
   * the association is released: at once, or once the report arrived or
   * `holdAssociation` passed. The transaction is recorded (in the state
   * file, flushed) before the request goes out.
   *
   * @throws {TypeError} when `references` is empty.
   * @throws {DimseStatusError} when the SCP refuses the request (the transaction is dropped).
   * @throws {AssociationRejectedError} when the SCP rejects the association.
   */
  async request(
    hostname: string,
    port: number,
    references: readonly SopReference[],
    options: CommitmentRequestOptions = {},
  ): Promise<string> {
    if (references.length === 0) {
      throw new TypeError("Storage commitment needs at least one instance");
    }
    const transactionUid = options.transactionUid ?? generateUid();
    const pending: PendingCommitment = {
      transactionUid,
      references: references.map((r) => ({
        sopClassUid: r.sopClassUid,
        sopInstanceUid: r.sopInstanceUid,
      })),
      calledAeTitle: options.calledAeTitle ?? "ANY-SCP",
      hostname,
      port,
      requestedAt: new Date().toISOString(),
    };
    this.#pending.set(transactionUid, pending);
    await this.#append({ pending });
    let accepted = false;
    try {
      await using association = await connect(
        hostname,
        port,
        connectOptionsFor({ callingAeTitle: this.#options.aeTitle ?? "DCMNET", ...options }, [{
          abstractSyntax: Uid.StorageCommitmentPushModel,
          transferSyntaxes: [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian],
        }]),
      );
      // The report may come on this association: it is served as the listener's are.
      const channel = new DimseChannel(association, {
        handlers: this.#service.handlers,
        ...(options.dimseTimeout !== undefined ? { dimseTimeout: options.dimseTimeout } : {}),
        ...(this.#options.onWarning ? { onWarning: this.#options.onWarning } : {}),
      });
      const result = await nAction(channel, {
        sopClassUid: Uid.StorageCommitmentPushModel,
        sopInstanceUid: Uid.StorageCommitmentPushModelInstance,
        actionTypeId: COMMITMENT_ACTION_TYPE_REQUEST,
        dataset: encodeCommitmentRequest(pending),
      });
      if (result.statusCategory === "failure") {
        // PS3.4 J.3.2.1.2: after a failure status the transaction is no longer active.
        throw new DimseStatusError("N-ACTION", result.status, {
          ...(result.errorComment !== undefined ? { errorComment: result.errorComment } : {}),
        });
      }
      accepted = true;
      const hold = options.holdAssociation ?? 0;
      if (hold > 0 && !this.#results.has(transactionUid)) {
        await this.#wait(transactionUid, hold, options.signal, channel.closed).catch(() => {});
      }
      // After the report's N-EVENT-REPORT-RSP, if the report came here.
      await channel.release();
      await channel.closed;
    } catch (e) {
      if (accepted) {
        // The SCP took the request: the transaction stays, whatever became of the association.
        this.#warn(
          `The association of ${transactionUid} ended badly: ${e instanceof Error ? e.message : e}`,
        );
        return transactionUid;
      }
      if (!this.#results.has(transactionUid) && this.#pending.delete(transactionUid)) {
        await this.#append({ abandoned: transactionUid });
      }
      throw e;
    }
    return transactionUid;
  }

  /**
   * The result of a transaction: at once when its report has arrived, else
   * when it does.
   *
   * @throws {RangeError} for a transaction this SCU does not know.
   * @throws {CommitmentTimeoutError} when `timeout` passes first.
   */
  result(transactionUid: string, options: CommitmentWaitOptions = {}): Promise<CommitmentResult> {
    const done = this.#results.get(transactionUid);
    if (done) return Promise.resolve(done);
    if (!this.#pending.has(transactionUid)) {
      return Promise.reject(
        new RangeError(`Unknown storage commitment transaction ${transactionUid}`),
      );
    }
    return this.#wait(transactionUid, options.timeout, options.signal);
  }

  /**
   * {@linkcode StorageCommitmentScu.request} holding the association for
   * up to `timeout`, then {@linkcode StorageCommitmentScu.result} for what
   * is left of it.
   *
   * @throws {CommitmentTimeoutError} when no report arrives within `timeout`.
   * @throws {DimseStatusError} when the SCP refuses the request.
   */
  async commit(
    hostname: string,
    port: number,
    references: readonly SopReference[],
    options: CommitmentRequestOptions & CommitmentWaitOptions = {},
  ): Promise<CommitmentResult> {
    const start = performance.now();
    const timeout = options.timeout;
    const transactionUid = await this.request(hostname, port, references, {
      holdAssociation: timeout ?? 60_000,
      ...options,
    });
    const left = timeout === undefined
      ? undefined
      : Math.max(0, timeout - (performance.now() - start));
    return await this.result(transactionUid, {
      ...(left !== undefined ? { timeout: left } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** Stops the listener, once the associations in progress have ended, and waits for the state file's writes. */
  async close(): Promise<void> {
    await this.#listener?.shutdown();
    await this.#writes;
  }

  /** Same as {@linkcode StorageCommitmentScu.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #wait(
    transactionUid: string,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    ended?: Promise<unknown>,
  ): Promise<CommitmentResult> {
    const { promise, resolve, reject } = Promise.withResolvers<CommitmentResult>();
    let waiters = this.#waiters.get(transactionUid);
    if (!waiters) this.#waiters.set(transactionUid, waiters = new Set());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      clearTimeout(timer);
      waiters.delete(resolve);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      finish();
      reject(signal!.reason);
    };
    waiters.add(resolve);
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        finish();
        reject(new CommitmentTimeoutError(transactionUid, timeout));
      }, timeout);
    }
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    ended?.then(() => {
      finish();
      reject(new DicomError("The association ended before the report"));
    });
    return promise.finally(finish);
  }

  // PS3.4 J.3.3.1.3: the SCU answers the N-EVENT-REPORT with the status
  // that applies; the result is recorded before success is answered.
  async #onReport(request: NRequest<"N-EVENT-REPORT-RQ">): Promise<NResponse> {
    const from = request.channel.association.callingAeTitle;
    const eventTypeId = request.command.eventTypeId;
    if (
      eventTypeId !== COMMITMENT_EVENT_TYPE.ALL_COMMITTED &&
      eventTypeId !== COMMITMENT_EVENT_TYPE.FAILURES_EXIST
    ) {
      this.#warn(`N-EVENT-REPORT from ${from}: no such event type ${eventTypeId}`);
      return { status: STATUS.NO_SUCH_EVENT_TYPE };
    }
    if (request.sopInstanceUid !== Uid.StorageCommitmentPushModelInstance) {
      return { status: STATUS.NO_SUCH_SOP_INSTANCE };
    }
    if (request.dataset === undefined) {
      return { status: STATUS.NO_SUCH_ARGUMENT, errorComment: "No Event Information" };
    }
    let report: CommitmentReport;
    try {
      report = decodeCommitmentReport(request.dataset);
    } catch (e) {
      if (!(e instanceof CommitmentInformationError)) throw e;
      this.#warn(`N-EVENT-REPORT from ${from}: ${e.message}`);
      return { status: e.status, errorComment: e.message };
    }
    const uid = report.transactionUid;
    if (this.#results.has(uid)) return { status: STATUS.SUCCESS }; // delivered twice
    const pending = this.#pending.get(uid);
    if (pending === undefined) {
      // An argument value this SCU cannot act on: 0115 (PS3.7 C.5.x).
      this.#warn(`N-EVENT-REPORT from ${from} for unknown transaction ${uid}`);
      return {
        status: STATUS.INVALID_ARGUMENT_VALUE,
        errorComment: "Unknown Transaction UID",
      };
    }
    const result = this.#resolve(pending, report, request.channel.association.role, from);
    await this.#append({ result });
    this.#pending.delete(uid);
    this.#keep(result);
    for (const waiter of this.#waiters.get(uid) ?? []) waiter(result);
    this.#waiters.delete(uid);
    this.#options.onResult?.(result);
    return { status: STATUS.SUCCESS };
  }

  #resolve(
    pending: PendingCommitment,
    report: CommitmentReport,
    role: "requestor" | "acceptor",
    from: string,
  ): CommitmentResult {
    // By class and instance: one instance UID may be referenced under two classes.
    const key = (r: SopReference) => `${r.sopClassUid}\\${r.sopInstanceUid}`;
    const committed = new Set(report.committed.map(key));
    const failed = new Map(report.failed.map((r) => [key(r), r.failureReason]));
    let count = 0;
    const instances = pending.references.map((r): CommitmentInstanceResult => {
      const reason = failed.get(key(r));
      if (reason !== undefined) return { ...r, committed: false, failureReason: reason };
      if (committed.has(key(r))) {
        count++;
        return { ...r, committed: true };
      }
      // PS3.4 J.3.3.1.2: every requested instance must be in the report.
      this.#warn(`${from}'s report of ${pending.transactionUid} leaves out ${r.sopInstanceUid}`);
      return { ...r, committed: false };
    });
    return {
      transactionUid: pending.transactionUid,
      instances,
      committed: count,
      failed: instances.length - count,
      via: role === "acceptor" ? "new-association" : "same-association",
      receivedAt: new Date().toISOString(),
    };
  }

  #warn(message: string): void {
    this.#options.onWarning?.(message);
  }

  /** Keeps a result, forgetting the oldest beyond `maxResults`. */
  #keep(result: CommitmentResult): void {
    this.#results.delete(result.transactionUid);
    this.#results.set(result.transactionUid, result);
    const max = this.#options.maxResults ?? 10000;
    for (const uid of this.#results.keys()) {
      if (this.#results.size <= max) break;
      this.#results.delete(uid);
    }
  }

  /** Appends a line to the state file and flushes it, in order. */
  #append(line: StateLine): Promise<void> {
    const dir = this.#options.stateDirectory;
    if (dir === undefined) return Promise.resolve();
    const write = this.#writes.then(async () => {
      using file = await Deno.open(`${dir}/${STATE_FILE}`, { append: true, create: true });
      const bytes = new TextEncoder().encode(`${JSON.stringify(line)}\n`);
      let n = 0;
      while (n < bytes.length) n += await file.write(bytes.subarray(n));
      await file.sync();
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  /** Rewrites the state file with only the pending transactions and the results. */
  async #compact(): Promise<void> {
    const dir = this.#options.stateDirectory;
    if (dir === undefined) return;
    const lines = [
      ...[...this.#results.values()].map((result) => JSON.stringify({ result })),
      ...[...this.#pending.values()].map((pending) => JSON.stringify({ pending })),
    ];
    const path = `${dir}/${STATE_FILE}`;
    const temp = `${path}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(temp, lines.map((l) => `${l}\n`).join(""));
    using file = await Deno.open(temp, { read: true });
    await file.sync();
    await Deno.rename(temp, path);
  }
}
