/**
 * Seeded, structure-aware fuzz harness for the decoders (issue 11).
 *
 * ```sh
 * deno task fuzz --seed 1 --cases 1000000 --target all|pdu|stream|command|dataset|explicit|part10|deflated|pixels|net
 * ```
 *
 * Each case mutates a valid seed ({@linkcode mutate}) and feeds it to a
 * public decoder ({@linkcode runCase}). A `DicomError` is the expected clear
 * error; anything else, a case over the time budget, or a case after which
 * the resident set grew by more than `--memory` MiB, is a FINDING, saved to
 * `fuzz/findings/` and reproduced by `--seed` and `--from` (the case index).
 * `--target net` fuzzes a live SCP instead (see `net.ts`).
 *
 * This module is the harness's entry point and its library: tests import
 * the exports below.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { mutate, prng } from "./mutate.ts";
import { loadSeeds, runCase, type Target, TARGETS } from "./targets.ts";

export { mutate, prng, sequenceBomb } from "./mutate.ts";
export { commandSeeds, loadSeeds, runCase, TARGETS } from "./targets.ts";
export type { CaseResult, Outcome, Target } from "./targets.ts";

/** Options of {@linkcode fuzzTarget}. */
export interface FuzzOptions {
  /** PRNG seed; with a case index it reproduces a case. */
  seed: number;
  /** How many cases to run. */
  cases: number;
  /** Index of the first case. @default {0} */
  from?: number;
  /** A case slower than this many milliseconds is a finding. @default {1000} */
  budgetMs?: number;
  /** A case after which RSS grew by more than this many bytes is a finding. @default {256 MiB} */
  memoryBound?: number;
  /** Called with each finding; the default saves it to `fuzz/findings/`. */
  onFinding?: (name: string, bytes: Uint8Array, why: string) => void | Promise<void>;
  /** Called every `progressEvery` cases. @default {undefined} */
  onProgress?: (done: number, counts: FuzzCounts) => void;
  /** @default {50000} */
  progressEvery?: number;
}

/** Case counts by outcome. */
export interface FuzzCounts {
  /** Decoded without error. */
  ok: number;
  /** Rejected with a DicomError. */
  "dicom-error": number;
  /** Crashes, hangs and memory growth. */
  finding: number;
}

/** The random source of case `index` of `seed`, so any case replays alone. */
function caseRandom(seed: number, index: number): () => number {
  return prng(Math.imul(seed, 0x9e3779b1) ^ index);
}

/**
 * Runs `options.cases` mutated cases of one target in process.
 *
 * @param target The decoder.
 * @param seeds Valid inputs to mutate (see {@linkcode loadSeeds}).
 * @param options Seed, count, budgets and callbacks.
 * @returns The counts by outcome.
 */
export async function fuzzTarget(
  target: Target,
  seeds: readonly Uint8Array[],
  options: FuzzOptions,
): Promise<FuzzCounts> {
  const { seed, cases, from = 0, budgetMs = 1000, memoryBound = 256 << 20 } = options;
  const counts: FuzzCounts = { ok: 0, "dicom-error": 0, finding: 0 };
  let rss = Deno.memoryUsage().rss;
  for (let i = from; i < from + cases; i++) {
    const rand = caseRandom(seed, i);
    const a = seeds[Math.floor(rand() * seeds.length)]!;
    const o = seeds[Math.floor(rand() * seeds.length)]!;
    const bytes = mutate(a, o, rand);
    const start = performance.now();
    const r = await runCase(target, bytes, i);
    const ms = performance.now() - start;
    // RSS after each case: a case that keeps or briefly needs far more
    // memory than its input is an unbounded allocation.
    const now = Deno.memoryUsage().rss;
    const grown = now - rss;
    rss = Math.min(rss, now) + Math.max(0, Math.min(grown, 1 << 20)); // follow slow drift
    let why: string | undefined;
    if (r.outcome === "finding") why = String(r.error);
    else if (ms > budgetMs) why = `hang: ${ms.toFixed(0)} ms`;
    else if (grown > memoryBound) why = `memory: RSS +${(grown / 2 ** 20).toFixed(0)} MiB`;
    if (why) {
      counts.finding++;
      rss = now;
      await (options.onFinding ?? saveFinding)(`${target}_${seed}_${i}`, bytes, why);
    } else counts[r.outcome]++;
    const done = i - from + 1;
    if (options.onProgress && done % (options.progressEvery ?? 50_000) === 0) {
      options.onProgress(done, counts);
    }
  }
  return counts;
}

async function saveFinding(name: string, bytes: Uint8Array, why: string): Promise<void> {
  const dir = new URL("findings/", import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(new URL(`${name}.bin`, dir), bytes);
  await Deno.writeTextFile(new URL(`${name}.txt`, dir), why + "\n");
  console.log(`FINDING ${name}: ${why.split("\n")[0]}`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "1" },
      cases: { type: "string", default: "10000" },
      from: { type: "string", default: "0" },
      target: { type: "string", default: "all" },
      budget: { type: "string", default: "1000" },
      memory: { type: "string", default: "256" },
    },
  });
  const seed = Number(values.seed);
  const cases = Number(values.cases);
  if (values.target === "net") {
    const { fuzzNetwork } = await import("./net.ts");
    const counts = await fuzzNetwork({
      seed,
      cases,
      onFinding: saveFinding,
      onProgress: (done, c) => done % 500 === 0 && console.log(`net: ${done} connections`, c),
    });
    console.log("net:", counts);
  } else {
    const targets: readonly Target[] = values.target === "all"
      ? TARGETS
      : [values.target as Target];
    let total = 0;
    for (const target of targets) {
      const seeds = await loadSeeds(target);
      const t0 = performance.now();
      const counts = await fuzzTarget(target, seeds, {
        seed,
        cases,
        from: Number(values.from),
        budgetMs: Number(values.budget),
        memoryBound: Number(values.memory) * 2 ** 20,
        onProgress: (done, c) => {
          const rate = Math.round(done / ((performance.now() - t0) / 1000));
          console.log(`${target}: ${done} cases, ${rate}/s`, c);
        },
      });
      const secs = (performance.now() - t0) / 1000;
      total += cases;
      console.log(
        `${target}: ${cases} cases from ${seeds.length} seeds in ${secs.toFixed(1)} s, ${
          Math.round(cases / secs)
        }/s`,
        counts,
      );
    }
    console.log(`total: ${total} cases`);
  }
}
