/**
 * The Storage Commitment Push Model SCP as a unit (PS3.4 J.3): it answers
 * N-ACTION Request Storage Commitment at once, checks each referenced
 * instance with the check its provider gives (what is durably stored), and
 * sends the N-EVENT-REPORT on the requesting association while it is open,
 * otherwise on a new association to the requestor's address from an AE
 * table, proposing the SCP role (PS3.4 J.3.3.1.3), retried with back-off.
 * `StorageScp` and `QueryRetrieveScp` plug its `sopClasses` into their
 * {@linkcode NService}.
 *
 * @module
 */
import { connect, type ConnectTlsOptions } from "../association/mod.ts";
import { decodePart10Header } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { DimseChannel, STATUS } from "../dimse/mod.ts";
import {
  COMMITMENT_ACTION_TYPE_REQUEST,
  COMMITMENT_FAILURE_REASON,
  CommitmentInformationError,
  type CommitmentReport,
  decodeCommitmentRequest,
  encodeCommitmentReport,
  type FailedSopReference,
  type SopReference,
} from "./commitment.ts";
import { nEventReport, type NResult } from "./n_services.ts";
import type { NHandlers, NRequest, NResponse } from "./n_service.ts";

/** Where a Storage Commitment requestor is reached for a new association. */
export interface CommitmentRequestor {
  /** Host name or address. */
  readonly hostname: string;
  /** TCP port of its listener. */
  readonly port: number;
  /** Connect over TLS with these options; plain TCP without. */
  readonly tls?: ConnectTlsOptions;
}

/**
 * Decides whether a referenced instance is committed: `undefined` when it
 * is safely stored, else a Failure Reason (PS3.3 C.14.1.1, see
 * {@linkcode COMMITMENT_FAILURE_REASON}). A check that throws fails the
 * instance with 0110 (processing failure).
 */
export type CommitmentCheck = (
  reference: SopReference,
) => number | undefined | Promise<number | undefined>;

/** How a Storage Commitment Result went out, as {@linkcode CommitmentServiceOptions.onReport} is told. */
export interface CommitmentDelivery {
  /** The requestor's AE title (the Calling AE Title of the N-ACTION's association). */
  readonly requestor: string;
  /** What was reported. */
  readonly report: CommitmentReport;
  /** The association it went on, or `"undelivered"` when every attempt failed. */
  readonly via: "same-association" | "new-association" | "undelivered";
  /** The N-EVENT-REPORT-RSP status, when one came. */
  readonly status?: number;
}

/** Options of {@linkcode CommitmentService}. */
export interface CommitmentServiceOptions {
  /**
   * Our AE title: the Calling AE Title of the associations we open to send
   * reports.
   *
   * @default {"DCMNET"}
   */
  aeTitle?: string;
  /**
   * The AE table: where each requestor, by AE title, is reached when the
   * report cannot go on the requesting association. A requestor missing
   * from it gets its report only on the same association.
   */
  requestors?: Readonly<Record<string, CommitmentRequestor>>;
  /**
   * Send the report on the requesting association when it is still open
   * (PS3.4 J.3.3.1.2 Note 1); with `false`, always on a new association.
   *
   * @default {true}
   */
  sameAssociation?: boolean;
  /**
   * Further attempts to open an association to a requestor that could not
   * be reached, each after twice the previous delay.
   *
   * @default {4}
   */
  retries?: number;
  /**
   * Milliseconds before the first retry.
   *
   * @default {1000}
   */
  retryDelay?: number;
  /**
   * Transaction UIDs remembered to detect a request reusing one (answered
   * with failure reason 0131 for every instance).
   *
   * @default {10000}
   */
  rememberedTransactions?: number;
  /** Milliseconds to wait for the TCP connection of a new association. */
  connectTimeout?: number;
  /** Milliseconds to wait for the A-ASSOCIATE answer and the A-RELEASE-RP. */
  associationTimeout?: number;
  /** Milliseconds to wait for the N-EVENT-REPORT-RSP. */
  dimseTimeout?: number;
  /** Milliseconds a PDU may wait for the requestor to read it. */
  writeTimeout?: number;
  /** A notification: told about each report sent, or given up on. */
  onReport?: (delivery: CommitmentDelivery) => void;
  /** Receives what went wrong on the way (an unreachable requestor, a failure status). */
  onWarning?: (message: string) => void;
}

/** The transfer syntaxes proposed for a new association (PS3.5 Implicit VR LE is the default). */
const REPORT_TRANSFER_SYNTAXES = [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian];

/**
 * Statuses with which a requestor says it takes no report on this
 * association, so that a new one is tried.
 */
const NOT_HERE = new Set<number>([STATUS.UNRECOGNIZED_OPERATION, STATUS.SOP_CLASS_NOT_SUPPORTED]);

/**
 * Storage Commitment Push Model SCP (PS3.4 J.3.2.1.3, J.3.3.1.2), checking
 * instances with `check`.
 *
 * @example Serve Storage Commitment from a set of stored instances
 * ```ts
 * import { CommitmentService, NService, ServiceProvider } from "./mod.ts";
 * const stored = new Set(["2.25.1"]);
 * await using commitment = new CommitmentService((ref) =>
 *   stored.has(ref.sopInstanceUid) ? undefined : 0x0112
 * );
 * await using scp = new ServiceProvider(new NService(commitment.sopClasses), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 * });
 * console.log(scp.port > 0); // true
 * ```
 */
export class CommitmentService implements AsyncDisposable {
  /** The N-ACTION handler of the Storage Commitment Push Model SOP class, for an {@linkcode NService}. */
  readonly sopClasses: Readonly<Record<string, NHandlers>>;
  readonly #check: CommitmentCheck;
  readonly #options: CommitmentServiceOptions;
  readonly #closing = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #seen = new Set<string>();

  /**
   * Constructs a new instance.
   *
   * @param check Decides, per referenced instance, whether it is committed.
   * @param options Where requestors are reached, retries, notifications.
   */
  constructor(check: CommitmentCheck, options: CommitmentServiceOptions = {}) {
    this.#check = check;
    this.#options = options;
    this.sopClasses = {
      [Uid.StorageCommitmentPushModel]: {
        "N-ACTION-RQ": (request) => this.#action(request),
      },
    };
  }

  /** Resolves once every report accepted so far was sent or given up on. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops retrying and waits for the reports in progress. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.settled();
  }

  /** Same as {@linkcode CommitmentService.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #warn(message: string): void {
    this.#options.onWarning?.(message);
  }

  // PS3.4 J.3.2.1.3: the N-ACTION-RSP says whether the request is taken;
  // commitment itself is reported by N-EVENT-REPORT.
  #action(request: NRequest<"N-ACTION-RQ">): NResponse {
    if (request.command.actionTypeId !== COMMITMENT_ACTION_TYPE_REQUEST) {
      return { status: STATUS.NO_SUCH_ACTION_TYPE };
    }
    // PS3.4 J.3.2.1.2: the request names the well-known instance (J.3.5).
    if (request.sopInstanceUid !== Uid.StorageCommitmentPushModelInstance) {
      return {
        status: STATUS.NO_SUCH_SOP_INSTANCE,
        errorComment: "Not the well-known Storage Commitment instance",
      };
    }
    if (request.dataset === undefined) {
      return { status: STATUS.NO_SUCH_ARGUMENT, errorComment: "No Action Information" };
    }
    let commitment;
    try {
      commitment = decodeCommitmentRequest(request.dataset);
    } catch (e) {
      if (e instanceof CommitmentInformationError) {
        this.#warn(`N-ACTION from ${request.channel.association.callingAeTitle}: ${e.message}`);
        return { status: e.status, errorComment: e.message };
      }
      throw e;
    }
    const duplicate = this.#seen.has(commitment.transactionUid);
    if (!duplicate) {
      this.#seen.add(commitment.transactionUid);
      const limit = this.#options.rememberedTransactions ?? 10000;
      for (const uid of this.#seen) {
        if (this.#seen.size <= limit) break;
        this.#seen.delete(uid);
      }
    }
    const work = this.#report(request, commitment.transactionUid, commitment.references, duplicate)
      .catch((e) => this.#warn(`Storage commitment ${commitment.transactionUid}: ${e}`))
      .finally(() => this.#inFlight.delete(work));
    this.#inFlight.add(work);
    return { status: STATUS.SUCCESS };
  }

  async #outcome(reference: SopReference): Promise<number | undefined> {
    try {
      return await this.#check(reference);
    } catch (e) {
      this.#warn(`Cannot check ${reference.sopInstanceUid}: ${e instanceof Error ? e.message : e}`);
      return COMMITMENT_FAILURE_REASON.PROCESSING_FAILURE;
    }
  }

  async #report(
    request: NRequest<"N-ACTION-RQ">,
    transactionUid: string,
    references: readonly SopReference[],
    duplicate: boolean,
  ): Promise<void> {
    // Let the N-ACTION-RSP go first: it is sent once the handler returns.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const committed: SopReference[] = [];
    const failed: FailedSopReference[] = [];
    for (const reference of references) {
      // PS3.3 C.14.1.1: a reused Transaction UID fails every instance with 0131.
      const reason = duplicate
        ? COMMITMENT_FAILURE_REASON.DUPLICATE_TRANSACTION_UID
        : await this.#outcome(reference);
      if (reason === undefined) committed.push(reference);
      else failed.push({ ...reference, failureReason: reason });
    }
    const report: CommitmentReport = { transactionUid, committed, failed };
    const association = request.channel.association;
    const requestor = association.callingAeTitle;
    const done = (via: CommitmentDelivery["via"], result?: NResult) => {
      if (result !== undefined && result.status !== STATUS.SUCCESS) {
        this.#warn(
          `${requestor} answered the report of ${transactionUid} with status ${
            result.status.toString(16).padStart(4, "0")
          }`,
        );
      }
      this.#options.onReport?.({
        requestor,
        report,
        via,
        ...(result !== undefined ? { status: result.status } : {}),
      });
    };
    if ((this.#options.sameAssociation ?? true) && association.state === "Sta6") {
      try {
        const result = await this.#send(request.channel, report);
        if (!NOT_HERE.has(result.status)) return done("same-association", result);
      } catch (e) {
        this.#warn(
          `Cannot report ${transactionUid} on ${requestor}'s association: ${
            e instanceof Error ? e.message : e
          }`,
        );
      }
    }
    const address = this.#options.requestors?.[requestor];
    if (address === undefined) {
      this.#warn(`Cannot report ${transactionUid}: ${requestor} is not in the AE table`);
      return done("undelivered");
    }
    const retries = this.#options.retries ?? 4;
    let delay = this.#options.retryDelay ?? 1000;
    for (let attempt = 0;; attempt++) {
      try {
        return done(
          "new-association",
          await this.#sendOnNewAssociation(requestor, address, report),
        );
      } catch (e) {
        this.#warn(
          `Cannot report ${transactionUid} to ${requestor} at ${address.hostname}:${address.port} (attempt ${
            attempt + 1
          } of ${retries + 1}): ${e instanceof Error ? e.message : e}`,
        );
      }
      if (attempt >= retries || this.#closing.signal.aborted) break;
      await this.#sleep(delay);
      delay *= 2;
    }
    done("undelivered");
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#closing.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", stop);
        resolve();
      }, ms);
      const stop = () => {
        clearTimeout(timer);
        resolve();
      };
      signal.addEventListener("abort", stop, { once: true });
    });
  }

  #send(channel: DimseChannel, report: CommitmentReport): Promise<NResult> {
    const { dataset, eventTypeId } = encodeCommitmentReport(report);
    return nEventReport(channel, {
      sopClassUid: Uid.StorageCommitmentPushModel,
      sopInstanceUid: Uid.StorageCommitmentPushModelInstance,
      eventTypeId,
      dataset,
    });
  }

  // PS3.4 J.3.3.1.3 Note: the SCP requests the association proposing the
  // SCP role (SCP/SCU Role Selection, PS3.7 D.3.3.4: SCU-role 0, SCP-role 1).
  async #sendOnNewAssociation(
    requestor: string,
    address: CommitmentRequestor,
    report: CommitmentReport,
  ): Promise<NResult> {
    const o = this.#options;
    await using association = await connect(address.hostname, address.port, {
      presentationContexts: [{
        abstractSyntax: Uid.StorageCommitmentPushModel,
        transferSyntaxes: REPORT_TRANSFER_SYNTAXES,
        roles: { scu: false, scp: true },
      }],
      callingAeTitle: o.aeTitle ?? "DCMNET",
      calledAeTitle: requestor,
      ...(address.tls ? { tls: address.tls } : {}),
      // Shutting down ends an attempt in progress too.
      signal: this.#closing.signal,
      ...(o.connectTimeout !== undefined ? { connectTimeout: o.connectTimeout } : {}),
      ...(o.associationTimeout !== undefined ? { associationTimeout: o.associationTimeout } : {}),
      ...(o.writeTimeout !== undefined ? { writeTimeout: o.writeTimeout } : {}),
    });
    const channel = new DimseChannel(
      association,
      o.dimseTimeout !== undefined ? { dimseTimeout: o.dimseTimeout } : {},
    );
    const result = await this.#send(channel, report);
    await association.release();
    await channel.closed;
    return result;
  }
}

/** Bytes read from the start of a file for its meta information. */
const META_READ_LENGTH = 64 * 1024;

/**
 * Checks a Part 10 file for Storage Commitment: `undefined` when it exists
 * and its meta information names the referenced instance and SOP class,
 * else 0112 (no such object instance) when it is missing or names another
 * instance, 0119 (class/instance conflict) when it holds the instance as
 * another SOP class, 0110 when it cannot be read.
 *
 * @example
 * ```ts
 * import { checkCommittedFile } from "./mod.ts";
 * const reason = await checkCommittedFile("/nonexistent/2.25.1.dcm", {
 *   sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
 *   sopInstanceUid: "2.25.1",
 * });
 * console.log(reason); // 274 (0x0112)
 * ```
 */
export async function checkCommittedFile(
  path: string,
  reference: SopReference,
): Promise<number | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE;
    throw e;
  }
  const buffer = new Uint8Array(META_READ_LENGTH);
  let length = 0;
  try {
    while (length < buffer.length) {
      const n = await file.read(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
  } finally {
    file.close();
  }
  let meta;
  try {
    meta = decodePart10Header(buffer.subarray(0, length)).meta;
  } catch {
    return COMMITMENT_FAILURE_REASON.PROCESSING_FAILURE;
  }
  if (meta.string(Tag.MediaStorageSOPInstanceUID) !== reference.sopInstanceUid) {
    return COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE;
  }
  if (meta.string(Tag.MediaStorageSOPClassUID) !== reference.sopClassUid) {
    return COMMITMENT_FAILURE_REASON.CLASS_INSTANCE_CONFLICT;
  }
  return undefined;
}
