/**
 * The Storage SCP (PS3.4 Annex B) on `Deno.listen`: accepts C-STORE for the
 * configured SOP classes and transfer syntaxes and streams each object to a
 * handler or to files, answering success only once it is stored.
 *
 * @module
 */
import { RETIRED_STORAGE_SOP_CLASSES, STORAGE_SOP_CLASSES } from "../dictionary/mod.ts";
import {
  DEFAULT_STORAGE_TRANSFER_SYNTAXES,
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

  /** Starts listening. */
  constructor(options: StorageScpOptions) {
    // Throws a TypeError without handleObject or directory, before listening.
    const storage = new StoreService(options);
    const sopClasses = options.sopClasses ??
      [...STORAGE_SOP_CLASSES, ...RETIRED_STORAGE_SOP_CLASSES];
    const transferSyntaxes = options.transferSyntaxes ?? DEFAULT_STORAGE_TRANSFER_SYNTAXES;
    super({
      supportedAbstractSyntaxes: sopClasses.map((abstractSyntax) => ({
        abstractSyntax,
        transferSyntaxes,
      })),
      handlers: { "C-STORE-RQ": storage.handler },
    }, options);
    this.#storage = storage;
  }

  /**
   * With `durable: "deferred"`, waits until every file reported stored so
   * far is flushed to the disk and in place; at once otherwise.
   *
   * @throws {Error} if a file could not be flushed or renamed.
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
    await this.#storage.close();
    return aborted;
  }
}
