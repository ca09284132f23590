/**
 * C-GET as a provider (PS3.4 C.4.3) over an {@linkcode Archive}, as one
 * unit: the matching instances go back by C-STORE on the requestor's own
 * association.
 *
 * @module
 */
import type { Archive } from "../archive/mod.ts";
import { describeStatus, type RequestHandler, STATUS, statusCategory } from "../dimse/mod.ts";
import { sendObjects, type Transcoder } from "../service/mod.ts";
import {
  DEFAULT_PENDING_INTERVAL,
  finishRetrieve,
  instancesFor,
  pendingPacer,
  queryHandler,
  subOperationFailure,
} from "./_query.ts";

/** Options of {@linkcode GetService}. */
export interface GetServiceOptions {
  /** Told about each sub-operation that failed. */
  onWarning?: (message: string) => void;
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
   * Milliseconds between pending C-GET responses at most: the first
   * sub-operation's outcome is reported at once, the next ones once this
   * long has passed since the last report (PS3.4 C.4.3.3.1: pending
   * responses are optional). 0 reports every sub-operation.
   *
   * @default {100}
   */
  pendingInterval?: number;
}

/**
 * Answers C-GET requests from an archive: each matching instance is sent by
 * C-STORE on the same association, on a context where the requestor took
 * the SCP role (PS3.4 C.4.3.1), with a pending response after each.
 *
 * @example Answer C-GET on a DIMSE channel of your own
 * ```ts
 * import { GetService } from "./mod.ts";
 * import { Archive } from "../archive/mod.ts";
 *
 * using archive = Archive.open();
 * const get = new GetService(archive);
 * // give get.handler as the "C-GET-RQ" handler of a DimseChannel or ServiceProvider
 * console.log(typeof get.handler); // "function"
 * ```
 */
export class GetService {
  /** The C-GET-RQ handler. */
  readonly handler: RequestHandler<"C-GET-RQ">;

  /**
   * Constructs a new instance.
   *
   * @param archive What to send from.
   * @param options The options.
   */
  constructor(archive: Archive, options: GetServiceOptions = {}) {
    this.handler = queryHandler("get", async (identifier, level, _, request, context) => {
      const instances = instancesFor(archive, identifier, level);
      const counts = { completed: 0, failed: 0, warning: 0, remaining: instances.length };
      const failedUids: string[] = [];
      let reason: string | undefined;
      const channel = context.channel;
      const due = pendingPacer(options.pendingInterval ?? DEFAULT_PENDING_INTERVAL);
      const objects = instances.map((i) => ({
        name: i.sopInstanceUid,
        sopClassUid: i.sopClassUid,
        sopInstanceUid: i.sopInstanceUid,
        transferSyntax: i.transferSyntax,
        path: i.path,
      }));
      for await (
        const [object, sent] of sendObjects(channel, objects, {
          priority: request.command.priority,
          // PS3.4 C.4.3.1: sub-operations only on contexts where the SCU took the SCP role.
          usable: (c) => c.roles.requestor.scp,
          signal: context.signal,
          ...(options.transcoder ? { transcoder: options.transcoder } : {}),
        })
      ) {
        counts.remaining--;
        const category = sent.status === undefined ? "failure" : statusCategory(sent.status);
        if (category === "failure") {
          const why = sent.error?.message ?? describeStatus(sent.status!);
          reason ??= subOperationFailure(sent);
          options.onWarning?.(`C-GET sub-operation for ${object.sopInstanceUid} failed: ${why}`);
          counts.failed++;
          failedUids.push(object.sopInstanceUid);
          // The association ended: nobody to answer.
          if (channel.association.state !== "Sta6") return;
        } else if (category === "warning") counts.warning++;
        else counts.completed++;
        if (counts.remaining > 0 && due()) {
          await context.respond({ status: STATUS.PENDING, ...counts });
        }
      }
      await finishRetrieve(context, counts, failedUids, reason);
    }, options.maxIdentifierLength);
  }
}
