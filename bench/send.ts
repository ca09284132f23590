/**
 * The send path alone (issue 13): our `store()` against DCMTK's `storescu`,
 * both sending to one DCMTK `storescp --ignore`, in the same run,
 * alternating who goes first, median ratio of ≥ 7 rounds. Run:
 * `TCP_NODELAY=1 deno run -A bench/send.ts [N] [ROUNDS] [small|ct|large ...]`.
 * With `BASELINE=<another checkout>`, that checkout's `store()` runs as a
 * third side in the same rounds (before/after against the same storescu runs).
 * `us` as a size list entry adds us -> us: `store()` to our Storage SCP
 * (discarding, granting a window of 16) with and without
 * `maxOperationsInvoked: 16`.
 *
 * @module
 */
import { generateSampleStudies } from "../archive/mod.ts";
import { encodePart10 } from "../dataset/mod.ts";
import { store } from "../scu/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { dcmtk, median } from "./_compare.ts";
import { DcmtkServer } from "../tests/_storage_corpus.ts";

const count = Number(Deno.args[0] ?? 1000);
const rounds = Number(Deno.args[1] ?? 7);
const only = Deno.args.slice(2);
const baselineDir = Deno.env.get("BASELINE");
type Store = typeof store;
const baseline: Store | undefined = baselineDir
  ? (await import(`file://${baselineDir}/scu/mod.ts`)).store
  : undefined;

async function makeFiles(dir: string, n: number, size: number): Promise<string[]> {
  const files: string[] = [];
  for (
    const ds of generateSampleStudies({
      patients: Math.ceil(n / 100),
      studiesPerPatient: 1,
      seriesPerStudy: 2,
      instancesPerSeries: 50,
      imageSize: size,
    })
  ) {
    if (files.length >= n) break;
    const path = `${dir}/${files.length}.dcm`;
    await Deno.writeFile(path, encodePart10(ds));
    files.push(path);
  }
  return files;
}

async function run(label: string, n: number, size: number): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "bench-send-" });
  try {
    const files = await makeFiles(root, n, size);
    const rate = (ms: number) => files.length / (ms / 1000);
    await using storescp = await DcmtkServer.start("storescp", (p) => ["--ignore", String(p)]);
    const ours = async (send: Store) => {
      const t = performance.now();
      const summary = await send("127.0.0.1", storescp.port, files);
      if (summary.failed > 0) throw new Error(`${summary.failed} failed`);
      return rate(performance.now() - t);
    };
    const theirs = async () =>
      rate(await dcmtk("storescu", ["127.0.0.1", String(storescp.port), ...files]));
    const sides: [string, () => Promise<number>][] = [
      ["ours", () => ours(store)],
      ["storescu", theirs],
      ...(baseline ? [["baseline", () => ours(baseline)] as [string, () => Promise<number>]] : []),
    ];
    await ours(store); // warm-up, unmeasured
    if (baseline) await ours(baseline);
    const results = new Map<string, number[]>(sides.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      // Each round a different side goes first.
      for (let k = 0; k < sides.length; k++) {
        const [name, side] = sides[(round + k) % sides.length]!;
        results.get(name)!.push(await side());
      }
    }
    const dcmtkRates = results.get("storescu")!;
    const line = [`${label} (${files.length}):`];
    for (const [name] of sides) {
      const r = results.get(name)!;
      line.push(`${name} ${median(r).toFixed(0)} obj/s`);
      if (name !== "storescu") {
        const ratios = r.map((v, i) => v / dcmtkRates[i]!);
        const sorted = [...ratios].sort((x, y) => x - y);
        line.push(
          `${name}/storescu ${median(ratios).toFixed(2)}x [${sorted[0]!.toFixed(2)}–${
            sorted.at(-1)!.toFixed(2)
          }]`,
        );
      }
    }
    console.log(line.join("  "));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** us -> us: store() to our StorageScp (no disk), one request at a time vs a window of 16. */
async function usToUs(label: string, n: number, size: number): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "bench-send-us-" });
  try {
    const files = await makeFiles(root, n, size);
    await using scp = new StorageScp({
      hostname: "127.0.0.1",
      port: 0,
      asynchronousOperationsWindow: { maxOperationsInvoked: 16, maxOperationsPerformed: 16 },
      handleObject: async (object) => {
        for await (const _ of object.dataset) { /* discarded */ }
      },
    });
    const send = async (maxOperationsInvoked: number) => {
      const t = performance.now();
      const summary = await store("127.0.0.1", scp.port, files, { maxOperationsInvoked });
      if (summary.failed > 0) throw new Error(`${summary.failed} failed`);
      return files.length / ((performance.now() - t) / 1000);
    };
    await send(1);
    const one: number[] = [];
    const window: number[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        one.push(await send(1));
        window.push(await send(16));
      } else {
        window.push(await send(16));
        one.push(await send(1));
      }
    }
    const ratios = window.map((w, i) => w / one[i]!).sort((a, b) => a - b);
    console.log(
      `${label} (${files.length}) us -> us: one at a time ${
        median(one).toFixed(0)
      } obj/s  window 16 ${median(window).toFixed(0)} obj/s  window/one ${
        median(ratios).toFixed(2)
      }x [${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}]`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (only.includes("us")) {
  await usToUs("small 1.4 KB", count, 16);
  await usToUs("CT 132 KB", Math.max(10, Math.floor(count / 2.5)), 256);
  await usToUs("large 2 MB", Math.max(10, Math.floor(count / 20)), 1024);
  Deno.exit(0);
}
if (only.length === 0 || only.includes("small")) await run("small 1.4 KB", count, 16);
if (only.length === 0 || only.includes("ct")) {
  await run("CT 132 KB", Math.max(10, Math.floor(count / 2.5)), 256);
}
if (only.length === 0 || only.includes("large")) {
  await run("large 2 MB", Math.max(10, Math.floor(count / 20)), 1024);
}
