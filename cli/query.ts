/**
 * `dcm find`, `dcm move` and `dcm get`: the Query/Retrieve SCU on the
 * command line.
 *
 * ```sh
 * dcm find HOST PORT --call AE [--model study|patient|psonly] -k QueryRetrieveLevel=STUDY -k PatientID=1234 [--json]
 * dcm move HOST PORT --call AE --dest AE -k ...
 * dcm get  HOST PORT --call AE --dir OUT [--fsync deferred|each|off] -k ...
 * ```
 *
 * @module
 */
import { toDicomJson } from "../dataset/mod.ts";
import { keywordOf } from "../dictionary/mod.ts";
import { QueryRetrieveScu, type RetrieveOperation } from "../scu/mod.ts";
import {
  durabilityOf,
  explained,
  hostPort,
  parseArgs,
  PEER_OPTIONS,
  timeoutMs,
} from "./_common.ts";
import { identifierOf, modelOf } from "./_keys.ts";
import { Progress } from "./_progress.ts";

const OPTIONS = {
  ...PEER_OPTIONS,
  model: { type: "string", default: "study" },
  key: { type: "string", short: "k", multiple: true, default: [] as string[] },
  dest: { type: "string" },
  dir: { type: "string" },
  fsync: { type: "string" },
  relational: { type: "boolean", default: false },
} as const;

function setup(args: string[], usage: string) {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  const { host, port } = hostPort(positionals, usage);
  const timeout = timeoutMs(values.timeout);
  const scu = new QueryRetrieveScu(host, port, {
    callingAeTitle: values.aet,
    calledAeTitle: values.call,
    relational: values.relational,
    ...(timeout !== undefined
      ? { connectTimeout: timeout, associationTimeout: timeout, dimseTimeout: timeout }
      : {}),
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  const query = identifierOf(modelOf(values.model), values.key);
  return { values, scu, query, host, port };
}

/** Runs `dcm find`; prints each match (DICOM JSON per line with --json). */
export async function find(args: string[]): Promise<number> {
  const { values, scu, query, host, port } = setup(
    args,
    "dcm find HOST PORT --call AE [--model M] -k Key=value... [--json]",
  );
  await using _ = scu;
  let n = 0;
  await explained(host, port, async () => {
    for await (const match of scu.find(query)) {
      n++;
      if (values.json) {
        console.log(JSON.stringify(toDicomJson(match)));
        continue;
      }
      const fields = [...match].filter((e) => e.tag !== 0x00080052 && e.tag !== 0x00080005).map((
        e,
      ) => `${keywordOf(e.tag) ?? e.tag.toString(16)}=${match.strings(e.tag).join("\\")}`);
      console.log(`#${n} ${fields.join(" ")}`);
    }
  });
  if (!values.json) console.error(`${n} match${n === 1 ? "" : "es"}`);
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

/** Runs `dcm move`. */
export async function move(args: string[]): Promise<number> {
  const { values, scu, query, host, port } = setup(
    args,
    "dcm move HOST PORT --call AE --dest AE -k Key=value...",
  );
  await using _ = scu;
  if (!values.dest) throw new TypeError("dcm move needs --dest AE (the AE title to send to)");
  const destination = values.dest;
  return await explained(
    host,
    port,
    () => follow(scu.move(query, { destination }), "move", values.json),
  );
}

/** Runs `dcm get`. */
export async function get(args: string[]): Promise<number> {
  const { values, scu, query, host, port } = setup(
    args,
    "dcm get HOST PORT --call AE --dir OUT -k Key=value...",
  );
  await using _ = scu;
  if (!values.dir) throw new TypeError("dcm get needs --dir OUT");
  const directory = values.dir;
  const durable = durabilityOf(values.fsync, "deferred");
  await Deno.mkdir(directory, { recursive: true });
  return await explained(
    host,
    port,
    () => follow(scu.get(query, { directory, durable }), "get", values.json),
  );
}
