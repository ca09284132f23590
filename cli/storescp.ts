/**
 * `dcm storescp --port P [--aet AE] --dir OUT [--json] [--fsync each|deferred|off]`:
 * a Storage SCP that prints one line per stored object, until interrupted.
 * Each file is flushed to the disk before its success is answered unless
 * `--fsync` says otherwise (`deferred`: in the background, and at the end).
 *
 * @module
 */
import { StorageScp } from "../scp/mod.ts";
import {
  durabilityOf,
  parseArgs,
  SERVER_OPTIONS,
  serverPortAndDir,
  untilStopped,
} from "./_common.ts";

const USAGE =
  "dcm storescp --port P --dir OUT [--aet AE] [--host H] [--json] [--fsync each|deferred|off]";

/** Runs `dcm storescp`; returns the exit code after SIGINT/SIGTERM. */
export async function storescp(args: string[], signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...SERVER_OPTIONS,
      json: { type: "boolean", default: false },
      fsync: { type: "string" },
    },
  });
  const durable = durabilityOf(values.fsync, true);
  const { port, dir } = await serverPortAndDir(values, USAGE);
  const scp = new StorageScp({
    hostname: values.host,
    port,
    aeTitle: values.aet,
    directory: dir,
    durable,
    onFileStored: (f) => {
      console.log(
        values.json
          ? JSON.stringify({
            path: f.path,
            sopClassUid: f.sopClassUid,
            sopInstanceUid: f.sopInstanceUid,
            transferSyntax: f.transferSyntax,
            from: f.callingAeTitle,
            bytes: f.size,
          })
          : `stored ${f.path} (${f.size} bytes from ${f.callingAeTitle})`,
      );
    },
    onError: (e) => console.error(`association failed: ${e instanceof Error ? e.message : e}`),
  });
  console.error(
    `storescp ${values.aet} listening on ${values.host}:${scp.port}, writing to ${dir}`,
  );
  await untilStopped(signal);
  await scp.shutdown();
  return 0;
}
