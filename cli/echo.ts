/**
 * `dcm echo HOST PORT [--aet AE] [--call AE] [--json]`: C-ECHO a peer.
 *
 * @module
 */
import { echo as echoScu } from "../scu/mod.ts";
import { explained, hostPort, parseArgs, PEER_OPTIONS, timeoutMs } from "./_common.ts";

const USAGE = "dcm echo HOST PORT [--aet AE] [--call AE] [--timeout S] [--json]";

/** Runs `dcm echo`; returns the exit code. */
export async function echo(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: PEER_OPTIONS,
  });
  const { host, port } = hostPort(positionals, USAGE);
  const timeout = timeoutMs(values.timeout);
  const result = await explained(host, port, () =>
    echoScu(host, port, {
      callingAeTitle: values.aet,
      calledAeTitle: values.call,
      ...(timeout !== undefined
        ? { connectTimeout: timeout, associationTimeout: timeout, dimseTimeout: timeout }
        : {}),
    }));
  if (values.json) {
    console.log(
      JSON.stringify({ host, port, status: result.status, milliseconds: result.milliseconds }),
    );
  } else {
    console.log(
      `C-ECHO ${values.call}@${host}:${port}: success in ${result.milliseconds.toFixed(1)} ms`,
    );
  }
  return 0;
}
