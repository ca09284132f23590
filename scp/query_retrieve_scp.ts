/**
 * The Query/Retrieve SCP (PS3.4 Annex C) over an embedded {@linkcode Archive}:
 * C-FIND for the Patient Root, Study Root and Patient/Study Only models,
 * C-MOVE to configured destinations and C-GET on the same association, plus
 * C-STORE into the archive.
 *
 * @module
 */
import type { SupportedAbstractSyntax } from "../association/mod.ts";
import { Dataset, type QueryLevel, type QueryModel } from "../dataset/mod.ts";
import {
  describeStatus,
  type IncomingRequest,
  type RequestContext,
  type RequestHandler,
  STATUS,
  statusCategory,
} from "../dimse/mod.ts";
import type { Archive, ArchivedInstance } from "../archive/mod.ts";
import { type KnownFile, store } from "../scu/store.ts";
import { prepareObject } from "../scu/_send_object.ts";
import { ServiceProvider, type ServiceProviderOptions } from "./service_provider.ts";
import { createStoreHandler } from "./store_handler.ts";
import { RETIRED_STORAGE_SOP_CLASSES, STORAGE_SOP_CLASSES, Uid } from "../dictionary/mod.ts";

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
import {
  checkIdentifier,
  FAILED_SOP_INSTANCE_UID_LIST,
  GET_TRANSFER_SYNTAXES,
  isRelational,
  QR_CLASSES,
  QueryFailure,
  readIdentifier,
  responseFor,
  search,
} from "./_query.ts";

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
      Uid.ExplicitVRLittleEndian,
      Uid.ImplicitVRLittleEndian,
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
      // PS3.4 C.4.2.2.1 and C.4.3.2.1 (how the SCU reads the final status):
      // Success when every sub-operation succeeded; Warning when some
      // succeeded and some failed or warned, or all warned; "Failure or
      // Refused" when all were unsuccessful, for which we send A702 (Refused:
      // Out of Resources, unable to perform sub-operations).
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

    const knownFile = (i: ArchivedInstance): KnownFile => ({
      path: i.path,
      sopClassUid: i.sopClassUid,
      sopInstanceUid: i.sopInstanceUid,
      transferSyntax: i.transferSyntax,
    });

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
            // The archive knows each file's facts: no header is read again.
            store(destination.hostname, destination.port, chunk.map(knownFile), {
              callingAeTitle: aeTitle,
              calledAeTitle: destinationAe,
              signal: context.signal,
              ...(options.events ? { events: options.events } : {}),
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
        // PS3.4 C.4.3.1: sub-operations only on contexts where the SCU took the SCP role.
        const prepare = (inst: ArchivedInstance) => {
          const p = prepareObject(channel.association, {
            name: inst.sopInstanceUid,
            sopClassUid: inst.sopClassUid,
            transferSyntax: inst.transferSyntax,
            path: inst.path,
          }, (c) => c.roles.requestor.scp);
          p.catch(() => {}); // awaited below
          return p;
        };
        let ended = false;
        // The next object is read from disk while the SCU stores the current one.
        let next = instances.length > 0 ? prepare(instances[0]!) : undefined;
        for (const [i, inst] of instances.entries()) {
          if (context.signal.aborted) break;
          counts.remaining--;
          const current = next!;
          next = i + 1 < instances.length ? prepare(instances[i + 1]!) : undefined;
          try {
            const prepared = await current;
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
            if (category === "failure") throw new Error(describeStatus(status));
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
            if (channel.association.state !== "Sta6") {
              ended = true; // the association ended: nobody to answer
              break;
            }
          }
          if (counts.remaining > 0) await context.respond({ status: STATUS.PENDING, ...counts });
        }
        // An object read ahead but not sent (cancelled) still holds its file open.
        const unsent = await next?.catch(() => undefined);
        if (unsent?.data instanceof ReadableStream) await unsent.data.cancel().catch(() => {});
        if (!ended) await finish(context, counts, failedUids);
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
