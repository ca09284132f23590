/**
 * `dcm qrscp --port P --dir ARCHIVE [--dest NAME=HOST:PORT ...] [--mpps]`: a
 * Query/Retrieve SCP over a folder. It indexes what is already in the folder
 * (with a progress bar; a File-set's DICOMDIR is read for the files it
 * references), accepts C-STORE into it, and logs one line per association.
 * With `--commit` it serves Storage Commitment for what it indexes,
 * reporting to the `--dest` addresses when the requesting association is
 * gone. With `--mpps` it also serves Modality Performed Procedure Step
 * (PS3.4 F.7), keeping the steps in `ARCHIVE/.mpps.sqlite`.
 *
 * @module
 */
import { Archive } from "../archive/mod.ts";
import { indexFolder, MppsService, ProcedureStepStore, QueryRetrieveScp } from "../scp/mod.ts";
import { acceptedSyntaxes, acceptOption } from "./_accept.ts";
import { defineCommand } from "./_args.ts";
import {
  COMMIT_OPTION,
  commitmentOptions,
  milliseconds,
  NETWORK_OPTIONS,
  parseDestination,
  positiveInteger,
  SERVER_OPTIONS,
  serverOptions,
  serverPortAndDir,
  serverStop,
  untilStopped,
} from "./_common.ts";
import { describeChange } from "./mppsscp.ts";
import { Progress } from "./_progress.ts";
import { lazyTranscoder, transcodeOption } from "./_transcoder.ts";

export { parseDestination } from "./_common.ts";

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
      description:
        "the folder served: indexed at start (with its DICOMDIR, if any, read for the files it references), C-STORE writes into it",
    },
    dest: {
      type: "string",
      multiple: true,
      default: [],
      value: "NAME=HOST:PORT",
      description:
        "a C-MOVE destination (and, with --commit, storage commitment requestor) AE title and its address (repeatable)",
    },
    ...COMMIT_OPTION,
    db: {
      type: "string",
      default: ":memory:",
      value: "FILE",
      description:
        "the SQLite index file; the default keeps the index in memory (about 4 KB an object) and rebuilds it at start",
    },
    mpps: {
      type: "boolean",
      default: false,
      description:
        "also serve Modality Performed Procedure Step (N-CREATE, N-SET), the steps kept in ARCHIVE/.mpps.sqlite; one line per change",
    },
    "pending-interval": {
      type: "string",
      default: "0.1",
      value: "SECONDS",
      description:
        "at most one pending C-MOVE/C-GET response this often (the first sub-operation's goes at once); 0: one per sub-operation",
    },
    "move-window": {
      type: "string",
      default: "4",
      value: "N",
      description:
        "C-STORE requests a C-MOVE keeps outstanding where its destination grants as many (Asynchronous Operations Window); 1: one at a time",
    },
    ...acceptOption("all", "of the storage contexts (C-STORE in, C-GET out)"),
    ...transcodeOption(
      "a C-MOVE or C-GET sub-operation whose compressed object the peer did not accept",
    ),
    ...NETWORK_OPTIONS,
  },
}, async (values, _positionals, signal) => {
  const destinations = Object.fromEntries(values.dest.map(parseDestination));
  const pendingInterval = milliseconds(values["pending-interval"], "--pending-interval");
  const moveOperationsInvoked = positiveInteger(values["move-window"], "--move-window");
  const transferSyntaxes = acceptedSyntaxes(values.accept);
  const serving = serverOptions(values);
  const stop = serverStop(values);
  const { port, dir } = await serverPortAndDir(values);
  using archive = Archive.open({ database: values.db });
  const total = await countFiles(dir);
  const progress = new Progress("indexing", total);
  let done = 0;
  const { indexed, skipped, referenced } = await indexFolder(archive, dir, {
    onFile: () => progress.update(++done),
    onWarning: (m) => {
      progress.done();
      console.error(`warning: ${m}`);
    },
  });
  progress.done();
  if (referenced !== undefined) {
    console.error(`${dir}/DICOMDIR references ${referenced} files`);
  }
  const c = archive.counts();
  console.error(
    `indexed ${indexed} files (${skipped} skipped): ${c.patients} patients, ${c.studies} studies, ${c.series} series, ${c.instances} instances`,
  );
  using mpps = values.mpps
    ? new MppsService({
      store: ProcedureStepStore.open({ database: `${dir}/.mpps.sqlite` }),
      onChange: (event) => console.log(describeChange(event, false)),
      onWarning: (m) => console.error(`warning: ${m}`),
    })
    : undefined;
  const scp = new QueryRetrieveScp({
    hostname: values.host,
    port,
    aeTitle: values.aet,
    archive,
    directory: dir,
    destinations,
    transferSyntaxes,
    pendingInterval,
    moveOperationsInvoked,
    ...commitmentOptions(values.commit, destinations),
    ...(mpps ? { mpps } : {}),
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
