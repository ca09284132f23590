/**
 * `deno task bench`: every benchmark, each against its peer in the same run.
 *
 * @module
 */
const benches = [
  "parse.ts",
  "dump.ts",
  "storage.ts",
  "query_retrieve.ts",
  "qr_serving.ts",
  "memory_probes.ts",
];
for (const name of benches) {
  console.log(`\n## ${name}`);
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(name, import.meta.url).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) Deno.exit(1);
}
