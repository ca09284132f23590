/**
 * `retrieve()` by C-MOVE: a Storage SCP started for the call receives the
 * objects, with our AE title as the move destination, and the errors a peer
 * that cannot reach us produces are explained.
 *
 * @module
 */
import type { Identifier } from "../dataset/mod.ts";
import { DimseStatusError, STATUS } from "../dimse/mod.ts";
import { RETIRED_STORAGE_SOP_CLASSES, STORAGE_SOP_CLASSES } from "../dictionary/mod.ts";
// Each from its own file, not service/mod.ts: `dcm move --dir` loads no more
// than it uses (issue 13: startup time of each process).
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from "../service/accepted_syntaxes.ts";
import { ServiceProvider } from "../service/service_provider.ts";
import { DEFAULT_STORAGE_TRANSFER_SYNTAXES, StoreService } from "../service/store_service.ts";
import { receivingTarget } from "./_receiving.ts";
import type { MoveOptions, RetrieveOptions } from "./query_retrieve_options.ts";
import type { RetrieveOperation, RetrieveProgress, RetrieveResult } from "./retrieve_operation.ts";

/** What {@linkcode retrieveByMove} needs of the SCU. */
export interface _MovingScu {
  readonly aeTitle: string;
  move(query: Identifier, options: MoveOptions): RetrieveOperation;
}

/**
 * Moves what `query` matches to a Storage SCP started here (on
 * `options.listenHostname`/`listenPort`) and returns once every object is
 * stored, flushed to the disk as `options.durable` says.
 *
 * @throws {DimseStatusError} saying how to fix it when the peer does not
 * know our AE title (A801) or could not reach us (A702, or every sub-operation failed).
 */
export async function retrieveByMove(
  scu: _MovingScu,
  query: Identifier,
  options: RetrieveOptions,
  progress: (p: RetrieveProgress) => void,
): Promise<RetrieveResult> {
  const received: string[] = [];
  // A Storage SCP of our own for the call: the move destination.
  await using storage = new StoreService(receivingTarget(options, received));
  // As stored (the default): the archive's own order, which puts the syntax it
  // holds an object in first, decides (issue 12): DCMTK's dcmqrscp proposes
  // [JPEG Baseline, Explicit VR LE, ...] in one context and cannot decompress.
  // Uncompressed: the archive must decompress.
  const prefer = options.transferSyntaxes ? undefined : options.prefer ?? "stored";
  const transferSyntaxes = options.transferSyntaxes ??
    (prefer === "uncompressed"
      ? UNCOMPRESSED_TRANSFER_SYNTAXES
      : DEFAULT_STORAGE_TRANSFER_SYNTAXES);
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [...STORAGE_SOP_CLASSES, ...RETIRED_STORAGE_SOP_CLASSES].map((
      abstractSyntax,
    ) => ({
      abstractSyntax,
      transferSyntaxes,
      ...(prefer === "stored" ? { proposerOrder: true } : {}),
    })),
    handlers: { "C-STORE-RQ": storage.handler },
  }, {
    hostname: options.listenHostname ?? "0.0.0.0",
    port: options.listenPort ?? 0,
    aeTitle: scu.aeTitle,
  });
  let result: RetrieveResult;
  try {
    const op = scu.move(query, {
      destination: scu.aeTitle,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const p of op) progress(p);
    result = await op;
    // Every file answered stored is on the disk before the operation ends.
    await storage.flush();
  } catch (e) {
    if (e instanceof DimseStatusError && e.status === STATUS.MOVE_DESTINATION_UNKNOWN) {
      throw new DimseStatusError("C-MOVE", e.status, {
        errorComment:
          `the peer does not know AE ${scu.aeTitle}: add it as a move destination at port ${scp.port} of this host`,
        cause: e,
      });
    }
    if (
      e instanceof DimseStatusError && e.status === STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS &&
      received.length === 0
    ) {
      // PS3.4 C.4.2.1.5: the peer could not perform the sub-operations, which for a
      // destination it knows mostly means it could not connect to it.
      throw new DimseStatusError("C-MOVE", e.status, {
        errorComment: `${
          e.errorComment ? `${e.errorComment}; ` : ""
        }can the peer reach ${scu.aeTitle} at port ${scp.port} of this host?`,
        cause: e,
      });
    }
    throw e;
  }
  if (result.failed > 0 && result.completed === 0 && received.length === 0) {
    throw new DimseStatusError(
      "C-MOVE",
      result.status === 0 ? STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS : result.status,
      {
        errorComment:
          `every sub-operation failed: can the peer reach ${scu.aeTitle} at port ${scp.port} of this host?`,
      },
    );
  }
  return { ...result, received, method: "C-MOVE" };
}
