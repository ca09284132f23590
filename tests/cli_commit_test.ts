/**
 * `dcm commit` against `dcm storescp --commit` and `dcm qrscp --commit`:
 * the report on the requesting association and, with `--dest`, on a new
 * one to `dcm commit --port`; the exit code says whether all were committed.
 */
import { Dataset, encodePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { store } from "../service/mod.ts";
import { assertEquals, assertMatch } from "./_assert.ts";
import { dcm, ServerProcess, StorescpProcess } from "./_cli.ts";

import { freePort, HOST } from "./_storage_corpus.ts";

function object(sopInstanceUid: string): Dataset {
  return new Dataset()
    .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
    .set(Tag.SOPInstanceUID, sopInstanceUid)
    .set(Tag.PatientID, "CLI")
    .set(Tag.StudyInstanceUID, "2.25.9100")
    .set(Tag.SeriesInstanceUID, "2.25.9101");
}

async function files(dir: string, uids: string[]): Promise<void> {
  for (const uid of uids) await Deno.writeFile(`${dir}/${uid}.dcm`, encodePart10(object(uid)));
}

Deno.test("dcm commit against dcm storescp --commit: all committed on the same association, exit 0", async () => {
  const out = await Deno.makeTempDir();
  const src = await Deno.makeTempDir();
  try {
    await using scp = new StorescpProcess(out, ["--commit"]);
    const port = await scp.listening();
    await store(HOST, port, [object("2.25.9111"), object("2.25.9112")]);
    await files(src, ["2.25.9111", "2.25.9112"]);
    const run = await dcm("commit", HOST, String(port), src, "--timeout", "30");
    assertEquals(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assertEquals(lines.filter((l) => l.startsWith("committed ")).length, 2);
    assertMatch(
      lines.at(-1)!,
      /^2 committed, 0 failed: transaction 2\.25\.\d+, report on the same association$/,
    );
    await scp.stdout.find(
      /^storage commitment 2\.25\.\d+ for DCMNET: 2 committed, 0 failed, reported on same-association$/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(src, { recursive: true });
  }
});

Deno.test("dcm commit --port against dcm qrscp --commit --dest: a never-stored instance fails 0112, exit 1", async () => {
  const archive = await Deno.makeTempDir();
  const src = await Deno.makeTempDir();
  try {
    const listen = freePort();
    await using scp = new ServerProcess("qrscp", archive, [
      "--commit",
      "--dest",
      `MODALITY=${HOST}:${listen}`,
    ]);
    const port = await scp.listening();
    await store(HOST, port, [object("2.25.9121")]);
    await files(src, ["2.25.9121", "2.25.9122"]);
    const run = await dcm(
      "commit",
      HOST,
      String(port),
      src,
      "--port",
      String(listen),
      "--listen-host",
      HOST,
      "--aet",
      "MODALITY",
      "--json",
    );
    assertEquals(run.code, 1, run.stderr);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const byUid = Object.fromEntries(lines.slice(0, -1).map((l) => [l.sopInstanceUid, l]));
    assertEquals(byUid["2.25.9121"].committed, true);
    assertEquals([byUid["2.25.9122"].committed, byUid["2.25.9122"].failureReason], [false, "0112"]);
    assertEquals(byUid["2.25.9122"].file, `${src}/2.25.9122.dcm`);
    assertEquals(lines.at(-1), { committed: 1, failed: 1 });
  } finally {
    await Deno.remove(archive, { recursive: true });
    await Deno.remove(src, { recursive: true });
  }
});
