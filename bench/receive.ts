/**
 * The receive path alone: DCMTK `storescu` sending N files to our
 * `StorageScp` and to DCMTK's `storescp` (`+xa -od`, no fsync), in the same
 * run, each round in a different order, medians of the rounds (issue 13).
 * Ours is measured durable (fsync before success, the default) and not.
 *
 * With `BASELINE=<folder of another checkout>`, that checkout's
 * `StorageScp` runs as a third side in the same rounds, so that a change is
 * measured before and after against the same `storescp` runs.
 *
 * Received files are kept until the end of each size: deleting thousands
 * of files makes the next creations slow on some file systems (ext4
 * without a journal skips recently deleted inodes), which adds noise.
 *
 * With `SENDERS=k`, k `storescu` processes send at once, each a share of
 * the files: several modalities at the same time, whose durable stores
 * our journal flushes together.
 *
 * Run: `[DURABLE=false,true] [SENDERS=1] [BASELINE=dir] deno run -A bench/receive.ts [N] [rounds] [small|ct|large ...]`.
 *
 * @module
 */
import { StorageScp } from "../scp/mod.ts";
import {
  alternateSides,
  dcmtk,
  freshDir,
  median,
  printRatios,
  ratioPairs,
  type Side,
} from "./_compare.ts";
import { DcmtkServer } from "../tests/_storage_corpus.ts";
import { makeFiles } from "./_files.ts";

const count = Number(Deno.args[0] ?? 500);
const rounds = Number(Deno.args[1] ?? 5);
const picked = Deno.args.slice(2);
const SIZES = [
  { name: "small", label: "small objects (16x16 CT, 1.4 KB)", n: count, size: 16 },
  { name: "ct", label: "CT-sized objects (256x256, 132 KB)", n: Math.ceil(count / 2.5), size: 256 },
  { name: "large", label: "large objects (1024x1024, 2 MB)", n: Math.ceil(count / 20), size: 1024 },
] as const;
const DURABILITY = (Deno.env.get("DURABLE") ?? "false,true").split(",");
const SENDERS = Math.max(1, Number(Deno.env.get("SENDERS") ?? 1));
const baselineDir = Deno.env.get("BASELINE");
const Baseline: typeof StorageScp | undefined = baselineDir === undefined
  ? undefined
  : (await import(`file://${await Deno.realPath(baselineDir)}/scp/mod.ts`)).StorageScp;

let serial = 0;
for (const { name, label, n, size } of SIZES) {
  if (picked.length > 0 && !picked.includes(name)) continue;
  const root = await Deno.makeTempDir({ prefix: "bench-receive-" });
  try {
    await Deno.mkdir(`${root}/src`);
    const { files } = await makeFiles(`${root}/src`, n, size);
    console.log(
      `${label}: ${files.length} files${SENDERS > 1 ? `, ${SENDERS} senders at once` : ""}`,
    );
    // SENDERS=k: k storescu processes at once, each with a share of the
    // files (several modalities storing at the same time); the time is
    // until the last one is done.
    const send = async (port: number) => {
      const start = performance.now();
      await Promise.all(
        Array.from({ length: SENDERS }, (_, k) => files.filter((_, i) => i % SENDERS === k))
          .map((share) => dcmtk("storescu", ["-R", "127.0.0.1", String(port), ...share])),
      );
      return performance.now() - start;
    };
    const storescp = async () => {
      const dir = await freshDir(`${root}/r${serial++}`);
      await using server = await DcmtkServer.start(
        "storescp",
        (p) => ["+xa", "-od", dir, String(p)],
      );
      return await send(server.port);
    };
    const scp = (Scp: typeof StorageScp, durable: boolean | "deferred") => async () => {
      const dir = await freshDir(`${root}/r${serial++}`);
      await using server = new Scp({ hostname: "127.0.0.1", port: 0, directory: dir, durable });
      return await send(server.port);
    };
    for (const d of DURABILITY) {
      const durable = d === "true" ? true : d === "false" ? false : "deferred" as const;
      const sides: Side[] = [
        ["storescp", storescp],
        ["ours", scp(StorageScp, durable)],
        ...Baseline ? [["baseline", scp(Baseline, durable)] as Side] : [],
      ];
      const { values: ms, ratios } = await alternateSides(
        sides,
        rounds,
        ratioPairs("ours", "storescp", Baseline ? "baseline" : undefined),
      );
      const perObject = [...ms].map(([side, v]) => `${side} ${(median(v) / n).toFixed(2)}`);
      console.log(
        `  ${d === "true" ? "durable" : d === "false" ? "no fsync" : d}: ms/object ${
          perObject.join(", ")
        }`,
      );
      printRatios(ratios, "    ", 20);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
