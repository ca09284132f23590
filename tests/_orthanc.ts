/**
 * Orthanc (Debian's `orthanc` package, /usr/sbin/Orthanc) as a real peer for
 * interop tests: started on free loopback ports from a JSON configuration
 * the test writes (storage in a temporary folder, remote HTTP access off,
 * `TCP_NODELAY` on), ready once it logs "Orthanc has started"; objects can
 * be uploaded over its REST API. Tests call {@linkcode orthancIgnore} for
 * their `ignore` option: skipped with a message where Orthanc is missing, a
 * failure in CI.
 *
 * @module
 */
import { LineReader } from "./_cli.ts";
import { freePort, HOST, withDeadline } from "./_storage_corpus.ts";

/** Where Debian installs Orthanc. */
export const ORTHANC = "/usr/sbin/Orthanc";

/** Reports whether Orthanc is installed. */
export function hasOrthanc(): boolean {
  try {
    return Deno.statSync(ORTHANC).isFile;
  } catch {
    return false;
  }
}

/** Returns `true` (skip) when Orthanc is missing outside CI, printing why; throws in CI. */
export function orthancIgnore(): boolean {
  if (hasOrthanc()) return false;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`CI=true but Orthanc is not installed at ${ORTHANC}: interop tests must run`);
  }
  console.warn(`skipping: Orthanc is not installed (apt-get install -y orthanc)`);
  return true;
}

/** A remote modality in Orthanc's `DicomModalities`: AE title, host, port. */
export type OrthancModality = readonly [aeTitle: string, host: string, port: number];

/** Options of {@linkcode startOrthanc}. */
export interface OrthancOptions {
  /**
   * Modalities it knows, by name: a port on 127.0.0.1 (the name is the AE
   * title), or AE title, host and port.
   */
  readonly modalities?: Readonly<Record<string, number | OrthancModality>>;
  /** More configuration, merged over the defaults (e.g. `AcceptedTransferSyntaxes`). */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** A running Orthanc; disposing of it stops it and removes its folder. */
export interface Orthanc extends AsyncDisposable {
  /** Its AE title: "ORTHANC". */
  readonly aeTitle: string;
  /** Its DICOM port. */
  readonly port: number;
  /** Its HTTP port (localhost only). */
  readonly httpPort: number;
  /** What it logged. */
  readonly log: LineReader;
  /** Stores a Part 10 file through the REST API; returns Orthanc's status ("Success"...). */
  upload(bytes: Uint8Array<ArrayBuffer>): Promise<string>;
}

/** Starts Orthanc on free ports with its storage in a temporary folder; waits until it serves. */
export async function startOrthanc(options: OrthancOptions = {}): Promise<Orthanc> {
  const root = await Deno.makeTempDir({ prefix: "orthanc_" });
  const httpPort = freePort(), port = freePort();
  const modalities: Record<string, OrthancModality> = {};
  for (const [name, m] of Object.entries(options.modalities ?? {})) {
    modalities[name] = typeof m === "number" ? [name, HOST, m] : m;
  }
  const config = {
    Name: "dcmnet-test",
    StorageDirectory: `${root}/db`,
    IndexDirectory: `${root}/db`,
    HttpPort: httpPort,
    DicomPort: port,
    DicomAet: "ORTHANC",
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowGet: true,
    DicomAlwaysAllowFind: true,
    DicomAlwaysAllowMove: true,
    DicomModalities: modalities,
    Plugins: [],
    ...options.config,
  };
  await Deno.writeTextFile(`${root}/config.json`, JSON.stringify(config, null, 2));
  const child = new Deno.Command(ORTHANC, {
    args: [`${root}/config.json`],
    // Orthanc's DICOM layer is DCMTK's, which sets TCP_NODELAY only when this
    // variable says so: without it each small PDU may wait for a delayed ACK.
    env: { TCP_NODELAY: "1" },
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
    await Deno.remove(root, { recursive: true });
  };
  try {
    // Orthanc logs this once both its HTTP and DICOM servers listen.
    await withDeadline(log.find(/Orthanc has started/), 60_000, "Orthanc to start");
  } catch (e) {
    await stop();
    throw new Error(`Orthanc did not start: ${log.lines.join("\n")}`, { cause: e });
  }
  return {
    aeTitle: "ORTHANC",
    port,
    httpPort,
    log,
    async upload(bytes) {
      const response = await fetch(`http://${HOST}:${httpPort}/instances`, {
        method: "POST",
        body: bytes,
      });
      const body = await response.json();
      return String(body["Status"]);
    },
    [Symbol.asyncDispose]: stop,
  };
}
