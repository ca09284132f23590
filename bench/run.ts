/**
 * `deno task bench`: every benchmark, each against its peer in the same run.
 * `deno task bench soak.ts [args]` runs only the named benchmark, with its
 * arguments; the soak (10 minutes by default) and `receive.ts` (the receive
 * path alone, all sizes, durable and not) run only when named.
 *
 * @module
 */
const DEFAULT = [
  "parse.ts",
  "dump.ts",
  "storage.ts",
  "query_retrieve.ts",
  "qr_serving.ts",
  "get_stored.ts",
  "memory_probes.ts",
  "storage_memory.ts",
  "codecs.ts",
];
const NAMED_ONLY = ["soak.ts", "receive.ts"];
const [named, ...args] = Deno.args;
if (named !== undefined && ![...DEFAULT, ...NAMED_ONLY].includes(named)) {
  console.error(`bench: unknown benchmark "${named}"; one of ${[...DEFAULT, ...NAMED_ONLY]}`);
  Deno.exit(2);
}
for (const name of named === undefined ? DEFAULT : [named]) {
  console.log(`\n## ${name}`);
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(name, import.meta.url).pathname, ...args],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) Deno.exit(1);
}
