// `dcm --help`, `dcm <command> --help`, `--version` and bad arguments,
// through the real entry point. The options expected in each help are those
// of the command's own table, and each one the help names is checked to be
// one the parser accepts.
import { parseCommand, usage, UsageError } from "../cli/_args.ts";
import { loadCommands } from "../cli/main.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcm } from "./_cli.ts";

const DENO_JSON = new URL("../deno.json", import.meta.url);

const commands = await loadCommands();

/** The long option names a help text lists in its options section. */
function listedOptions(help: string): string[] {
  const section = help.slice(help.indexOf("\noptions:\n"));
  return [...section.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => m[1]!);
}

Deno.test("dcm <command> --help lists every option of the command's table with its default, on stdout, exit 0", async () => {
  await Promise.all(commands.map(async ({ spec }) => {
    const r = await dcm(spec.name, "--help");
    assertEquals(r.code, 0, `${spec.name}: ${r.stderr}`);
    assertEquals(r.stderr, "");
    assertMatch(r.stdout, new RegExp(`^usage: dcm ${spec.name} `));
    assertEquals(
      listedOptions(r.stdout).sort(),
      ["help", ...Object.keys(spec.options)].sort(),
      spec.name,
    );
    for (const [name, option] of Object.entries(spec.options)) {
      const row = new RegExp(
        `^ {2}${option.short ? `-${option.short}, ` : " {4}"}--${name}\\b`,
        "m",
      );
      assertMatch(r.stdout, row, `${spec.name} --${name}`);
      const shown = Array.isArray(option.default) ? option.default.join(" ") : option.default;
      if (typeof shown === "string" && shown !== "") {
        // The row and its continuation lines hold the default.
        const at = r.stdout.search(row);
        const rest = r.stdout.slice(at).split(/\n(?= {2}(?:-\w, | {4})--|\n)/)[0]!;
        assert(rest.replace(/\s+/g, " ").includes(`(default: ${shown})`), `${name}: ${rest}`);
      }
    }
  }));
});

Deno.test("dcm <command> -h prints the same help as --help", async () => {
  const [long, short] = await Promise.all([dcm("echo", "--help"), dcm("echo", "-h")]);
  assertEquals(short.code, 0);
  assertEquals(short.stdout, long.stdout);
});

Deno.test("every option a help lists is one the command's parser accepts", () => {
  for (const command of commands) {
    const { spec } = command;
    const positionals = Array.from({ length: spec.positionals[0] }, (_, i) => `arg${i}`);
    for (const name of listedOptions(usage(spec))) {
      if (name === "help") continue;
      const value = spec.options[name]?.type === "string" ? ["1"] : [];
      try {
        parseCommand(spec, [`--${name}`, ...value, ...positionals]);
      } catch (e) {
        throw new Error(`dcm ${spec.name} --${name} is listed but not parsed: ${e}`);
      }
    }
    let refused: unknown;
    try {
      parseCommand(spec, ["--no-such-option", ...positionals]);
    } catch (e) {
      refused = e;
    }
    assert(refused instanceof UsageError, spec.name);
  }
});

Deno.test("an unknown option exits 2 with the message and the command's usage on stderr", async () => {
  await Promise.all(commands.map(async ({ spec }) => {
    const r = await dcm(spec.name, "--no-such-option");
    assertEquals(r.code, 2, spec.name);
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, new RegExp(`^dcm ${spec.name}: Unknown option '--no-such-option'\n`));
    assertMatch(r.stderr, new RegExp(`\nusage: dcm ${spec.name} `));
    assertMatch(r.stderr, /\noptions:\n/);
  }));
});

Deno.test("missing arguments exit 2 with what is missing and the usage on stderr", async () => {
  const cases: [string[], RegExp][] = [
    [["dump"], /^dcm dump: missing arguments: expected FILE\n/],
    [["echo", "127.0.0.1"], /^dcm echo: missing arguments: expected HOST PORT\n/],
    [["echo", "127.0.0.1", "nope"], /^dcm echo: PORT must be 1 to 65535, not "nope"\n/],
    [["store", "127.0.0.1", "104"], /^dcm store: missing arguments/],
    [["storescp", "--port", "0"], /^dcm storescp: --dir DIR is required\n/],
    [["storescp", "--port", "x", "--dir", "/tmp"], /^dcm storescp: --port must be 0 to 65535/],
    [["find", "127.0.0.1", "104"], /^dcm find: -k QueryRetrieveLevel=.* is required\n/],
    [
      ["move", "127.0.0.1", "104", "-k", "QueryRetrieveLevel=STUDY"],
      /^dcm move: --dest AE \(or --dir OUT\) is required\n/,
    ],
    [
      ["get", "127.0.0.1", "104", "-k", "QueryRetrieveLevel=STUDY"],
      /^dcm get: --dir OUT is required\n/,
    ],
    [["qrscp", "--port", "0"], /^dcm qrscp: --dir DIR is required\n/],
    [["mwlscp", "--port", "0"], /^dcm mwlscp: --dir DIR is required\n/],
    [
      ["mwlscp", "--port", "0", "--dir", "/no/such/folder"],
      /^dcm mwlscp: --dir \/no\/such\/folder is not a folder\n/,
    ],
    [
      ["mwl", "127.0.0.1", "104", "-k", "QueryRetrieveLevel=STUDY"],
      /^dcm mwl: -k QueryRetrieveLevel: a worklist query has no QueryRetrieveLevel\n/,
    ],
    [["echo", "127.0.0.1", "104", "--max-pdu", "lots"], /^dcm echo: --max-pdu must be a number/],
    [["echo", "127.0.0.1", "104", "--aet"], /^dcm echo: Option '--aet <value>' argument missing\n/],
  ];
  await Promise.all(cases.map(async ([args, message]) => {
    const r = await dcm(...args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertMatch(r.stderr, message);
    assertMatch(r.stderr, new RegExp(`\nusage: dcm ${args[0]} `));
  }));
});

Deno.test("dcm --help lists every command on stdout; dcm alone prints it on stderr and exits 2", async () => {
  const [help, bare, unknown] = await Promise.all([dcm("--help"), dcm(), dcm("frobnicate")]);
  assertEquals(help.code, 0);
  for (const { spec } of commands) {
    assertMatch(help.stdout, new RegExp(`^ {2}${spec.name} +\\S`, "m"));
  }
  assertEquals(bare.code, 2);
  assertEquals(bare.stderr.trim(), help.stdout.trim());
  assertEquals(unknown.code, 2);
  assertMatch(unknown.stderr, /^dcm: unknown command "frobnicate"\n/);
});

Deno.test("dcm --version and -V print the package version and our implementation name", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(DENO_JSON));
  for (const flag of ["--version", "-V"]) {
    const r = await dcm(flag);
    assertEquals(r.code, 0);
    assertMatch(r.stdout, new RegExp(`^dcm ${version.replaceAll(".", "\\.")} .*DCMNET_\\d+`));
  }
});
