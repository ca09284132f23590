/**
 * The Storage Service Class as a provider (PS3.4 Annex B), as one unit: the
 * C-STORE-RQ handler of each association, the temporary files created ahead
 * of need and, for deferred durability, the group commit they share. The
 * Storage SCP, the Query/Retrieve SCP's C-STORE, a C-GET SCU (which receives
 * on its own association) and `retrieve()`'s C-MOVE destination are each
 * built on one.
 *
 * @module
 */
import { storageTransferSyntaxes } from "./accepted_syntaxes.ts";
import type { RequestHandler } from "../dimse/mod.ts";
import { DeferredSync, TempFilePool } from "./file_writer.ts";
import { createStoreHandler, type StoreTarget } from "./store_handler.ts";
import { _journalOf, _StoreJournal } from "./_store_journal.ts";

/**
 * What a Storage SCP accepts by default, most preferred first (issue 12):
 * the uncompressed syntaxes (Explicit VR LE, Implicit VR LE, deflate,
 * Explicit VR BE), so that a sender offering both never has to compress;
 * then the lossless encapsulated syntaxes, then the lossy ones (PS3.5 §A.4),
 * each accepted as received when a context offers nothing better. The
 * acceptor picks in this order, not the proposer's (PS3.8 9.3.3.2). This is
 * `storageTransferSyntaxes("all")`.
 */
export const DEFAULT_STORAGE_TRANSFER_SYNTAXES: readonly string[] = storageTransferSyntaxes("all");

/**
 * Receives C-STORE requests into a {@linkcode StoreTarget}: a handler of
 * yours, or files in a folder. One instance serves any number of
 * associations; dispose of it (or call {@linkcode StoreService.close}) when
 * they have ended.
 *
 * @example Receive into a folder on one association, then flush
 * ```ts
 * import { StoreService } from "./mod.ts";
 *
 * const directory = await Deno.makeTempDir();
 * {
 *   await using service = new StoreService({ directory, durable: "deferred" });
 *   // give service.handler as the "C-STORE-RQ" handler of a DimseChannel or
 *   // a ServiceProvider, then:
 *   await service.flush();
 * }
 * await Deno.remove(directory, { recursive: true });
 * ```
 */
export class StoreService implements AsyncDisposable {
  readonly #target: StoreTarget;
  readonly #temp: TempFilePool | undefined;
  readonly #sync: DeferredSync | undefined;
  readonly #journal: ReturnType<typeof _StoreJournal.acquire> | undefined;
  readonly #byAssociation = new WeakMap<object, RequestHandler<"C-STORE-RQ">>();

  /**
   * Constructs a new instance.
   *
   * @param target Where the objects go.
   * @param options `onWarning` is told of what the journal replayed at
   * start, and of files it could not write.
   * @throws {TypeError} when `target` has neither `handleObject` nor `directory`.
   * @throws {Deno.errors.NotFound} when `directory` (used without
   * `handleObject`) does not exist; {@linkcode Deno.errors.NotADirectory}
   * when it is a file.
   */
  constructor(target: StoreTarget, options: { onWarning?: (message: string) => void } = {}) {
    if (target.handleObject === undefined && target.directory === undefined) {
      throw new TypeError("A store target needs handleObject or directory");
    }
    this.#target = target;
    const files = target.handleObject === undefined && target.directory !== undefined;
    // A folder missing at the start is a mistake in the configuration: said
    // now, as DCMTK's storescp does, not as A700 to every sender. One that
    // goes away later still fails each store with A700.
    if (files) checkFolder(target.directory!);
    this.#temp = files ? new TempFilePool(target.directory!) : undefined;
    this.#sync = files && target.durable === "deferred" ? new DeferredSync() : undefined;
    // Opened (and replayed) now; the first store waits for it.
    // Only for durable stores: without a flush the journal would be extra work.
    this.#journal = files && target.journal && (target.durable ?? true) === true
      ? _StoreJournal.acquire(target.directory!, {
        durable: true,
        temp: this.#temp!,
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      })
      : undefined;
  }

  /** The C-STORE-RQ handler: give it to a channel or a service provider. */
  readonly handler: RequestHandler<"C-STORE-RQ"> = (request, context) => {
    const association = context.channel.association;
    let handler = this.#byAssociation.get(association);
    if (!handler) {
      const resources = {
        ...(this.#temp ? { temp: this.#temp } : {}),
        ...(this.#sync ? { sync: this.#sync } : {}),
      };
      if (this.#journal) _journalOf.set(resources, this.#journal.journal);
      handler = createStoreHandler(this.#target, association, resources);
      this.#byAssociation.set(association, handler);
    }
    return handler(request, context);
  };

  /**
   * Waits until every file reported stored so far is in place: with
   * `durable: "deferred"`, flushed to the disk and in place; with a journal,
   * written from it (it is on the disk in the journal already); at once
   * otherwise.
   *
   * @throws {Error} if a deferred file could not be flushed or renamed.
   */
  async flush(): Promise<void> {
    await this.#sync?.flush();
    await (await this.#journal?.journal)?.settle();
  }

  /**
   * Flushes (deferred durability), writes the files the journal holds and
   * closes it, then removes the spare temporary files.
   * Call it once the associations it serves have ended.
   *
   * @throws {Error} if a deferred file could not be flushed.
   */
  async close(): Promise<void> {
    try {
      await this.#sync?.flush();
    } finally {
      // The journal writes what it holds and takes its last checkpoint first.
      await this.#journal?.release();
      await this.#temp?.close();
    }
  }

  /** Same as {@linkcode StoreService.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Throws unless `directory` is an existing folder. */
function checkFolder(directory: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(directory);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot store into ${directory}: no such folder`, {
        cause: e,
      });
    }
    throw e;
  }
  if (!info.isDirectory) {
    throw new Deno.errors.NotADirectory(`Cannot store into ${directory}: not a folder`);
  }
}
