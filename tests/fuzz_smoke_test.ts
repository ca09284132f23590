import { assertEquals } from "./_assert.ts";
import { type FuzzCounts, fuzzTarget, loadSeeds, TARGETS } from "../fuzz/main.ts";

for (const target of TARGETS) {
  const cases = target === "deflated" ? 1000 : 3000;
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
