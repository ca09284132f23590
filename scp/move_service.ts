/**
 * C-MOVE as a provider (PS3.4 C.4.2) over an {@linkcode Archive}, as one
 * unit: the matching instances go by C-STORE to the move destination, on
 * associations of their own.
 *
 * @module
 */
import type { ConnectTlsOptions } from "../association/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import type { Archive, ArchivedInstance } from "../archive/mod.ts";
import { Dataset } from "../dataset/mod.ts";
import { type RequestHandler, STATUS, statusCategory } from "../dimse/mod.ts";
import { type KnownFile, store, type Transcoder } from "../service/mod.ts";
import {
  DEFAULT_PENDING_INTERVAL,
  finishRetrieve,
  instancesFor,
  pendingPacer,
  QueryFailure,
  queryHandler,
  subOperationFailure,
} from "./_query.ts";

/** A C-MOVE destination: where the AE title of a Move Destination lives. */
export interface MoveDestination {
  /** Host name or address. */
  readonly hostname: string;
  /** TCP port. */
  readonly port: number;
  /**
   * Send to the destination over TLS (PS3.15 Annex B, BCP 195: TLS 1.2 or
   * later) with these trusted CA certificates and optional client
   * certificate (PEM). Without it the sub-operations use plain TCP.
   */
  readonly tls?: ConnectTlsOptions;
}

/** Options of {@linkcode MoveService}. */
export interface MoveServiceOptions {
  /**
   * Our AE title, the Calling AE Title of the sub-operations' associations.
   *
   * @default {"DCMNET"}
   */
  aeTitle?: string;
  /** C-MOVE destinations by AE title; an unknown one is answered A801. */
  destinations?: Readonly<Record<string, MoveDestination>>;
  /**
   * Concurrent associations a C-MOVE uses to send its sub-operations.
   *
   * @default {1}
   */
  parallelism?: number;
  /**
   * C-STORE sub-operations outstanding at once on each association to the
   * destination: more than 1 proposes an Asynchronous Operations Window
   * (PS3.7 D.3.3.3) with this Maximum Number Operations Invoked, used as
   * far as the destination grants it (DCMTK's `storescp` grants none and
   * gets one at a time). Each outstanding object is held in memory.
   *
   * @default {4}
   */
  maxOperationsInvoked?: number;
  /** Where the events of the sub-operations' associations go. */
  events?: EventTarget;
  /**
   * Milliseconds a PDU to the destination may wait to be read before its
   * association is closed (a destination that stopped reading): the
   * sub-operations not yet done count as failed and the final C-MOVE-RSP
   * lists them (PS3.4 C.4.2.1.4, C.4.2.2.1). 0 for no limit.
   *
   * @default {30000}
   */
  writeTimeout?: number;
  /**
   * Milliseconds the destination may take to answer each C-STORE-RQ before
   * the sub-operations not yet done count as failed.
   *
   * @default {60000}
   */
  dimseTimeout?: number;
  /**
   * The most bytes a request's identifier may have (inflated); a longer one
   * is answered A700 and not read further.
   *
   * @default {DEFAULT_MAX_IDENTIFIER_LENGTH}
   */
  maxIdentifierLength?: number;
  /**
   * Decodes a compressed object for a destination that accepted its SOP
   * class only with uncompressed syntaxes: pass `transcoder` from
   * `@dcm/net/codecs`. Without it such a sub-operation fails.
   */
  transcoder?: Transcoder;
  /**
   * Milliseconds between pending C-MOVE responses at most: the first
   * sub-operation's outcome is reported at once, the next ones once this
   * long has passed since the last report (PS3.4 C.4.2.3.1: pending
   * responses are optional). 0 reports every sub-operation.
   *
   * @default {100}
   */
  pendingInterval?: number;
}

/**
 * The window a C-MOVE proposes to its destination by default: 4 requests
 * outstanding hide most of each round trip. One `movescu` of 40 objects of
 * 132 KB to our Storage SCP granting a window, in a process of its own,
 * alternating rounds: 1.12x with a window of 4 against one request at a
 * time when it discards the objects, 1.50x when it stores them in a folder.
 */
const DEFAULT_OPERATIONS_INVOKED = 4;

const knownFile = (i: ArchivedInstance): KnownFile => ({
  path: i.path,
  sopClassUid: i.sopClassUid,
  sopInstanceUid: i.sopInstanceUid,
  transferSyntax: i.transferSyntax,
});

/**
 * Answers C-MOVE requests from an archive: each matching instance is sent
 * by C-STORE to the destination's address, with a pending response after
 * each; a destination that cannot be reached is answered A702.
 *
 * @example Answer C-MOVE on a DIMSE channel of your own
 * ```ts
 * import { MoveService } from "./mod.ts";
 * import { Archive } from "../archive/mod.ts";
 *
 * using archive = Archive.open();
 * const move = new MoveService(archive, {
 *   destinations: { VIEWER: { hostname: "127.0.0.1", port: 11113 } },
 * });
 * // give move.handler as the "C-MOVE-RQ" handler of a DimseChannel or ServiceProvider
 * console.log(typeof move.handler); // "function"
 * ```
 */
export class MoveService {
  /** The C-MOVE-RQ handler. */
  readonly handler: RequestHandler<"C-MOVE-RQ">;

  /**
   * Constructs a new instance.
   *
   * @param archive What to send from.
   * @param options The options.
   */
  constructor(archive: Archive, options: MoveServiceOptions = {}) {
    const aeTitle = options.aeTitle ?? "DCMNET";
    const destinations = options.destinations ?? {};
    const parallel = Math.max(1, options.parallelism ?? 1);
    this.handler = queryHandler("move", async (identifier, level, _, request, context) => {
      const destinationAe = request.command.moveDestination;
      const destination = destinations[destinationAe];
      if (!destination) {
        throw new QueryFailure(
          STATUS.MOVE_DESTINATION_UNKNOWN,
          `Unknown move destination ${destinationAe}`,
        );
      }
      const instances = instancesFor(archive, identifier, level);
      const counts = { completed: 0, failed: 0, warning: 0, remaining: instances.length };
      const failedUids: string[] = [];
      let reason: string | undefined;
      const chunks: ArchivedInstance[][] = Array.from({
        length: Math.min(parallel, instances.length),
      }, () => []);
      instances.forEach((inst, i) => chunks[i % chunks.length]!.push(inst));
      let pending = Promise.resolve();
      const association = context.channel.association;
      const reported = new Set<string>();
      const allReported = Promise.withResolvers<true>();
      const due = pendingPacer(options.pendingInterval ?? DEFAULT_PENDING_INTERVAL);
      const stores = Promise.allSettled(
        chunks.map((chunk) =>
          // The archive knows each file's facts: no header is read again.
          store(destination.hostname, destination.port, chunk.map(knownFile), {
            callingAeTitle: aeTitle,
            calledAeTitle: destinationAe,
            signal: context.signal,
            ...(destination.tls && { tls: destination.tls }),
            ...(options.writeTimeout !== undefined && { writeTimeout: options.writeTimeout }),
            ...(options.dimseTimeout !== undefined && { dimseTimeout: options.dimseTimeout }),
            ...(options.events ? { events: options.events } : {}),
            ...(options.transcoder ? { transcoder: options.transcoder } : {}),
            maxOperationsInvoked: options.maxOperationsInvoked ?? DEFAULT_OPERATIONS_INVOKED,
            moveOriginator: {
              aeTitle: association.callingAeTitle,
              messageId: request.command.messageId,
            },
            onResult: (r, index) => {
              const uid = chunk[index]!.sopInstanceUid;
              reported.add(uid);
              counts.remaining--;
              if (r.error) {
                reason ??= subOperationFailure(r);
                counts.failed++;
                failedUids.push(uid);
              } else if (statusCategory(r.status ?? 0) === "warning") counts.warning++;
              else counts.completed++;
              if (counts.remaining === 0) {
                // The last one: the final response follows (PS3.4 C.4.2.3.1), no pending one.
                allReported.resolve(true);
                return;
              }
              if (!due()) return;
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
      // Once every sub-operation has its outcome the final response goes at
      // once (PS3.4 C.4.2.3.1: when Remaining reaches zero), while the
      // associations to the destination are being released: it does not
      // wait for their A-RELEASE-RP (issue 13).
      if (await Promise.race([allReported.promise, stores.then(() => false)])) {
        await pending;
        await finishRetrieve(context, counts, failedUids, reason);
        await stores;
        return;
      }
      const results = await stores;
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
          }, new Dataset().set(Tag.FailedSOPInstanceUIDList, failedUids, "UI"));
          return;
        }
      }
      await finishRetrieve(context, counts, failedUids, reason);
    }, options.maxIdentifierLength);
  }
}
