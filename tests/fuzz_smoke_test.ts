import { assertEquals } from "./_assert.ts";
import { type FuzzCounts, fuzzTarget, loadSeeds, TARGETS } from "../fuzz/main.ts";
import { fuzzNetwork } from "../fuzz/net.ts";

for (const target of TARGETS) {
  const cases = target === "deflated" ? 500 : 2000;
  Deno.test(`deno task fuzz: ${cases} mutated ${target} cases of seed 7 give no finding`, async () => {
    const findings: string[] = [];
    const counts: FuzzCounts = await fuzzTarget(target, await loadSeeds(target), {
      seed: 7,
      cases,
      onFinding: (name, _bytes, why) => void findings.push(`${name}: ${why}`),
    });
    assertEquals(findings, []);
    assertEquals(counts.ok + counts["dicom-error"], cases);
  });
}

Deno.test("deno task fuzz --target net: 50 mutated connections leave the SCP answering C-ECHO", async () => {
  const findings: string[] = [];
  const counts = await fuzzNetwork({
    seed: 7,
    cases: 50,
    onFinding: (name, _bytes, why) => void findings.push(`${name}: ${why}`),
  });
  assertEquals(findings, []);
  assertEquals(counts.connections, 50);
  assertEquals(counts.echoes, 1);
});
