/**
 * The worker {@linkcode fuzzWatched} runs cases in: it loads the case
 * module, runs {@linkcode fuzzTarget} and publishes the case in progress and
 * the counts so far in the shared heartbeat before each case.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { fuzzTarget } from "./main.ts";
import type { CaseResult } from "./targets.ts";
import type { WorkerMessage, WorkerTask } from "./watchdog.ts";

self.onmessage = async (e: MessageEvent<WorkerTask>) => {
  const task = e.data;
  const cases = await import(task.caseModule) as {
    loadSeeds(target: string): Promise<Uint8Array[]>;
    runCase(target: string, bytes: Uint8Array, index?: number): Promise<CaseResult>;
  };
  const seeds = await cases.loadSeeds(task.target);
  const beat = new Int32Array(task.heartbeat);
  const post = (m: WorkerMessage) => self.postMessage(m);
  const counts = await fuzzTarget(task.target as never, seeds, {
    seed: task.seed,
    cases: task.cases,
    from: task.from,
    ...(task.budgetMs === undefined ? {} : { budgetMs: task.budgetMs }),
    ...(task.memoryBound === undefined ? {} : { memoryBound: task.memoryBound }),
    ...(task.progressEvery === undefined ? {} : { progressEvery: task.progressEvery }),
    run: (bytes, i) => cases.runCase(task.target, bytes, i),
    onCase: (i, c) => {
      beat[1] = c.ok;
      beat[2] = c["dicom-error"];
      beat[3] = c.finding;
      Atomics.store(beat, 0, i);
    },
    onFinding: (name, bytes, why) => post({ type: "finding", name, bytes, why }),
    onProgress: (done, c) => post({ type: "progress", done, counts: { ...c } }),
  });
  post({ type: "done", counts });
};
