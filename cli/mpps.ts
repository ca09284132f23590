/**
 * `dcm mpps create HOST PORT -k Modality=CT ...` and `dcm mpps set HOST PORT
 * UID -k PerformedProcedureStepStatus=COMPLETED ...`: a Modality Performed
 * Procedure Step SCU (PS3.4 F.7), as a modality uses it.
 *
 * `create` sends an N-CREATE with the `-k` attributes, filling in what
 * Table F.7.2-1 requires and was not given (IN PROGRESS, the start date
 * and time now, our AE title as Performed Station AE Title, a Performed
 * Procedure Step ID, one Scheduled Step Attributes item with a new Study
 * Instance UID, empty type 2 attributes), and prints the step's SOP
 * Instance UID. `set` sends an N-SET; setting COMPLETED or DISCONTINUED
 * without an end date and time sends them as now.
 *
 * @module
 */
import { Dataset, generateUid, toDicomJson } from "../dataset/mod.ts";
import { attributesOf } from "./_keys.ts";
import { formatTag, lookupElement, parseTag, Tag } from "../dictionary/mod.ts";
import { formatStatus } from "../dimse/mod.ts";
import { MppsScu, MppsStatusError } from "../scu/mod.ts";
import { defineCommand, UsageError } from "./_args.ts";
import { clientOptions, explained, hostPort, NETWORK_OPTIONS, PEER_OPTIONS } from "./_common.ts";

/** DA and TM of `now` in local time (PS3.5 Table 6.2-1). */
function dateTime(now: Date): { date: string; time: string } {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return {
    date: `${p(now.getFullYear(), 4)}${p(now.getMonth() + 1)}${p(now.getDate())}`,
    time: `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`,
  };
}

/** Sets `tag` to `value` unless the data set has it. */
function fill(dataset: Dataset, tag: number, value: string | null | readonly Dataset[]): void {
  if (!dataset.has(tag)) dataset.set(tag, value);
}

/** Type 2 attributes of Table F.7.2-1 at the top level, sent empty unless given. */
const TYPE_2 = [
  Tag.PatientName,
  Tag.PatientID,
  Tag.PatientBirthDate,
  Tag.PatientSex,
  Tag.ReferencedPatientSequence,
  Tag.PerformedStationName,
  Tag.PerformedLocation,
  Tag.PerformedProcedureStepDescription,
  Tag.PerformedProcedureTypeDescription,
  Tag.ProcedureCodeSequence,
  Tag.PerformedProcedureStepEndDate,
  Tag.PerformedProcedureStepEndTime,
  Tag.StudyID,
  Tag.PerformedProtocolCodeSequence,
  Tag.PerformedSeriesSequence,
];

/** Type 2 attributes of each Scheduled Step Attributes Sequence item. */
const SCHEDULED_TYPE_2 = [
  Tag.AccessionNumber,
  Tag.ReferencedStudySequence,
  Tag.RequestedProcedureID,
  Tag.RequestedProcedureDescription,
  Tag.ScheduledProcedureStepID,
  Tag.ScheduledProcedureStepDescription,
  Tag.ScheduledProtocolCodeSequence,
];

/** The N-CREATE Attribute List: the `-k` attributes and what Table F.7.2-1 needs besides. */
function createAttributes(keys: readonly string[], aeTitle: string, now: Date): Dataset {
  const dataset = attributesOf(keys);
  if (!dataset.string(Tag.Modality)) {
    throw new UsageError("-k Modality=... is required (type 1, PS3.4 Table F.7.2-1)");
  }
  const { date, time } = dateTime(now);
  fill(dataset, Tag.PerformedProcedureStepStatus, "IN PROGRESS");
  fill(dataset, Tag.PerformedProcedureStepStartDate, date);
  fill(dataset, Tag.PerformedProcedureStepStartTime, time);
  fill(dataset, Tag.PerformedStationAETitle, aeTitle);
  fill(dataset, Tag.PerformedProcedureStepID, `${date}${time}`);
  // PS3.4 F.7.2.1.2 Note 3: without a scheduled step, the SCU makes the Study Instance UID.
  fill(dataset, Tag.ScheduledStepAttributesSequence, [new Dataset()]);
  for (const item of dataset.items(Tag.ScheduledStepAttributesSequence)) {
    fill(item, Tag.StudyInstanceUID, generateUid());
    for (const tag of SCHEDULED_TYPE_2) fill(item, tag, null);
  }
  for (const tag of TYPE_2) fill(dataset, tag, null);
  return dataset;
}

/** The N-SET Modification List: the `-k` attributes, and the end date and time of a final state. */
function setAttributes(keys: readonly string[], now: Date): Dataset {
  const dataset = attributesOf(keys);
  const status = dataset.string(Tag.PerformedProcedureStepStatus);
  if (status === "COMPLETED" || status === "DISCONTINUED") {
    const { date, time } = dateTime(now);
    fill(dataset, Tag.PerformedProcedureStepEndDate, date);
    fill(dataset, Tag.PerformedProcedureStepEndTime, time);
  }
  return dataset;
}

/** A refusal with what the SCP said: Error ID and the attributes at fault. */
function explainRefusal(e: unknown): never {
  if (!(e instanceof MppsStatusError)) throw e;
  const more = [
    ...(e.errorId !== undefined ? [`Error ID ${formatStatus(e.errorId)}`] : []),
    ...(e.attributeIdentifierList?.length
      ? [`attributes ${e.attributeIdentifierList.map(formatTag).join(" ")}`]
      : []),
  ];
  throw new Error(`${e.message}${more.length ? ` [${more.join("; ")}]` : ""}`, { cause: e });
}

/** The step's top-level attributes, one `Keyword=value` a line (a sequence: its item count). */
function describeStep(dataset: Dataset): string[] {
  return [...dataset].map((element) => {
    const name = lookupElement(element.tag)?.keyword || formatTag(element.tag);
    return element.kind === "sequence"
      ? `${name}: ${element.items.length} item${element.items.length === 1 ? "" : "s"}`
      : `${name}=${dataset.strings(element.tag).join("\\")}`;
  });
}

/** `dcm mpps`. */
export const mpps = defineCommand({
  name: "mpps",
  synopsis: "create HOST PORT | set HOST PORT UID | get HOST PORT UID",
  summary: "Create, set or get a Modality Performed Procedure Step (N-CREATE, N-SET, N-GET).",
  positionals: [3, 4],
  options: {
    ...PEER_OPTIONS,
    key: {
      type: "string",
      short: "k",
      multiple: true,
      default: [],
      value: "KEY=VALUE",
      description:
        "an attribute by keyword or tag, into sequence items as Sequence[0].Keyword=value; get: a keyword to return (repeatable)",
    },
    uid: {
      type: "string",
      value: "UID",
      description: "create: the SOP Instance UID (default: a new 2.25 UID)",
    },
    "scp-uid": {
      type: "boolean",
      default: false,
      description: "create: leave the SOP Instance UID to the SCP",
    },
    ...NETWORK_OPTIONS,
  },
  notes: [
    'create prints the step\'s SOP Instance UID; --json prints {"sopInstanceUid", "status"}.',
    "create fills in what PS3.4 Table F.7.2-1 requires and -k did not give (IN PROGRESS, start date",
    "and time, --aet as Performed Station AE Title, a step ID, a Scheduled Step Attributes item with",
    "a new Study Instance UID, empty type 2 attributes); -k Modality=... is required.",
    "set with PerformedProcedureStepStatus=COMPLETED or DISCONTINUED sends the end date and time as",
    "now unless given. get prints the step as the SCP keeps it (MPPS Retrieve, PS3.4 F.8); --json:",
    "its DICOM JSON. A refusal exits 1 with the status, Error Comment and Error ID.",
    "",
    "  dcm mpps create ris 104 -k Modality=CT -k PatientID=P1 -k 'PatientName=Doe^Jane'",
    "  dcm mpps set ris 104 2.25.123 -k PerformedProcedureStepStatus=COMPLETED \\",
    "    -k 'PerformedSeriesSequence[0].SeriesInstanceUID=1.2.3' -k 'PerformedSeriesSequence[0].ProtocolName=HEAD'",
  ],
}, async (values, positionals) => {
  const [action, ...rest] = positionals;
  if (action !== "create" && action !== "set" && action !== "get") {
    throw new UsageError(`unknown action "${action}": expected create, set or get`);
  }
  const { host, port, rest: extra } = hostPort(rest);
  const now = new Date();
  if (action === "create") {
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (values.uid !== undefined && values["scp-uid"]) {
      throw new UsageError("--uid and --scp-uid exclude each other");
    }
    const attributes = createAttributes(values.key, values.aet, now);
    const result = await explained(host, port, async () => {
      await using scu = await MppsScu.connect(host, port, clientOptions(values));
      return await scu.create(attributes, {
        ...(values.uid !== undefined ? { sopInstanceUid: values.uid } : {}),
        scpAssignsUid: values["scp-uid"],
      }).catch(explainRefusal);
    });
    console.log(
      values.json
        ? JSON.stringify({ sopInstanceUid: result.sopInstanceUid, status: result.status })
        : result.sopInstanceUid,
    );
    return 0;
  }
  const [uid, ...more] = extra;
  if (uid === undefined) {
    throw new UsageError(`missing arguments: expected ${action} HOST PORT UID`);
  }
  if (more.length > 0) throw new UsageError(`unexpected argument "${more[0]}"`);
  if (action === "get") {
    const tags = values.key.map((k) => {
      try {
        return parseTag(k);
      } catch (e) {
        throw new UsageError(`-k ${k}: ${e instanceof Error ? e.message : e}`, { cause: e });
      }
    });
    const result = await explained(host, port, async () => {
      await using scu = await MppsScu.connect(host, port, clientOptions(values));
      return await scu.get(uid, tags.length > 0 ? tags : undefined).catch(explainRefusal);
    });
    const dataset = result.dataset ?? new Dataset();
    console.log(
      values.json ? JSON.stringify(toDicomJson(dataset)) : describeStep(dataset).join("\n"),
    );
    return 0;
  }
  if (values.key.length === 0) throw new UsageError("set needs at least one -k KEY=VALUE");
  const changes = setAttributes(values.key, now);
  const result = await explained(host, port, async () => {
    await using scu = await MppsScu.connect(host, port, clientOptions(values));
    return await scu.set(uid, changes).catch(explainRefusal);
  });
  console.log(
    values.json
      ? JSON.stringify({ sopInstanceUid: result.sopInstanceUid, status: result.status })
      : `N-SET ${result.sopInstanceUid}: ${
        result.status === 0 ? "success" : `warning ${formatStatus(result.status)}`
      }`,
  );
  return 0;
});
