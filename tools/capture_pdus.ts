/**
 * Captures the PDUs that DCMTK tools exchange, as byte-exact fixtures for
 * the PDU codec tests.
 *
 * For each scenario it starts DCMTK's `storescp` on a free port, a TCP proxy
 * on 127.0.0.1 port 0 that forwards to it, and a DCMTK SCU pointed at the
 * proxy. The proxy records both directions; each direction is cut into PDUs
 * by their 6-byte headers alone (PS3.8 §9.3.1: type, reserved, 4-byte
 * length), independently of the codec under test, and every PDU is written
 * to `tests/fixtures/pdu/<scenario>/<scu|scp>_<nn>_<pdu-type>.bin`.
 *
 * Usage: `deno run -A tools/capture_pdus.ts [scenario...]` (default: all).
 *
 * @module
 */

const OUT = new URL("../tests/fixtures/pdu/", import.meta.url);
const DICOM_FILE = new URL("../tests/data/pydicom/test_files/MR_small.dcm", import.meta.url)
  .pathname;

/** A capture: how to run storescp and which SCU command to point at the proxy. */
interface Scenario {
  readonly description: string;
  readonly storescp: readonly string[];
  readonly scu: (port: number) => readonly string[];
}

const SCENARIOS: Record<string, Scenario> = {
  echoscu: {
    description: "C-ECHO: A-ASSOCIATE-RQ/AC, P-DATA-TF, A-RELEASE-RQ/RP",
    storescp: [],
    scu: (port) => ["echoscu", "-aet", "ECHOSCU", "-aec", "STORESCP", "127.0.0.1", `${port}`],
  },
  storescu_user_identity: {
    description: "C-STORE with user identity type 2 (58H); storescp fragments to 4096-byte PDUs",
    storescp: ["--max-pdu", "4096", "--ignore"],
    scu: (port) => [
      "storescu",
      ...["-aet", "STORESCU", "-aec", "STORESCP", "--user", "U", "--password", "P"],
      ...["127.0.0.1", `${port}`, DICOM_FILE],
    ],
  },
  getscu_role_selection: {
    description: "C-GET proposal with SCP/SCU role selection (54H); storescp rejects the contexts",
    storescp: [],
    scu: (port) => [
      "getscu",
      ...["-aet", "GETSCU", "-aec", "STORESCP", "-S", "-k", "QueryRetrieveLevel=STUDY"],
      ...["-k", "StudyInstanceUID=1.2.3", "127.0.0.1", `${port}`],
    ],
  },
  echoscu_refused: {
    description: "A-ASSOCIATE-RJ: storescp --refuse",
    storescp: ["--refuse"],
    scu: (port) => ["echoscu", "-aet", "ECHOSCU", "-aec", "STORESCP", "127.0.0.1", `${port}`],
  },
  storescu_abort: {
    description: "A-ABORT from the SCU: storescu --abort",
    storescp: ["--ignore"],
    scu: (port) => [
      "storescu",
      ...["-aet", "STORESCU", "-aec", "STORESCP", "--abort", "-R"],
      ...["127.0.0.1", `${port}`, DICOM_FILE],
    ],
  },
};

const PDU_NAMES: Record<number, string> = {
  1: "a-associate-rq",
  2: "a-associate-ac",
  3: "a-associate-rj",
  4: "p-data-tf",
  5: "a-release-rq",
  6: "a-release-rp",
  7: "a-abort",
};

/** Returns a port that was free a moment ago (DCMTK cannot listen on port 0 and report it). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Connects to storescp, retrying while it starts up. */
async function connectWhenReady(port: number): Promise<Deno.TcpConn> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Copies `from` to `to`, recording every chunk, then half-closes `to`. */
async function pipe(from: Deno.TcpConn, to: Deno.TcpConn, record: Uint8Array[]): Promise<void> {
  const buffer = new Uint8Array(65536);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) break;
      const chunk = buffer.slice(0, n);
      record.push(chunk);
      for (let written = 0; written < n;) written += await to.write(chunk.subarray(written));
    }
  } catch {
    // An abort may reset the connection; what was recorded stands.
  }
  try {
    await to.closeWrite();
  } catch {
    // Already closed.
  }
}

/** Cuts a byte stream into PDUs by their headers (PS3.8 §9.3.1). */
function splitPdus(chunks: Uint8Array[]): Uint8Array[] {
  const bytes = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  const pdus: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length;) {
    if (bytes.length - offset < 6) throw new Error(`${bytes.length - offset} trailing bytes`);
    const length = new DataView(bytes.buffer, offset + 2, 4).getUint32(0);
    if (offset + 6 + length > bytes.length) throw new Error("truncated PDU at end of capture");
    pdus.push(bytes.slice(offset, offset + 6 + length));
    offset += 6 + length;
  }
  return pdus;
}

async function capture(name: string, scenario: Scenario): Promise<void> {
  const scpPort = freePort();
  const storageDir = await Deno.makeTempDir({ prefix: "capture_pdus_" });
  const scp = new Deno.Command("storescp", {
    args: [...scenario.storescp, "-aet", "STORESCP", "-od", storageDir, `${scpPort}`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const proxy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const proxyPort = (proxy.addr as Deno.NetAddr).port;
  const fromScu: Uint8Array[] = [];
  const fromScp: Uint8Array[] = [];
  const relayed = (async () => {
    const scuConn = await proxy.accept();
    const scpConn = await connectWhenReady(scpPort);
    await Promise.all([pipe(scuConn, scpConn, fromScu), pipe(scpConn, scuConn, fromScp)]);
    scuConn.close();
    scpConn.close();
  })();
  const [command, ...args] = scenario.scu(proxyPort);
  const scu = await new Deno.Command(command!, { args, stdout: "null", stderr: "piped" }).output();
  await relayed;
  proxy.close();
  scp.kill("SIGTERM");
  await scp.status;
  await Deno.remove(storageDir, { recursive: true });

  const dir = new URL(`${name}/`, OUT);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [side, chunks] of [["scu", fromScu], ["scp", fromScp]] as const) {
    for (const [i, pdu] of splitPdus(chunks).entries()) {
      const file = `${side}_${String(i + 1).padStart(2, "0")}_${
        PDU_NAMES[pdu[0]!] ?? "unknown"
      }.bin`;
      await Deno.writeFile(new URL(file, dir), pdu);
      written.push(file);
    }
  }
  console.log(`${name}: ${scenario.description}`);
  console.log(`  ${command} ${args.join(" ").replaceAll(`${proxyPort}`, "PORT")}`);
  console.log(`  storescp ${scenario.storescp.join(" ")} -aet STORESCP -od TMP PORT`);
  console.log(`  ${command} exit code ${scu.code}; wrote ${written.join(", ")}`);
}

if (import.meta.main) {
  const names = Deno.args.length > 0 ? Deno.args : Object.keys(SCENARIOS);
  for (const name of names) {
    const scenario = SCENARIOS[name];
    if (scenario === undefined) throw new Error(`unknown scenario ${name}`);
    await capture(name, scenario);
  }
}
