// When a Storage SCP writes small objects with synchronous file calls
// (issue 13): only while the disk answers quickly, so that a stalled disk
// blocks the event loop, and every association on it, for at most one call
// per back-off period.
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
