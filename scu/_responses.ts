// Reading C-FIND/C-MOVE/C-GET responses: identifiers and sub-operation counts.
import { Tag } from "../dictionary/mod.ts";
import type { Dataset, Identifier } from "../dataset/mod.ts";
import { readIdentifier } from "../service/identifier.ts";
import {
  DEFAULT_MAX_RESPONSE_DATASET_LENGTH,
  type DimseChannel,
  type DimseResponse,
  DimseStatusError,
  formatStatus,
  type RequestToSend,
  STATUS,
  statusCategory,
} from "../dimse/mod.ts";
import type { RetrieveProgress, RetrieveResult } from "./retrieve_operation.ts";

/**
 * The identifier of a response, if it has one: up to 64 MiB inflated, as
 * the channel holds at most that much of a response by default (a deflated
 * one could otherwise inflate without bound).
 */
export function decodeIdentifier(response: DimseResponse): Promise<Dataset | undefined> {
  if (response.dataset === undefined) return Promise.resolve(undefined);
  return readIdentifier(response.dataset, response.transferSyntax, {
    maxLength: Math.max(DEFAULT_MAX_RESPONSE_DATASET_LENGTH, response.dataset.length),
  });
}

/** The sub-operation counts of a C-MOVE or C-GET response (PS3.7 §9.3.3.2, §9.3.4.2). */
export function progressOf(response: DimseResponse<RetrieveRequestType>): RetrieveProgress {
  const c = response.command;
  return {
    status: c.status,
    remaining: c.remaining,
    // Conditional fields: a pending response need not carry them (PS3.4 C.4.2.1.6).
    completed: c.completed ?? 0,
    failed: c.failed ?? 0,
    warning: c.warning ?? 0,
  };
}

/** C-MOVE-RQ or C-GET-RQ. */
export type RetrieveRequestType = "C-MOVE-RQ" | "C-GET-RQ";

/**
 * Sends a C-MOVE or C-GET request and follows its responses: progress for
 * each pending one, C-CANCEL for this request when `signal` aborts, the
 * result with the Failed SOP Instance UID List (PS3.4 C.4.2.1.6,
 * C.4.3.1.6); a failure status throws, a warning goes to `onWarning`.
 */
export async function followRetrieve(
  method: "C-MOVE" | "C-GET",
  channel: DimseChannel,
  contextId: number,
  command: RequestToSend<RetrieveRequestType>,
  query: Identifier,
  signal: AbortSignal | undefined,
  progress: (p: RetrieveProgress) => void,
  received: string[],
  onWarning: ((message: string) => void) | undefined,
): Promise<RetrieveResult> {
  signal?.throwIfAborted();
  const request = channel.request(contextId, command, query);
  const onAbort = () => void request.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let last: RetrieveProgress | undefined;
  let failed: string[] = [];
  let comment: string | undefined;
  try {
    for await (const response of request) {
      last = progressOf(response);
      comment = response.command.errorComment;
      if (statusCategory(last.status) !== "pending") {
        const ds = await decodeIdentifier(response).catch(() => undefined);
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
