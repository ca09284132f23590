/**
 * Seeded, structure-aware fuzz harness for the decoders (issue 11).
 *
 * ```sh
 * deno task fuzz --seed 1 --cases 1000000 --target all|pdu|stream|command|dataset|explicit|part10|deflated|encapsulation|pixels|fileset|net
 * ```
 *
 * Each case mutates a valid seed ({@linkcode mutate}) and feeds it to a
 * public decoder ({@linkcode runCase}). A `DicomError` is the expected clear
 * error; anything else, a case over the time budget, or a case after which
 * the resident set grew by more than `--memory` MiB, is a FINDING, saved to
 * `fuzz/findings/` and reproduced by `--seed` and `--from` (the case index).
 * Cases run in a worker under a watchdog ({@linkcode fuzzWatched}): a case
 * with no progress for `--hang` ms (default 10 × `--budget`, at least 10 s)
 * or one that kills the worker is a finding too, and the run goes on.
 * `--target net` fuzzes a live SCP instead (see `net.ts`).
 *
 * This module is the harness's entry point and its library: tests import
 * the exports below.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { mutate, prng } from "./mutate.ts";
import { type CaseResult, runCase, type Target, TARGETS } from "./targets.ts";
import { fuzzWatched } from "./watchdog.ts";

export { mutate, prng, sequenceBomb } from "./mutate.ts";
export { fuzzWatched, type WatchedFuzzOptions } from "./watchdog.ts";
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
  /** Runs one case; the default is {@linkcode runCase} on the target. */
  run?: (bytes: Uint8Array, index: number) => Promise<CaseResult>;
  /** Called before each case with its index and the counts so far (the watchdog's heartbeat). */
  onCase?: (index: number, counts: Readonly<FuzzCounts>) => void;
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
 * The input of case `index` of `seed`: a mutation of one or two of `seeds`.
 * The same arguments give the same bytes, which is how a finding replays.
 *
 * @param seeds The target's valid inputs, as {@linkcode loadSeeds} gives them.
 * @param seed The run's PRNG seed.
 * @param index The case index.
 * @returns The mutated bytes.
 */
export function caseBytes(seeds: readonly Uint8Array[], seed: number, index: number): Uint8Array {
  const rand = caseRandom(seed, index);
  const a = seeds[Math.floor(rand() * seeds.length)]!;
  const o = seeds[Math.floor(rand() * seeds.length)]!;
  return mutate(a, o, rand);
}

/**
 * Runs `options.cases` mutated cases of one target in process. A case that
 * never returns stops the run here; {@linkcode fuzzWatched} runs this in a
 * worker it can terminate.
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
  const run = options.run ?? ((bytes, i) => runCase(target, bytes, i));
  for (let i = from; i < from + cases; i++) {
    const bytes = caseBytes(seeds, seed, i);
    options.onCase?.(i, counts);
    const start = performance.now();
    const r = await run(bytes, i);
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

/**
 * Saves a finding to `fuzz/findings/<name>.bin` with its reason in
 * `<name>.txt`.
 *
 * @param name `<target>_<seed>_<index>`.
 * @param bytes The case's input.
 * @param why What happened.
 */
export async function saveFinding(name: string, bytes: Uint8Array, why: string): Promise<void> {
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
      hang: { type: "string" },
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
      const t0 = performance.now();
      const counts = await fuzzWatched(target, {
        seed,
        cases,
        from: Number(values.from),
        budgetMs: Number(values.budget),
        memoryBound: Number(values.memory) * 2 ** 20,
        ...(values.hang === undefined ? {} : { hangMs: Number(values.hang) }),
        onFinding: saveFinding,
        onProgress: (done, c) => {
          const rate = Math.round(done / ((performance.now() - t0) / 1000));
          console.log(`${target}: ${done} cases, ${rate}/s`, c);
        },
      });
      const secs = (performance.now() - t0) / 1000;
      total += cases;
      console.log(
        `${target}: ${cases} cases in ${secs.toFixed(1)} s, ${Math.round(cases / secs)}/s`,
        counts,
      );
    }
    console.log(`total: ${total} cases`);
  }
}
