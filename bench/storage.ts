/**
 * C-STORE throughput, ours against DCMTK in the same run, over loopback:
 *
 * - receiving: DCMTK `storescu` sending N files to our StorageScp, and to
 *   DCMTK's `storescp`;
 * - sending: our `store()` to DCMTK's `storescp`, and DCMTK's `storescu`.
 *
 * Files are generated (small CT images, and a few large ones). Each
 * comparison runs 5 rounds, alternating who goes first, and reports the
 * median ratio. Our receiving side is measured with fsync of each file
 * (`StorageScp`'s default) and without (what storescp does); the sending
 * side against a storescp that discards what it receives. Run:
 * `deno run -A bench/storage.ts [N]`.
 *
 * @module
 */
import { StorageScp } from "../scp/mod.ts";
import { store } from "../scu/mod.ts";
import { compare, dcmtk, freshDir } from "./_compare.ts";
import { DcmtkServer } from "../tests/_storage_corpus.ts";
import { makeFiles } from "./_files.ts";

const count = Number(Deno.args[0] ?? 1000);
const ROUNDS = 5;

/** DCMTK's storescp writing into `dir`, or discarding what it receives (`--ignore`). */
function dcmtkStorescp(dir: string | undefined): Promise<DcmtkServer> {
  return DcmtkServer.start(
    "storescp",
    (port) => [...(dir === undefined ? ["--ignore"] : ["+xa", "-od", dir]), String(port)],
  );
}

/** DCMTK's storescu sending `files` to `port`; its wall time in ms. */
function storescu(port: number, files: string[]): Promise<number> {
  return dcmtk("storescu", ["-R", "127.0.0.1", String(port), ...files]);
}

/** A folder of its own for each round's received files. */
let rounds = 0;
async function roundDir(root: string): Promise<string> {
  return await freshDir(`${root}/round-${rounds++}`);
}

async function run(label: string, n: number, size: number): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "bench-store-" });
  try {
    const src = `${root}/src`;
    await Deno.mkdir(src);
    const { files, bytes } = await makeFiles(src, n, size);
    const mb = bytes / 1e6;
    console.log(`${label}: ${files.length} files, ${mb.toFixed(1)} MB`);
    const rate = (ms: number) => files.length / (ms / 1000);

    // Receiving: storescu -> ours, storescu -> storescp, each into a fresh folder.
    const theirsReceive = async () => {
      await using storescp = await dcmtkStorescp(await roundDir(root));
      return rate(await storescu(storescp.port, files));
    };
    const oursReceive = (durable: boolean) => async () => {
      await using scp = new StorageScp({
        hostname: "127.0.0.1",
        port: 0,
        directory: await roundDir(root),
        durable,
      });
      return rate(await storescu(scp.port, files));
    };
    // One unmeasured run each first: a long-running SCP has compiled its hot paths.
    await oursReceive(false)();
    await theirsReceive();
    for (const durable of [true, false]) {
      await compare(
        `  receive (storescu ->), ${durable ? "fsync each" : "no fsync"}`,
        "obj/s",
        oursReceive(durable),
        theirsReceive,
        ROUNDS,
      );
    }

    // Sending: ours -> storescp vs storescu -> storescp (the same receiver, discarding).
    await using storescp = await dcmtkStorescp(undefined);
    await compare(
      "  send (-> storescp --ignore)",
      "obj/s",
      async () => {
        const t = performance.now();
        const summary = await store("127.0.0.1", storescp.port, files);
        if (summary.failed > 0) throw new Error(`${summary.failed} failed`);
        return rate(performance.now() - t);
      },
      async () => rate(await storescu(storescp.port, files)),
      ROUNDS,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

await run("small objects (16x16 CT)", count, 16);
await run("CT-sized objects (256x256 CT, 132 KB)", Math.max(10, Math.floor(count / 2.5)), 256);
await run("large objects (1024x1024 CT, 2 MB)", Math.max(10, Math.floor(count / 20)), 1024);
