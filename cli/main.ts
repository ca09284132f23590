/**
 * `dcm`, the command line of `@dcm/net`, for hands used to DCMTK and
 * pynetdicom: `dcm <command> --help` lists every option of a command with
 * its default; the network commands take `-v` (association events), `-d`
 * (every PDU and command set) and `--max-pdu`.
 *
 * ```sh
 * deno task dcm dump FILE [--json] [--meta]      # dcmdump; large values are not read
 * deno task dcm dump FILE --frames               # and each frame decoded (codecs/)
 * deno task dcm dicomdir list DICOMDIR [--json]  # a File-set's record tree
 * deno task dcm dicomdir create OUT FILE_OR_DIR... [--fileset-id ID] [--add]  # dcmgpdir/dcmmkdir
 * deno task dcm encapsulate IN OUT.dcm [-k PatientID=P1 ...]  # pdf2dcm/stl2dcm/img2dcm
 * deno task dcm extract IN.dcm OUT               # dcm2pdf; frames of encapsulated pixel data
 * deno task dcm echo HOST PORT [--call AE] [-v]  # echoscu
 * deno task dcm store HOST PORT FILE_OR_DIR...   # storescu, with progress; decodes for peers that need it
 * deno task dcm storescp --dir OUT [--port P] [--commit --dest NAME=HOST:PORT ...]  # storescp
 * deno task dcm find HOST PORT --call AE -k QueryRetrieveLevel=STUDY -k PatientID=1234 [--json]
 * deno task dcm move HOST PORT --call AE --dest AE -k ...
 * deno task dcm get HOST PORT --call AE --dir OUT -k ...
 * deno task dcm qrscp --dir ARCHIVE [--port P] [--dest NAME=HOST:PORT ...] [--commit] [--mpps]
 * deno task dcm commit HOST PORT FILE_OR_DIR... [--port P] [--json]  # storage commitment SCU
 * deno task dcm mwl HOST PORT --call AE -k "ScheduledProcedureStepSequence[0].Modality=MR" [--json]
 * deno task dcm mwlscp --dir WORKLIST_DIR [--port P] [--aet AE]  # wlmscpfs
 * deno task dcm mpps create HOST PORT -k Modality=CT [-k Key=value ...] [--uid UID] [--json]
 * deno task dcm mpps set HOST PORT UID -k PerformedProcedureStepStatus=COMPLETED [-k ...]
 * deno task dcm mpps get HOST PORT UID [-k Keyword ...] [--json]  # MPPS Retrieve N-GET
 * deno task dcm mppsscp --dir DIR [--port P]      # MPPS SCP, steps in DIR/mpps.sqlite
 * deno task dcm transcode IN OUT --ts rle|explicit|jpeg-ls-lossless|j2k-lossless|UID
 * deno task dcm --version
 * ```
 *
 * Installed as a command: `deno install -g -A -n dcm cli/main.ts`, then
 * `dcm --help`.
 *
 * Exit code 0 on success; 2 for bad arguments (with the command's usage on
 * stderr); otherwise 1 with a one-line error on stderr.
 *
 * @module
 */
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, VERSION } from "../version.ts";
import { type Command, usage as commandUsage, UsageError } from "./_args.ts";

/**
 * The commands, by name, in the order `dcm --help` lists them. Each is
 * loaded when run, so that `dcm dump` does not load the network layers nor
 * `dcm echo` the archive.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  dump: async () => (await import("./dump.ts")).dump,
  dicomdir: async () => (await import("./dicomdir.ts")).dicomdir,
  encapsulate: async () => (await import("./encapsulate.ts")).encapsulate,
  extract: async () => (await import("./extract.ts")).extract,
  echo: async () => (await import("./echo.ts")).echo,
  store: async () => (await import("./store.ts")).store,
  storescp: async () => (await import("./storescp.ts")).storescp,
  find: async () => (await import("./query.ts")).find,
  move: async () => (await import("./query.ts")).move,
  get: async () => (await import("./query.ts")).get,
  qrscp: async () => (await import("./qrscp.ts")).qrscp,
  commit: async () => (await import("./commit.ts")).commit,
  mwl: async () => (await import("./mwl.ts")).mwl,
  mwlscp: async () => (await import("./mwlscp.ts")).mwlscp,
  mpps: async () => (await import("./mpps.ts")).mpps,
  mppsscp: async () => (await import("./mppsscp.ts")).mppsscp,
  passwd: async () => (await import("./passwd.ts")).passwd,
  transcode: async () => (await import("./transcode.ts")).transcode,
};

/** Every command, loaded. */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(Object.values(COMMANDS).map((load) => load()));
}

async function usage(): Promise<string> {
  const commands = await loadCommands();
  const width = Math.max(...commands.map((c) => c.spec.name.length)) + 2;
  return [
    "usage: dcm <command> [options] [arguments]",
    "       dcm <command> --help",
    "       dcm --version",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    "",
    "The network commands take -v/--verbose (association events on stderr),",
    "-d/--debug (and every PDU and DIMSE command set) and --max-pdu BYTES.",
  ].join("\n");
}

/** What `dcm --version` prints. */
export function versionText(): string {
  return `dcm ${VERSION} (@dcm/net; Implementation Version Name ${IMPLEMENTATION_VERSION_NAME}, Implementation Class UID ${IMPLEMENTATION_CLASS_UID})`;
}

/** Runs the command line with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(await usage());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    console.log(versionText());
    return 0;
  }
  if (name === undefined) {
    console.error(await usage());
    return 2;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    console.error(`dcm: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  const command = await load();
  try {
    return await command.main(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`dcm ${name}: ${e.message}\n\n${commandUsage(command.spec)}`);
      return 2;
    }
    console.error(`dcm ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
