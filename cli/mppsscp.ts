/**
 * `dcm mppsscp --dir DIR [--port P]`: a Modality Performed Procedure Step
 * SCP (PS3.4 F.7) keeping the steps in `DIR/mpps.sqlite`, so that they
 * survive a restart, and printing one line per change (created, updated,
 * completed, discontinued) until interrupted. `dcm qrscp --mpps` serves the
 * same beside Query/Retrieve on one port, as a PACS does.
 *
 * @module
 */
import { MppsScp, type ProcedureStepEvent } from "../scp/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { toDicomJson } from "../dataset/mod.ts";
import { defineCommand } from "./_args.ts";
import {
  NETWORK_OPTIONS,
  SERVER_OPTIONS,
  serverOptions,
  serverPortAndDir,
  serverStop,
  untilStopped,
} from "./_common.ts";

/** The file of the steps in a server's folder. */
export const MPPS_DATABASE = "mpps.sqlite";

/** One line about a change: text, or a JSON object with the step's DICOM JSON data set. */
export function describeChange(event: ProcedureStepEvent, json: boolean): string {
  const { type, step, callingAeTitle } = event;
  if (json) {
    return JSON.stringify({
      event: type,
      sopInstanceUid: step.sopInstanceUid,
      status: step.status,
      from: callingAeTitle,
      dataset: toDicomJson(step.dataset),
    });
  }
  const ds = step.dataset;
  const who = [
    ds.string(Tag.PatientID),
    ds.string(Tag.Modality),
    ds.string(Tag.PerformedStationAETitle),
  ]
    .filter((v) => v !== undefined).join(" ");
  return `mpps ${type} ${step.sopInstanceUid} (${step.status}) ${who} from ${callingAeTitle}`;
}

/** `dcm mppsscp`: runs until SIGINT/SIGTERM (or `signal`). */
export const mppsscp = defineCommand({
  name: "mppsscp",
  synopsis: "",
  summary: "Serve Modality Performed Procedure Step (N-CREATE, N-SET, N-GET) from DIR/mpps.sqlite.",
  positionals: [0, 0],
  options: {
    ...SERVER_OPTIONS,
    dir: {
      type: "string",
      value: "DIR",
      description: `the folder of the steps' database (${MPPS_DATABASE}), kept across restarts`,
    },
    json: {
      type: "boolean",
      default: false,
      description: "one JSON object a line per change, with the step's DICOM JSON data set",
    },
    ...NETWORK_OPTIONS,
  },
}, async (values, _positionals, signal) => {
  const serving = serverOptions(values);
  const stop = serverStop(values);
  const { port, dir } = await serverPortAndDir(values);
  const scp = new MppsScp({
    hostname: values.host,
    port,
    aeTitle: values.aet,
    database: `${dir}/${MPPS_DATABASE}`,
    ...serving,
    onChange: (event) => console.log(describeChange(event, values.json)),
    onError: (e) => console.error(`association failed: ${e instanceof Error ? e.message : e}`),
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  console.error(
    `mppsscp ${values.aet} listening on ${values.host}:${scp.port}, steps in ${dir}/${MPPS_DATABASE}`,
  );
  await untilStopped(signal);
  await stop(scp);
  return 0;
});
