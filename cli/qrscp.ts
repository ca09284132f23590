/**
 * `dcm qrscp --port P --dir ARCHIVE [--dest NAME=HOST:PORT ...]`: a
 * Query/Retrieve SCP over a folder. It indexes what is already in the folder
 * (with a progress bar), accepts C-STORE into it, and logs one line per
 * association.
 *
 * @module
 */
import { Archive } from "../archive/mod.ts";
import { type MoveDestination, QueryRetrieveScp } from "../scp/mod.ts";
import { acceptedSyntaxes, acceptOption } from "./_accept.ts";
import { defineCommand, UsageError } from "./_args.ts";
import {
  NETWORK_OPTIONS,
  SERVER_OPTIONS,
  serverOptions,
  serverPortAndDir,
  serverStop,
  untilStopped,
} from "./_common.ts";
import { Progress } from "./_progress.ts";
import { lazyTranscoder, transcodeOption } from "./_transcoder.ts";

/** Parses `NAME=HOST:PORT`. */
export function parseDestination(text: string): [string, MoveDestination] {
  const m = /^([^=]{1,16})=(.+):(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--dest must be NAME=HOST:PORT, not "${text}"`);
  return [m[1]!, { hostname: m[2]!, port: Number(m[3]) }];
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory) n += await countFiles(`${dir}/${e.name}`);
    else if (e.isFile) n++;
  }
  return n;
}

/** `dcm qrscp`: runs until SIGINT/SIGTERM (or `signal`). */
export const qrscp = defineCommand({
  name: "qrscp",
  synopsis: "",
  summary: "Serve a folder with C-FIND, C-MOVE, C-GET and C-STORE (Query/Retrieve SCP).",
  positionals: [0, 0],
  options: {
    ...SERVER_OPTIONS,
    dir: {
      type: "string",
      value: "ARCHIVE",
      description: "the folder served: indexed at start, C-STORE writes into it",
    },
    dest: {
      type: "string",
      multiple: true,
      default: [],
      value: "NAME=HOST:PORT",
      description: "a C-MOVE destination AE title and its address (repeatable)",
    },
    db: {
      type: "string",
      default: ":memory:",
      value: "FILE",
      description:
        "the SQLite index file; the default keeps the index in memory (about 4 KB an object) and rebuilds it at start",
    },
    ...acceptOption("all", "of the storage contexts (C-STORE in, C-GET out)"),
    ...transcodeOption(
      "a C-MOVE or C-GET sub-operation whose compressed object the peer did not accept",
    ),
    ...NETWORK_OPTIONS,
  },
}, async (values, _positionals, signal) => {
  const destinations = Object.fromEntries(values.dest.map(parseDestination));
  const transferSyntaxes = acceptedSyntaxes(values.accept);
  const serving = serverOptions(values);
  const stop = serverStop(values);
  const { port, dir } = await serverPortAndDir(values);
  using archive = Archive.open({ database: values.db });
  const total = await countFiles(dir);
  const progress = new Progress("indexing", total);
  let done = 0;
  const { indexed, skipped } = await archive.ingestDirectory(
    dir,
    () => progress.update(++done),
  );
  progress.done();
  const c = archive.counts();
  console.error(
    `indexed ${indexed} files (${skipped} skipped): ${c.patients} patients, ${c.studies} studies, ${c.series} series, ${c.instances} instances`,
  );
  const scp = new QueryRetrieveScp({
    hostname: values.host,
    port,
    aeTitle: values.aet,
    archive,
    directory: dir,
    destinations,
    transferSyntaxes,
    ...(values["no-transcode"] ? {} : { transcoder: lazyTranscoder }),
    ...serving,
    onAssociation: (a) => {
      const accepted = a.acceptedContexts.length;
      console.log(
        `association from ${a.callingAeTitle} to ${a.calledAeTitle}: ${accepted} contexts accepted`,
      );
      a.closed.then((r) => console.log(`association from ${a.callingAeTitle} ${r.how}`));
    },
    onError: (e) => console.error(`association failed: ${e instanceof Error ? e.message : e}`),
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  console.error(`qrscp ${values.aet} listening on ${values.host}:${scp.port}`);
  await untilStopped(signal);
  await stop(scp);
  return 0;
});
