/**
 * Crash safety of the Storage SCP's journal (issue 13): a peer stores while
 * the SCP's process is killed (SIGKILL) at seeded random points; before
 * each restart, every file written since the last start is deleted, as a
 * power loss could (none of them was flushed: the child takes no
 * checkpoint); after the restart, every object that was answered success
 * must be in place and intact, its data set byte for byte what was sent.
 */
import { assert, assertEquals } from "./_assert.ts";
import { encodeDataset } from "../dataset/mod.ts";
import { JOURNAL_FOLDER } from "../service/_store_journal.ts";
import { store } from "../service/mod.ts";
import { prng } from "../fuzz/mutate.ts";
import { ctDataset, HOST, randomUid, readStoredBody } from "./_storage_corpus.ts";

const KILLS = 4;
const PER_ROUND = 12;

class Child {
  readonly process: Deno.ChildProcess;
  readonly port: Promise<number>;
  readonly stderr: Promise<string>;
  constructor(dir: string) {
    this.process = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./_journal_child.ts", import.meta.url).pathname, dir],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const process = this.process;
    const stderr = this.stderr = new Response(process.stderr).text();
    this.port = (async () => {
      const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the SCP exited before listening: ${await stderr}`);
        text += value;
      }
      reader.releaseLock();
      return JSON.parse(text.slice(0, text.indexOf("\n"))).port as number;
    })();
  }
}

Deno.test("journal crash test: objects answered success survive SIGKILL at random points and the loss of every unflushed file", async () => {
  const seed = Number(Deno.env.get("JOURNAL_CRASH_SEED") ?? 20261203);
  const next = prng(seed); // seeded, so that a failure can be replayed
  const dir = await Deno.makeTempDir({ prefix: "dcm_journal_crash_" });
  /** Every object answered success: its UID and its data set's bytes. */
  const acknowledged = new Map<string, Uint8Array>();
  let restoredSomewhere = false;
  let child: Child | undefined;
  try {
    for (let round = 0; round <= KILLS; round++) {
      child = new Child(dir);
      const port = await child.port;
      // Once listening, its replay is done and what it wrote flushed.
      const before = new Set([...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name));
      // Everything answered so far is there, intact.
      for (const [uid, bytes] of acknowledged) {
        const stored = await readStoredBody(`${dir}/${uid}.dcm`).catch((e) => {
          throw new Error(
            `seed ${seed}, round ${round}: ${uid} answered success is missing (${e.message})`,
          );
        });
        assert(equal(stored.body, bytes), `seed ${seed}, round ${round}: ${uid} differs`);
      }
      if (round === KILLS) break;
      // Store one at a time; the kill lands during the store after `killAfter`.
      const killAfter = Math.floor(next() * PER_ROUND);
      for (let i = 0; i < PER_ROUND; i++) {
        const uid = randomUid();
        const dataset = ctDataset(
          uid,
          Math.floor(next() * 3) === 0 ? 100_000 : 1 + Math.floor(next() * 4000),
        );
        const bytes = encodeDataset(dataset, { transferSyntax: "1.2.840.10008.1.2.1" });
        const sending = store(HOST, port, [dataset]);
        if (i === killAfter) {
          // A random point of this store: after 0 to 3 turns of the event loop.
          for (let t = Math.floor(next() * 4); t > 0; t--) {
            await new Promise((r) => setTimeout(r, 0));
          }
          child.process.kill("SIGKILL");
        }
        const summary = await sending.catch(() => undefined);
        if (summary?.completed === 1) acknowledged.set(uid, bytes);
        if (i === killAfter) break;
      }
      await child.process.status;
      const log = await child.stderr;
      if (/restored/.test(log)) restoredSomewhere = true;
      // A power loss: no file written since the start was flushed.
      for (const e of Deno.readDirSync(dir)) {
        if (e.isFile && !before.has(e.name)) await Deno.remove(`${dir}/${e.name}`);
      }
    }
    assert(acknowledged.size > 0, "nothing was stored");
    assert(restoredSomewhere, "no restart had anything to restore: the test tested nothing");
    // A clean stop leaves no journal.
    child!.process.kill("SIGTERM");
    assertEquals((await child!.process.status).code, 0, await child!.stderr);
    child = undefined;
    await Deno.stat(`${dir}/${JOURNAL_FOLDER}`).then(
      () => assert(false, "the journal was left after a clean stop"),
      () => {},
    );
  } finally {
    if (child) {
      try {
        child.process.kill("SIGKILL");
      } catch { /* gone */ }
      await child.process.status;
      await child.stderr.catch(() => {});
    }
    await Deno.remove(dir, { recursive: true });
  }
});

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
