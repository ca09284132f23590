/**
 * A Storage SCP for tests/store_journal_crash_test.ts, run as its own
 * process so that the test can kill it: `deno run -A tests/_journal_child.ts DIR`.
 * Its journal never takes a checkpoint while it runs (every file it writes
 * stays in the journal, so that the test may drop any of them as a power
 * loss would). Prints `{"port": N}` once listening, and what the journal
 * replayed to stderr; shuts down on SIGTERM.
 *
 * @module
 */
import { _StoreJournal } from "../service/_store_journal.ts";
import { TempFilePool } from "../service/file_writer.ts";
import { StorageScp } from "../scp/mod.ts";

const dir = Deno.args[0]!;
const onWarning = (m: string) => console.error(m);
// Taken first, with these options: the StorageScp's own request gets this journal.
const temp = new TempFilePool(dir);
const held = _StoreJournal.acquire(dir, {
  durable: true,
  temp,
  checkpointEvery: Number.MAX_SAFE_INTEGER,
  idleMs: 2 ** 31 - 1,
  onWarning,
});
if (!(await held.journal)) Deno.exit(3);
const scp = new StorageScp({ hostname: "127.0.0.1", port: 0, directory: dir, onWarning });
console.log(JSON.stringify({ port: scp.port }));
Deno.addSignalListener("SIGTERM", async () => {
  await scp.shutdown();
  await held.release();
  await temp.close();
  Deno.exit(0);
});
