/**
 * `dcm storescp --port P [--aet AE] --dir OUT [--json]`: a Storage SCP that
 * prints one line per stored object, until interrupted.
 *
 * @module
 */
import { StorageScp } from "../scp/mod.ts";
import { parseArgs, untilStopped } from "./_common.ts";

const USAGE = "dcm storescp --port P --dir OUT [--aet AE] [--host H] [--json]";

/** Runs `dcm storescp`; returns the exit code after SIGINT/SIGTERM. */
export async function storescp(args: string[], signal?: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      dir: { type: "string" },
      aet: { type: "string", default: "DCMNET" },
      host: { type: "string", default: "0.0.0.0" },
      json: { type: "boolean", default: false },
    },
  });
  const port = Number(values.port);
  if (!values.dir || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`usage: ${USAGE}`);
  }
  await Deno.mkdir(values.dir, { recursive: true });
  const scp = new StorageScp({
    hostname: values.host,
    port,
    aeTitle: values.aet,
    directory: values.dir,
    onStored: (f) => {
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
    `storescp ${values.aet} listening on ${values.host}:${scp.port}, writing to ${values.dir}`,
  );
  await untilStopped(signal);
  await scp.shutdown();
  return 0;
}
