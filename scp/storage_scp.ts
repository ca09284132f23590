/**
 * The Storage SCP (PS3.4 Annex B) on `Deno.listen`: accepts C-STORE for the
 * configured SOP classes and transfer syntaxes and streams each object to a
 * handler or to files, answering success only once it is stored.
 *
 * @module
 */
import {
  RETIRED_STORAGE_SOP_CLASSES,
  STORAGE_SOP_CLASSES,
  TRANSFER_SYNTAXES,
} from "../dictionary/mod.ts";
import { ServiceProvider, type ServiceProviderOptions } from "./service_provider.ts";
import { createStoreHandler, type StoreTarget } from "./store_handler.ts";
import { DeferredSync, TempFilePool } from "./file_writer.ts";
import type { RequestHandler } from "../dimse/mod.ts";

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
 * What a Storage SCP accepts by default, most preferred first: every
 * encapsulated (compressed) syntax, stored as received, so that a sender
 * proposing one need not decompress; then the uncompressed ones; deflate
 * last, since choosing it would make a sender of uncompressed objects
 * compress every one of them.
 */
export const DEFAULT_STORAGE_TRANSFER_SYNTAXES: readonly string[] = [
  ...TRANSFER_SYNTAXES.filter((t) => t.encapsulated && !t.retired).map((t) => t.uid),
  "1.2.840.10008.1.2.1",
  "1.2.840.10008.1.2",
  "1.2.840.10008.1.2.1.99",
  "1.2.840.10008.1.2.2",
];

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
  /** Starts listening. */
  constructor(options: StorageScpOptions) {
    if (options.onStore === undefined && options.directory === undefined) {
      throw new TypeError("A StorageScp needs onStore or directory");
    }
    const sopClasses = options.sopClasses ??
      [...STORAGE_SOP_CLASSES, ...RETIRED_STORAGE_SOP_CLASSES];
    const transferSyntaxes = options.transferSyntaxes ?? DEFAULT_STORAGE_TRANSFER_SYNTAXES;
    const byAssociation = new WeakMap<object, RequestHandler>();
    const files = options.directory !== undefined && options.onStore === undefined;
    const temp = files ? new TempFilePool(options.directory!) : undefined;
    const sync = files && options.durable === "deferred" ? new DeferredSync() : undefined;
    const store: RequestHandler = (request, context) => {
      const association = context.channel.association;
      let handler = byAssociation.get(association);
      if (!handler) {
        handler = createStoreHandler(options, association, {
          ...(temp ? { temp } : {}),
          ...(sync ? { sync } : {}),
        });
        byAssociation.set(association, handler);
      }
      return handler(request, context);
    };
    super({
      supportedAbstractSyntaxes: sopClasses.map((abstractSyntax) => ({
        abstractSyntax,
        transferSyntaxes,
      })),
      handlers: { "C-STORE-RQ": store },
    }, options);
    this.#temp = temp;
    this.#sync = sync;
  }

  readonly #temp: TempFilePool | undefined;
  readonly #sync: DeferredSync | undefined;

  /**
   * With `durable: "deferred"`, waits until every file reported stored so
   * far is flushed to the disk and in place; at once otherwise.
   *
   * @throws {Error} if a file could not be flushed or renamed.
   */
  async flush(): Promise<void> {
    await this.#sync?.flush();
  }

  /**
   * Stops accepting, waits for the stores in flight and (deferred) their
   * flush, then removes the spare temporary files.
   *
   * @throws {Error} if a deferred file could not be flushed.
   */
  override async shutdown(options: { abort?: boolean } = {}): Promise<void> {
    await super.shutdown(options);
    try {
      await this.#sync?.flush();
    } finally {
      await this.#temp?.close();
    }
  }
}
