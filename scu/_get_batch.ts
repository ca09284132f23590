// One association of a C-GET (PS3.4 C.4.3): the storage contexts of a
// retrieval batch, its C-GETs, and why objects failed (issue 12); and the
// check of a retrieval's folder before any association.
import type { Association, ProposedPresentationContext } from "../association/mod.ts";
import { isNativeTransferSyntax, QUERY_MODELS } from "../dataset/mod.ts";
import { Uid, uidName } from "../dictionary/mod.ts";
import { DimseChannel, type DimseChannelOptions, DimseStatusError, STATUS } from "../dimse/mod.ts";
import type { StoreService } from "../service/mod.ts";
import type { NeededInstance } from "./_needed_classes.ts";
import type { RetrieveBatch } from "./_retrieve_plan.ts";
import { followRetrieve } from "./_responses.ts";
import { RetrieveDirectoryError } from "./errors.ts";
import type { RetrieveProgress, RetrieveResult } from "./retrieve_operation.ts";

/** The C-GET context's syntaxes. */
const QUERY_TRANSFER_SYNTAXES = [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian];

/** What {@linkcode getBatch} needs of the SCU. */
export interface GetPeer {
  /** Opens an association proposing `contexts`. */
  connect(contexts: ProposedPresentationContext[]): Promise<Association>;
  /** Options of the association's DIMSE channel. */
  readonly channelOptions: DimseChannelOptions;
  /** Receives warnings. */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** A retrieval's state that each of its batches shares. */
export interface GetBatchRun {
  /** Whether the SOP classes were guessed (then refusals are not worth a warning). */
  readonly guessed: boolean;
  /** Instances whose class and stored syntax the peer told, by SOP Instance UID. */
  readonly stored: ReadonlyMap<string, NeededInstance>;
  readonly prefer: "stored" | "uncompressed";
  readonly priority: number;
  readonly signal: AbortSignal;
  /** SOP Instance UIDs received so far. */
  readonly received: string[];
  readonly progress: (p: RetrieveProgress) => void;
}

/**
 * Creates a retrieval's folder if missing and checks that it can be written,
 * before any association (issue 12): a file in its place, or a folder we
 * cannot write, would otherwise fail every sub-operation with A700/A702.
 */
export async function prepareDirectory(directory: string): Promise<void> {
  try {
    await Deno.mkdir(directory, { recursive: true });
  } catch (e) {
    const why = e instanceof Deno.errors.AlreadyExists
      ? "it is a file, not a folder"
      : e instanceof Deno.errors.NotADirectory
      ? "part of its path is a file"
      : `cannot create it (${(e as Error).message})`;
    throw new RetrieveDirectoryError(directory, why, { cause: e });
  }
  // A folder we may not write into (read-only mount, another owner's folder).
  const probe = `${directory}/.dcm-write-check-${crypto.randomUUID()}`;
  try {
    await Deno.writeFile(probe, new Uint8Array(0), { createNew: true });
  } catch (e) {
    throw new RetrieveDirectoryError(directory, `cannot write to it (${(e as Error).message})`, {
      cause: e,
    });
  }
  await Deno.remove(probe).catch(() => {});
}

/** Whether a syntax is native (uncompressed or deflated), which converts to any other such. */
const isNative = isNativeTransferSyntax;

/** Why sub-operations may have failed, from what the peer did not accept. */
function explanation(refused: readonly string[], notAsStored: readonly string[]): string {
  const parts: string[] = [];
  if (refused.length > 0) {
    parts.push(`the peer refused the SCP role for ${refused.map(uidName).join(", ")}`);
  }
  if (notAsStored.length > 0) {
    parts.push(`it accepted no context for ${notAsStored.join(", ")}`);
  }
  return parts.join("; ");
}

/** A C-GET failure with what the peer did not accept added to its comment. */
function explainFailure(
  e: unknown,
  refused: readonly string[],
  notAsStored: readonly string[],
): unknown {
  if (!(e instanceof DimseStatusError) || (refused.length === 0 && notAsStored.length === 0)) {
    return e;
  }
  const why = explanation(refused, notAsStored);
  return new DimseStatusError("C-GET", e.status, {
    errorComment: e.errorComment ? `${e.errorComment}; ${why}` : why,
    cause: e,
  });
}

/**
 * One association of a C-GET: proposes the batch's storage contexts, sends
 * its C-GETs one after the other, and releases it.
 */
export async function getBatch(
  peer: GetPeer,
  batch: RetrieveBatch,
  storage: StoreService,
  run: GetBatchRun,
): Promise<RetrieveResult[]> {
  const getClass = QUERY_MODELS[batch.queries[0]!.model].get;
  const contexts: ProposedPresentationContext[] = [
    { abstractSyntax: getClass, transferSyntaxes: QUERY_TRANSFER_SYNTAXES },
    ...batch.contexts,
  ];
  await using association = await peer.connect(contexts);
  const wanted = [...new Set(batch.contexts.map((c) => c.abstractSyntax))];
  const usable = association.acceptedContexts.filter((a) => a.roles.requestor.scp);
  const refused = wanted.filter((c) => !usable.some((a) => a.abstractSyntax === c));
  if (refused.length === wanted.length) {
    throw new DimseStatusError("C-GET", STATUS.SOP_CLASS_NOT_SUPPORTED, {
      errorComment: `the peer refused the SCP role for every storage class: ${
        refused.map(uidName).join(", ")
      }`,
    });
  }
  if (refused.length > 0 && !run.guessed) {
    peer.onWarning?.(
      `The peer refused the SCP role for ${refused.map(uidName).join(", ")}`,
    );
  }
  // Objects the peer has no context to send as stored (issue 12): it must
  // transcode them, or their sub-operations fail. Say which, by SOP class
  // and transfer syntax. Native data converts to any uncompressed syntax.
  const unsendable = new Set<string>();
  for (const i of run.stored.values()) {
    const ts = i.transferSyntax!;
    if (!wanted.includes(i.sopClassUid) || refused.includes(i.sopClassUid)) continue;
    const ok = usable.some((a) =>
      a.abstractSyntax === i.sopClassUid &&
      (a.transferSyntax === ts || (isNative(ts) && isNative(a.transferSyntax ?? "")))
    );
    if (!ok) unsendable.add(`${uidName(i.sopClassUid)} in ${uidName(ts)}`);
  }
  const notAsStored = [...unsendable];
  if (run.prefer === "stored") {
    if (notAsStored.length > 0) {
      peer.onWarning?.(
        `The peer accepted no context for ${
          notAsStored.join(", ")
        }: those objects arrive transcoded, or their sub-operations fail`,
      );
    }
  }
  const channel = new DimseChannel(association, {
    ...peer.channelOptions,
    handlers: { "C-STORE-RQ": storage.handler },
  });
  const contextId = association.findContext(getClass)?.id;
  if (contextId === undefined) {
    throw new DimseStatusError("C-GET", STATUS.SOP_CLASS_NOT_SUPPORTED, {
      errorComment: `the peer refused ${uidName(getClass)}`,
    });
  }
  const results: RetrieveResult[] = [];
  for (const query of batch.queries) {
    const result = await followRetrieve(
      "C-GET",
      channel,
      contextId,
      {
        type: "C-GET-RQ",
        hasDataset: true,
        affectedSopClassUid: getClass,
        priority: run.priority,
      },
      query,
      run.signal,
      run.progress,
      run.received,
      peer.onWarning,
    ).catch((e) => {
      throw explainFailure(e, refused, notAsStored);
    });
    results.push(result);
    for (const uid of result.failedSopInstanceUids) {
      const i = run.stored.get(uid);
      const what = i && `${uidName(i.sopClassUid)} in ${uidName(i.transferSyntax!)}`;
      if (what && unsendable.has(what)) {
        peer.onWarning?.(
          `C-GET sub-operation for ${uid} failed: the peer accepted no context for ${what}`,
        );
      }
    }
    if (result.failed > 0 && (refused.length > 0 || notAsStored.length > 0)) {
      peer.onWarning?.(
        `${result.failed} sub-operations failed; ${explanation(refused, notAsStored)}`,
      );
    }
  }
  // The peer is let go first, then the channel drains.
  await association.release().then(() => channel.closed);
  return results;
}
