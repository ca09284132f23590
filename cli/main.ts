/**
 * `dcm`, the command line of `@dcm/net`:
 *
 * ```sh
 * deno task dcm dump FILE [--json] [--meta]
 * deno task dcm echo HOST PORT [--aet AE] [--call AE]
 * deno task dcm store HOST PORT FILE_OR_DIR... [--aet AE] [--call AE]
 * deno task dcm storescp --port P --dir OUT [--aet AE]
 * deno task dcm find HOST PORT --call AE [--model study|patient|psonly] -k QueryRetrieveLevel=STUDY -k PatientID=1234 [--json]
 * deno task dcm move HOST PORT --call AE --dest AE -k ...
 * deno task dcm get HOST PORT --call AE --dir OUT -k ...
 * deno task dcm qrscp --port P --aet AE --dir ARCHIVE [--dest NAME=HOST:PORT ...]
 * ```
 *
 * Exit code 0 on success; otherwise non-zero with a one-line error on stderr.
 *
 * @module
 */
import { dump } from "./dump.ts";
import { echo } from "./echo.ts";
import { store } from "./store.ts";
import { storescp } from "./storescp.ts";
import { find, get, move } from "./query.ts";
import { qrscp } from "./qrscp.ts";

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  dump,
  echo,
  store,
  storescp,
  find,
  move,
  get,
  qrscp,
};

const USAGE = `usage: dcm <command> [options]

commands:
  dump FILE [--json] [--meta]            list a DICOM file's elements, or print it as DICOM JSON
  echo HOST PORT                          C-ECHO a peer
  store HOST PORT FILE_OR_DIR...          C-STORE files to a peer, with progress
  storescp --port P --dir OUT             receive objects into OUT/<SOPInstanceUID>.dcm
                                          (--fsync each|deferred|off, default each)
  find HOST PORT -k Key=value...          C-FIND (--model study|patient|psonly, --json: one object a line)
  move HOST PORT --dest AE -k Key=value   C-MOVE to AE, with progress
  get HOST PORT --dir OUT -k Key=value    C-GET into OUT, with progress
                                          (--fsync deferred|each|off, default deferred)
  qrscp --port P --dir ARCHIVE            Query/Retrieve SCP over a folder (--dest NAME=HOST:PORT ...)

common options: --aet AE (ours, default DCMNET), --call AE (the peer's, default ANY-SCP),
                --timeout SECONDS, --json (machine-readable output)`;

/** Runs the command line with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`dcm: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    console.error(`dcm ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
