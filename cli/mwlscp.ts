/**
 * `dcm mwlscp --port P --aet AE --dir WORKLIST_DIR`: a Modality Worklist SCP
 * (PS3.4 Annex K) over a folder of worklist files, as DCMTK's `wlmscpfs`:
 * `*.wl` or `*.dcm` files (Part 10 or bare data sets), read again for every
 * query; a subfolder named as the called AE title is read instead of the
 * folder when there is one (wlmscpfs's `DIR/AE/*.wl`). Logs one line per
 * association and a warning per file skipped.
 *
 * @module
 */
import { WorklistScp } from "../scp/mod.ts";
import { defineCommand, UsageError } from "./_args.ts";
import {
  NETWORK_OPTIONS,
  SERVER_OPTIONS,
  serverOptions,
  serverPortAndDir,
  serverStop,
  untilStopped,
} from "./_common.ts";

/** `dcm mwlscp`: runs until SIGINT/SIGTERM (or `signal`). */
export const mwlscp = defineCommand({
  name: "mwlscp",
  synopsis: "",
  summary: "Serve a folder of worklist files (*.wl, *.dcm) as a Modality Worklist SCP.",
  positionals: [0, 0],
  options: {
    ...SERVER_OPTIONS,
    dir: {
      type: "string",
      value: "WORKLIST_DIR",
      description:
        "the worklist files, one item each; DIR/<called AE title>/ when that folder exists",
    },
    ...NETWORK_OPTIONS,
  },
}, async (values, _positionals, signal) => {
  if (values.dir !== undefined) {
    const info = await Deno.stat(values.dir).catch(() => undefined);
    if (!info?.isDirectory) throw new UsageError(`--dir ${values.dir} is not a folder`);
  }
  const serving = serverOptions(values);
  const stop = serverStop(values);
  const { port, dir } = await serverPortAndDir(values);
  const scp = new WorklistScp({
    hostname: values.host,
    port,
    aeTitle: values.aet,
    directory: dir,
    ...serving,
    onAssociation: (a) => {
      console.log(`association from ${a.callingAeTitle} to ${a.calledAeTitle}`);
      a.closed.then((r) => console.log(`association from ${a.callingAeTitle} ${r.how}`));
    },
    onError: (e) => console.error(`association failed: ${e instanceof Error ? e.message : e}`),
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  console.error(`mwlscp ${values.aet} listening on ${values.host}:${scp.port}, serving ${dir}`);
  await untilStopped(signal);
  await stop(scp);
  return 0;
});
