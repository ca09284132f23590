/**
 * The Query/Retrieve SCU (PS3.4 Annex C): C-FIND as an async iterable of
 * identifiers, C-MOVE and C-GET with sub-operation progress, and
 * `retrieve()`, which uses C-GET when the peer accepts it and otherwise
 * C-MOVE to a Storage SCP it starts on the fly.
 *
 * @module
 */
import { type Association, connect, type ProposedPresentationContext } from "../association/mod.ts";
import {
  type FindModel,
  findSopClassOf,
  Identifier,
  QUERY_MODELS,
  WORKLIST_MODELS,
} from "../dataset/mod.ts";
import { Tag, uidName } from "../dictionary/mod.ts";
import {
  DimseChannel,
  DimseStatusError,
  formatStatus,
  type OutgoingRequest,
  PRIORITY,
  STATUS,
  statusCategory,
} from "../dimse/mod.ts";
// Each from its own file, not service/mod.ts: `dcm find` and `dcm move`
// load no store path (the receiving side is imported when get() or
// retrieve() runs), which is startup time of each `dcm` process (issue 13).
import {
  PROPOSED_TRANSFER_SYNTAXES,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from "../service/accepted_syntaxes.ts";
import { isRelational } from "../service/identifier.ts";
import { connectOptionsFor } from "../service/scu_options.ts";
import { receivingTarget } from "./_receiving.ts";
import type {
  FindOptions,
  GetOptions,
  MoveOptions,
  QueryRetrieveScuOptions,
  RetrieveOptions,
} from "./query_retrieve_options.ts";
import { decodeIdentifier, followRetrieve } from "./_responses.ts";
import { findNeededClasses, type NeededClasses, type NeededInstance } from "./_needed_classes.ts";
import { fallbackStorageClasses } from "./storage_classes.ts";
import { getBatch, type GetPeer, prepareDirectory } from "./_get_batch.ts";
import {
  contextsForClasses,
  LIKELY_STORED_SYNTAXES,
  planRetrieve,
  type RetrieveBatch,
  STORAGE_CONTEXTS_PER_ASSOCIATION,
} from "./_retrieve_plan.ts";
import {
  RetrieveOperation,
  type RetrieveProgress,
  type RetrieveResult,
} from "./retrieve_operation.ts";
import { TooManyResultsError } from "./errors.ts";

/**
 * Responses `find()` reads after its C-CANCEL-RQ before it gives up on the
 * final one and aborts the association: those already on the way are
 * expected (PS3.4 C.4.1.3.3), an endless stream is not.
 *
 * @example
 * ```ts
 * import { MAX_RESPONSES_AFTER_CANCEL } from "./mod.ts";
 * console.log(MAX_RESPONSES_AFTER_CANCEL); // 1000
 * ```
 */
export const MAX_RESPONSES_AFTER_CANCEL = 1000;

const UNCOMPRESSED = PROPOSED_TRANSFER_SYNTAXES;
/** The caller's signal, if any, and the operation's own (a loop over its progress left early). */
function eitherSignal(signal: AbortSignal | undefined, stop: AbortSignal): AbortSignal {
  return signal ? AbortSignal.any([signal, stop]) : stop;
}

interface Pooled {
  association: Association;
  channel: DimseChannel;
  busy: boolean;
  /** Query models already checked for relational queries on this association. */
  relationalChecked?: Set<string>;
}

/**
 * A Query/Retrieve SCU for one peer. Associations are opened on demand and
 * reused; an operation started while another runs (a `move()` inside a
 * `for await` over `find()`) gets an association of its own, since the
 * default asynchronous operations window allows one operation at a time.
 *
 * @example Find a patient's studies and move each to a Storage SCP (DeCaMino's pattern)
 * ```ts ignore
 * import { Identifier, Tag } from "../dataset/mod.ts";
 * import { QueryRetrieveScu } from "./mod.ts";
 * await using scu = new QueryRetrieveScu("pacs.example", 104, { calledAeTitle: "PACS" });
 * const query = new Identifier("STUDY_ROOT", "STUDY").set(Tag.PatientID, "1234").request(Tag.StudyInstanceUID);
 * for await (const study of scu.find(query)) {
 *   const move = new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, study.string(Tag.StudyInstanceUID));
 *   for await (const p of scu.move(move, { destination: "MYSCP" })) console.log(p.completed, p.remaining);
 * }
 * ```
 */
export class QueryRetrieveScu implements AsyncDisposable {
  readonly #hostname: string;
  readonly #port: number;
  readonly #options: QueryRetrieveScuOptions;
  readonly #pool: Pooled[] = [];
  /**
   * Whether the peer's C-FIND was found to answer IMAGE level matches without
   * SOP Class UID: get() then proposes the common classes at once, without
   * walking the hierarchy again to learn nothing (issue 13).
   */
  #findOmitsSopClass = false;

  /** Creates the SCU; nothing is opened until the first operation. */
  constructor(hostname: string, port: number, options: QueryRetrieveScuOptions = {}) {
    this.#hostname = hostname;
    this.#port = port;
    this.#options = options;
  }

  /** Our AE title. */
  get aeTitle(): string {
    return this.#options.callingAeTitle ?? "DCMNET";
  }

  #queryContexts(): ProposedPresentationContext[] {
    const out: ProposedPresentationContext[] = [];
    // C-GET too, without storage contexts: whether the peer accepts it is what
    // retrieve() asks this association (#peerAccepts); get() opens its own.
    for (const info of Object.values(QUERY_MODELS)) {
      for (const uid of [info.find, info.move, info.get]) {
        out.push({ abstractSyntax: uid, transferSyntaxes: UNCOMPRESSED });
      }
    }
    // The worklist models (PS3.4 Annex K), so that find() can ask either kind of peer.
    for (const info of Object.values(WORKLIST_MODELS)) {
      out.push({ abstractSyntax: info.find, transferSyntaxes: UNCOMPRESSED });
    }
    return out;
  }

  #extendedNegotiation() {
    if (!this.#options.relational) return {};
    return {
      sopClassExtendedNegotiations: Object.values(QUERY_MODELS).map((m) => ({
        sopClassUid: m.find,
        serviceClassApplicationInformation: new Uint8Array([1]),
      })),
    };
  }

  /** Takes an idle pooled association for find/move, or opens one. */
  async #acquire(): Promise<Pooled> {
    for (const p of this.#pool) {
      if (!p.busy && p.association.state === "Sta6") {
        p.busy = true;
        return p;
      }
    }
    const association = await connect(this.#hostname, this.#port, {
      ...connectOptionsFor(this.#options, this.#queryContexts()),
      ...this.#extendedNegotiation(),
    });
    const channel = new DimseChannel(association, this.#channelOptions());
    const pooled = { association, channel, busy: true };
    this.#pool.push(pooled);
    association.closed.then(() => {
      const i = this.#pool.indexOf(pooled);
      if (i >= 0) this.#pool.splice(i, 1);
    });
    return pooled;
  }

  /**
   * Asked for relational queries, warns once per association and model when
   * the peer did not grant them (PS3.4 C.5.1.1.1: its answer to our 56H
   * item): the query is then hierarchical, and keys below its level are
   * refused or ignored.
   */
  #checkRelational(pooled: Pooled, sopClass: string): void {
    if (!this.#options.relational) return;
    pooled.relationalChecked ??= new Set();
    if (pooled.relationalChecked.has(sopClass)) return;
    pooled.relationalChecked.add(sopClass);
    if (!isRelational(pooled.association, sopClass)) {
      this.#options.onWarning?.(
        `The peer did not accept relational queries for ${uidName(sopClass)}: ` +
          "queries there are hierarchical",
      );
    }
  }

  #channelOptions() {
    return {
      ...(this.#options.dimseTimeout !== undefined
        ? { dimseTimeout: this.#options.dimseTimeout }
        : {}),
      ...(this.#options.onWarning ? { onWarning: this.#options.onWarning } : {}),
      ...(this.#options.maxResponseLength !== undefined
        ? { maxResponseDatasetLength: this.#options.maxResponseLength }
        : {}),
    };
  }

  #context(association: Association, sopClass: string, what: string): number {
    const ctx = association.findContext(sopClass);
    if (!ctx) {
      throw new DimseStatusError(what, STATUS.SOP_CLASS_NOT_SUPPORTED, {
        errorComment: `the peer refused ${uidName(sopClass)}`,
      });
    }
    return ctx.id;
  }

  /**
   * Sends C-FIND and yields each match as it arrives, in the query's model:
   * a Query/Retrieve model, or the Modality Worklist model (PS3.4 Annex K),
   * whose matches are the scheduled procedure steps. Breaking out of the
   * loop, or aborting `signal`, sends C-CANCEL and waits for the final
   * response, so the association stays usable; a peer that goes on sending
   * matches after it ({@linkcode MAX_RESPONSES_AFTER_CANCEL}) has its
   * association aborted.
   *
   * @throws {DimseStatusError} on a failure status (warnings go to `onWarning`).
   * @throws {TooManyResultsError} on a match past `maxResults` (the query is cancelled).
   */
  async *find<M extends FindModel = FindModel>(
    query: Identifier<M>,
    options: FindOptions = {},
  ): AsyncGenerator<Identifier<M>, void, undefined> {
    options.signal?.throwIfAborted();
    const pooled = await this.#acquire();
    let finished = false;
    let request: OutgoingRequest<"C-FIND-RQ"> | undefined;
    let warnedOptionalKeys = false;
    let matches = 0;
    const maxResults = options.maxResults ?? Infinity;
    const onAbort = () => void request?.cancel().catch(() => {});
    try {
      const sopClass = findSopClassOf(query.model);
      const contextId = this.#context(pooled.association, sopClass, "C-FIND");
      this.#checkRelational(pooled, sopClass);
      request = pooled.channel.request(contextId, {
        type: "C-FIND-RQ",
        hasDataset: true,
        affectedSopClassUid: sopClass,
        priority: options.priority ?? PRIORITY.MEDIUM,
      }, query);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      // Aborted while the association was being opened: cancel at once.
      if (options.signal?.aborted) onAbort();
      for await (const response of request) {
        const status = response.command.status;
        const category = statusCategory(status);
        if (category === "pending") {
          if (status === STATUS.PENDING_WITH_WARNINGS && !warnedOptionalKeys) {
            // PS3.4 C.4.1.1.4: matches go on, but some optional keys were not supported.
            warnedOptionalKeys = true;
            this.#options.onWarning?.(
              "C-FIND pending with warning FF01: the peer does not support one or more optional keys of the query",
            );
          }
          const ds = await decodeIdentifier(response);
          if (ds === undefined) {
            this.#options.onWarning?.("C-FIND pending response without an identifier");
            continue;
          }
          if (options.signal?.aborted) continue; // draining after C-CANCEL
          if (++matches > maxResults) {
            // The finally block below cancels the query and drains it.
            throw new TooManyResultsError(
              `C-FIND returned more than ${maxResults} matches; it was cancelled`,
            );
          }
          yield Identifier.from(query.model, ds);
          continue;
        }
        finished = true;
        if (category === "failure") {
          const { errorComment } = response.command;
          throw new DimseStatusError("C-FIND", status, errorComment ? { errorComment } : {});
        }
        if (category === "warning") {
          this.#options.onWarning?.(`C-FIND ended with warning ${formatStatus(status)}`);
        }
      }
      finished = true;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      if (!finished && request !== undefined) {
        // Broken off by the caller: cancel and drain to the final response (PS3.4 C.4.1.3.3).
        try {
          await request.cancel();
          let left = MAX_RESPONSES_AFTER_CANCEL;
          for await (const _ of request) {
            // A peer that ignores the cancel is not drained forever.
            if (--left < 0) break;
          }
          if (left < 0) {
            this.#options.onWarning?.(
              `C-FIND went on for ${MAX_RESPONSES_AFTER_CANCEL} responses after C-CANCEL-RQ; aborting the association`,
            );
            await pooled.association.abort().catch(() => {});
          }
        } catch {
          await pooled.association.abort().catch(() => {});
        }
      }
      pooled.busy = false;
    }
  }

  /**
   * C-MOVE: the peer sends the matching objects to `destination`. Iterate
   * for progress; await for the result. Nothing is sent until then.
   */
  move(query: Identifier, options: MoveOptions): RetrieveOperation {
    return new RetrieveOperation(async (progress, stop) => {
      const signal = eitherSignal(options.signal, stop);
      signal.throwIfAborted();
      const pooled = await this.#acquire();
      try {
        const sopClass = QUERY_MODELS[query.model].move;
        const contextId = this.#context(pooled.association, sopClass, "C-MOVE");
        return await followRetrieve(
          "C-MOVE",
          pooled.channel,
          contextId,
          {
            type: "C-MOVE-RQ",
            hasDataset: true,
            affectedSopClassUid: sopClass,
            priority: options.priority ?? PRIORITY.MEDIUM,
            moveDestination: options.destination,
          },
          query,
          signal,
          progress,
          [],
          this.#options.onWarning,
        );
      } finally {
        pooled.busy = false;
      }
    });
  }

  /**
   * C-GET: the objects come back on the same association, to `handleObject` or
   * into `directory`. Iterate for progress; await for the result. Nothing is
   * sent until then.
   *
   * The storage contexts (SCP role, PS3.4 C.4.3.1) are learnt from a
   * preliminary C-FIND down to IMAGE level: the SOP classes needed and, where
   * the peer answers Available Transfer Syntax UID (0008,3002), each object's
   * stored syntax. By default (`prefer: "stored"`) each compressed syntax
   * gets a context of its own beside an uncompressed context per class, so
   * the archive can send every object as it is stored (or transcode it onto
   * the uncompressed one). When they do not fit in one association's 128
   * contexts (PS3.8 §9.3.2.2), the objects are fetched in several C-GETs on
   * successive associations, each narrowed to the instances its contexts
   * hold. A peer found to answer IMAGE level matches without SOP Class UID
   * (DCMTK's dcmqrscp keeps none) is not asked again by this SCU: later
   * get()s propose the common classes at once (and warn only the first time).
   */
  get(query: Identifier, options: GetOptions): RetrieveOperation {
    return new RetrieveOperation(async (progress, stop) => {
      if (!options.handleObject && options.directory === undefined) {
        throw new TypeError("get() needs handleObject or directory");
      }
      // Issue 12: a missing folder is created before associating, as `dcm get` does,
      // rather than failing each C-STORE sub-operation with A700.
      if (options.directory !== undefined) await prepareDirectory(options.directory);
      return await this.#get(query, options, progress, stop);
    });
  }

  /** get()'s body, once the caller (get() or retrieve()) has checked the target and its folder. */
  async #get(
    query: Identifier,
    options: GetOptions,
    progress: (p: RetrieveProgress) => void,
    stop: AbortSignal,
  ): Promise<RetrieveResult> {
    // The receiving side, loaded while the C-FIND below runs (issue 13: a
    // `dcm get` process loads it anyway, but need not wait for it first).
    const storeModule = import("../service/store_service.ts");
    storeModule.catch(() => {}); // awaited below; a walk that fails first must not leave it unhandled
    const signal = eitherSignal(options.signal, stop);
    signal.throwIfAborted();
    const prefer = options.prefer ?? "stored";
    const needed: NeededClasses = options.sopClasses
      ? { classes: [...options.sopClasses], guessed: false, instances: [] }
      : this.#findOmitsSopClass
      ? { classes: fallbackStorageClasses([]), guessed: true, instances: [] }
      : await findNeededClasses(
        (q, o) => this.find(q, o),
        query,
        signal,
        this.#options.onWarning,
        // Asking for objects as stored, the classes alone will do when each can
        // have a context per likely stored syntax in one association. Otherwise
        // the instances' syntaxes name the objects the peer cannot send.
        (found) =>
          prefer === "stored" && !options.transferSyntaxes &&
          found.length * (1 + LIKELY_STORED_SYNTAXES.length) <=
            STORAGE_CONTEXTS_PER_ASSOCIATION,
      );
    if (needed.withoutSopClassUid) this.#findOmitsSopClass = true;
    const { classes, guessed, instances } = needed;
    if (classes.length === 0) throw new TypeError("get() needs at least one storage SOP class");
    const uncompressed = options.transferSyntaxes ?? UNCOMPRESSED_TRANSFER_SYNTAXES;
    // Given transferSyntaxes, every storage context proposes them alone (prefer unused).
    const proposing = options.transferSyntaxes ? "uncompressed" : prefer;
    const batches: RetrieveBatch[] = instances.length > 0
      ? planRetrieve(query, instances, proposing, uncompressed)
      : [{ contexts: contextsForClasses(classes, proposing, uncompressed), queries: [query] }];
    // Each instance's class and stored syntax, where the peer told them.
    const stored = new Map<string, NeededInstance>();
    for (const i of instances) {
      const uid = i.keys.string(Tag.SOPInstanceUID);
      if (uid !== undefined && i.transferSyntax !== undefined) stored.set(uid, i);
    }
    const peer: GetPeer = {
      connect: (contexts) =>
        connect(this.#hostname, this.#port, connectOptionsFor(this.#options, contexts)),
      channelOptions: this.#channelOptions(),
      onWarning: this.#options.onWarning,
    };
    const received: string[] = [];
    // Temporary files created ahead (see TempFilePool), removed when done.
    const { StoreService } = await storeModule;
    await using storage = new StoreService(receivingTarget(options, received));
    const total = { completed: 0, failed: 0, warning: 0 };
    const failedUids: string[] = [];
    let last: RetrieveResult | undefined;
    let gets = 0;
    try {
      for (const batch of batches) {
        for (
          const result of await getBatch(peer, batch, storage, {
            guessed,
            stored,
            prefer,
            priority: options.priority ?? PRIORITY.MEDIUM,
            signal,
            received,
            progress: (p) =>
              progress({
                ...p,
                completed: total.completed + p.completed,
                failed: total.failed + p.failed,
                warning: total.warning + p.warning,
              }),
          })
        ) {
          gets++;
          last = result;
          total.completed += result.completed;
          total.failed += result.failed;
          total.warning += result.warning;
          failedUids.push(...result.failedSopInstanceUids);
        }
      }
    } catch (e) {
      // The objects received so far are kept, on the disk; the retrieval's error wins.
      await storage.flush().catch(() => {});
      throw e;
    }
    // Every file answered stored is on the disk before the operation ends.
    await storage.flush();
    if (gets === 1) return last!;
    return {
      status: total.failed > 0 || total.warning > 0
        ? STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES
        : STATUS.SUCCESS,
      remaining: 0,
      ...total,
      failedSopInstanceUids: failedUids,
      received,
      method: "C-GET",
    };
  }

  /**
   * Retrieves the objects a query matches into `directory` (or `handleObject`):
   * by C-GET when the peer accepts it, otherwise by C-MOVE to a Storage SCP
   * started here for the call, with our AE title as the destination
   * (`method` chooses one). Either way it resolves once every object received
   * is on the disk as `durable` says.
   * Iterate for progress; await for the result. Nothing is sent until then.
   *
   * @throws {DimseStatusError} explaining when the peer cannot reach us.
   */
  retrieve(query: Identifier, options: RetrieveOptions): RetrieveOperation {
    return new RetrieveOperation(async (progress, stop) => {
      if (!options.handleObject && options.directory === undefined) {
        throw new TypeError("retrieve() needs handleObject or directory");
      }
      const signal = eitherSignal(options.signal, stop);
      signal.throwIfAborted();
      if (options.directory !== undefined) await prepareDirectory(options.directory);
      const getWorks = options.method === undefined
        ? await this.#peerAccepts(QUERY_MODELS[query.model].get)
        : options.method === "C-GET";
      // #get() joins options.signal and stop itself; the C-MOVE is given them joined.
      if (getWorks) return await this.#get(query, options, progress, stop);
      const { retrieveByMove } = await import("./_retrieve_by_move.ts");
      return await retrieveByMove(this, query, { ...options, signal }, progress);
    });
  }

  /**
   * Whether the peer accepts a context for `sopClass` (a C-GET model): read
   * from a pooled association, which proposes it among the query contexts
   * and which get()'s C-FIND then uses, so retrieve() opens no association
   * of its own to ask (issue 13). A peer that cannot be reached accepts nothing.
   */
  async #peerAccepts(sopClass: string): Promise<boolean> {
    let pooled: Pooled;
    try {
      pooled = await this.#acquire();
    } catch {
      return false;
    }
    const ok = pooled.association.findContext(sopClass) !== undefined;
    pooled.busy = false;
    return ok;
  }

  /** Releases every pooled association. */
  async close(): Promise<void> {
    await Promise.all(
      this.#pool.splice(0).map(async (p) => {
        if (p.association.state === "Sta6") await p.association.release().catch(() => {});
        await p.channel.closed;
      }),
    );
  }

  /** Releases every pooled association. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
