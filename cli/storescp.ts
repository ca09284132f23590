/**
 * `dcm storescp --port P --dir OUT`: a Storage SCP that prints one line per
 * stored object, until interrupted (SIGINT, SIGTERM), like DCMTK's storescp.
 * Each object is on the disk before its success is answered unless
 * `--fsync` says otherwise (`deferred`: in the background, and at the end):
 * appended to the folder's write-ahead journal and flushed there, its file
 * written meanwhile (`--no-journal`: the file and its folder flushed instead).
 * With `--commit` it serves Storage Commitment too, for what is in the
 * folder, reporting to the `--dest NAME=HOST:PORT` addresses when the
 * requesting association is gone.
 *
 * @module
 */
import { StorageScp } from "../scp/mod.ts";
import { acceptedSyntaxes, acceptOption } from "./_accept.ts";
import { defineCommand } from "./_args.ts";
import {
  COMMIT_OPTION,
  commitmentOptions,
  durabilityOf,
  NETWORK_OPTIONS,
  parseDestination,
  SERVER_OPTIONS,
  serverOptions,
  serverPortAndDir,
  serverStop,
  untilStopped,
} from "./_common.ts";

/** `dcm storescp`: exits 0 after SIGINT/SIGTERM (or `signal`). */
export const storescp = defineCommand({
  name: "storescp",
  synopsis: "",
  summary: "Receive objects with C-STORE into DIR/<SOPInstanceUID>.dcm until stopped.",
  positionals: [0, 0],
  options: {
    ...SERVER_OPTIONS,
    json: {
      type: "boolean",
      default: false,
      description: "one JSON object a line per stored file",
    },
    fsync: {
      type: "string",
      default: "each",
      value: "each|deferred|off",
      description: "flush each file before answering, in the background, or never",
    },
    "no-journal": {
      type: "boolean",
      default: false,
      description:
        "with --fsync each, flush each file and its folder instead of appending to the folder's .journal (one flush per object shared by all associations)",
    },
    ...COMMIT_OPTION,
    dest: {
      type: "string",
      multiple: true,
      default: [],
      value: "NAME=HOST:PORT",
      description: "a storage commitment requestor's AE title and its address (repeatable)",
    },
    ...acceptOption("all", "accepted"),
    "as-proposed": {
      type: "boolean",
      default: false,
      description:
        "of the accepted syntaxes, take the one the sender proposes first (for an archive that sends objects as stored and cannot convert, e.g. dcmqrscp -x...)",
    },
    ...NETWORK_OPTIONS,
  },
}, async (values, _positionals, signal) => {
  const durable = durabilityOf(values.fsync, true);
  const transferSyntaxes = acceptedSyntaxes(values.accept);
  const serving = serverOptions(values);
  const stop = serverStop(values);
  const { port, dir } = await serverPortAndDir(values);
  const scp = new StorageScp({
    hostname: values.host,
    port,
    aeTitle: values.aet,
    directory: dir,
    durable,
    journal: !values["no-journal"],
    transferSyntaxes,
    ...(values["as-proposed"] ? { proposerOrder: true } : {}),
    ...serving,
    ...commitmentOptions(values.commit, Object.fromEntries(values.dest.map(parseDestination))),
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
    onWarning: (m) => console.error(`warning: ${m}`),
    onError: (e) => console.error(`association failed: ${e instanceof Error ? e.message : e}`),
  });
  console.error(
    `storescp ${values.aet} listening on ${values.host}:${scp.port}, writing to ${dir}`,
  );
  await untilStopped(signal);
  await stop(scp);
  return 0;
});
