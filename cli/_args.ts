// The one place the CLI takes its argument parser from (node:util parseArgs,
// so that a later swap to `@std/cli` is a single edit), and the option tables
// the commands hand to it. `--help` is generated from the same table that is
// parsed, so the two cannot drift.
import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * One option of a command: what `parseArgs` reads (`type`, `short`,
 * `multiple`, `default`) and what `--help` says about it.
 */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean | readonly string[];
  /** One line for `--help`. */
  readonly description: string;
  /** The placeholder of a string option's value in `--help`, e.g. `AE`. */
  readonly value?: string;
}

/** A command's options by long name. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The parsed value of an option: its default's type when it has one, else possibly absent. */
type ValueOf<S> = S extends { multiple: true }
  ? (S extends { type: "boolean" } ? boolean[] : string[])
  : S extends { type: "boolean" } ? boolean
  : string;

/** The parsed values of an option table. */
export type Values<O extends OptionTable> = {
  readonly [K in keyof O]: O[K] extends { default: unknown } ? ValueOf<O[K]>
    : ValueOf<O[K]> | undefined;
};

/** `-h, --help`, which every command takes. */
export const HELP_OPTION = {
  help: { type: "boolean", short: "h", default: false, description: "print this help and exit" },
} as const satisfies OptionTable;

/** What `dcm <command> --help` shows and what its parser reads. */
export interface CommandSpec<O extends OptionTable> {
  /** The command's name, e.g. `echo`. */
  readonly name: string;
  /** Its positional arguments as shown in the usage line, e.g. `HOST PORT`. */
  readonly synopsis: string;
  /** One line saying what the command does. */
  readonly summary: string;
  /** Fewest and most positional arguments. */
  readonly positionals: readonly [min: number, max: number];
  /** The options, `--help` excepted. */
  readonly options: O;
  /** Lines printed after the options, e.g. examples. */
  readonly notes?: readonly string[];
}

/** A command of `dcm`: its spec, and how to run it on the arguments after its name. */
export interface Command {
  readonly spec: CommandSpec<OptionTable>;
  /** Runs the command; returns the exit code. Throws {@linkcode UsageError} for bad arguments. */
  main(args: string[], signal?: AbortSignal): Promise<number>;
}

/**
 * Bad arguments: the command's usage goes to stderr with the message, and
 * the exit code is 2.
 */
export class UsageError extends TypeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

function placeholder(name: string, spec: OptionSpec): string {
  return spec.type === "string" ? ` ${spec.value ?? name.toUpperCase().replaceAll("-", "_")}` : "";
}

function defaultText(spec: OptionSpec): string {
  const d = spec.default;
  if (d === undefined || d === false || d === "" || (Array.isArray(d) && d.length === 0)) return "";
  return ` (default: ${Array.isArray(d) ? d.join(" ") : String(d)})`;
}

/** Help lines are wrapped to this width. */
const LINE_WIDTH = 100;

/** `text` in lines of at most `width` characters, broken at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** The `--help` text of a command, generated from its option table. */
export function usage(spec: CommandSpec<OptionTable>): string {
  const table = { ...HELP_OPTION, ...spec.options } as OptionTable;
  const heads = Object.entries(table).map(([name, o]) =>
    `${o.short ? `-${o.short}, ` : "    "}--${name}${placeholder(name, o)}${
      o.multiple ? " ..." : ""
    }`
  );
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  const rows = Object.values(table).flatMap((o, i) =>
    wrap(`${o.description}${defaultText(o)}`, LINE_WIDTH - width - 2).map((text, j) =>
      `  ${(j === 0 ? heads[i]! : "").padEnd(width)}${text}`
    )
  );
  return [
    `usage: dcm ${spec.name} [options]${spec.synopsis ? ` ${spec.synopsis}` : ""}`,
    "",
    spec.summary,
    "",
    "options:",
    ...rows,
    ...(spec.notes?.length ? ["", ...spec.notes] : []),
  ].join("\n");
}

/** `parseArgs` errors: unknown option, missing value, unexpected argument. */
function isParseError(e: unknown): e is Error {
  return e instanceof Error && String((e as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
}

/**
 * Parses `args` with the command's table. Returns `undefined` after
 * printing the usage for `--help`; throws {@linkcode UsageError} for unknown
 * options, missing values and a wrong number of positional arguments.
 */
export function parseCommand<O extends OptionTable>(
  spec: CommandSpec<O>,
  args: string[],
): { values: Values<O>; positionals: string[] } | undefined {
  const options = { ...HELP_OPTION, ...spec.options };
  let parsed;
  try {
    parsed = parseArgs({
      args,
      // The table's extra fields (description, value) are ignored by parseArgs.
      options: options as ParseArgsConfig["options"],
      allowPositionals: spec.positionals[1] > 0,
      strict: true,
    });
  } catch (e) {
    // The first sentence: "Unknown option '--bogus'".
    if (isParseError(e)) throw new UsageError(e.message.split(". ")[0]!, { cause: e });
    throw e;
  }
  if ((parsed.values as Record<string, unknown>)["help"] === true) {
    console.log(usage(spec as CommandSpec<OptionTable>));
    return undefined;
  }
  const [min, max] = spec.positionals;
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(`missing arguments: expected ${spec.synopsis}`);
  if (n > max) {
    throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  }
  return { values: parsed.values as unknown as Values<O>, positionals: parsed.positionals };
}

/** A command from its spec and what it does with the parsed arguments. */
export function defineCommand<const O extends OptionTable>(
  spec: CommandSpec<O>,
  run: (values: Values<O>, positionals: string[], signal?: AbortSignal) => Promise<number>,
): Command {
  return {
    spec: spec as CommandSpec<OptionTable>,
    async main(args, signal) {
      const parsed = parseCommand(spec, args);
      if (parsed === undefined) return 0;
      return await run(parsed.values, parsed.positionals, signal);
    },
  };
}

export { parseArgs };
