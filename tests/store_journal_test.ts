/**
 * The Storage SCP's write-ahead journal (issue 13): what a replay at start
 * writes again, and what it must not. A crash is simulated by copying a
 * live journal's folder (what the disk holds) into a fresh folder without
 * the files (the worst case: none of them reached the disk), then opening
 * the journal there. The records' layout is the one documented in
 * service/_store_journal.ts, which the torn-record tests cut at.
 */
import { assert, assertEquals } from "./_assert.ts";
import {
  _journalPart10,
  _StoreJournal,
  JOURNAL_FOLDER,
  JOURNAL_MAX_OBJECT,
} from "../service/_store_journal.ts";
import { TempFilePool } from "../service/file_writer.ts";
import { _SyncBudget } from "../service/_sync_budget.ts";
import { StorageScp } from "../scp/mod.ts";
import { store } from "../service/mod.ts";
import { ctDataset, HOST, randomUid } from "./_storage_corpus.ts";

const SEGMENT_HEADER = 16;
const RECORD_HEADER = 24;

/** A journal of a fresh folder, with what it warned of. */
async function openJournal(
  dir: string,
  options: { segmentSize?: number; segments?: number; gatherLimit?: number; budget?: _SyncBudget } =
    {},
) {
  const warnings: string[] = [];
  const temp = new TempFilePool(dir);
  const handle = _StoreJournal.acquire(dir, {
    durable: true,
    temp,
    ...options,
    onWarning: (m) => warnings.push(m),
  });
  const journal = await handle.journal;
  assert(journal, `no journal: ${warnings.join("; ")}`);
  return {
    journal,
    warnings,
    temp,
    async [Symbol.asyncDispose]() {
      await handle.release();
      await temp.close();
    },
  };
}

function bytesOf(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** What a crash leaves: the journal's folder as on the disk, no object files. */
async function crashCopy(from: string): Promise<string> {
  const to = await Deno.makeTempDir({ prefix: "dcm_journal_after_" });
  await Deno.mkdir(`${to}/${JOURNAL_FOLDER}`);
  for await (const e of Deno.readDir(`${from}/${JOURNAL_FOLDER}`)) {
    if (e.isFile) {
      await Deno.copyFile(
        `${from}/${JOURNAL_FOLDER}/${e.name}`,
        `${to}/${JOURNAL_FOLDER}/${e.name}`,
      );
    }
  }
  return to;
}

async function read(path: string): Promise<Uint8Array | undefined> {
  return await Deno.readFile(path).catch(() => undefined);
}

function recordLength(name: string, size: number): number {
  return (RECORD_HEADER + new TextEncoder().encode(name).length + size + 7) & ~7;
}

Deno.test("journal: objects (stored at once) whose files were lost are written again at start, byte for byte", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  const objects = [["a.dcm", bytesOf(1, 1400)], ["b.dcm", bytesOf(2, 70_000)], [
    "c.dcm",
    bytesOf(3, 3),
  ]] as const;
  let after: string | undefined;
  try {
    {
      await using j = await openJournal(dir);
      // At once, as from several associations: the first segment is made once.
      const appends = objects.map(([name, bytes]) => j.journal.append(name, [bytes]));
      for (const a of appends) await (await a).placed;
      for (const [name, bytes] of objects) assertEquals(await read(`${dir}/${name}`), bytes);
      after = await crashCopy(dir);
    }
    await using j = await openJournal(after);
    for (const [name, bytes] of objects) assertEquals(await read(`${after}/${name}`), bytes, name);
    assert(j.warnings.some((w) => /3 object\(s\) restored/.test(w)), j.warnings.join("; "));
  } finally {
    await Deno.remove(dir, { recursive: true });
    if (after) await Deno.remove(after, { recursive: true });
  }
});

Deno.test("journal: a record torn anywhere, or with a flipped byte, ends the replay there; the records before it are written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  const copies: string[] = [];
  try {
    const names = ["first.dcm", "second.dcm", "third.dcm"];
    const payloads = [bytesOf(4, 100), bytesOf(5, 200), bytesOf(6, 300)];
    {
      await using j = await openJournal(dir);
      for (let i = 0; i < 3; i++) await (await j.journal.append(names[i]!, [payloads[i]!])).placed;
      // Left open: no checkpoint, as after a crash.
      const base = await crashCopy(dir);
      copies.push(base);
      const third = SEGMENT_HEADER + recordLength(names[0]!, 100) + recordLength(names[1]!, 200);
      const segment = `${JOURNAL_FOLDER}/segment-0.wal`;
      // Torn in its header, in its name, in its payload, one byte short.
      for (
        const cut of [
          third + 3,
          third + RECORD_HEADER + 2,
          third + RECORD_HEADER + 20,
          third + recordLength(names[2]!, 300) - 5,
        ]
      ) {
        const copy = await crashCopy(base);
        copies.push(copy);
        await Deno.truncate(`${copy}/${segment}`, cut);
        await using r = await openJournal(copy);
        assertEquals(await read(`${copy}/${names[0]}`), payloads[0], `cut at ${cut}`);
        assertEquals(await read(`${copy}/${names[1]}`), payloads[1], `cut at ${cut}`);
        assertEquals(await read(`${copy}/${names[2]}`), undefined, `cut at ${cut}`);
        assert(r.warnings.some((w) => /torn/.test(w)), `cut at ${cut}: ${r.warnings.join("; ")}`);
      }
      // A flipped byte in the second record's payload: only the first is trusted.
      const copy = await crashCopy(base);
      copies.push(copy);
      const bytes = await Deno.readFile(`${copy}/${segment}`);
      const second = SEGMENT_HEADER + recordLength(names[0]!, 100);
      bytes[second + RECORD_HEADER + names[1]!.length + 50]! ^= 0x10;
      await Deno.writeFile(`${copy}/${segment}`, bytes);
      await using _r = await openJournal(copy);
      assertEquals(await read(`${copy}/${names[0]}`), payloads[0]);
      assertEquals(await read(`${copy}/${names[1]}`), undefined);
      assertEquals(await read(`${copy}/${names[2]}`), undefined);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    for (const c of copies) await Deno.remove(c, { recursive: true });
  }
});

Deno.test("journal: of two versions of a file the later is written again; a file written directly after its record is left as it is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  let after: string | undefined;
  try {
    const direct = bytesOf(9, 5000);
    {
      await using j = await openJournal(dir);
      await (await j.journal.append("x.dcm", [bytesOf(7, 10)])).placed;
      await (await j.journal.append("x.dcm", [bytesOf(8, 20)])).placed;
      await (await j.journal.append("y.dcm", [bytesOf(10, 30)])).placed;
      // What a store too large for the journal does: the file written in
      // its turn (here by hand, flushed), then a supersede record.
      await j.journal.inTurn("y.dcm", () => Deno.writeFile(`${dir}/y.dcm`, direct));
      assert(j.journal.holds("y.dcm"));
      await j.journal.supersede("y.dcm");
      after = await crashCopy(dir);
      await Deno.copyFile(`${dir}/y.dcm`, `${after}/y.dcm`); // flushed before it was answered
    }
    await using j = await openJournal(after);
    assertEquals(await read(`${after}/x.dcm`), bytesOf(8, 20));
    assertEquals(await read(`${after}/y.dcm`), direct);
    assertEquals(j.warnings.length, 1, j.warnings.join("; ")); // the replay's summary
  } finally {
    await Deno.remove(dir, { recursive: true });
    if (after) await Deno.remove(after, { recursive: true });
  }
});

Deno.test("journal: after a checkpoint, files moved away by their consumer are not brought back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  let after: string | undefined;
  try {
    {
      await using j = await openJournal(dir);
      await (await j.journal.append("consumed.dcm", [bytesOf(11, 100)])).placed;
      await j.journal.checkpoint();
      assert(!j.journal.holds("consumed.dcm"));
      await Deno.remove(`${dir}/consumed.dcm`); // taken by whoever processes the folder
      await (await j.journal.append("later.dcm", [bytesOf(12, 100)])).placed;
      after = await crashCopy(dir);
    }
    await using _ = await openJournal(after);
    assertEquals(await read(`${after}/consumed.dcm`), undefined);
    assertEquals(await read(`${after}/later.dcm`), bytesOf(12, 100));
  } finally {
    await Deno.remove(dir, { recursive: true });
    if (after) await Deno.remove(after, { recursive: true });
  }
});

Deno.test("journal: small segments rotate and are reused after their checkpoint; a replay then writes only what no checkpoint covers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  let after: string | undefined;
  try {
    {
      await using j = await openJournal(dir, { segmentSize: 4096, segments: 2 });
      for (let i = 0; i < 40; i++) {
        await (await j.journal.append(`o${i}.dcm`, [bytesOf(100 + i, 900)])).placed;
      }
      const segments = [...Deno.readDirSync(`${dir}/${JOURNAL_FOLDER}`)].filter((e) =>
        e.name.endsWith(".wal")
      );
      assertEquals(segments.length, 2);
      for (let i = 0; i < 40; i++) {
        assertEquals(await read(`${dir}/o${i}.dcm`), bytesOf(100 + i, 900));
      }
      after = await crashCopy(dir);
    }
    await using j = await openJournal(after);
    const restored = [...Deno.readDirSync(after)].filter((e) => e.isFile).map((e) => e.name);
    // Only the last few (after the last checkpoint), each intact.
    assert(restored.length > 0 && restored.length < 40, `restored ${restored.length}`);
    for (const name of restored) {
      const i = Number(name.slice(1, -4));
      assertEquals(await read(`${after}/${name}`), bytesOf(100 + i, 900));
    }
    assert(restored.includes("o39.dcm"));
    assertEquals(j.warnings.filter((w) => /torn/.test(w)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
    if (after) await Deno.remove(after, { recursive: true });
  }
});

Deno.test("journal: a Storage SCP shut down cleanly leaves no journal; one whose folder another live process journals stores without one, and says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  const sleeper = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    {
      await using scp = new StorageScp({ hostname: HOST, port: 0, directory: dir });
      const summary = await store(HOST, scp.port, [ctDataset(randomUid(), 100)]);
      assertEquals(summary.completed, 1);
      assert((await Deno.stat(`${dir}/${JOURNAL_FOLDER}`)).isDirectory);
    }
    await Deno.stat(`${dir}/${JOURNAL_FOLDER}`).then(
      () => assert(false, "the journal was left after a clean shutdown"),
      (e) => assert(e instanceof Deno.errors.NotFound),
    );
    // The folder's journal belongs to another process, alive.
    await Deno.mkdir(`${dir}/${JOURNAL_FOLDER}`);
    const stat = await Deno.readTextFile(`/proc/${sleeper.pid}/stat`);
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    await Deno.writeTextFile(
      `${dir}/${JOURNAL_FOLDER}/owner`,
      JSON.stringify({ pid: sleeper.pid, start }),
    );
    const warnings: string[] = [];
    {
      await using scp = new StorageScp({
        hostname: HOST,
        port: 0,
        directory: dir,
        onWarning: (m) => warnings.push(m),
      });
      const uid = randomUid();
      const summary = await store(HOST, scp.port, [ctDataset(uid, 100)]);
      assertEquals(summary.completed, 1);
      assert((await Deno.stat(`${dir}/${uid}.dcm`)).isFile);
    }
    assert(
      warnings.some((w) => w.includes(`belongs to process ${sleeper.pid}`)),
      warnings.join("; "),
    );
    const left = [...Deno.readDirSync(`${dir}/${JOURNAL_FOLDER}`)].map((e) => e.name);
    assertEquals(left, ["owner"]); // not taken over
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
    await Deno.remove(dir, { recursive: true });
  }
});

/** A data set reader whose chunks the test lets through one by one. */
function gatedReader(chunks: Uint8Array[]) {
  const gates = chunks.map(() => Promise.withResolvers<void>());
  let released = 0;
  let read = 0;
  return {
    /** Lets the next chunk through. */
    open: () => gates[released++]?.resolve(),
    reader: {
      async read() {
        if (read >= chunks.length) return { done: true as const };
        await gates[read]!.promise;
        return { done: false as const, value: chunks[read++]! };
      },
      cancel: () => Promise.resolve(),
    },
  };
}

Deno.test("journal: an object larger than the journal takes, or past what all objects being gathered may hold, is written directly and not journaled", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  let after: string | undefined;
  try {
    const facts = (uid: string) => ({
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: uid,
      transferSyntax: "1.2.840.10008.1.2.1",
    });
    const chunked = (seed: number, n: number, size: number) =>
      Array.from({ length: n }, (_, k) => bytesOf(seed * 100 + k, size));
    {
      await using j = await openJournal(dir, { gatherLimit: 100_000 });
      const store = (uid: string, reader: Parameters<typeof _journalPart10>[4]) =>
        _journalPart10(j.journal, `${uid}.dcm`, `${dir}/${uid}.dcm`, facts(uid), reader, {
          durable: true,
          temp: j.temp,
        }).then((w) => w.placed);
      // Too large alone.
      const big = chunked(1, 9, JOURNAL_MAX_OBJECT / 8);
      const all = [...big];
      await store("2.25.1", {
        read: () =>
          Promise.resolve(
            all.length ? { done: false as const, value: all.shift()! } : { done: true as const },
          ),
        cancel: () => Promise.resolve(),
      });
      // Two gathered at once: the second passes the shared limit midway.
      const a = gatedReader(chunked(2, 3, 30_000));
      const b = gatedReader(chunked(3, 3, 40_000));
      const storingA = store("2.25.2", a.reader);
      a.open();
      for (let spin = 0; j.journal.gathering < 30_000 && spin < 10_000; spin++) {
        await Promise.resolve();
      }
      assertEquals(j.journal.gathering, 30_000);
      const storingB = store("2.25.3", b.reader);
      for (let k = 0; k < 3; k++) b.open();
      await storingB;
      a.open();
      a.open();
      await storingA;
      assertEquals(j.journal.gathering, 0);
      after = await crashCopy(dir);
    }
    await using _ = await openJournal(after);
    const replayed = [...Deno.readDirSync(after)].filter((e) => e.isFile).map((e) => e.name).sort();
    // Only the one that was gathered whole is in the journal.
    assertEquals(replayed, ["2.25.2.dcm"]);
    // Every file is in place in the original folder, whichever way it went.
    for (const uid of ["2.25.1", "2.25.2", "2.25.3"]) {
      assert((await Deno.stat(`${dir}/${uid}.dcm`)).size > 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    if (after) await Deno.remove(after, { recursive: true });
  }
});

Deno.test("journal: while the disk is slow, records are written asynchronously, in order, and replay like the others", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  let after: string | undefined;
  try {
    // A budget whose one call stalled: synchronous writes stay off.
    let now = 0;
    const budget = new _SyncBudget({ now: () => now });
    budget.run(() => now = 100);
    assert(!budget.allowed);
    {
      await using j = await openJournal(dir, { budget });
      const appends = [
        j.journal.append("p.dcm", [bytesOf(20, 3000)]),
        j.journal.append("q.dcm", [bytesOf(21, 50_000)]),
        j.journal.append("p.dcm", [bytesOf(22, 10)]),
        j.journal.append("r.dcm", [bytesOf(23, 7)]),
      ];
      for (const a of appends) await (await a).placed;
      assertEquals(await read(`${dir}/p.dcm`), bytesOf(22, 10));
      after = await crashCopy(dir);
    }
    await using j = await openJournal(after);
    assertEquals(await read(`${after}/p.dcm`), bytesOf(22, 10));
    assertEquals(await read(`${after}/q.dcm`), bytesOf(21, 50_000));
    assertEquals(await read(`${after}/r.dcm`), bytesOf(23, 7));
    assertEquals(j.warnings.filter((w) => /torn/.test(w)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
    if (after) await Deno.remove(after, { recursive: true });
  }
});

Deno.test("journal: the reader's chunks are given back once the record and the file are written, each once, and nothing else is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_" });
  try {
    await using j = await openJournal(dir);
    const uid = "2.25.61";
    const chunks = [bytesOf(61, 30_000), bytesOf(62, 20_000)];
    const expected = new Uint8Array([...chunks[0]!, ...chunks[1]!]);
    const queue = [...chunks];
    const back: Uint8Array[] = [];
    const written = await _journalPart10(j.journal, `${uid}.dcm`, `${dir}/${uid}.dcm`, {
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: uid,
      transferSyntax: "1.2.840.10008.1.2.1",
    }, {
      read: () =>
        Promise.resolve(
          queue.length ? { done: false as const, value: queue.shift()! } : { done: true as const },
        ),
      cancel: () => Promise.resolve(),
      recycle: (c) => {
        back.push(c);
        c.fill(0xee); // As the pool may, at once.
      },
    }, { durable: true, temp: j.temp });
    await written.placed;
    assertEquals(back.length, 2);
    assert(back.every((c) => chunks.includes(c)), "something not the reader's was given back");
    const file = (await read(`${dir}/${uid}.dcm`))!;
    assertEquals(file.subarray(file.length - expected.length), expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
