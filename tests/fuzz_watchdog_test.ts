import { assertEquals, assertMatch } from "./_assert.ts";
import { caseBytes, fuzzWatched, loadSeeds } from "../fuzz/main.ts";

const MODULE = new URL("./fixtures/fuzz/misbehaving_targets.ts", import.meta.url);

Deno.test("deno task fuzz: a case that never returns or kills its worker is a finding, and the run goes on", async () => {
  const findings: { name: string; bytes: Uint8Array; why: string }[] = [];
  const counts = await fuzzWatched("dataset", {
    seed: 11,
    cases: 8,
    hangMs: 300,
    caseModule: MODULE,
    onFinding: (name, bytes, why) => void findings.push({ name, bytes, why }),
  });
  assertEquals(findings.map((f) => f.name), ["dataset_11_3", "dataset_11_5"]);
  assertMatch(findings[0]!.why, /^hang: no progress for 300 ms/);
  assertMatch(findings[1]!.why, /^crash: .*stray callback/);
  // The saved bytes are the case's own, so `--seed 11 --from 3` replays it.
  const seeds = await (await import(MODULE.href)).loadSeeds("dataset");
  assertEquals(findings[0]!.bytes, caseBytes(seeds, 11, 3));
  assertEquals(counts, { ok: 6, "dicom-error": 0, finding: 2 });
});

Deno.test("deno task fuzz: the watched run of a real target counts what the in-process run counts", async () => {
  const counts = await fuzzWatched("command", {
    seed: 7,
    cases: 300,
    onFinding: (name, _bytes, why) => {
      throw new Error(`${name}: ${why}`);
    },
  });
  assertEquals(counts.finding, 0);
  assertEquals(counts.ok + counts["dicom-error"], 300);
  assertEquals((await loadSeeds("command")).length > 0, true);
});
