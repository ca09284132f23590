// Reading C-FIND/C-MOVE/C-GET responses: identifiers and sub-operation counts.
import { Tag } from "../dictionary/mod.ts";
import type { Dataset, Identifier } from "../dataset/mod.ts";
import { readIdentifier } from "../service/mod.ts";
import {
  type DimseChannel,
  type DimseResponse,
  DimseStatusError,
  formatStatus,
  STATUS,
  statusCategory,
} from "../dimse/mod.ts";
import type { RetrieveProgress, RetrieveResult } from "./retrieve_operation.ts";

/** The identifier of a response, if it has one. */
export function decodeIdentifier(response: DimseResponse): Promise<Dataset | undefined> {
  if (response.dataset === undefined) return Promise.resolve(undefined);
  return readIdentifier(response.dataset, response.transferSyntax);
}

export function progressOf(response: DimseResponse): RetrieveProgress {
  const c = response.command;
  return {
    status: c.status ?? 0,
    remaining: c.remaining,
    completed: c.completed ?? 0,
    failed: c.failed ?? 0,
    warning: c.warning ?? 0,
  };
}

/**
 * Sends a C-MOVE or C-GET request and follows its responses: progress for
 * each pending one, C-CANCEL when `signal` aborts, the result with the
 * Failed SOP Instance UID List (PS3.4 C.4.2.1.6, C.4.3.1.6); a failure
 * status throws, a warning goes to `onWarning`.
 */
export async function followRetrieve(
  method: "C-MOVE" | "C-GET",
  channel: DimseChannel,
  contextId: number,
  command: Parameters<DimseChannel["request"]>[1],
  query: Identifier,
  signal: AbortSignal | undefined,
  progress: (p: RetrieveProgress) => void,
  received: string[],
  onWarning: ((message: string) => void) | undefined,
): Promise<RetrieveResult> {
  signal?.throwIfAborted();
  const responses = channel.request(contextId, command, query);
  let messageId = 0;
  const onAbort = () => void channel.cancel(contextId, messageId).catch(() => {});
  let last: RetrieveProgress | undefined;
  let failed: string[] = [];
  let comment: string | undefined;
  try {
    for (;;) {
      const next = responses.next();
      if (messageId === 0) {
        messageId = channel.lastMessageId;
        signal?.addEventListener("abort", onAbort, { once: true });
      }
      const r = await next;
      if (r.done) break;
      last = progressOf(r.value);
      comment = r.value.command.errorComment;
      if (statusCategory(last.status) !== "pending") {
        const ds = await decodeIdentifier(r.value).catch(() => undefined);
        failed = ds?.strings(Tag.FailedSOPInstanceUIDList) ?? [];
      }
      if (statusCategory(last.status) !== "failure") progress(last);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (!last) {
    throw new DimseStatusError(method, STATUS.PROCESSING_FAILURE, {
      errorComment: "no response",
    });
  }
  if (statusCategory(last.status) === "failure") {
    throw new DimseStatusError(method, last.status, comment ? { errorComment: comment } : {});
  }
  if (statusCategory(last.status) === "warning") {
    onWarning?.(
      `${method} ended with warning ${formatStatus(last.status)}: ${last.completed} completed, ` +
        `${last.warning} with warnings, ${last.failed} failed` +
        (failed.length > 0 ? ` (${failed.join(", ")})` : "") + (comment ? `: ${comment}` : ""),
    );
  }
  return { ...last, failedSopInstanceUids: failed, received, method };
}
