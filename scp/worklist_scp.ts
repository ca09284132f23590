/**
 * The Modality Worklist SCP (PS3.4 Annex K) on `Deno.listen`: a
 * {@linkcode WorklistService} on a listener of its own, answering from a
 * folder of worklist files laid out as DCMTK's `wlmscpfs` keeps them, or
 * from a callback.
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";
import { ServiceProvider, type ServiceProviderOptions } from "../service/mod.ts";
import { WorklistService, type WorklistServiceOptions } from "./worklist_service.ts";

/** Options of {@linkcode WorklistScp}: where the items come from, and the provider's. */
export interface WorklistScpOptions extends ServiceProviderOptions, WorklistServiceOptions {}

/** Transfer syntaxes of the worklist context, most preferred first. */
const WORKLIST_TRANSFER_SYNTAXES: readonly string[] = [
  Uid.ExplicitVRLittleEndian,
  Uid.ImplicitVRLittleEndian,
  Uid.DeflatedExplicitVRLittleEndian,
  Uid.ExplicitVRBigEndian,
];

/**
 * A Modality Worklist SCP. It listens once constructed; `port` gives the
 * port. With `directory`, the files are read again for each query: a file
 * dropped in is in the next answer. Verification (C-ECHO) is served too.
 *
 * @example Serve a folder of worklist files on an ephemeral port
 * ```ts
 * import { WorklistScp } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await using scp = new WorklistScp({ hostname: "127.0.0.1", port: 0, directory: dir });
 * console.log(scp.port > 0); // true
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class WorklistScp extends ServiceProvider {
  /**
   * Starts listening.
   *
   * @throws {TypeError} without `directory` or `items`, or with both.
   */
  constructor(options: WorklistScpOptions) {
    const worklist = new WorklistService(options);
    super({
      supportedAbstractSyntaxes: [{
        abstractSyntax: Uid.ModalityWorklistInformationModelFind,
        transferSyntaxes: WORKLIST_TRANSFER_SYNTAXES,
      }],
      handlers: { "C-FIND-RQ": worklist.handler },
    }, options);
  }
}
