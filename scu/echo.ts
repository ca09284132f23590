/**
 * C-ECHO as an SCU (PS3.4 Annex A, PS3.7 §9.1.5): is the peer there?
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";
import { connect } from "../association/mod.ts";
import { DimseChannel, DimseStatusError, statusCategory } from "../dimse/mod.ts";
import { connectOptionsFor, PROPOSED_TRANSFER_SYNTAXES, type ScuOptions } from "../service/mod.ts";

/** The outcome of {@linkcode echo}. */
export interface EchoResult {
  /** The C-ECHO-RSP status (0000 success). */
  readonly status: number;
  /** Round-trip time of the C-ECHO alone, in milliseconds. */
  readonly milliseconds: number;
}

/**
 * Associates, sends C-ECHO-RQ, releases.
 *
 * @example
 * ```ts ignore
 * import { echo } from "./mod.ts";
 * const { milliseconds } = await echo("127.0.0.1", 104, { calledAeTitle: "ORTHANC" });
 * ```
 *
 * @throws {AssociationRejectedError} when the peer rejects the association.
 * @throws {DimseStatusError} when the peer answers with a failure status.
 */
export async function echo(
  hostname: string,
  port: number,
  options: ScuOptions = {},
): Promise<EchoResult> {
  await using association = await connect(
    hostname,
    port,
    connectOptionsFor(options, [{
      abstractSyntax: Uid.Verification,
      transferSyntaxes: PROPOSED_TRANSFER_SYNTAXES,
    }]),
  );
  const context = association.findContext(Uid.Verification);
  if (!context) {
    throw new DimseStatusError("C-ECHO", 0x0122, { errorComment: "the peer refused Verification" });
  }
  const channel = new DimseChannel(
    association,
    options.dimseTimeout === undefined ? {} : { dimseTimeout: options.dimseTimeout },
  );
  const start = performance.now();
  let status = -1;
  for await (
    const response of channel.request(context.id, {
      type: "C-ECHO-RQ",
      hasDataset: false,
      affectedSopClassUid: Uid.Verification,
    })
  ) {
    status = response.command.status;
  }
  const milliseconds = performance.now() - start;
  if (statusCategory(status) === "failure") throw new DimseStatusError("C-ECHO", status);
  await association.release();
  await channel.closed;
  return { status, milliseconds };
}
