/**
 * The Storage SCP (PS3.4 Annex B) on `Deno.listen`: accepts C-STORE for the
 * configured SOP classes and transfer syntaxes and streams each object to a
 * handler or to files, answering success only once it is stored.
 *
 * @module
 */
import { RETIRED_STORAGE_SOP_CLASSES, STORAGE_SOP_CLASSES } from "../dictionary/mod.ts";
import {
  checkCommittedFile,
  COMMITMENT_FAILURE_REASON,
  CommitmentService,
  type CommitmentServiceOptions,
  DEFAULT_STORAGE_TRANSFER_SYNTAXES,
  defaultFileName,
  NService,
  ServiceProvider,
  type ServiceProviderOptions,
  type ServiceProviderShutdownOptions,
  StoreService,
  type StoreTarget,
} from "../service/mod.ts";

/** Options of {@linkcode StorageScp}. */
export interface StorageScpOptions extends ServiceProviderOptions, StoreTarget {
  /**
   * SOP classes accepted.
   *
   * @default {every storage SOP class of the registry, retired ones included}
   */
  sopClasses?: readonly string[];
  /**
   * Transfer syntaxes accepted, most preferred first.
   *
   * @default {DEFAULT_STORAGE_TRANSFER_SYNTAXES}
   */
  transferSyntaxes?: readonly string[];
  /**
   * Take, of the accepted `transferSyntaxes`, the one the sender proposes
   * first in each context, instead of ours in our order (PS3.8 §9.3.3.2
   * leaves the choice to the acceptor). For a C-MOVE destination of an
   * archive that proposes each object's stored syntax first and cannot
   * convert it, such as DCMTK's `dcmqrscp` run with `-x…` options: by our
   * order an uncompressed syntax would win, and the archive could not send.
   *
   * @default {false}
   */
  proposerOrder?: boolean;
  /**
   * Serve Storage Commitment Push Model (PS3.4 Annex J) too: an instance
   * is committed when its file is in `directory` (under the name
   * `fileName` gives for its SOP class and instance, with an empty
   * transfer syntax) and its meta information names that class and
   * instance. The report goes on the requesting association while it is
   * open, else to the requestor's address in `requestors`. Needs
   * `directory`.
   */
  commitment?: CommitmentServiceOptions;
}

/**
 * A Storage SCP. It listens once constructed; `port` gives the port.
 *
 * @example Receive objects into a folder, then shut down
 * ```ts
 * import { StorageScp } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await using scp = new StorageScp({ hostname: "127.0.0.1", port: 0, directory: dir });
 * console.log(`listening on ${scp.port}`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class StorageScp extends ServiceProvider {
  readonly #storage: StoreService;
  readonly #commitment: CommitmentService | undefined;

  /** Starts listening. */
  constructor(options: StorageScpOptions) {
    // Throws a TypeError without handleObject or directory, before listening.
    // Journaled unless told otherwise (StoreTarget.journal).
    const storage = new StoreService(
      { ...options, journal: options.journal ?? true },
      options.onWarning ? { onWarning: options.onWarning } : {},
    );
    const sopClasses = options.sopClasses ??
      [...STORAGE_SOP_CLASSES, ...RETIRED_STORAGE_SOP_CLASSES];
    const transferSyntaxes = options.transferSyntaxes ?? DEFAULT_STORAGE_TRANSFER_SYNTAXES;
    const commitment = options.commitment === undefined
      ? undefined
      : storageCommitment(options, new Set(sopClasses), storage);
    const n = commitment ? new NService(commitment.sopClasses) : undefined;
    super({
      supportedAbstractSyntaxes: [
        ...sopClasses.map((abstractSyntax) => ({
          abstractSyntax,
          transferSyntaxes,
          ...(options.proposerOrder ? { proposerOrder: true } : {}),
        })),
        ...n?.supportedAbstractSyntaxes ?? [],
      ],
      handlers: { ...n?.handlers, "C-STORE-RQ": storage.handler },
    }, options);
    this.#storage = storage;
    this.#commitment = commitment;
  }

  /**
   * Waits until every file reported stored so far is in place (with
   * `durable: "deferred"`, flushed to the disk too; see
   * {@linkcode StoreService.flush}).
   *
   * @throws {Error} if a deferred file could not be flushed or renamed.
   */
  flush(): Promise<void> {
    return this.#storage.flush();
  }

  /**
   * Stops accepting, waits for the stores in flight and (deferred) their
   * flush, then removes the spare temporary files. With `timeout`, the
   * associations still open at the deadline are aborted; resolves with how
   * many were.
   *
   * @throws {Error} if a deferred file could not be flushed.
   */
  override async shutdown(options: ServiceProviderShutdownOptions = {}): Promise<number> {
    const aborted = await super.shutdown(options);
    await this.#commitment?.close();
    await this.#storage.close();
    return aborted;
  }
}

/** The commitment unit of a StorageScp: files in its directory, of the classes it accepts. */
function storageCommitment(
  options: StorageScpOptions,
  sopClasses: ReadonlySet<string>,
  storage: StoreService,
): CommitmentService {
  const directory = options.directory;
  if (directory === undefined || options.handleObject !== undefined) {
    throw new TypeError("Storage commitment needs a StorageScp that writes files to a directory");
  }
  const fileName = options.fileName ?? defaultFileName;
  return new CommitmentService(async (reference) => {
    // PS3.3 C.14.1.1: 0122 for a class this SCP does not store.
    if (!sopClasses.has(reference.sopClassUid)) {
      return COMMITMENT_FAILURE_REASON.REFERENCED_SOP_CLASS_NOT_SUPPORTED;
    }
    // Deferred durability and the journal answer C-STORE before the file
    // is in place: what was stored so far is placed before it is looked for.
    await storage.flush();
    const name = fileName({ ...reference, transferSyntax: "" });
    return await checkCommittedFile(`${directory}/${name}`, reference);
  }, {
    ...(options.aeTitle !== undefined ? { aeTitle: options.aeTitle } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...options.commitment,
  });
}
