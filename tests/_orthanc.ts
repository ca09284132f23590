/**
 * Orthanc as a test peer: started from a JSON configuration the test writes
 * (DICOM and HTTP ports chosen free, storage in a temporary folder, remote
 * HTTP access off), ready once it logs "Orthanc has started".
 *
 * @module
 */
import { LineReader } from "./_cli.ts";
import { withDeadline } from "./_storage_corpus.ts";

/** Where Debian's `orthanc` package puts the server. */
const ORTHANC = "/usr/sbin/Orthanc";

let present: boolean | undefined;

/** Returns `true` (skip) when Orthanc is not installed outside CI, printing why; throws in CI. */
export function orthancIgnore(): boolean {
  if (present === undefined) {
    try {
      present = Deno.statSync(ORTHANC).isFile;
    } catch {
      present = false;
    }
  }
  if (present) return false;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`CI=true but ${ORTHANC} is not installed: interop tests must run in CI`);
  }
  console.warn(`skipping: ${ORTHANC} is not installed (apt-get install -y orthanc)`);
  return true;
}

/** A port that was free a moment ago (ours, then released). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A remote modality in Orthanc's `DicomModalities`: AE title, host, port. */
export type OrthancModality = readonly [aeTitle: string, host: string, port: number];

/** A running Orthanc; disposing of it stops it and removes its folder. */
export interface OrthancPeer extends AsyncDisposable {
  /** Its AE title: "ORTHANC". */
  readonly aeTitle: string;
  /** Its DICOM port. */
  readonly dicomPort: number;
  /** Its HTTP port (localhost only). */
  readonly httpPort: number;
  /** What it logged. */
  readonly log: LineReader;
}

/** Starts Orthanc knowing `modalities` by name, and waits until it has started. */
export async function startOrthanc(
  modalities: Readonly<Record<string, OrthancModality>> = {},
): Promise<OrthancPeer> {
  const dir = await Deno.makeTempDir({ prefix: "orthanc-" });
  const dicomPort = freePort();
  const httpPort = freePort();
  const config = {
    Name: "dcm-net-test",
    StorageDirectory: `${dir}/storage`,
    IndexDirectory: `${dir}/storage`,
    DicomAet: "ORTHANC",
    DicomPort: dicomPort,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    DicomModalities: modalities,
    Plugins: [],
  };
  await Deno.writeTextFile(`${dir}/orthanc.json`, JSON.stringify(config, null, 2));
  const child = new Deno.Command(ORTHANC, {
    args: [`${dir}/orthanc.json`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new LineReader(child.stderr);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await child.status;
    await log.done;
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await withDeadline(log.find(/Orthanc has started/), 60_000, "Orthanc to start");
  } catch (e) {
    await stop();
    throw e;
  }
  return { aeTitle: "ORTHANC", dicomPort, httpPort, log, [Symbol.asyncDispose]: stop };
}
