// The receive path of a Storage SCP writing files (issue 13): small objects
// are written with synchronous file calls only while the disk answers quickly
// (a stalled disk blocks the event loop, and every association on it, for at
// most one call per back-off period), and temporary files are created ahead in
// subfolders taken in turn, so that no creation holds up a rename.
import { _SyncBudget } from "../service/_sync_budget.ts";
import { INCOMING_FOLDER, TempFilePool, writePart10Atomically } from "../service/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { CT_IMAGE_STORAGE, EXPLICIT_LE } from "./_storage_corpus.ts";

/** A clock the test moves: each call to `tick(ms)` advances it. */
function fakeClock(): { now: () => number; tick: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, tick: (ms) => void (t += ms) };
}

Deno.test("_SyncBudget allows synchronous calls while each is quicker than stallMs", () => {
  const clock = fakeClock();
  const budget = new _SyncBudget({ stallMs: 10, backoffMs: 5000, now: clock.now });
  assert(budget.allowed);
  assertEquals(budget.run(() => (clock.tick(9), 42)), 42);
  assert(budget.allowed);
});

Deno.test("_SyncBudget turns synchronous calls off for backoffMs after a stall", () => {
  const clock = fakeClock();
  const budget = new _SyncBudget({ stallMs: 10, backoffMs: 5000, now: clock.now });
  budget.run(() => clock.tick(11));
  assertEquals(budget.allowed, false);
  clock.tick(4999);
  assertEquals(budget.allowed, false);
  clock.tick(1);
  assert(budget.allowed);
});

Deno.test("_SyncBudget turns synchronous calls off once slow calls add up to shareMs within a window", () => {
  const clock = fakeClock();
  const budget = new _SyncBudget({ stallMs: 50, shareMs: 100, windowMs: 1000, now: clock.now });
  for (let i = 0; i < 5; i++) budget.run(() => clock.tick(20)); // 100 ms: at the limit
  assert(budget.allowed);
  budget.run(() => clock.tick(1)); // quick: not counted
  assert(budget.allowed);
  budget.run(() => clock.tick(6));
  assertEquals(budget.allowed, false);
});

Deno.test("_SyncBudget counts blocked time per window, and quick calls not at all", () => {
  const clock = fakeClock();
  const budget = new _SyncBudget({ stallMs: 50, shareMs: 100, windowMs: 1000, now: clock.now });
  for (let i = 0; i < 1000; i++) budget.run(() => clock.tick(4)); // quick: under slowMs
  assert(budget.allowed);
  for (let i = 0; i < 50; i++) {
    budget.run(() => clock.tick(20));
    clock.tick(200); // 20 ms in every 220: 80-100 ms per window
  }
  assert(budget.allowed);
});

Deno.test("_SyncBudget counts a call that throws, and rethrows", () => {
  const clock = fakeClock();
  const budget = new _SyncBudget({ stallMs: 10, now: clock.now });
  let thrown: unknown;
  try {
    budget.run(() => {
      clock.tick(50);
      throw new Error("disk gone");
    });
  } catch (e) {
    thrown = e;
  }
  assertEquals((thrown as Error).message, "disk gone");
  assertEquals(budget.allowed, false);
});

const FACTS = {
  sopClassUid: CT_IMAGE_STORAGE,
  sopInstanceUid: "2.25.7",
  transferSyntax: EXPLICIT_LE,
};

for (const durable of [true, false]) {
  Deno.test(`writePart10Atomically() with a pool places a small object whole (durable: ${durable})`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using pool = new TempFilePool(dir);
      const body = new Uint8Array(1400).map((_, i) => i);
      const { size } = await writePart10Atomically(
        `${dir}/a.dcm`,
        FACTS,
        ReadableStream.from([body.subarray(0, 700), body.subarray(700)]),
        { temp: pool, durable },
      );
      assertEquals(size, 1400);
      const file = await Deno.readFile(`${dir}/a.dcm`);
      assertEquals(file.subarray(file.length - 1400), body);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("writePart10Atomically() with a pool leaves no temporary file when the rename fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using pool = new TempFilePool(dir);
    await Deno.mkdir(`${dir}/a.dcm/x`, { recursive: true }); // a folder, not empty: rename fails
    await assertRejects(() =>
      writePart10Atomically(`${dir}/a.dcm`, FACTS, ReadableStream.from([new Uint8Array(8)]), {
        temp: pool,
        durable: false,
      })
    );
    await pool.close(); // removes the spares, and .incoming once empty
    const incoming = await Deno.stat(`${dir}/${INCOMING_FOLDER}`).then(() => true, () => false);
    assertEquals(incoming, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a TempFilePool gives files from different subfolders in turn, and creates no spare where a file is being written", async () => {
  const dir = await Deno.makeTempDir();
  const folderOf = (t: { path: string }) => t.path.slice(0, t.path.lastIndexOf("/"));
  try {
    await using pool = new TempFilePool(dir);
    const a = await pool.take();
    pool.refill(); // a is still being written: its folder gets no spare
    const b = await pool.take();
    const c = await pool.take();
    assertEquals(new Set([a, b, c].map(folderOf)).size, 3);
    const beside = [];
    for await (const e of Deno.readDir(folderOf(a))) beside.push(e.name);
    assertEquals(beside, [a.path.slice(a.path.lastIndexOf("/") + 1)]);
    for (const t of [a, b, c]) {
      t.file.close();
      await Deno.remove(t.path);
      pool.refill(t);
    }
    const d = await pool.take(); // a's folder again, its spare created once a was done
    assertEquals(folderOf(d), folderOf(a));
    d.file.close();
    await Deno.remove(d.path);
    pool.refill(d);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
