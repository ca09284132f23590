/**
 * C-STORE throughput, ours against DCMTK in the same run, over loopback:
 *
 * - receiving: DCMTK `storescu` sending N files to our StorageScp, and to
 *   DCMTK's `storescp`;
 * - sending: our `store()` to DCMTK's `storescp`, and DCMTK's `storescu`.
 *
 * Files are generated (small CT images, and a few large ones). Run:
 * `deno run -A bench/storage.ts [N]`.
 *
 * @module
 */
import { generateSampleStudies } from "../archive/mod.ts";
import { encodePart10 } from "../dataset/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { store } from "../scu/mod.ts";

const count = Number(Deno.args[0] ?? 1000);

/**
 * DCMTK as Debian builds it leaves Nagle's algorithm on unless TCP_NODELAY=1
 * is in its environment (dcmnet/libsrc/dulfsm.cc); with it on, each small
 * C-STORE waits for a delayed ACK (~40 ms). We measure DCMTK at its best.
 */
const DCMTK_ENV = { TCP_NODELAY: "1" };

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

async function makeFiles(
  dir: string,
  n: number,
  size: number,
): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = [];
  let bytes = 0;
  const perSeries = 50;
  for (
    const ds of generateSampleStudies({
      patients: Math.ceil(n / (perSeries * 2)),
      studiesPerPatient: 1,
      seriesPerStudy: 2,
      instancesPerSeries: perSeries,
      imageSize: size,
    })
  ) {
    if (files.length >= n) break;
    const path = `${dir}/${files.length}.dcm`;
    const b = encodePart10(ds);
    bytes += b.length;
    await Deno.writeFile(path, b);
    files.push(path);
  }
  return { files, bytes };
}

async function dcmtkStorescp(dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = freePort();
  const child = new Deno.Command("storescp", {
    args: ["+xa", "-od", dir, String(port)],
    env: DCMTK_ENV,
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForPort(port);
  return {
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function storescu(port: number, files: string[]): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command("storescu", {
    args: ["-R", "127.0.0.1", String(port), ...files],
    env: DCMTK_ENV,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return performance.now() - start;
}

function line(label: string, ours: number, theirs: number, mb: number, n: number): string {
  return `${label.padEnd(36)} ours ${(ours / 1000).toFixed(2).padStart(6)} s (${
    (mb / (ours / 1000)).toFixed(1)
  } MB/s, ${(n / (ours / 1000)).toFixed(0)} obj/s)   DCMTK ${
    (theirs / 1000).toFixed(2).padStart(6)
  } s   speed ratio ${(theirs / ours).toFixed(2)}x`;
}

async function run(label: string, n: number, size: number): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "bench-store-" });
  try {
    const src = `${root}/src`;
    await Deno.mkdir(src);
    const { files, bytes } = await makeFiles(src, n, size);
    const mb = bytes / 1e6;
    console.log(`${label}: ${files.length} files, ${mb.toFixed(1)} MB`);

    // Receiving: storescu -> ours, storescu -> storescp.
    const oursDir = `${root}/ours`;
    await Deno.mkdir(oursDir);
    let oursRecv: number;
    let oursFast: number;
    {
      await using scp = new StorageScp({ hostname: "127.0.0.1", port: 0, directory: oursDir });
      oursRecv = await storescu(scp.port, files);
    }
    {
      // Without fsync, as DCMTK's storescp writes: the same work minus durability.
      await using scp = new StorageScp({
        hostname: "127.0.0.1",
        port: 0,
        directory: oursDir,
        durable: false,
      });
      oursFast = await storescu(scp.port, files);
    }
    const theirDir = `${root}/theirs`;
    await Deno.mkdir(theirDir);
    const dcmtk = await dcmtkStorescp(theirDir);
    const theirsRecv = await storescu(dcmtk.port, files);
    console.log(line("  receive (storescu ->), fsync", oursRecv, theirsRecv, mb, files.length));
    console.log(line("  receive (storescu ->), no fsync", oursFast, theirsRecv, mb, files.length));

    // Sending: ours -> storescp vs storescu -> storescp (same receiver).
    const t = performance.now();
    const summary = await store("127.0.0.1", dcmtk.port, files);
    const oursSend = performance.now() - t;
    if (summary.failed > 0) throw new Error(`${summary.failed} failed`);
    const theirsSend = await storescu(dcmtk.port, files);
    await dcmtk.stop();
    console.log(line("  send (-> storescp)", oursSend, theirsSend, mb, files.length));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

await run("small objects (16x16 CT)", count, 16);
await run("large objects (1024x1024 CT, 2 MB)", Math.max(10, Math.floor(count / 20)), 1024);
