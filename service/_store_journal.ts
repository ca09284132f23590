/**
 * A write-ahead journal for a folder a Storage SCP writes into (issue 13).
 *
 * Creating, writing, flushing and renaming one file per object, and flushing
 * its folder, costs several disk round trips before a sender can be told an
 * object is stored. Appending the object to a journal segment and flushing
 * that one file costs one: each received object (its whole Part 10 file,
 * meta information included) becomes one record, the record is flushed
 * (`fdatasync`, shared by every association waiting at that moment: group
 * commit), while the `<SOPInstanceUID>.dcm` file is written from memory,
 * atomically and without a flush of its own (temporary file and rename, as
 * without the journal); success is answered once both are done. What the files have
 * on the disk is made durable in batches (a checkpoint: each file and its
 * folder flushed, then a checkpoint record), after which the records they
 * came from are no longer needed and their segment is reused.
 *
 * At start, the records after the last checkpoint of each segment are
 * replayed in order: each object's file is written again (unless it is
 * there with the same bytes), so a crash at any moment loses no object that
 * was answered success. Each record carries a CRC-32 and its segment's
 * sequence number: a record torn by a crash, or left from a segment's
 * earlier use, ends that segment's replay (records are written in order, and
 * an object is answered only after its record and every record before it
 * are flushed).
 *
 * Objects above {@linkcode JOURNAL_MAX_OBJECT} are not journaled: they are
 * streamed to their file and flushed as before (on them the journal loses). A later direct write of a
 * name the journal still holds appends a supersede record, so that a replay
 * does not bring the older version back.
 *
 * One process owns a folder's journal: the owner's process ID and start
 * time are kept in `.journal/owner`, and another process finding the owner
 * alive writes without a journal (Linux only: elsewhere there is no journal).
 *
 * Layout: `<folder>/.journal/segment-<n>.wal`, each starting with a 16-byte
 * header (magic, version, sequence number, CRC-32), then records of a
 * 24-byte header (magic, kind, sequence number, name length, payload
 * length, CRC-32 of the header's first 20 bytes, the name and the payload),
 * the name (UTF-8), the payload, padding to 8 bytes; little endian.
 *
 * @module
 */
import type * as zlib from "node:zlib";
import {
  type _ChunkReader,
  _writePart10Atomically,
  type Durability,
  type ObjectFacts,
  type TempFilePool,
  type WrittenFile,
} from "./file_writer.ts";
import { _part10Meta } from "./_part10_meta.ts";
import { _SyncBudget } from "./_sync_budget.ts";

/** The hidden folder, inside the target folder, holding the journal. */
export const JOURNAL_FOLDER = ".journal";

/**
 * Objects (Part 10 bytes) larger than this are written directly, not
 * journaled: measured (bench/receive.ts, issue 13), the journal makes a
 * durable store of 1.4 KB 1.6× faster, of 132 KB about as fast (1.19× with
 * one sender, 0.95× with four), and of 2 MB 0.71× as fast: past the
 * latency of a flush, writing each byte twice costs more than the file
 * system's own journal commit.
 */
export const JOURNAL_MAX_OBJECT = 128 * 1024;

/**
 * Bytes all the objects being gathered for the journal may hold together;
 * past it an object is written directly, as a large one is (beyond its
 * first 64 KiB, which any object may hold).
 */
export const JOURNAL_GATHER_LIMIT = 64 * 1024 * 1024;

const SEGMENT_MAGIC = 0x47534a44; // "DJSG"
const RECORD_MAGIC = 0x43524a44; // "DJRC"
const VERSION = 1;
const SEGMENT_HEADER = 16;
const RECORD_HEADER = 24;
const KIND_OBJECT = 1;
const KIND_SUPERSEDE = 2;
const KIND_CHECKPOINT = 3;
/**
 * CRC-32 (node:zlib's, written in native code), loaded when the first
 * journal opens: importing node:zlib costs about 5 MiB and milliseconds
 * that a program storing no files should not pay.
 */
let crc32: typeof zlib.crc32 = () => {
  throw new Error("node:zlib is not loaded");
};

const utf8 = new TextEncoder();

/** Bytes of zeros written ahead of the records at a time. */
const PREALLOCATE = 4 * 1024 * 1024;
/** A checkpoint record: header and a 4-byte offset, padded. */
const CHECKPOINT_RECORD = 32;

/** Options of {@linkcode _StoreJournal.open}. */
export interface _StoreJournalOptions {
  /** Flush each record before the append resolves (else the page cache holds it). */
  durable: boolean;
  /** Temporary files for writing the objects' files. */
  temp: TempFilePool;
  /** Bytes per segment. @default {32 MiB} */
  segmentSize?: number;
  /** The most segments. @default {4} */
  segments?: number;
  /** Objects placed after which a checkpoint is taken even under load. @default {5000} */
  checkpointEvery?: number;
  /** Milliseconds without new records after which a checkpoint is taken. @default {500} */
  idleMs?: number;
  /** When records may be written synchronously (for tests: a budget that never allows it). */
  budget?: _SyncBudget;
  /** Bytes all objects being gathered may hold together. @default {JOURNAL_GATHER_LIMIT} */
  gatherLimit?: number;
  /** Told of records that cannot be replayed or placed. */
  onWarning?: (message: string) => void;
}

/** What a replay at start did. */
export interface _ReplayReport {
  /** Objects whose files were written again (missing or different). */
  readonly restored: number;
  /** Objects whose files were already there with the same bytes. */
  readonly present: number;
  /** Segments whose replay ended at a torn or foreign record. */
  readonly torn: number;
}

interface Segment {
  readonly index: number;
  readonly path: string;
  readonly file: Deno.FsFile;
  seq: number;
  /** Where the next record goes. */
  end: number;
  /** Sealed: full, no more records but its checkpoint. */
  sealed: boolean;
  /** Offsets of the records of objects not yet placed (or that failed to be). */
  outstanding: Set<number>;
  /** Files placed from its records and not yet flushed by a checkpoint, with their records' offsets. */
  unsynced: { path: string; offset: number }[];
  /** Where the last checkpoint record says the records before are done. */
  checkpointed: number;
  /** The file's position after the last write, -1 when not known. */
  position: number;
  /** Bytes from the start written (zeros or records) and flushed: appends there change no metadata. */
  allocated: number;
  /** Zeros being flushed ahead of the records. */
  preallocating: boolean;
}

/** Where a record is. */
interface Place {
  readonly segment: Segment;
  readonly offset: number;
}

/**
 * The journal a `StoreService` opened for the resources it gives its
 * handlers (see `StoreTarget.journal`), kept out of the public types.
 */
export const _journalOf: WeakMap<object, Promise<_StoreJournal | undefined>> = new WeakMap();

/** Journals in use in this process, by folder: stores into one folder share its journal. */
const open = new Map<string, { journal: Promise<_StoreJournal | undefined>; users: number }>();

/**
 * The journal of one folder. Get one with {@linkcode _StoreJournal.acquire},
 * give it back with {@linkcode _StoreJournal.release}.
 */
export class _StoreJournal {
  readonly #dir: string;
  readonly #journalDir: string;
  readonly #options: Required<Omit<_StoreJournalOptions, "onWarning" | "budget">> & {
    onWarning?: (message: string) => void;
  };
  readonly #segments: Segment[] = [];
  #active: Segment | undefined;
  #seq = 0;
  /** Records written / covered by a finished flush (group commit). */
  #written = 0;
  #flushed = 0;
  #flushing: Promise<void> | undefined;
  readonly #dirty = new Set<Segment>();
  /** Per name: the end of the last write of its file, so versions land in order. */
  readonly #chains = new Map<string, Promise<void>>();
  /** Per name: its last record, while no checkpoint covers it. */
  readonly #live = new Map<string, Place>();
  /** Files being written from their records. */
  readonly #placing = new Set<Promise<void>>();
  #checkpointing: Promise<void> = Promise.resolve();
  #idle: ReturnType<typeof setTimeout> | undefined;
  #lastRecord = 0;
  #changed: (() => void)[] = [];
  #closed = false;
  readonly #budget: _SyncBudget;
  /** The rotation in progress. */
  #rotating: Promise<Segment> | undefined;
  /** Asynchronous writes not finished (while the disk is slow), in order. */
  #pending: Promise<void> | undefined;
  /** The first failed write, after which nothing is journaled. */
  #broken: unknown;
  /** Bytes held by objects being gathered for the journal (see {@linkcode _journalPart10}). */
  gathering = 0;

  /** The most bytes objects being gathered may hold together. */
  get gatherLimit(): number {
    return this.#options.gatherLimit;
  }

  private constructor(dir: string, options: _StoreJournalOptions) {
    this.#dir = dir;
    this.#journalDir = `${dir}/${JOURNAL_FOLDER}`;
    this.#budget = options.budget ?? new _SyncBudget();
    this.#options = {
      segmentSize: 32 * 1024 * 1024,
      segments: 4,
      checkpointEvery: 5000,
      idleMs: 500,
      gatherLimit: JOURNAL_GATHER_LIMIT,
      ...options,
    };
  }

  /**
   * The journal of `dir`, opened (and replayed) by the first caller in this
   * process; `journal` is `undefined` where there is none: not Linux, or
   * another live process owns it (said to `onWarning`). Call `release` once
   * done with it: the last user closes it.
   */
  static acquire(
    dir: string,
    options: _StoreJournalOptions,
  ): { journal: Promise<_StoreJournal | undefined>; release: () => Promise<void> } {
    let key = dir;
    try {
      key = Deno.realPathSync(dir);
    } catch { /* a missing folder: opening fails below, and says so */ }
    let entry = open.get(key);
    if (!entry) {
      const journal = _StoreJournal.#open(key, options).catch((e) => {
        options.onWarning?.(
          `Storing into ${dir} without a journal: ${e instanceof Error ? e.message : e}`,
        );
        return undefined;
      });
      open.set(key, entry = { journal, users: 0 });
    }
    entry.users++;
    const mine = entry;
    let released = false;
    return {
      journal: mine.journal,
      release: async () => {
        if (released) return;
        released = true;
        if (--mine.users > 0) return;
        if (open.get(key) === mine) open.delete(key);
        const journal = await mine.journal;
        if (journal) await journal.#close();
      },
    };
  }

  static async #open(dir: string, options: _StoreJournalOptions): Promise<_StoreJournal> {
    if (Deno.build.os !== "linux") throw new Error("the journal needs Linux");
    // Claimed before this returns its promise: the folder holds what it will
    // hold once the constructor of whoever asked has returned.
    const journal = new _StoreJournal(dir, options);
    journal.#claim();
    ({ crc32 } = await import("node:zlib"));
    const report = await journal.#replay();
    if (report.restored > 0 || report.torn > 0) {
      options.onWarning?.(
        `Journal of ${dir} replayed: ${report.restored} object(s) restored, ${report.present} already in place` +
          (report.torn > 0 ? `, ${report.torn} torn record(s) discarded` : ""),
      );
    }
    return journal;
  }

  /** Takes ownership of the folder's journal, unless a live process has it. */
  #claim(): void {
    try {
      Deno.mkdirSync(this.#journalDir);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const ownerPath = `${this.#journalDir}/owner`;
    const me = { pid: Deno.pid, start: processStart(Deno.pid) };
    let previous;
    try {
      previous = JSON.parse(Deno.readTextFileSync(ownerPath));
    } catch {
      previous = undefined; // none, or unreadable: a crash while it was written
    }
    if (
      previous && typeof previous.pid === "number" && previous.pid !== Deno.pid &&
      processStart(previous.pid) === previous.start && previous.start !== undefined
    ) {
      throw new Error(`its journal belongs to process ${previous.pid}`);
    }
    const temp = `${ownerPath}.${Deno.pid}`;
    Deno.writeTextFileSync(temp, JSON.stringify(me));
    Deno.renameSync(temp, ownerPath);
  }

  /**
   * Replays the records after each segment's last checkpoint, in order,
   * then marks every segment free.
   */
  async #replay(): Promise<_ReplayReport> {
    const found: { index: number; path: string; file: Deno.FsFile; seq: number }[] = [];
    for await (const entry of Deno.readDir(this.#journalDir)) {
      const m = /^segment-(\d+)\.wal$/.exec(entry.name);
      if (!entry.isFile || !m) continue;
      const path = `${this.#journalDir}/${entry.name}`;
      const file = await Deno.open(path, { read: true, write: true });
      const header = new Uint8Array(SEGMENT_HEADER);
      const n = await readAt(file, 0, header);
      const seq = n === SEGMENT_HEADER ? segmentSeq(header) : undefined;
      found.push({ index: Number(m[1]), path, file, seq: seq ?? -1 });
    }
    // Records of all live segments in sequence order; the last per name wins.
    const latest = new Map<string, { file: Deno.FsFile; offset: number; length: number } | null>();
    let torn = 0;
    for (const s of [...found].filter((s) => s.seq >= 0).sort((a, b) => a.seq - b.seq)) {
      const records = await scanSegment(s.file, s.seq);
      if (records.torn) torn++;
      for (const r of records.list) {
        if (r.kind === KIND_OBJECT) {
          latest.set(r.name, { file: s.file, offset: r.payload, length: r.length });
        } else latest.set(r.name, null);
      }
      this.#seq = Math.max(this.#seq, s.seq);
    }
    let restored = 0;
    let present = 0;
    const placed: string[] = [];
    for (const [name, where] of latest) {
      if (where === null) continue;
      const path = this.#pathOf(name);
      if (path === undefined) {
        this.#options.onWarning?.(
          `Journal record names no file in the folder: ${JSON.stringify(name)}`,
        );
        continue;
      }
      const bytes = new Uint8Array(where.length);
      await readAt(where.file, where.offset, bytes);
      if (await sameBytes(path, bytes)) {
        present++;
        continue;
      }
      await this.#writeFile(path, [bytes]);
      placed.push(path);
      restored++;
    }
    await syncFiles(placed);
    // Every segment is free now; their headers say so before anything new is written.
    for (const s of found) {
      await writeFileAt(s.file, 0, segmentHeader(0));
      await s.file.syncData();
      this.#segments.push(freeSegment(s.index, s.path, s.file, (await s.file.stat()).size));
    }
    this.#segments.sort((a, b) => a.index - b.index);
    return { restored, present, torn };
  }

  /** The file a record's name stands for, or `undefined` for a name outside the folder. */
  #pathOf(name: string): string | undefined {
    const parts = name.split("/");
    if (
      name === "" || name.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")
    ) {
      return undefined;
    }
    return `${this.#dir}/${name}`;
  }

  /** Whether the journal holds a record of `name` that a replay would apply. */
  holds(name: string): boolean {
    return this.#live.has(name);
  }

  /**
   * Runs `write` once every earlier write of `name`'s file is done, and
   * makes the ones after wait for it: for a direct write of a name.
   */
  inTurn<T>(name: string, write: () => Promise<T>): Promise<T> {
    const earlier = this.#chains.get(name);
    const done = (earlier ?? Promise.resolve()).catch(() => {}).then(write);
    const chain = done.then(() => {}, () => {});
    this.#chains.set(name, chain);
    chain.then(() => {
      if (this.#chains.get(name) === chain) this.#chains.delete(name);
    });
    return done;
  }

  /**
   * Journals an object: appends its record and, meanwhile, writes its file
   * (not flushed); resolves once the record is flushed (when durable).
   * `placed` settles when the file is under its name. Throws when it cannot
   * be journaled (a failed write).
   */
  async append(name: string, parts: Uint8Array[]): Promise<{ placed: Promise<void> }> {
    const path = this.#pathOf(name);
    if (path === undefined) throw new TypeError(`Cannot journal a file named ${name}`);
    const size = parts.reduce((n, p) => n + p.length, 0);
    const { segment, offset } = this.#write(
      KIND_OBJECT,
      name,
      parts,
      size,
      await this.#room(name, size),
    );
    segment.outstanding.add(offset);
    // Written even if the flush below fails: the record is in the segment,
    // and a replay would write it anyway (an object answered a failure and
    // stored all the same, as a sender's retry would). Either way its record
    // is done with once this settles (a failure is answered as one).
    const placed = this.inTurn(name, () => this.#writeFile(path, parts)).then(
      () => void segment.unsynced.push({ path, offset }),
    ).finally(() => {
      segment.outstanding.delete(offset);
      this.#placing.delete(placed);
      this.#maybeCheckpoint();
      this.#notify();
    });
    this.#placing.add(placed);
    placed.catch(() => {}); // the owner waits for it
    await this.#flush();
    return { placed };
  }

  /** Records that `name`'s file was written directly since its last record: a replay leaves it. */
  async supersede(name: string): Promise<void> {
    this.#write(KIND_SUPERSEDE, name, [], 0, await this.#room(name, 0));
    await this.#flush();
  }

  /**
   * Waits for the files being written, then takes a checkpoint of every segment as far
   * as its objects are placed: a replay would then write none of them again.
   */
  async checkpoint(): Promise<void> {
    await this.settle();
    this.#maybeCheckpoint(true);
    await this.#checkpointing;
  }

  /** Waits until every object journaled so far is placed (or failed to be). */
  async settle(): Promise<void> {
    while (this.#placing.size > 0) await Promise.allSettled(this.#placing);
  }

  /** The segment a record of `name` with a payload of `size` bytes goes into (rotating when full). */
  async #room(name: string, size: number): Promise<Segment> {
    if (this.#closed) throw new Error("The journal is closed");
    const length = recordLength(name, size);
    let segment = this.#active;
    while (!segment || segment.end + length + CHECKPOINT_RECORD > this.#options.segmentSize) {
      // One rotation at a time: appends arriving meanwhile wait for it and
      // look again (two would create the same segment, or seal the new one).
      if (this.#rotating) {
        await this.#rotating.catch(() => {});
      } else {
        this.#rotating = this.#rotate(length).finally(() => this.#rotating = undefined);
        await this.#rotating;
      }
      if (this.#closed) throw new Error("The journal is closed");
      segment = this.#active;
    }
    return segment;
  }

  /**
   * Writes a record at the end of `segment` (from {@linkcode #room}, with
   * no await since: nothing else was written there meanwhile).
   */
  #write(kind: number, name: string, parts: Uint8Array[], size: number, segment: Segment): Place {
    const nameBytes = utf8.encode(name);
    const length = pad8(RECORD_HEADER + nameBytes.length + size);
    const header = new Uint8Array(RECORD_HEADER);
    const view = new DataView(header.buffer);
    view.setUint32(0, RECORD_MAGIC, true);
    view.setUint8(4, kind);
    view.setUint32(8, segment.seq, true);
    view.setUint32(12, nameBytes.length, true);
    view.setUint32(16, size, true);
    let crc = crc32(header.subarray(0, 20));
    crc = crc32(nameBytes, crc);
    for (const p of parts) crc = crc32(p, crc);
    view.setUint32(20, crc >>> 0, true);
    const offset = segment.end;
    segment.end += length;
    // Synchronous: a copy into the page cache, in order, with no other
    // record between (appends of concurrent associations never interleave).
    // One write of the record gathered (at most JOURNAL_MAX_OBJECT and a name).
    const record = new Uint8Array(length);
    record.set(header);
    record.set(nameBytes, RECORD_HEADER);
    let at = RECORD_HEADER + nameBytes.length;
    for (const p of parts) {
      record.set(p, at);
      at += p.length;
    }
    this.#put(segment, offset, [record]);
    this.#dirty.add(segment);
    this.#written++;
    this.#preallocate(segment);
    const place = { segment, offset };
    this.#live.set(name, place);
    this.#touch();
    return place;
  }

  /** Flushes what was written so far (group commit); at once when not durable. */
  async #flush(): Promise<void> {
    if (!this.#options.durable) {
      await this.#pending; // written, at least
      return;
    }
    const mine = this.#written;
    while (this.#flushed < mine) {
      if (!this.#flushing) {
        const upTo = this.#written;
        const segments = [...this.#dirty];
        this.#dirty.clear();
        const written = this.#pending ?? Promise.resolve();
        this.#flushing = written.then(() => Promise.all(segments.map((s) => s.file.syncData())))
          .then(
            () => void (this.#flushed = upTo),
            (e) => {
              for (const s of segments) this.#dirty.add(s);
              throw e;
            },
          ).finally(() => this.#flushing = undefined);
      }
      await this.#flushing;
    }
  }

  /** Seals the active segment and starts a free one (creating one while below the count). */
  async #rotate(length: number): Promise<Segment> {
    if (RECORD_HEADER + length + CHECKPOINT_RECORD + SEGMENT_HEADER > this.#options.segmentSize) {
      throw new RangeError(`An object of ${length} bytes does not fit a journal segment`);
    }
    const old = this.#active;
    if (old) {
      old.sealed = true;
      this.#active = undefined;
      this.#maybeCheckpoint();
    }
    for (;;) {
      // The lowest free segment, or a new one while below the count.
      const free = this.#segments.find((s) =>
        s.sealed && s.checkpointed >= s.end && s.outstanding.size === 0 && s !== old
      );
      if (free) return this.#activate(free);
      if (this.#segments.length < this.#options.segments) {
        const index = Math.max(-1, ...this.#segments.map((s) => s.index)) + 1;
        const path = `${this.#journalDir}/segment-${index}.wal`;
        const file = await Deno.open(path, { read: true, write: true, create: true });
        const segment = freeSegment(index, path, file, 0);
        this.#segments.push(segment);
        // Its name must survive a crash before its records are relied on.
        await syncDirectory(this.#journalDir);
        return this.#activate(segment);
      }
      if (this.#closed) throw new Error("The journal is closed");
      await this.#change();
    }
  }

  #activate(segment: Segment): Segment {
    segment.seq = ++this.#seq;
    segment.end = SEGMENT_HEADER;
    segment.sealed = false;
    segment.checkpointed = SEGMENT_HEADER;
    segment.unsynced = [];
    segment.outstanding.clear();
    // Flushed with the first record: until then no record of it is relied on.
    this.#put(segment, 0, [segmentHeader(segment.seq)]);
    this.#preallocate(segment);
    this.#dirty.add(segment);
    this.#active = segment;
    return segment;
  }

  /**
   * Keeps zeros written and flushed ahead of the records: flushing an
   * append into space the file already has is a data flush alone, whereas
   * growing the file also commits its new size through the file system's
   * own journal. The zeros are written synchronously beyond the last
   * record (so no record can be written there meanwhile and overwritten).
   */
  #preallocate(segment: Segment): void {
    const size = this.#options.segmentSize;
    if (segment.preallocating || segment.allocated >= size) return;
    if (segment.allocated - segment.end > PREALLOCATE / 2) return;
    const from = Math.max(segment.allocated, segment.end);
    const to = Math.min(from + PREALLOCATE, size);
    // Not while the disk is slow: zeros are a help, not a need.
    if (to <= from || this.#pending !== undefined || !this.#budget.allowed) return;
    try {
      writeAt(segment, from, [new Uint8Array(to - from)]);
    } catch {
      segment.position = -1;
      return; // a full disk: the records say so themselves
    }
    segment.preallocating = true;
    segment.file.syncData().then(() => {
      if (segment.allocated < to) segment.allocated = to;
    }, () => {}).finally(() => segment.preallocating = false);
  }

  /**
   * Writes at `offset` of `segment`: synchronously (a copy into the page
   * cache) while the disk answers quickly, else, like everything after it
   * until the backlog is written, asynchronously in order, so that a
   * stalled disk blocks the event loop once at most per back-off
   * (`_SyncBudget`). A failed write breaks the journal: a record after a
   * hole could not be replayed, so nothing more is journaled (stores are
   * then written directly) and what waits for a flush fails.
   */
  #put(segment: Segment, offset: number, chunks: Uint8Array[]): void {
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#pending === undefined && this.#budget.allowed) {
      try {
        this.#budget.run(() => writeAt(segment, offset, chunks));
      } catch (e) {
        this.#broken = e;
        throw e;
      }
      return;
    }
    const pending: Promise<void> = (this.#pending ?? Promise.resolve()).then(async () => {
      if (this.#broken !== undefined) throw this.#broken;
      segment.position = -1;
      await segment.file.seek(offset, Deno.SeekMode.Start);
      for (const c of chunks) await writeAll(segment.file, c);
      segment.position = offset + chunks.reduce((n, c) => n + c.length, 0);
    }).catch((e) => {
      this.#broken ??= e;
      throw e;
    }).finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    pending.catch(() => {}); // reported by the flush that waits for it
    this.#pending = pending;
  }

  /** Whether a write failed: objects are then stored without the journal. */
  get broken(): boolean {
    return this.#broken !== undefined;
  }

  /** Writes `bytes` to `path` atomically (temporary file, rename), without flushing. */
  async #writeFile(path: string, parts: Uint8Array[]): Promise<void> {
    const pool = this.#options.temp;
    const taken = await pool.take();
    try {
      if (this.#budget.allowed) {
        this.#budget.run(() => {
          for (const p of parts) writeAllSync(taken.file, p);
          taken.file.close();
          Deno.renameSync(taken.path, path);
        });
      } else {
        try {
          for (const p of parts) await writeAll(taken.file, p);
        } finally {
          taken.file.close();
        }
        await Deno.rename(taken.path, path);
      }
    } catch (e) {
      await Deno.remove(taken.path).catch(() => {});
      throw e;
    } finally {
      pool.refill(taken);
    }
  }

  /**
   * Takes checkpoints of the segments in sequence order, each up to its
   * first object not yet placed (a later segment's checkpoint must not let
   * a replay apply an earlier segment's older version of a name over it):
   * of a sealed segment, after `checkpointEvery` files, or when idle.
   */
  #maybeCheckpoint(idle = false): void {
    this.#checkpointing = this.#checkpointing.then(async () => {
      for (const s of this.#segments.filter((s) => s.seq > 0).sort((a, b) => a.seq - b.seq)) {
        if (s.checkpointed >= s.end) continue; // nothing since
        const upTo = s.outstanding.size > 0 ? Math.min(...s.outstanding) : s.end;
        const due = s.sealed || idle || this.#closed ||
          s.unsynced.length >= this.#options.checkpointEvery;
        if (upTo > s.checkpointed && due) await this.#checkpoint(s, upTo);
        if (s.checkpointed < s.end) return; // later segments wait for this one
      }
    }).catch((e) => {
      this.#options.onWarning?.(`Journal checkpoint failed: ${e instanceof Error ? e.message : e}`);
    }).finally(() => this.#notify());
  }

  /** Flushes the files placed from `segment`'s records before `upTo`, then records that they are done. */
  async #checkpoint(segment: Segment, upTo: number): Promise<void> {
    const files = segment.unsynced.filter((f) => f.offset < upTo);
    segment.unsynced = segment.unsynced.filter((f) => f.offset >= upTo);
    if (this.#options.durable) await syncFiles(files.map((f) => f.path));
    const record = new Uint8Array(CHECKPOINT_RECORD);
    const view = new DataView(record.buffer);
    view.setUint32(0, RECORD_MAGIC, true);
    view.setUint8(4, KIND_CHECKPOINT);
    view.setUint32(8, segment.seq, true);
    view.setUint32(16, 4, true);
    view.setUint32(RECORD_HEADER, upTo, true);
    let crc = crc32(record.subarray(0, 20));
    crc = crc32(record.subarray(RECORD_HEADER, RECORD_HEADER + 4), crc);
    view.setUint32(20, crc >>> 0, true);
    // Records appended meanwhile come after the checkpoint record; it
    // covers those before `upTo` only, which a replay reads from the record.
    // (Room for it is kept in every segment.)
    const offset = segment.end;
    segment.end += CHECKPOINT_RECORD;
    this.#put(segment, offset, [record]);
    this.#dirty.add(segment);
    this.#written++;
    await this.#flush();
    // The record itself needs no covering: when nothing came between, all is done.
    segment.checkpointed = Math.max(
      segment.checkpointed,
      offset === upTo ? offset + CHECKPOINT_RECORD : upTo,
    );
    for (const [name, place] of this.#live) {
      if (place.segment === segment && place.offset < upTo) this.#live.delete(name);
    }
  }

  /** Restarts the idle timer: a checkpoint once no record came for `idleMs`. */
  #touch(): void {
    this.#lastRecord = performance.now();
    if (this.#idle === undefined) this.#arm(this.#options.idleMs);
  }

  /** One timer, armed again for what is left while records keep coming. */
  #arm(ms: number): void {
    this.#idle = setTimeout(() => {
      const quiet = performance.now() - this.#lastRecord;
      if (quiet < this.#options.idleMs) return this.#arm(this.#options.idleMs - quiet);
      this.#idle = undefined;
      this.#maybeCheckpoint(true);
    }, ms);
    Deno.unrefTimer(this.#idle);
  }

  #change(): Promise<void> {
    return new Promise((resolve) => this.#changed.push(resolve));
  }

  #notify(): void {
    const waiting = this.#changed;
    this.#changed = [];
    for (const resolve of waiting) resolve();
  }

  /**
   * Waits for the files being written and takes a last checkpoint; then, all being
   * done, removes the journal (the next start creates one).
   */
  async #close(): Promise<void> {
    await this.settle();
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#closed = true;
    this.#maybeCheckpoint(true);
    await this.#checkpointing;
    this.#notify();
    const done = this.#segments.every((s) => s.checkpointed >= s.end && s.outstanding.size === 0);
    for (const s of this.#segments) {
      s.file.close();
      if (done) await Deno.remove(s.path).catch(() => {});
    }
    await Deno.remove(`${this.#journalDir}/owner`).catch(() => {});
    if (done) await Deno.remove(this.#journalDir).catch(() => {});
  }
}

/**
 * Stores a received object through `journal`: its Part 10 bytes (meta
 * information and the data set `reader` gives) are journaled and flushed, and its file
 * written meanwhile; `placed` settles once it is under `path`. An object
 * larger than {@linkcode JOURNAL_MAX_OBJECT} is streamed to its file
 * directly instead, as `writePart10Atomically` does.
 */
export async function _journalPart10(
  journal: _StoreJournal,
  name: string,
  path: string,
  facts: ObjectFacts,
  reader: _ChunkReader,
  options: { durable: Durability; temp: TempFilePool },
): Promise<WrittenFile> {
  const chunks: Uint8Array[] = [_part10Meta(facts)];
  let size = 0;
  // Bytes held by this object, counted in what all objects being gathered hold.
  let holding = 0;
  const hold = (n: number) => {
    holding += n;
    journal.gathering += n;
  };
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      size += next.value.length;
      chunks.push(next.value);
      hold(next.value.length);
      if (
        !journal.broken && chunks[0]!.length + size <= JOURNAL_MAX_OBJECT &&
        (journal.gathering <= journal.gatherLimit || holding < 64 * 1024)
      ) continue;
      // Too large to hold (alone, or with all the objects being gathered
      // by other associations: memory stays bounded): streamed to its file,
      // after any journaled version of it, and recorded as superseding that version.
      hold(-holding);
      const written = await writeDirectly(chunks.slice(1), reader);
      if (journal.holds(name)) await journal.supersede(name);
      return written;
    }
  } catch (e) {
    hold(-holding);
    await reader.cancel(e).catch(() => {});
    throw e;
  }
  let placed: Promise<void>;
  try {
    ({ placed } = await journal.append(name, chunks));
  } catch (e) {
    hold(-holding);
    if (!journal.broken) throw e;
    // The journal broke under this object (a full disk?): written directly
    // from memory, flushed, as without a journal; its failure is the answer.
    return await writeDirectly(chunks.slice(1));
  }
  // The bytes are held until the file is written from them (the record is
  // already), then given back (see _chunks.ts).
  placed.finally(() => {
    hold(-holding);
    // chunks[0] is the meta information, this function's own.
    if (reader.recycle !== undefined) { for (const c of chunks.slice(1)) reader.recycle(c); }
  }).catch(() => {});
  return { size, placed };

  /**
   * Writes the file as without a journal, after any journaled version of
   * it: the chunks `held`, then what `rest` gives.
   */
  function writeDirectly(held: Uint8Array[], rest?: typeof reader): Promise<WrittenFile> {
    const chunks: _ChunkReader = {
      read: () =>
        held.length > 0
          ? Promise.resolve({ done: false as const, value: held.shift()! })
          : rest?.read() ?? Promise.resolve({ done: true as const }),
      cancel: (reason?: unknown) => rest?.cancel(reason) ?? Promise.resolve(),
    };
    if (reader.recycle !== undefined) chunks.recycle = (c) => reader.recycle!(c);
    const write = { durable: options.durable, temp: options.temp };
    return journal.inTurn(name, () => _writePart10Atomically(path, facts, chunks, write));
  }
}

/** A segment with no record in use, `allocated` bytes long. */
function freeSegment(index: number, path: string, file: Deno.FsFile, allocated: number): Segment {
  return {
    index,
    path,
    file,
    seq: 0,
    end: SEGMENT_HEADER,
    sealed: true,
    outstanding: new Set(),
    unsynced: [],
    checkpointed: Infinity,
    position: -1,
    allocated,
    preallocating: false,
  };
}

/** A record found by {@linkcode scanSegment}. */
interface ScannedRecord {
  kind: number;
  name: string;
  /** Offset of the payload in the segment. */
  payload: number;
  length: number;
}

/**
 * The object and supersede records of a segment after its last checkpoint,
 * in order, up to the first record that is torn or not of this use of it.
 */
async function scanSegment(
  file: Deno.FsFile,
  seq: number,
): Promise<{ list: ScannedRecord[]; torn: boolean }> {
  const size = (await file.stat()).size;
  let list: ScannedRecord[] = [];
  let offset = SEGMENT_HEADER;
  const header = new Uint8Array(RECORD_HEADER);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  while (offset + RECORD_HEADER <= size) {
    if (await readAt(file, offset, header) < RECORD_HEADER) break;
    const view = new DataView(header.buffer);
    if (view.getUint32(0, true) !== RECORD_MAGIC || view.getUint32(8, true) !== seq) {
      // Not written by this use of the segment: its end (zeros, or an
      // older use's records), unless it looks like a record torn midway.
      return {
        list,
        torn: view.getUint32(0, true) === RECORD_MAGIC && view.getUint32(8, true) > seq,
      };
    }
    const kind = view.getUint8(4);
    const nameLength = view.getUint32(12, true);
    const payloadLength = view.getUint32(16, true);
    const length = pad8(RECORD_HEADER + nameLength + payloadLength);
    if (offset + length > size) return { list, torn: true };
    const body = new Uint8Array(nameLength + payloadLength);
    if (await readAt(file, offset + RECORD_HEADER, body) < body.length) return { list, torn: true };
    let crc = crc32(header.subarray(0, 20));
    crc = crc32(body, crc);
    if ((crc >>> 0) !== view.getUint32(20, true)) return { list, torn: true };
    if (kind === KIND_CHECKPOINT) {
      const upTo = new DataView(body.buffer).getUint32(0, true);
      list = list.filter((r) => r.payload >= upTo);
    } else if (kind === KIND_OBJECT || kind === KIND_SUPERSEDE) {
      let name: string;
      try {
        name = decoder.decode(body.subarray(0, nameLength));
      } catch {
        return { list, torn: true };
      }
      list.push({
        kind,
        name,
        payload: offset + RECORD_HEADER + nameLength,
        length: payloadLength,
      });
    } else {
      return { list, torn: true };
    }
    offset += length;
  }
  // Bytes after the last record, too few for a header: one torn at its start.
  return { list, torn: offset < size };
}

function segmentHeader(seq: number): Uint8Array {
  const header = new Uint8Array(SEGMENT_HEADER);
  const view = new DataView(header.buffer);
  view.setUint32(0, SEGMENT_MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, seq, true);
  view.setUint32(12, crc32(header.subarray(0, 12)) >>> 0, true);
  return header;
}

/** The sequence number of a segment in use, `undefined` for a free or foreign one. */
function segmentSeq(header: Uint8Array): number | undefined {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getUint32(0, true) !== SEGMENT_MAGIC || view.getUint32(4, true) !== VERSION) {
    return undefined;
  }
  if ((crc32(header.subarray(0, 12)) >>> 0) !== view.getUint32(12, true)) return undefined;
  const seq = view.getUint32(8, true);
  return seq > 0 ? seq : undefined;
}

function recordLength(name: string, size: number): number {
  return pad8(RECORD_HEADER + utf8.encode(name).length + size);
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

async function readAt(file: Deno.FsFile, offset: number, into: Uint8Array): Promise<number> {
  await file.seek(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < into.length) {
    const n = await file.read(into.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got;
}

async function writeFileAt(file: Deno.FsFile, offset: number, bytes: Uint8Array): Promise<void> {
  await file.seek(offset, Deno.SeekMode.Start);
  await writeAll(file, bytes);
}

/** Writes `chunks` at `offset` of the segment, seeking only when not there already. */
function writeAt(segment: Segment, offset: number, chunks: Uint8Array[]): void {
  if (segment.position !== offset) segment.file.seekSync(offset, Deno.SeekMode.Start);
  segment.position = -1; // unknown if a write throws
  let at = offset;
  for (const c of chunks) {
    writeAllSync(segment.file, c);
    at += c.length;
  }
  segment.position = at;
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let p = 0; p < bytes.length;) p += file.writeSync(bytes.subarray(p));
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let p = 0; p < bytes.length;) p += await file.write(bytes.subarray(p));
}

/** Whether `path` holds exactly `bytes`. */
async function sameBytes(path: string, bytes: Uint8Array): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size !== bytes.length) return false;
    const there = await Deno.readFile(path);
    for (let i = 0; i < bytes.length; i++) if (there[i] !== bytes[i]) return false;
    return true;
  } catch {
    return false;
  }
}

/** Flushes files (a few at a time) and then their folders; files gone meanwhile are skipped. */
async function syncFiles(paths: readonly string[]): Promise<void> {
  let next = 0;
  const one = async () => {
    while (next < paths.length) {
      const path = paths[next++]!;
      try {
        using f = await Deno.open(path, { read: true });
        await f.syncData();
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, paths.length) }, one));
  const folders = new Set(paths.map((p) => p.slice(0, p.lastIndexOf("/")) || "/"));
  await Promise.all([...folders].map(syncDirectory));
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    using d = await Deno.open(dir, { read: true });
    await d.sync();
  } catch {
    // Not supported everywhere; the rename itself is atomic.
  }
}

/**
 * The start time of a process (clock ticks since boot, from
 * `/proc/<pid>/stat`), `undefined` when it does not exist: with the process
 * ID it names one process, even after its ID is reused.
 */
function processStart(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The name, in parentheses, may hold spaces: fields are counted after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19]; // field 22, starttime
  } catch {
    return undefined;
  }
}
