/**
 * `dcm store HOST PORT FILE_OR_DIR...`: C-STORE files to a peer, with a
 * progress bar and a summary, like DCMTK's storescu. A DICOMDIR given (or
 * met in a folder) stands for the files its records reference.
 *
 * @module
 */
import { expandPaths, store as storeScu } from "../scu/mod.ts";
import { defineCommand } from "./_args.ts";
import { clientOptions, explained, hostPort, NETWORK_OPTIONS, PEER_OPTIONS } from "./_common.ts";
import { fileError } from "./_file_error.ts";
import { Progress } from "./_progress.ts";
import { lazyTranscoder, transcodeOption } from "./_transcoder.ts";

/** `dcm store`: exits 1 when any object failed. */
export const store = defineCommand({
  name: "store",
  synopsis: "HOST PORT FILE_OR_DIR...",
  summary:
    "Send files (folders: every file under them; a DICOMDIR: the files it references) to a peer with C-STORE.",
  positionals: [3, Infinity],
  options: {
    ...PEER_OPTIONS,
    ...NETWORK_OPTIONS,
    ...transcodeOption("a compressed file whose transfer syntax the peer did not accept"),
  },
}, async (values, positionals) => {
  const { host, port, rest } = hostPort(positionals);
  const files: string[] = [];
  for (const path of rest) {
    try {
      files.push(...await expandPaths([path]));
    } catch (e) {
      throw fileError(path, e);
    }
  }
  const progress = new Progress("store", files.length);
  let done = 0;
  let bytes = 0;
  const summary = await explained(host, port, () =>
    storeScu(host, port, files, {
      ...clientOptions(values),
      ...(values["no-transcode"] ? {} : { transcoder: lazyTranscoder }),
      onResult: (r, _index, total) => {
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
        progress.update(done, "", total);
      },
    }));
  progress.done();
  const line =
    `${summary.completed} stored, ${summary.warning} with warnings, ${summary.failed} failed, ` +
    `${(bytes / 1e6).toFixed(1)} MB in ${progress.seconds.toFixed(1)} s`;
  if (values.json) console.log(JSON.stringify({ summary: { ...summary, results: undefined } }));
  else console.log(line);
  return summary.failed > 0 ? 1 : 0;
});
