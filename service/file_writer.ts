/**
 * Writes a received object as a Part 10 file atomically: a temporary file in
 * the target folder, the meta information and the data set bytes as received
 * (no re-encoding), fsync, then rename. A crash or error leaves no partial
 * file under the final name (PS3.10 §7 for the file layout).
 *
 * When the flush to the disk happens is the caller's choice
 * ({@linkcode Durability}): before the write returns (a Storage SCP's
 * default, since a sender may delete its copy once told it is stored), in
 * the background with a {@linkcode DeferredSync} that the caller awaits at
 * the end of an operation (a retrieval, whose source keeps its copies), or
 * never.
 *
 * @module
 */
import { ByteQueue } from "../dataset/mod.ts";
import { _part10Meta } from "./_part10_meta.ts";
import { _SyncBudget } from "./_sync_budget.ts";

/** What {@linkcode writePart10Atomically} needs to know about the object. */
export interface ObjectFacts {
  /** SOP Class UID: Media Storage SOP Class UID of the file. */
  readonly sopClassUid: string;
  /** SOP Instance UID: Media Storage SOP Instance UID of the file. */
  readonly sopInstanceUid: string;
  /** The transfer syntax the data set bytes are in. */
  readonly transferSyntax: string;
  /** Source Application Entity Title (0002,0016): who sent it. */
  readonly sourceAeTitle?: string;
}

/** An open, empty temporary file. */
export interface TempFile {
  /** Its path. */
  readonly path: string;
  /** The open file. */
  readonly file: Deno.FsFile;
}

/** The hidden folder, inside the target folder, where temporary files live until renamed. */
export const INCOMING_FOLDER = ".incoming";

/**
 * Temporary files created ahead of need in `<directory>/.incoming`: creating
 * a file costs more than writing a small object on common file systems, so a
 * Storage SCP takes one ready to write when a C-STORE begins, and a
 * replacement is created while the next object arrives. Renaming into the
 * target folder stays atomic (same file system). `close()` removes the
 * spares; after a crash they are only hidden `.partial` files, which the
 * next pool on the folder removes once they are a day old.
 *
 * The spares live one per subfolder of `.incoming` (`0`, `1`, …), taken
 * in turn: creating a file locks its folder for as long as the file
 * system takes to find a free inode (milliseconds on some), and a rename out
 * of that folder would wait for it. A subfolder's replacement is created
 * once its file is renamed, and that subfolder is not renamed from again
 * until the others have been used: the creation is off the path of
 * every object, and creations in different subfolders run in parallel.
 */
export class TempFilePool implements AsyncDisposable {
  readonly #dir: string;
  /** Per subfolder: its spare, if created or being created. */
  readonly #spares: (Promise<TempFile> | undefined)[];
  /** Per subfolder: files taken from it and not yet written and renamed. */
  readonly #busy: number[];
  /** The subfolder of each file taken. */
  readonly #folderOf = new WeakMap<TempFile, number>();
  #turn = 0;
  #closed = false;
  #made: Promise<void> | undefined;
  #swept: Promise<void> = Promise.resolve();

  /**
   * A pool for `directory`, keeping `size` files ready once first used (at
   * least 2: one per subfolder).
   * Temporary files a crash left in its `.incoming` folder are removed in the
   * background once a day old (younger ones may be another process's).
   */
  constructor(directory: string, size = 3) {
    this.#dir = `${directory}/${INCOMING_FOLDER}`;
    const folders = Math.max(2, size);
    this.#spares = new Array(folders).fill(undefined);
    this.#busy = new Array(folders).fill(0);
    try {
      Deno.mkdirSync(this.#dir);
      this.#made = Promise.resolve();
    } catch (e) {
      // Exists already, or the target folder is missing: take() reports that.
      if (e instanceof Deno.errors.AlreadyExists) {
        this.#made = Promise.resolve();
        this.#swept = removeStale(this.#dir, STALE_AFTER_MS);
      }
    }
    // The subfolders now rather than on first use, so that whoever watches
    // the folder sees them before any file is created in them.
    if (this.#made) {
      for (let i = 0; i < folders; i++) {
        try {
          Deno.mkdirSync(`${this.#dir}/${i}`);
        } catch { /* Exists already; or take() reports the problem. */ }
      }
    }
  }

  /**
   * A temporary file to write; throws what creating it threw (e.g. a
   * missing folder). Call {@linkcode TempFilePool.refill} with it once it is
   * written and renamed (or removed).
   */
  take(): Promise<TempFile> {
    if (this.#closed) return Promise.reject(new Error("The temporary file pool is closed"));
    const folder = this.#turn;
    this.#turn = (folder + 1) % this.#spares.length;
    const spare = this.#spares[folder] ?? this.#create(folder);
    this.#spares[folder] = undefined;
    this.#busy[folder]!++;
    return spare.then((file) => {
      this.#folderOf.set(file, folder);
      return file;
    }, (e) => {
      this.#busy[folder]!--;
      throw e;
    });
  }

  /**
   * Creates spares in the background, in the subfolders no file is being
   * written in. Called once `done` (a file {@linkcode TempFilePool.take}
   * gave) is written and renamed, rather than when it is taken: a file
   * created while another is being written makes that write wait (both
   * need the file system's journal), whereas after it the creation overlaps
   * the wait for the next object.
   */
  refill(done?: TempFile): void {
    const folder = done && this.#folderOf.get(done);
    if (folder !== undefined) {
      this.#folderOf.delete(done!);
      this.#busy[folder]!--;
    }
    for (let i = 0; i < this.#spares.length && !this.#closed; i++) {
      if (this.#spares[i] !== undefined || this.#busy[i]! > 0) continue;
      const spare = this.#create(i);
      spare.catch(() => {}); // a failure shows when the spare is taken
      this.#spares[i] = spare;
    }
  }

  async #create(folder: number): Promise<TempFile> {
    // Not recursive: a target folder that does not exist is an error, not created.
    this.#made ??= Deno.mkdir(this.#dir).catch((e) => {
      if (!(e instanceof Deno.errors.AlreadyExists)) {
        this.#made = undefined; // try again next time
        throw e;
      }
    });
    await this.#made;
    const path = `${this.#dir}/${folder}/${crypto.randomUUID()}.partial`;
    const options = { write: true, createNew: true, mode: 0o644 };
    try {
      return { path, file: await Deno.open(path, options) };
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      await Deno.mkdir(`${this.#dir}/${folder}`).catch(() => {}); // first use of the subfolder
      return { path, file: await Deno.open(path, options) };
    }
  }

  #target: Promise<Deno.FsFile | undefined> | undefined;

  /**
   * Makes renames into the target folder durable (fsync of the folder),
   * through a handle kept open for the pool's life.
   */
  async syncTarget(): Promise<void> {
    this.#target ??= Deno.open(this.#dir.slice(0, -INCOMING_FOLDER.length - 1), { read: true })
      .catch(() => undefined);
    const dir = await this.#target;
    await dir?.sync().catch(() => {}); // not supported everywhere; the rename is atomic anyway
  }

  /** Closes and removes the spare files, and the folders when empty. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#swept;
    (await this.#target)?.close();
    this.#target = undefined;
    for (const [i, spare] of this.#spares.entries()) {
      this.#spares[i] = undefined;
      const t = await spare?.catch(() => undefined);
      if (!t) continue;
      t.file.close();
      await Deno.remove(t.path).catch(() => {});
    }
    for (let i = 0; i < this.#spares.length; i++) {
      await Deno.remove(`${this.#dir}/${i}`).catch(() => {}); // only if empty
    }
    await Deno.remove(this.#dir).catch(() => {}); // only if empty
  }

  /** Same as {@linkcode TempFilePool.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * When a written file is flushed to the disk (fsync of the file, then of its
 * folder after the rename):
 *
 * - `true`: before the write completes, so that a crash right after cannot
 *   lose an object reported stored. What a Storage SCP must do for senders
 *   that delete their copy once told it is stored (modalities).
 * - `"deferred"`: in the background, several files at a time, each renamed
 *   into place once flushed; {@linkcode DeferredSync.flush} waits for all of
 *   them. For retrievals (C-GET, or C-MOVE to ourselves), whose source keeps
 *   its copies: the operation completes only once every file is on the disk,
 *   without one disk round trip per object.
 * - `false`: never; the operating system writes the files back when it
 *   likes, as DCMTK's storescp does.
 */
export type Durability = boolean | "deferred";

/** How old a temporary file left in `.incoming` must be before a pool removes it. */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Removes the `.partial` files in `dir`, and in its subfolders, not
 * modified for `ms`; never throws.
 */
async function removeStale(dir: string, ms: number, depth = 1): Promise<void> {
  try {
    const now = Date.now();
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory && depth > 0) await removeStale(path, ms, depth - 1);
      if (!entry.isFile || !entry.name.endsWith(".partial")) continue;
      const info = await Deno.stat(path).catch(() => undefined);
      if (info?.mtime && now - info.mtime.getTime() > ms) await Deno.remove(path).catch(() => {});
    }
  } catch {
    // An unreadable folder: nothing to clean here; writing reports the problem.
  }
}

/** Options of {@linkcode writePart10Atomically}. */
export interface WriteOptions {
  /** Where to take the temporary file from; by default one is created next to `path`. */
  temp?: TempFilePool;
  /**
   * When the file is flushed to the disk ({@linkcode Durability}); `"deferred"` needs `sync`.
   *
   * @default {true}
   */
  durable?: Durability;
  /** Flushes and places the file in the background when `durable` is `"deferred"`. */
  sync?: DeferredSync;
  /**
   * With `durable: "deferred"`: called with the data set size once the file
   * is in place, and awaited by {@linkcode DeferredSync.flush}.
   */
  onPlaced?: (size: number) => void | Promise<void>;
}

/** What {@linkcode writePart10Atomically} wrote. */
export interface WrittenFile {
  /** Data set bytes written (after the meta information). */
  readonly size: number;
  /**
   * Settles once the file is under its final name (and flushed, if durable):
   * at once unless the write was deferred. Rejects if the deferred flush or
   * rename failed.
   */
  readonly placed: Promise<void>;
}

/**
 * Flushes written files to the disk in the background, many at a time (the
 * file system then commits them together), renames each into place once its
 * data is on the disk, and flushes the folders when asked: group commit.
 * {@linkcode DeferredSync.flush} (or disposal) waits for all of it and
 * reports any failure, so that an operation can complete only once its files
 * are durable.
 *
 * @example Write files without waiting for the disk, then wait for all of them at once
 * ```ts
 * import { DeferredSync, writePart10Atomically } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const sync = new DeferredSync();
 * for (const uid of ["2.25.1", "2.25.2"]) {
 *   const facts = {
 *     sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
 *     sopInstanceUid: uid,
 *     transferSyntax: "1.2.840.10008.1.2.1",
 *   };
 *   const dataset = ReadableStream.from([new Uint8Array(0)]);
 *   await writePart10Atomically(`${dir}/${uid}.dcm`, facts, dataset, { durable: "deferred", sync });
 * }
 * await sync.flush(); // both files flushed, in place, and their folder flushed
 * console.log((await Deno.stat(`${dir}/2.25.2.dcm`)).isFile); // true
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class DeferredSync implements AsyncDisposable {
  readonly #inFlight = new Set<Promise<void>>();
  readonly #dirs = new Set<string>();
  readonly #byPath = new Map<string, Promise<void>>();
  readonly #limit: number;
  #failures: unknown[] = [];

  /** `limit`: the most files being flushed at once; adding more waits for one to finish. */
  constructor(options: { limit?: number } = {}) {
    this.#limit = Math.max(1, options.limit ?? 64);
  }

  /** Files written whose flush or rename is not finished. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /**
   * Takes over an open, fully written temporary file: flushes its data,
   * closes it, renames `temp` to `path`, then calls `then` (awaited by
   * {@linkcode DeferredSync.flush}). Waits first while `limit` files are in
   * flight. The returned `placed` settles when all that is done.
   */
  async add(
    file: Deno.FsFile,
    temp: string,
    path: string,
    then?: () => void | Promise<void>,
  ): Promise<{ placed: Promise<void> }> {
    while (this.#inFlight.size >= this.#limit) await Promise.race(this.#inFlight);
    // A later write of the same path (an object sent again) is placed after
    // the earlier one, whichever flush finishes first.
    const earlier = this.#byPath.get(path);
    const placed = (async () => {
      try {
        try {
          await file.syncData();
        } finally {
          file.close();
        }
        await earlier?.catch(() => {});
        await Deno.rename(temp, path);
      } catch (e) {
        await Deno.remove(temp).catch(() => {});
        throw e;
      }
      this.#dirs.add(parentOf(path));
    })();
    this.#byPath.set(path, placed);
    placed.catch(() => {}).finally(() => {
      if (this.#byPath.get(path) === placed) this.#byPath.delete(path);
    });
    const tracked: Promise<void> = placed.then(then).then(
      () => {},
      (e) => void this.#failures.push(e),
    ).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
    placed.catch(() => {}); // also reported by flush()
    return { placed };
  }

  /**
   * Waits until every file added is flushed and in place, then flushes their
   * folders so the renames are durable too.
   *
   * @throws {Error} if any file could not be flushed or renamed (its
   * temporary file is removed); the first failure is the `cause`.
   */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    const dirs = [...this.#dirs];
    this.#dirs.clear();
    await Promise.all(dirs.map(syncDirectory));
    const failures = this.#failures;
    if (failures.length === 0) return;
    this.#failures = [];
    const first = failures[0];
    throw new Error(
      `${failures.length} written file(s) could not be flushed to the disk: ${
        first instanceof Error ? first.message : String(first)
      }`,
      { cause: first },
    );
  }

  /** Same as {@linkcode DeferredSync.flush}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.flush();
  }
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash >= 0 ? path.slice(0, slash) || "/" : ".";
}

/** Bytes gathered before each write to the file. */
const WRITE_BUFFER = 1 << 20;

/**
 * A file's buffer the bytes of each write are joined in: what was gathered
 * (up to {@linkcode WRITE_BUFFER}) and the chunk that reached it.
 */
const JOIN_BUFFER = 2 * WRITE_BUFFER;

/** Chunks this large on average are written as they are, not joined (see `takePending`). */
const LARGE_CHUNK = 64 << 10;

/**
 * Where {@linkcode _writePart10Atomically} reads a data set's chunks from:
 * `cancel` with the error when the write fails midway, and `recycle`, if
 * any, with each chunk once its bytes are written or copied (see
 * _chunks.ts), which nothing else then holds.
 */
export interface _ChunkReader {
  /** The next chunk, or the end. */
  read(): Promise<{ done: true; value?: unknown } | { done: false; value: Uint8Array }>;
  /** Drops the rest: the write failed with `reason`. */
  cancel(reason?: unknown): Promise<void>;
  /** Takes back a chunk `read()` gave, its bytes written or copied. */
  recycle?(chunk: Uint8Array): void;
}

/**
 * Bytes gathered before each synchronous write, while the disk answers
 * quickly ({@linkcode _SyncBudget}): a page-cache copy short enough not to
 * hold up other associations.
 */
const SYNC_WRITE_LIMIT = 256 * 1024;

/** When small objects may be written synchronously into a pool's folder: one budget per pool. */
const budgets = new WeakMap<TempFilePool, _SyncBudget>();
function budgetOf(pool: TempFilePool): _SyncBudget {
  let budget = budgets.get(pool);
  if (!budget) budgets.set(pool, budget = new _SyncBudget());
  return budget;
}

/** Characters allowed in a file name made from a UID. */
function safeName(uid: string): string {
  const name = uid.replace(/[^0-9A-Za-z._-]/g, "_");
  if (name === "" || name === "." || name === "..") {
    throw new TypeError(`Cannot name a file after UID "${uid}"`);
  }
  return name;
}

/** The default file name of an object: `<SOPInstanceUID>.dcm`. */
export function defaultFileName(facts: ObjectFacts): string {
  return `${safeName(facts.sopInstanceUid)}.dcm`;
}

/**
 * Streams `dataset` into `path` as a Part 10 file, atomically. On any error
 * the temporary file is removed and the error rethrown; `path` is then
 * untouched. With `durable: "deferred"` it returns once the bytes are
 * written, and `placed` tells when the file is flushed and under `path`.
 */
export function writePart10Atomically(
  path: string,
  facts: ObjectFacts,
  dataset: ReadableStream<Uint8Array>,
  options: WriteOptions = {},
): Promise<WrittenFile> {
  // A reader rather than `for await`: releasing the lock at the end, as
  // the iterator does, costs more than reading a small object.
  const reader = dataset.getReader();
  return _writePart10Atomically(path, facts, {
    read: () => reader.read(),
    cancel: async (reason) => {
      await reader.cancel(reason);
      reader.releaseLock();
    },
  }, options);
}

/**
 * {@linkcode writePart10Atomically} reading the data set's chunks from
 * `reader` (cancelled, with the error, when the write fails midway): for
 * the Storage SCP, whose checked chunks need no stream of their own.
 *
 * @example Write a data set given as chunks
 * ```ts
 * import { _writePart10Atomically } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const chunks = [new Uint8Array(0)];
 * const facts = {
 *   sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
 *   sopInstanceUid: "2.25.1",
 *   transferSyntax: "1.2.840.10008.1.2.1",
 * };
 * const reader = {
 *   read: () =>
 *     Promise.resolve(
 *       chunks.length > 0 ? { done: false as const, value: chunks.shift()! } : { done: true as const },
 *     ),
 *   cancel: () => Promise.resolve(),
 * };
 * await _writePart10Atomically(`${dir}/2.25.1.dcm`, facts, reader);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function _writePart10Atomically(
  path: string,
  facts: ObjectFacts,
  reader: _ChunkReader,
  options: WriteOptions = {},
): Promise<WrittenFile> {
  const durable = options.durable ?? true;
  if (durable === "deferred" && !options.sync) {
    throw new TypeError('durable: "deferred" needs a DeferredSync (the sync option)');
  }
  const dir = parentOf(path);
  const meta = _part10Meta(facts);
  let written = 0;
  let temp: string;
  let file: Deno.FsFile;
  let taken: TempFile | undefined;
  if (options.temp) {
    taken = await options.temp.take();
    ({ path: temp, file } = taken);
  } else {
    temp = `${dir}/.${path.slice(path.lastIndexOf("/") + 1)}.${crypto.randomUUID()}.partial`;
    file = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
  }
  let handedOver = false;
  let closed = false;
  // Synchronous file calls while the pool's disk answers quickly: a fraction
  // of the cost of asynchronous ones (see _SyncBudget, which bounds how long
  // a stalled disk can block the event loop). Never without a pool.
  const budget = options.temp && budgetOf(options.temp);
  // At most one asynchronous write in flight, overlapping the arrival of the next bytes.
  let inflight: Promise<void> | undefined;
  try {
    try {
      // Coalesce PDV-sized chunks into few large writes: a small object is
      // written (meta information included) in a single call.
      const pending = new ByteQueue();
      pending.push(meta);
      // The meta information is the writer's own, not the reader's to take back.
      const recycle = (chunks: Uint8Array[]) => {
        if (reader.recycle === undefined) return;
        for (const c of chunks) if (c !== meta) reader.recycle(c);
      };
      /**
       * The pending bytes as the arrays to write, and the chunks to give
       * back once those are written. Large chunks (the channel's pooled
       * ones, 256 KiB) are written as they are: joining them would copy
       * every byte a second time. Small ones are joined, a write's worth
       * into one buffer of this file's, reused (one write is in flight at a
       * time), and given back at once.
       */
      let joinBuffer: Uint8Array | undefined;
      const takePending = (): { parts: Uint8Array[]; after: Uint8Array[] } => {
        const length = pending.length;
        const chunks = pending.drain();
        if (
          chunks.length === 1 ||
          (length > SYNC_WRITE_LIMIT && length / chunks.length >= LARGE_CHUNK)
        ) return { parts: chunks, after: chunks };
        let joined: Uint8Array;
        if (length >= SYNC_WRITE_LIMIT && length <= JOIN_BUFFER) {
          joinBuffer ??= new Uint8Array(JOIN_BUFFER);
          joined = joinBuffer.subarray(0, length);
        } else joined = new Uint8Array(length);
        let at = 0;
        for (const c of chunks) {
          joined.set(c, at);
          at += c.length;
        }
        recycle(chunks);
        return { parts: [joined], after: [] };
      };
      const writeSync = ({ parts, after }: ReturnType<typeof takePending>) => {
        budget!.run(() => parts.forEach((p) => writeAllSync(file, p)));
        recycle(after);
      };
      const write = async ({ parts, after }: ReturnType<typeof takePending>) => {
        try {
          for (const p of parts) await writeAll(file, p);
        } finally {
          recycle(after);
        }
      };
      try {
        for (;;) {
          const next = await reader.read();
          if (next.done) break;
          const chunk = next.value;
          written += chunk.length;
          pending.push(chunk);
          if (pending.length >= SYNC_WRITE_LIMIT && budget?.allowed) {
            await inflight;
            inflight = undefined;
            writeSync(takePending());
          } else if (pending.length >= WRITE_BUFFER) {
            await inflight;
            inflight = write(takePending());
          }
        }
      } catch (e) {
        // As `for await` would: the rest of the data set is not wanted.
        await reader.cancel(e).catch(() => {});
        throw e;
      }
      await inflight;
      inflight = undefined;
      if (budget?.allowed && durable !== "deferred") {
        if (pending.length > 0) writeSync(takePending());
        if (durable) await file.syncData();
        closed = true;
        file.close();
        budget.run(() => Deno.renameSync(temp, path));
        if (durable) await options.temp!.syncTarget();
        return { size: written, placed: Promise.resolve() };
      }
      if (pending.length > 0) await write(takePending());
      if (durable === "deferred") {
        handedOver = true;
        const { placed } = await options.sync!.add(
          file,
          temp,
          path,
          options.onPlaced && (() => options.onPlaced!(written)),
        );
        return { size: written, placed };
      }
      if (durable) await file.syncData();
    } finally {
      // A data set that failed midway: its last write settles before the file is closed.
      await inflight?.catch(() => {});
      if (!handedOver && !closed) file.close();
    }
    await Deno.rename(temp, path);
    if (durable) await (options.temp ? options.temp.syncTarget() : syncDirectory(dir));
  } catch (e) {
    if (!handedOver) await Deno.remove(temp).catch(() => {});
    throw e;
  } finally {
    // Spares are created once this file is written, not during (see TempFilePool.refill).
    options.temp?.refill(taken);
  }
  return { size: written, placed: Promise.resolve() };
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let p = 0; p < bytes.length;) p += file.writeSync(bytes.subarray(p));
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let p = 0; p < bytes.length;) p += await file.write(bytes.subarray(p));
}

/** Makes the rename durable where the platform allows fsync on a folder. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    using d = await Deno.open(dir, { read: true });
    await d.sync();
  } catch {
    // Not supported everywhere (e.g. Windows); the rename itself is atomic.
  }
}
