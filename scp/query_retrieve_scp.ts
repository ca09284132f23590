/**
 * The Query/Retrieve SCP (PS3.4 Annex C) over an embedded {@linkcode Archive}:
 * C-FIND for the Patient Root, Study Root and Patient/Study Only models,
 * C-MOVE to configured destinations and C-GET on the same association, plus
 * C-STORE into the archive.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Association, SupportedAbstractSyntax } from "../association/mod.ts";
import {
  type DataElement,
  Dataset,
  decodeDataset,
  inflateRaw,
  QUERY_MODELS,
  type QueryLevel,
  type QueryModel,
} from "../dataset/mod.ts";
import { transferSyntaxInfo } from "../dictionary/mod.ts";
import {
  type IncomingRequest,
  type RequestContext,
  type RequestHandler,
  STATUS,
  statusCategory,
} from "../dimse/mod.ts";
import {
  type Archive,
  type ArchivedInstance,
  levelDepth,
  levelOf,
  matches,
  MatchingKeyError,
  UNIQUE_KEYS,
  validateQuery,
} from "../archive/mod.ts";
import { store } from "../scu/store.ts";
import { prepareObject } from "../scu/_send_object.ts";
import { ServiceProvider, type ServiceProviderOptions } from "./service_provider.ts";
import { createStoreHandler } from "./store_handler.ts";
import { DEFAULT_STORAGE_TRANSFER_SYNTAXES } from "./storage_scp.ts";
import { RETIRED_STORAGE_SOP_CLASSES, STORAGE_SOP_CLASSES } from "../dictionary/mod.ts";

/** A C-MOVE destination: where the AE title of a Move Destination lives. */
export interface MoveDestination {
  /** Host name or address. */
  readonly hostname: string;
  /** TCP port. */
  readonly port: number;
}

/** Options of {@linkcode QueryRetrieveScp}. */
export interface QueryRetrieveScpOptions extends ServiceProviderOptions {
  /** The archive to answer from (and to store into). */
  archive: Archive;
  /** C-MOVE destinations by AE title; an unknown one is answered A801. */
  destinations?: Readonly<Record<string, MoveDestination>>;
  /**
   * Folder where C-STORE objects sent to this SCP are written and indexed;
   * without it, C-STORE is not offered.
   */
  directory?: string;
  /**
   * Concurrent associations a C-MOVE uses to send its sub-operations.
   *
   * @default {1}
   */
  moveParallelism?: number;
  /** Called for each C-STORE received and indexed. */
  onStored?: (instance: ArchivedInstance) => void;
}

const LEVEL = 0x00080052;
const SPECIFIC_CHARACTER_SET = 0x00080005;
const RETRIEVE_AE_TITLE = 0x00080054;
const FAILED_SOP_INSTANCE_UID_LIST = 0x00080058;
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const IMPLICIT_LE = "1.2.840.10008.1.2";

/** SOP Instance UID and Instance Number: the IMAGE level keys (PS3.4 Table C.6-4). */
const IMAGE_KEYS: ReadonlySet<number> = new Set([UNIQUE_KEYS.IMAGE, 0x00200013]);

/** Every Q/R SOP class with its model and operation. */
const QR_CLASSES = new Map<string, { model: QueryModel; operation: "find" | "move" | "get" }>();
for (
  const [model, info] of Object.entries(QUERY_MODELS) as [
    QueryModel,
    typeof QUERY_MODELS[QueryModel],
  ][]
) {
  for (const operation of ["find", "move", "get"] as const) {
    QR_CLASSES.set(info[operation], { model, operation });
  }
}

/** Transfer syntaxes of the storage contexts, most preferred first. */
const GET_TRANSFER_SYNTAXES: readonly string[] = [
  "1.2.840.10008.1.2.1",
  "1.2.840.10008.1.2",
  ...DEFAULT_STORAGE_TRANSFER_SYNTAXES.filter((t) =>
    t !== "1.2.840.10008.1.2.1" && t !== "1.2.840.10008.1.2"
  ),
];

/** A failure the handlers answer with a status instead of a pending stream. */
class QueryFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readIdentifier(request: IncomingRequest): Promise<Dataset> {
  if (!request.dataset) {
    throw new QueryFailure(STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, "No identifier");
  }
  let bytes: Uint8Array = new Uint8Array(await new Response(request.dataset).arrayBuffer());
  if (transferSyntaxInfo(request.transferSyntax)?.deflated) bytes = await inflateRaw(bytes);
  try {
    return decodeDataset(bytes, {
      transferSyntax: transferSyntaxInfo(request.transferSyntax)?.deflated
        ? EXPLICIT_LE
        : request.transferSyntax,
    });
  } catch (e) {
    throw new QueryFailure(
      STATUS.CANNOT_UNDERSTAND,
      `Cannot decode the identifier: ${(e as Error).message}`,
    );
  }
}

/** Checks the level and the keys of an identifier against the model (PS3.4 §C.4.1.2.1, §C.6). */
function checkIdentifier(model: QueryModel, identifier: Dataset, relational: boolean): QueryLevel {
  const level = identifier.string(LEVEL);
  const levels = QUERY_MODELS[model].levels as readonly string[];
  if (level === undefined || !levels.includes(level)) {
    throw new QueryFailure(
      STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
      `Query/Retrieve Level "${level ?? ""}" is not one of ${levels.join(", ")}`,
    );
  }
  const depth = levelDepth(level as QueryLevel);
  if (!relational) {
    for (const el of identifier) {
      const l = levelOf(el.tag);
      // Keys below the query level are not allowed in a hierarchical query
      // (PS3.4 §C.4.1.3.1). Attributes we do not know count as instance
      // attributes; of those, only the IMAGE level keys of Table C.6-4 that
      // no other level has are refused, so unknown keys stay return keys.
      if (l === "IMAGE" && !IMAGE_KEYS.has(el.tag)) continue;
      if (levelDepth(l) > depth) {
        throw new QueryFailure(
          STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
          `A ${l} level key is below the ${level} level`,
        );
      }
    }
  }
  try {
    validateQuery(identifier);
  } catch (e) {
    if (e instanceof MatchingKeyError) throw new QueryFailure(STATUS.CANNOT_UNDERSTAND, e.message);
    throw e;
  }
  return level as QueryLevel;
}

/** The UID (or patient ID) lists that narrow the search before matching. */
function uniqueKeys(identifier: Dataset): Partial<Record<QueryLevel, string[]>> {
  const out: Partial<Record<QueryLevel, string[]>> = {};
  for (const level of ["PATIENT", "STUDY", "SERIES", "IMAGE"] as const) {
    const values = identifier.strings(UNIQUE_KEYS[level]).filter((v) => v !== "");
    if (values.length > 0 && !values.some((v) => /[*?]/.test(v))) out[level] = values;
  }
  return out;
}

function isRelational(association: Association, sopClass: string): boolean {
  const answer = association.sopClassExtendedNegotiations.find((n) => n.sopClassUid === sopClass);
  return answer?.serviceClassApplicationInformation[0] === 1;
}

/** Builds a response identifier: each requested key from the record, or empty (PS3.4 §C.4.1.1.3.2). */
function responseFor(query: Dataset, record: Dataset, level: QueryLevel, aeTitle: string): Dataset {
  const out = new Dataset();
  const charset = record.get(SPECIFIC_CHARACTER_SET);
  if (charset) out.setElement(charset);
  for (const key of query) {
    if (key.tag === SPECIFIC_CHARACTER_SET || (key.tag & 0xffff) === 0) continue;
    if (key.tag === LEVEL) {
      out.set(LEVEL, level, "CS");
      continue;
    }
    if (key.tag === RETRIEVE_AE_TITLE) {
      out.set(RETRIEVE_AE_TITLE, aeTitle, "AE");
      continue;
    }
    const have: DataElement | undefined = record.get(key.tag);
    if (have) out.setElement(have);
    else if (key.kind === "sequence") out.set(key.tag, [], "SQ");
    else out.set(key.tag, null, key.vr);
  }
  return out;
}

function isDerived(tag: number): boolean {
  return tag >>> 16 === 0x0020 && (tag & 0xffff) >= 0x1200 && (tag & 0xffff) <= 0x1209 ||
    tag === 0x00080061 || tag === 0x00080062;
}

/**
 * Splits a relational query's keys (PS3.4 §C.4.1.2.2.2) into those of the
 * query level and above, and the matching keys of the levels below with the
 * deepest of those levels (`undefined` when there are none).
 */
function splitRelational(
  identifier: Dataset,
  level: QueryLevel,
): { here: Dataset; below: Dataset; deepest: QueryLevel | undefined } {
  const here = new Dataset();
  const below = new Dataset();
  let deepest: QueryLevel | undefined;
  for (const el of identifier) {
    const l = levelOf(el.tag);
    const emptyKey = el.kind !== "sequence" && identifier.strings(el.tag).every((v) => v === "");
    if (levelDepth(l) <= levelDepth(level) || emptyKey || isDerived(el.tag)) {
      here.setElement(el);
      continue;
    }
    below.setElement(el);
    if (deepest === undefined || levelDepth(l) > levelDepth(deepest)) deepest = l;
  }
  return { here, below, deepest };
}

/**
 * Finds the records an identifier matches, lazily. In a relational query,
 * a record matches keys of lower levels when one of the entities below it
 * does (PS3.4 §C.4.1.2.2.2).
 */
function* search(
  archive: Archive,
  identifier: Dataset,
  level: QueryLevel,
  relational = false,
): Generator<{ dataset: Dataset; key: number }> {
  const derivedWanted = [...identifier].some((el) => isDerived(el.tag));
  const { here, below, deepest } = relational
    ? splitRelational(identifier, level)
    : { here: identifier, below: undefined, deepest: undefined };
  for (const record of archive.records(level, uniqueKeys(identifier))) {
    if (derivedWanted) {
      for (const el of archive.derived(level, record.key)) record.dataset.setElement(el);
    }
    if (!matches(here, record.dataset)) continue;
    if (deepest !== undefined && below !== undefined) {
      // The record's own unique key (and those above it) narrow the entities below.
      const narrow: Partial<Record<QueryLevel, string[]>> = { ...uniqueKeys(below) };
      for (const l of ["PATIENT", "STUDY", "SERIES"] as const) {
        if (levelDepth(l) > levelDepth(level)) break;
        const v = record.dataset.string(UNIQUE_KEYS[l]);
        if (v !== undefined) narrow[l] = [v];
      }
      let found = false;
      for (const child of archive.records(deepest, narrow)) {
        if (matches(below, child.dataset)) {
          found = true;
          break;
        }
      }
      if (!found) continue;
    }
    yield record;
  }
}

/**
 * A Query/Retrieve SCP over an archive. It listens once constructed.
 *
 * @example Serve an in-memory archive on an ephemeral port
 * ```ts
 * import { QueryRetrieveScp } from "./mod.ts";
 * import { Archive } from "../archive/mod.ts";
 * using archive = Archive.open();
 * await using scp = new QueryRetrieveScp({ hostname: "127.0.0.1", port: 0, archive });
 * console.log(scp.port > 0); // true
 * ```
 */
export class QueryRetrieveScp extends ServiceProvider {
  /** Starts listening. */
  constructor(options: QueryRetrieveScpOptions) {
    const archive = options.archive;
    const aeTitle = options.aeTitle ?? "DCMNET";
    const destinations = options.destinations ?? {};
    const transferSyntaxes = [
      EXPLICIT_LE,
      IMPLICIT_LE,
      "1.2.840.10008.1.2.1.99",
      "1.2.840.10008.1.2.2",
    ];

    const answer = async (
      request: IncomingRequest,
      context: RequestContext,
      run: (identifier: Dataset, level: QueryLevel, model: QueryModel) => Promise<void>,
    ) => {
      const { model } = QR_CLASSES.get(request.abstractSyntax)!;
      try {
        const identifier = await readIdentifier(request);
        const relational = isRelational(context.channel.association, request.abstractSyntax);
        const level = checkIdentifier(model, identifier, relational);
        await run(identifier, level, model);
      } catch (e) {
        if (!(e instanceof QueryFailure)) throw e;
        await context.respond({ status: e.status, errorComment: e.message.slice(0, 64) });
      }
    };

    const find: RequestHandler = (request, context) =>
      answer(request, context, async (identifier, level) => {
        const relational = isRelational(context.channel.association, request.abstractSyntax);
        for (const record of search(archive, identifier, level, relational)) {
          // Sending resolves without an event loop turn, so without this the
          // association's reader would not see a C-CANCEL until the socket
          // buffer fills (thousands of responses later).
          await new Promise((resolve) => setImmediate(resolve));
          if (context.signal.aborted) return context.respond({ status: STATUS.CANCEL });
          await context.respond(
            { status: STATUS.PENDING },
            responseFor(identifier, record.dataset, level, aeTitle),
          );
        }
        await context.respond({ status: STATUS.SUCCESS });
      });

    const instancesFor = (identifier: Dataset, level: QueryLevel): ArchivedInstance[] => {
      const seen = new Set<string>();
      const out: ArchivedInstance[] = [];
      for (const record of search(archive, identifier, level)) {
        for (const i of archive.instances(level, record.key)) {
          if (!seen.has(i.sopInstanceUid)) {
            seen.add(i.sopInstanceUid);
            out.push(i);
          }
        }
      }
      return out;
    };

    const finish = async (
      context: RequestContext,
      counts: { completed: number; failed: number; warning: number; remaining: number },
      failedUids: string[],
    ) => {
      const cancelled = context.signal.aborted;
      // PS3.4 C.4.2.3.1, C.4.3.3.1: Success when every sub-operation
      // succeeded, Failure when every one failed, Warning otherwise.
      const allFailed = counts.failed > 0 && counts.completed === 0 && counts.warning === 0;
      const status = cancelled
        ? STATUS.CANCEL
        : allFailed
        ? STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS
        : counts.failed > 0 || counts.warning > 0
        ? STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES
        : STATUS.SUCCESS;
      const fields = {
        status,
        completed: counts.completed,
        failed: counts.failed,
        warning: counts.warning,
        ...(cancelled ? { remaining: counts.remaining } : {}),
      };
      const identifier = failedUids.length > 0
        ? new Dataset().set(FAILED_SOP_INSTANCE_UID_LIST, failedUids, "UI")
        : undefined;
      await context.respond(fields, identifier);
    };

    const move: RequestHandler = (request, context) =>
      answer(request, context, async (identifier, level) => {
        const destinationAe = request.command.moveDestination!;
        const destination = destinations[destinationAe];
        if (!destination) {
          throw new QueryFailure(
            STATUS.MOVE_DESTINATION_UNKNOWN,
            `Unknown move destination ${destinationAe}`,
          );
        }
        const instances = instancesFor(identifier, level);
        const counts = { completed: 0, failed: 0, warning: 0, remaining: instances.length };
        const failedUids: string[] = [];
        const parallel = Math.max(1, options.moveParallelism ?? 1);
        const chunks: ArchivedInstance[][] = Array.from({
          length: Math.min(parallel, instances.length),
        }, () => []);
        instances.forEach((inst, i) => chunks[i % chunks.length]!.push(inst));
        let pending = Promise.resolve();
        const association = context.channel.association;
        const reported = new Set<string>();
        const results = await Promise.allSettled(
          chunks.map((chunk) =>
            store(destination.hostname, destination.port, chunk.map((i) => i.path), {
              callingAeTitle: aeTitle,
              calledAeTitle: destinationAe,
              signal: context.signal,
              moveOriginator: {
                aeTitle: association.callingAeTitle,
                messageId: request.command.messageId!,
              },
              onResult: (r, index) => {
                const uid = chunk[index]!.sopInstanceUid;
                reported.add(uid);
                counts.remaining--;
                if (r.error) {
                  counts.failed++;
                  failedUids.push(uid);
                } else if (statusCategory(r.status ?? 0) === "warning") counts.warning++;
                else counts.completed++;
                const snapshot = { ...counts };
                pending = pending.then(() =>
                  context.signal.aborted
                    ? undefined
                    : context.respond({ status: STATUS.PENDING, ...snapshot })
                ).catch(() => {});
              },
            })
          ),
        );
        await pending;
        const failure = results.find((r) => r.status === "rejected") as
          | PromiseRejectedResult
          | undefined;
        if (failure && !context.signal.aborted) {
          // Sub-operations an association that failed never reached count as failed.
          for (const inst of instances) {
            if (reported.has(inst.sopInstanceUid)) continue;
            counts.failed++;
            counts.remaining--;
            failedUids.push(inst.sopInstanceUid);
          }
          if (counts.completed === 0 && counts.warning === 0) {
            // The destination could not be reached or refused us (PS3.4 C.4.2.1.5).
            const reason = failure.reason instanceof Error
              ? failure.reason.message
              : String(failure.reason);
            await context.respond({
              status: STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS,
              errorComment: `Cannot reach ${destinationAe}: ${reason}`.slice(0, 64),
              completed: 0,
              failed: counts.failed,
              warning: 0,
            }, new Dataset().set(FAILED_SOP_INSTANCE_UID_LIST, failedUids, "UI"));
            return;
          }
        }
        await finish(context, counts, failedUids);
      });

    const get: RequestHandler = (request, context) =>
      answer(request, context, async (identifier, level) => {
        const instances = instancesFor(identifier, level);
        const counts = { completed: 0, failed: 0, warning: 0, remaining: instances.length };
        const failedUids: string[] = [];
        const channel = context.channel;
        for (const inst of instances) {
          if (context.signal.aborted) break;
          counts.remaining--;
          try {
            // PS3.4 C.4.3.1: sub-operations only on contexts where the SCU took the SCP role.
            const prepared = await prepareObject(channel.association, {
              name: inst.sopInstanceUid,
              sopClassUid: inst.sopClassUid,
              transferSyntax: inst.transferSyntax,
              path: inst.path,
            }, (c) => c.roles.requestor.scp);
            let status = -1;
            for await (
              const r of channel.request(prepared.contextId, {
                type: "C-STORE-RQ",
                hasDataset: true,
                affectedSopClassUid: inst.sopClassUid,
                affectedSopInstanceUid: inst.sopInstanceUid,
                priority: request.command.priority ?? 0,
              }, prepared.data)
            ) status = r.command.status ?? 0;
            const category = statusCategory(status);
            if (category === "failure") throw new Error(`status ${status.toString(16)}`);
            if (category === "warning") counts.warning++;
            else counts.completed++;
          } catch (e) {
            options.onWarning?.(
              `C-GET sub-operation for ${inst.sopInstanceUid} failed: ${
                e instanceof Error ? e.message : e
              }`,
            );
            counts.failed++;
            failedUids.push(inst.sopInstanceUid);
            if (channel.association.state !== "Sta6") return; // the association ended
          }
          if (counts.remaining > 0) await context.respond({ status: STATUS.PENDING, ...counts });
        }
        await finish(context, counts, failedUids);
      });

    const handlers: Record<string, RequestHandler> = {};
    const byOperation = { find, move, get };
    const dispatch = (op: "find" | "move" | "get"): RequestHandler => (request, context) => {
      const cls = QR_CLASSES.get(request.abstractSyntax);
      if (!cls || cls.operation !== op) {
        return context.respond({ status: STATUS.SOP_CLASS_NOT_SUPPORTED });
      }
      return byOperation[op](request, context);
    };
    handlers["C-FIND-RQ"] = dispatch("find");
    handlers["C-MOVE-RQ"] = dispatch("move");
    handlers["C-GET-RQ"] = dispatch("get");

    const storageClasses = [...STORAGE_SOP_CLASSES, ...RETIRED_STORAGE_SOP_CLASSES];
    const supported: SupportedAbstractSyntax[] = [...QR_CLASSES.keys()].map((abstractSyntax) => ({
      abstractSyntax,
      transferSyntaxes,
    }));
    // Storage contexts: for C-GET, where the requestor takes the SCP role
    // (PS3.4 C.4.3.1, role selection), and for C-STORE into the archive.
    for (const abstractSyntax of storageClasses) {
      supported.push({
        abstractSyntax,
        // As a C-GET sender we prefer what needs no conversion of native
        // files; compressed objects still find their own syntax if proposed.
        transferSyntaxes: GET_TRANSFER_SYNTAXES,
        requestorRoles: { scu: options.directory !== undefined, scp: true },
      });
    }
    if (options.directory !== undefined) {
      const directory = options.directory;
      const stores = new WeakMap<object, RequestHandler>();
      handlers["C-STORE-RQ"] = (request, context) => {
        const association = context.channel.association;
        let handler = stores.get(association);
        if (!handler) {
          handler = createStoreHandler({
            directory,
            // Indexed before the success status goes out, so a C-FIND that
            // follows finds it; a failure to index leaves the file safe on
            // disk, to be indexed at the next start.
            onWritten: async (file) => {
              try {
                // Not inside `onStored?.(…)`: an optional call skips its arguments.
                const instance = await archive.ingestFile(file.path);
                options.onStored?.(instance);
              } catch (e) {
                options.onWarning?.(
                  `Cannot index ${file.path}: ${e instanceof Error ? e.message : e}`,
                );
              }
            },
          }, association);
          stores.set(association, handler);
        }
        return handler(request, context);
      };
    }
    super({
      supportedAbstractSyntaxes: supported,
      handlers,
      // Relational queries when asked for (PS3.4 §C.5.1.1): byte 0 = 1.
      extendedNegotiation: (item) =>
        QR_CLASSES.get(item.sopClassUid)?.operation === "find" &&
          item.serviceClassApplicationInformation[0] === 1
          ? new Uint8Array([1])
          : undefined,
    }, options);
  }
}
