/**
 * `dcm mwl HOST PORT -k KEY[=VALUE]... [--json]`: a Modality Worklist query
 * (PS3.4 Annex K), as DCMTK's `findscu -W`. Keys take sequence paths:
 * `-k "ScheduledProcedureStepSequence[0].Modality=MR"` matches inside the
 * Scheduled Procedure Step, `-k ScheduledProcedureStepSequence[0].ScheduledStationAETitle`
 * asks for it. Without `-k`, the usual keys are asked for.
 *
 * @module
 */
import { QueryRetrieveScu } from "../scu/mod.ts";
import { defineCommand } from "./_args.ts";
import { clientOptions, hostPort, NETWORK_OPTIONS, PEER_OPTIONS } from "./_common.ts";
import { identifierOf } from "./_keys.ts";
import { KEY_OPTION, MAX_RESULTS_OPTION, maxResultsOf, printMatches } from "./query.ts";

/** The keys asked for when no `-k` is given: who, what, where and when. */
const DEFAULT_KEYS: readonly string[] = [
  "PatientName",
  "PatientID",
  "PatientBirthDate",
  "PatientSex",
  "AccessionNumber",
  "StudyInstanceUID",
  "RequestedProcedureID",
  "RequestedProcedureDescription",
  ...[
    "Modality",
    "ScheduledStationAETitle",
    "ScheduledProcedureStepStartDate",
    "ScheduledProcedureStepStartTime",
    "ScheduledPerformingPhysicianName",
    "ScheduledProcedureStepDescription",
    "ScheduledProcedureStepID",
  ].map((k) => `ScheduledProcedureStepSequence[0].${k}`),
];

/** `dcm mwl`: prints each scheduled step (DICOM JSON, one a line, with --json). */
export const mwl = defineCommand({
  name: "mwl",
  synopsis: "HOST PORT [-k KEY[=VALUE]]...",
  summary: "Query a Modality Worklist (C-FIND) and print each scheduled procedure step.",
  positionals: [2, 2],
  options: {
    ...PEER_OPTIONS,
    ...KEY_OPTION,
    ...MAX_RESULTS_OPTION,
    ...NETWORK_OPTIONS,
  },
  notes: [
    "Without -k, asks for the patient, the requested procedure and the scheduled step. Example:",
    '  dcm mwl HOST PORT --call WLM -k "ScheduledProcedureStepSequence[0].Modality=MR" \\',
    "    -k ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20261203 -k PatientName",
  ],
}, async (values, positionals) => {
  const maxResults = maxResultsOf(values["max-results"]);
  const { host, port } = hostPort(positionals);
  const keys = values.key.length > 0 ? values.key : DEFAULT_KEYS;
  const query = identifierOf("MODALITY_WORKLIST", keys);
  await using scu = new QueryRetrieveScu(host, port, {
    ...clientOptions(values),
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  return await printMatches(scu, query, { host, port, json: values.json, maxResults });
});
