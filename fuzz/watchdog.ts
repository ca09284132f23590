/**
 * The fuzz harness's watchdog: {@linkcode fuzzWatched} runs
 * {@linkcode fuzzTarget}'s loop in a worker and watches a heartbeat (the
 * index of the case in progress, in shared memory). A case that makes no
 * progress for `hangMs`, or an error that kills the worker, is recorded as a
 * finding with that case's bytes, the worker is terminated, and a new one
 * carries on from the next case. In process, one endless loop in a decoder
 * would stop the whole run there, with nothing saved.
 *
 * @module
 */
import type { FuzzCounts, FuzzOptions } from "./main.ts";
import type { CaseResult, Target } from "./targets.ts";

/** Options of {@linkcode fuzzWatched}. */
export interface WatchedFuzzOptions
  extends
    Pick<FuzzOptions, "seed" | "cases" | "from" | "budgetMs" | "memoryBound" | "progressEvery"> {
  /** Called with each finding (hangs and crashes included). */
  onFinding: (name: string, bytes: Uint8Array, why: string) => void | Promise<void>;
  /** Called every `progressEvery` cases, with the cases done by this run. */
  onProgress?: (done: number, counts: FuzzCounts) => void;
  /**
   * A case with no progress for this many milliseconds is a hang: its worker
   * is terminated. @default {max(10 × budgetMs, 10 s)}
   */
  hangMs?: number;
  /**
   * The module the worker takes `loadSeeds` and `runCase` from.
   * @default {"./targets.ts"}
   */
  caseModule?: URL;
}

/** What the worker is told to do. */
export interface WorkerTask {
  target: string;
  caseModule: string;
  seed: number;
  from: number;
  cases: number;
  budgetMs: number | undefined;
  memoryBound: number | undefined;
  progressEvery: number | undefined;
  /** Int32 slots: [0] case in progress (-1 before the first), [1..3] ok, dicom-error, finding. */
  heartbeat: SharedArrayBuffer;
}

/** What the worker says. */
export type WorkerMessage =
  | { type: "finding"; name: string; bytes: Uint8Array; why: string }
  | { type: "progress"; done: number; counts: FuzzCounts }
  | { type: "done"; counts: FuzzCounts };

/** The case module's shape. */
interface CaseModule {
  loadSeeds(target: string): Promise<Uint8Array[]>;
  runCase(target: string, bytes: Uint8Array, index?: number): Promise<CaseResult>;
}

const NOT_STARTED = -1;
/** Loading the seeds may take this long before the first case. */
const LOAD_MS = 120_000;

/**
 * Runs `options.cases` cases of `target` in a worker under a watchdog.
 *
 * @example Fuzz the command decoder with a hang limit
 * ```ts ignore
 * import { fuzzWatched } from "./main.ts";
 * const counts = await fuzzWatched("command", { seed: 1, cases: 1000, onFinding: console.log });
 * console.log(counts.finding);
 * ```
 * @param target The decoder.
 * @param options Seed, count, budgets, the hang limit and callbacks.
 * @returns The counts by outcome, hangs and crashes counted as findings.
 */
export async function fuzzWatched(
  target: Target | string,
  options: WatchedFuzzOptions,
): Promise<FuzzCounts> {
  const { seed, cases, from = 0 } = options;
  const hangMs = options.hangMs ?? Math.max(10 * (options.budgetMs ?? 1000), 10_000);
  const caseModule = (options.caseModule ?? new URL("./targets.ts", import.meta.url)).href;
  const total: FuzzCounts = { ok: 0, "dicom-error": 0, finding: 0 };
  const end = from + cases;
  let next = from;
  let seeds: Uint8Array[] | undefined;
  while (next < end) {
    const heartbeat = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
    const beat = new Int32Array(heartbeat);
    beat[0] = NOT_STARTED;
    const worker = new Worker(new URL("./_worker.ts", import.meta.url), { type: "module" });
    const started = next;
    const ended = await new Promise<{ counts: FuzzCounts } | { stuck: number; why: string }>(
      (resolve) => {
        let last = NOT_STARTED;
        let since = performance.now();
        const timer = setInterval(() => {
          const now = Atomics.load(beat, 0);
          if (now !== last) {
            last = now;
            since = performance.now();
          } else if (performance.now() - since > (now === NOT_STARTED ? LOAD_MS : hangMs)) {
            finish({ stuck: now, why: `hang: no progress for ${hangMs} ms; worker terminated` });
          }
        }, Math.min(250, Math.max(10, hangMs / 4)));
        const finish = (r: { counts: FuzzCounts } | { stuck: number; why: string }) => {
          clearInterval(timer);
          worker.terminate();
          resolve(r);
        };
        worker.onerror = (e) => {
          e.preventDefault();
          finish({ stuck: Atomics.load(beat, 0), why: `crash: ${e.message}` });
        };
        worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
          const m = e.data;
          if (m.type === "finding") void options.onFinding(m.name, m.bytes, m.why);
          else if (m.type === "progress") {
            options.onProgress?.(started - from + m.done, add(total, m.counts));
          } else finish({ counts: m.counts });
        };
        const task: WorkerTask = {
          target,
          caseModule,
          seed,
          from: next,
          cases: end - next,
          budgetMs: options.budgetMs,
          memoryBound: options.memoryBound,
          progressEvery: options.progressEvery,
          heartbeat,
        };
        worker.postMessage(task);
      },
    );
    if ("counts" in ended) {
      Object.assign(total, add(total, ended.counts));
      break;
    }
    // The counts the worker reached before the case in progress.
    Object.assign(total, add(total, { ok: beat[1]!, "dicom-error": beat[2]!, finding: beat[3]! }));
    if (ended.stuck === NOT_STARTED) throw new Error(`fuzz worker for ${target}: ${ended.why}`);
    total.finding++;
    seeds ??= await ((await import(caseModule)) as CaseModule).loadSeeds(target);
    const { caseBytes } = await import("./main.ts");
    await options.onFinding(
      `${target}_${seed}_${ended.stuck}`,
      caseBytes(seeds, seed, ended.stuck),
      ended.why,
    );
    next = ended.stuck + 1;
  }
  return total;
}

function add(a: FuzzCounts, b: FuzzCounts): FuzzCounts {
  return {
    ok: a.ok + b.ok,
    "dicom-error": a["dicom-error"] + b["dicom-error"],
    finding: a.finding + b.finding,
  };
}
