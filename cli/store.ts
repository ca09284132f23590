/**
 * `dcm store HOST PORT FILE_OR_DIR... [--aet AE] [--call AE] [--json]`:
 * C-STORE files to a peer, with a progress bar and a summary.
 *
 * @module
 */
import { expandPaths, store as storeScu } from "../scu/mod.ts";
import { explained, hostPort, parseArgs, PEER_OPTIONS, timeoutMs } from "./_common.ts";
import { Progress } from "./_progress.ts";

const USAGE = "dcm store HOST PORT FILE_OR_DIR... [--aet AE] [--call AE] [--timeout S] [--json]";

/** Runs `dcm store`; returns the exit code (1 when any object failed). */
export async function store(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: PEER_OPTIONS,
  });
  const { host, port, rest } = hostPort(positionals, USAGE);
  if (rest.length === 0) throw new TypeError(`usage: ${USAGE}`);
  const files = await expandPaths(rest);
  const progress = new Progress("store", files.length);
  let done = 0;
  let bytes = 0;
  const timeout = timeoutMs(values.timeout);
  const summary = await explained(host, port, () =>
    storeScu(host, port, files, {
      callingAeTitle: values.aet,
      calledAeTitle: values.call,
      ...(timeout !== undefined
        ? { connectTimeout: timeout, associationTimeout: timeout, dimseTimeout: timeout }
        : {}),
      onResult: (r) => {
        done++;
        bytes += r.bytes;
        if (values.json) {
          console.log(JSON.stringify({
            file: r.source,
            sopInstanceUid: r.sopInstanceUid,
            status: r.status,
            error: r.error?.message,
          }));
        } else if (r.error) {
          progress.done();
          console.error(`failed: ${r.source}: ${r.error.message}`);
        }
        progress.update(done);
      },
    }));
  progress.done();
  const line =
    `${summary.completed} stored, ${summary.warning} with warnings, ${summary.failed} failed, ` +
    `${(bytes / 1e6).toFixed(1)} MB in ${progress.seconds.toFixed(1)} s`;
  if (values.json) console.log(JSON.stringify({ summary: { ...summary, results: undefined } }));
  else console.log(line);
  return summary.failed > 0 ? 1 : 0;
}
