/**
 * The receive path alone: DCMTK `storescu` sending N files to our
 * `StorageScp` and to DCMTK's `storescp` (`+xa -od`, no fsync), in the same
 * run, alternating who goes first, median of the rounds (issue 13). Ours is
 * measured durable (fsync before success, the default) and not. Received
 * files are kept until the end of each size: deleting thousands of files
 * makes the next creations slow on some file systems (ext4 without a
 * journal skips recently deleted inodes), which would add noise.
 *
 * Run: `deno run -A bench/receive.ts [N] [rounds] [small|ct|large ...]`.
 *
 * @module
 */
import { StorageScp } from "../scp/mod.ts";
import { compare, dcmtk, freshDir } from "./_compare.ts";
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

let serial = 0;
for (const { name, label, n, size } of SIZES) {
  if (picked.length > 0 && !picked.includes(name)) continue;
  const root = await Deno.makeTempDir({ prefix: "bench-receive-" });
  try {
    await Deno.mkdir(`${root}/src`);
    const { files } = await makeFiles(`${root}/src`, n, size);
    console.log(`${label}: ${files.length} files`);
    const rate = (ms: number) => files.length / (ms / 1000);
    const send = (port: number) => dcmtk("storescu", ["-R", "127.0.0.1", String(port), ...files]);
    const theirs = async () => {
      const dir = await freshDir(`${root}/r${serial++}`);
      await using storescp = await DcmtkServer.start(
        "storescp",
        (p) => ["+xa", "-od", dir, String(p)],
      );
      return rate(await send(storescp.port));
    };
    const ours = (durable: boolean | "deferred") => async () => {
      const dir = await freshDir(`${root}/r${serial++}`);
      await using scp = new StorageScp({ hostname: "127.0.0.1", port: 0, directory: dir, durable });
      return rate(await send(scp.port));
    };
    // One unmeasured run each first: ours compiles its hot paths (a
    // long-running SCP is warm), and both start from the same disk state.
    await ours(false)();
    await theirs();
    for (const d of DURABILITY) {
      const durable = d === "true" ? true : d === "false" ? false : "deferred" as const;
      const label = d === "true" ? "durable" : d === "false" ? "no fsync" : d;
      await compare(`  receive, ${label}`, "obj/s", ours(durable), theirs, rounds);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
