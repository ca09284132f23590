/**
 * The receive path with no disk at all (issue 13): DCMTK `storescu` sending
 * N small files to our `StorageScp`, whose `handleObject` reads each data
 * set and discards it, and to DCMTK's `storescp --ignore`, in the same run,
 * each round in a different order, medians of the rounds. What is left is
 * the cost of the connection, association and DIMSE layers per object.
 *
 * With `BASELINE=<folder of another checkout>`, that checkout's
 * `StorageScp` runs as a third side in the same rounds.
 *
 * Run: `[BASELINE=dir] deno run -A bench/receive_nodisk.ts [N] [rounds] [size]`
 * (size in pixels per side, 16 by default: 1.4 KB objects).
 *
 * @module
 */
import { StorageScp } from "../scp/mod.ts";
import type { IncomingObject } from "../scp/mod.ts";
import { dcmtk, median } from "./_compare.ts";
import { DcmtkServer } from "../tests/_storage_corpus.ts";
import { makeFiles } from "./_files.ts";

const n = Number(Deno.args[0] ?? 1000);
const rounds = Number(Deno.args[1] ?? 7);
const size = Number(Deno.args[2] ?? 16);
const baselineDir = Deno.env.get("BASELINE");
const Baseline: typeof StorageScp | undefined = baselineDir === undefined
  ? undefined
  : (await import(`file://${await Deno.realPath(baselineDir)}/scp/mod.ts`)).StorageScp;

/** Reads the data set to its end and drops it. */
async function discard(object: IncomingObject): Promise<void> {
  const reader = object.dataset.getReader();
  while (!(await reader.read()).done);
}

const root = await Deno.makeTempDir({ prefix: "bench-receive-nodisk-" });
try {
  const { files, bytes } = await makeFiles(root, n, size);
  console.log(`${files.length} files of ${Math.round(bytes / files.length)} bytes, no disk`);
  const send = (port: number) => dcmtk("storescu", ["-R", "127.0.0.1", String(port), ...files]);
  const storescp = async () => {
    await using server = await DcmtkServer.start("storescp", (p) => ["--ignore", String(p)]);
    return await send(server.port);
  };
  const scp = (Scp: typeof StorageScp) => async () => {
    await using server = new Scp({ hostname: "127.0.0.1", port: 0, handleObject: discard });
    return await send(server.port);
  };
  const sides: [string, () => Promise<number>][] = [
    ["storescp", storescp],
    ["ours", scp(StorageScp)],
    ...Baseline ? [["baseline", scp(Baseline)] as [string, () => Promise<number>]] : [],
  ];
  // One unmeasured run each first: a long-running SCP has compiled its hot paths.
  for (const [, run] of sides) await run();
  const ms = new Map<string, number[]>(sides.map(([side]) => [side, []]));
  const ratios = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    const t = new Map<string, number>();
    for (let i = 0; i < sides.length; i++) {
      const [side, run] = sides[(i + round) % sides.length]!;
      t.set(side, await run());
    }
    for (const [side, v] of t) ms.get(side)!.push(v);
    const ratio = (key: string, a: string, b: string) =>
      ratios.set(key, [...ratios.get(key) ?? [], t.get(b)! / t.get(a)!]);
    ratio("ours / storescp", "ours", "storescp");
    if (Baseline) {
      ratio("baseline / storescp", "baseline", "storescp");
      ratio("ours / baseline", "ours", "baseline");
    }
  }
  const perObject = [...ms].map(([side, v]) => `${side} ${(median(v) / n).toFixed(3)}`);
  console.log(`  ms/object ${perObject.join(", ")}`);
  for (const [key, r] of ratios) {
    console.log(
      `    ${key.padEnd(20)} ${median(r).toFixed(2)}x  (rounds: ${
        r.map((x) => x.toFixed(2)).join(", ")
      })`,
    );
  }
} finally {
  await Deno.remove(root, { recursive: true });
}
