/**
 * `dcm find`, `dcm move` and `dcm get`: the Query/Retrieve SCU on the
 * command line.
 *
 * ```sh
 * dcm find HOST PORT --call AE [--model study|patient|psonly] -k QueryRetrieveLevel=STUDY -k PatientID=1234 [--json]
 * dcm move HOST PORT --call AE --dest AE -k ...
 * dcm move HOST PORT --call AE --aet ME --dir OUT --port P [--fsync deferred|each|off] -k ...
 * dcm get  HOST PORT --call AE --dir OUT [--fsync deferred|each|off] -k ...
 * ```
 *
 * @module
 */
import {
  type DataElement,
  type Dataset,
  type FindModel,
  type Identifier,
  toDicomJson,
} from "../dataset/mod.ts";
import { keywordOf, Tag } from "../dictionary/mod.ts";
// Not scu/mod.ts: the commitment and MPPS SCUs are not loaded for a query (issue 13).
import { QueryRetrieveScu } from "../scu/query_retrieve_scu.ts";
import type { RetrieveOperation } from "../scu/retrieve_operation.ts";
import { DEFAULT_PORT } from "../service/service_provider.ts";
import { defineCommand, type OptionTable, UsageError, type Values } from "./_args.ts";
import {
  clientOptions,
  durabilityOf,
  explained,
  hostPort,
  listenPortOf,
  NETWORK_OPTIONS,
  PEER_OPTIONS,
} from "./_common.ts";
import { identifierOf, modelOf } from "./_keys.ts";
import { Progress } from "./_progress.ts";

/** `-k`, which find, move, get and mwl share. */
export const KEY_OPTION = {
  key: {
    type: "string",
    short: "k",
    multiple: true,
    default: [],
    value: "KEY[=VALUE]",
    description:
      "a key to match (Keyword=value) or to return (Keyword); tags as (gggg,eeee); paths into items as Sequence[0].Keyword",
  },
} as const satisfies OptionTable;

/** `--max-results`, which find and mwl share. */
export const MAX_RESULTS_OPTION = {
  "max-results": {
    type: "string",
    value: "N",
    description: "cancel the query (C-CANCEL) and fail after N matches (default: no limit)",
  },
} as const satisfies OptionTable;

/** The options find, move and get share. */
const QUERY_OPTIONS = {
  ...PEER_OPTIONS,
  model: {
    type: "string",
    default: "study",
    value: "study|patient|psonly",
    description: "the information model: Study Root, Patient Root, Patient/Study Only",
  },
  ...KEY_OPTION,
  relational: {
    type: "boolean",
    default: false,
    description: "ask for relational queries and retrievals (extended negotiation)",
  },
} as const;

const QUERY_NOTES = [
  "-k QueryRetrieveLevel=PATIENT|STUDY|SERIES|IMAGE is required. Example:",
] as const;

const KEY_EXAMPLE = "-k QueryRetrieveLevel=STUDY -k PatientID=1234";

/** The options of all three: the query's, then the network's. */
const FIND_OPTIONS = { ...QUERY_OPTIONS, ...NETWORK_OPTIONS } as const;

function setup(values: Values<typeof FIND_OPTIONS>, positionals: string[]) {
  const { host, port } = hostPort(positionals);
  const query = identifierOf(modelOf(values.model), values.key);
  const scu = new QueryRetrieveScu(host, port, {
    ...clientOptions(values),
    relational: values.relational,
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  return { scu, query, host, port };
}

/** `dcm find`'s own options, then those it shares. */
const FIND_ONLY_OPTIONS = {
  ...QUERY_OPTIONS,
  ...MAX_RESULTS_OPTION,
  ...NETWORK_OPTIONS,
} as const;

/** `dcm find`: prints each match (DICOM JSON, one a line, with --json). */
export const find = defineCommand({
  name: "find",
  synopsis: "HOST PORT -k KEY[=VALUE]...",
  summary: "Query a peer with C-FIND and print each match.",
  positionals: [2, 2],
  options: FIND_ONLY_OPTIONS,
  notes: [...QUERY_NOTES, `  dcm find HOST PORT --call AE ${KEY_EXAMPLE} -k StudyDate`],
}, async (values, positionals) => {
  const maxResults = maxResultsOf(values["max-results"]);
  const { scu, query, host, port } = setup(values, positionals);
  await using _ = scu;
  return await printMatches(scu, query, { host, port, json: values.json, maxResults });
});

/** Reads `--max-results N`: `undefined` when not given. */
export function maxResultsOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new UsageError(`--max-results must be a number of matches, not "${text}"`);
  }
  return n;
}

/** How {@linkcode printMatches} prints. */
export interface PrintMatchesOptions {
  /** The peer, for the error message when it cannot be reached. */
  host: string;
  port: number;
  /** One DICOM JSON object a line, instead of `#n Keyword=value ...`. */
  json: boolean;
  /** Cancel after this many matches, failing. */
  maxResults?: number | undefined;
}

/** One element as `Keyword=value`; a sequence as `Keyword=[{...} {...}]`. */
function describeElement(ds: Dataset, el: DataElement): string {
  const name = keywordOf(el.tag) ?? el.tag.toString(16).padStart(8, "0");
  if (el.kind === "sequence") {
    return `${name}=[${el.items.map((item) => `{${describe(item)}}`).join(" ")}]`;
  }
  return `${name}=${ds.strings(el.tag).join("\\")}`;
}

/** A match on one line, without its level and character set. */
function describe(ds: Dataset): string {
  return [...ds]
    .filter((e) => e.tag !== Tag.QueryRetrieveLevel && e.tag !== Tag.SpecificCharacterSet)
    .map((e) => describeElement(ds, e))
    .join(" ");
}

/**
 * Runs a C-FIND (`dcm find`, `dcm mwl`) and prints each match as it comes:
 * DICOM JSON, one object a line, or `#n Keyword=value ...` with a count on
 * stderr. Returns the exit code.
 */
export async function printMatches<M extends FindModel>(
  scu: QueryRetrieveScu,
  query: Identifier<M>,
  options: PrintMatchesOptions,
): Promise<number> {
  const { json, maxResults } = options;
  let n = 0;
  await explained(options.host, options.port, async () => {
    for await (const match of scu.find(query, maxResults === undefined ? {} : { maxResults })) {
      n++;
      console.log(json ? JSON.stringify(toDicomJson(match)) : `#${n} ${describe(match)}`);
    }
  });
  if (!json) console.error(`${n} match${n === 1 ? "" : "es"}`);
  return 0;
}

async function follow(operation: RetrieveOperation, label: string, json: boolean): Promise<number> {
  const tty = !json && Deno.stderr.isTerminal();
  // One bar, sized by the first report (the total is only known from the peer's counts).
  let bar: Progress | undefined;
  for await (const p of operation) {
    const done = p.completed + p.failed + p.warning;
    const total = done + (p.remaining ?? 0);
    if (json) console.log(JSON.stringify(p));
    else if (tty) (bar ??= new Progress(label, total)).update(done, `failed ${p.failed}`);
    else console.error(`${label}: ${done}/${total} done, ${p.failed} failed`);
  }
  let result;
  try {
    result = await operation;
  } finally {
    bar?.done();
  }
  if (json) {
    console.log(JSON.stringify({ result }));
  } else {
    const failed = result.failedSopInstanceUids.length
      ? `\nfailed: ${result.failedSopInstanceUids.join(" ")}`
      : "";
    console.log(
      `${result.method}: ${result.completed} completed, ${result.warning} warnings, ${result.failed} failed${failed}`,
    );
  }
  return result.failed > 0 ? 1 : 0;
}

/** `--fsync` and `--prefer`, which move (with --dir) and get share. */
const RECEIVE_OPTIONS = {
  fsync: {
    type: "string",
    default: "deferred",
    value: "deferred|each|off",
    description:
      "flush files in the background (all on the disk before the result is printed), each before answering, or never",
  },
  prefer: {
    type: "string",
    default: "stored",
    value: "stored|uncompressed",
    description:
      "receive objects in the transfer syntax they are stored in, or ask for uncompressed data",
  },
} as const satisfies OptionTable;

/** `--prefer`, checked. */
function preferOf(text: string): "stored" | "uncompressed" {
  if (text !== "stored" && text !== "uncompressed") {
    throw new UsageError(`--prefer must be stored or uncompressed, not "${text}"`);
  }
  return text;
}

/**
 * `dcm move`: exits 1 when any sub-operation failed. With `--dir`, the
 * objects come to a Storage SCP of its own (as `movescu +P -od`), our AE
 * title the destination, and the result is printed once every file is on
 * the disk (`--fsync deferred`: flushed together at the end, as `dcm get`).
 */
export const move = defineCommand({
  name: "move",
  synopsis: "HOST PORT (--dest AE | --dir OUT) -k KEY=VALUE...",
  summary: "Ask a peer to send the matches to an AE title with C-MOVE, with progress.",
  positionals: [2, 2],
  options: {
    ...QUERY_OPTIONS,
    dest: {
      type: "string",
      value: "AE",
      description: "the AE title the peer sends to (the peer knows its address)",
    },
    dir: {
      type: "string",
      value: "OUT",
      description:
        "receive the objects here as <SOPInstanceUID>.dcm, the destination being our AE title (--aet)",
    },
    port: {
      type: "string",
      default: String(DEFAULT_PORT),
      value: "PORT",
      description: "with --dir: the port we receive on, where the peer knows our AE title",
    },
    ...RECEIVE_OPTIONS,
    ...NETWORK_OPTIONS,
  },
  notes: [
    "--dest AE or --dir OUT is required; with --dir, --fsync and --prefer say how objects are",
    "received (--prefer stored accepts the syntax the peer proposes first).",
    ...QUERY_NOTES,
    `  dcm move HOST PORT --call AE --dest AE ${KEY_EXAMPLE}`,
    `  dcm move HOST PORT --call AE --aet ME --dir OUT --port 11113 ${KEY_EXAMPLE}`,
  ],
}, async (values, positionals) => {
  const directory = values.dir;
  // With --dir, the objects come to us: the destination is our AE title.
  const destination = values.dest ?? (directory === undefined ? "" : values.aet);
  if (destination === "") throw new UsageError("--dest AE (or --dir OUT) is required");
  if (directory !== undefined && destination !== values.aet) {
    throw new UsageError(
      `--dir receives as our AE title: --dest ${destination} is not --aet ${values.aet}`,
    );
  }
  const durable = durabilityOf(values.fsync, "deferred");
  const prefer = preferOf(values.prefer);
  const listenPort = listenPortOf(values.port);
  const { scu, query, host, port } = setup(values, positionals);
  await using _ = scu;
  return await explained(
    host,
    port,
    () =>
      follow(
        directory === undefined
          ? scu.move(query, { destination })
          : scu.retrieve(query, { method: "C-MOVE", directory, durable, prefer, listenPort }),
        "move",
        values.json,
      ),
  );
});

/** `dcm get`: exits 1 when any sub-operation failed. */
export const get = defineCommand({
  name: "get",
  synopsis: "HOST PORT --dir OUT -k KEY=VALUE...",
  summary: "Retrieve the matches into a folder with C-GET, with progress.",
  positionals: [2, 2],
  options: {
    ...QUERY_OPTIONS,
    dir: {
      type: "string",
      value: "OUT",
      description: "the folder objects are written to as <SOPInstanceUID>.dcm (required)",
    },
    ...RECEIVE_OPTIONS,
    ...NETWORK_OPTIONS,
  },
  notes: [
    "--prefer stored proposes each object's stored syntax in a context of its own (learnt from",
    "Available Transfer Syntax UID (0008,3002) when the peer answers it, else the common JPEG,",
    "JPEG-LS, JPEG 2000 and RLE ones), over several associations if 128 contexts are too few.",
    ...QUERY_NOTES,
    `  dcm get HOST PORT --call AE --dir OUT ${KEY_EXAMPLE}`,
  ],
}, async (values, positionals) => {
  if (!values.dir) throw new UsageError("--dir OUT is required");
  const directory = values.dir;
  const durable = durabilityOf(values.fsync, "deferred");
  const prefer = preferOf(values.prefer);
  const { scu, query, host, port } = setup(values, positionals);
  await using _ = scu;
  return await explained(
    host,
    port,
    () => follow(scu.get(query, { directory, durable, prefer }), "get", values.json),
  );
});
