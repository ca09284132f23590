/**
 * `dcm qrscp` as a user runs it: over a folder of files, answering `dcm
 * find`, DCMTK's findscu and storescu, moving to a `--dest`, logging one
 * line per association, and ending with exit code 0 on SIGTERM.
 */
import { StorageScp } from "../scp/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { Identifier } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { statusCategory } from "../dimse/mod.ts";
import { generateSampleStudies } from "../archive/mod.ts";
import { encodePart10 } from "../dataset/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcmtkIgnore } from "./_peers.ts";
import { DCMTK_ENV, findscu, HOST, writeSampleCorpus } from "./_qr_fixtures.ts";
import { MAIN } from "./_cli.ts";

const AE = "QRCLI";

/** A running `dcm qrscp`: its output so far, and a way to wait for a line. */
class QrscpProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #drained: Promise<unknown>;
  stdout = "";
  stderr = "";
  #changed = Promise.withResolvers<void>();

  constructor(args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "qrscp", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        this[key] += text;
        this.#changed.resolve();
        this.#changed = Promise.withResolvers<void>();
      }
    };
    this.#drained = Promise.all([
      collect(this.#child.stdout, "stdout"),
      collect(this.#child.stderr, "stderr"),
    ]).finally(() => this.#changed.resolve());
  }

  /** Waits until `predicate` holds for the output, as it arrives (no polling). */
  async until(what: string, predicate: () => boolean, timeout = 20_000): Promise<void> {
    const deadline = Date.now() + timeout;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) => timer = setTimeout(resolve, timeout));
    try {
      while (!predicate()) {
        if (Date.now() >= deadline) {
          throw new Error(
            `dcm qrscp: no ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
          );
        }
        let exited = false;
        await Promise.race([
          this.#changed.promise,
          expired,
          this.#child.status.then(() => exited = true),
        ]);
        if (exited && !predicate()) {
          await this.#drained;
          if (predicate()) return;
          throw new Error(`dcm qrscp exited before ${what}:\n${this.stderr}`);
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for "qrscp AE listening on host:PORT" and returns PORT. */
  async port(): Promise<number> {
    const pattern = /qrscp \S+ listening on [^\s:]+:(\d+)/;
    await this.until("listening line", () => pattern.test(this.stderr));
    return Number(pattern.exec(this.stderr)![1]);
  }

  /** Sends SIGTERM and returns the exit code. */
  async terminate(): Promise<number> {
    this.#child.kill("SIGTERM");
    const status = await this.#child.status;
    await this.#drained;
    return status.code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already ended */ }
    await this.#child.status;
    await this.#drained;
  }
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test({
  name:
    "dcm qrscp indexes its folder, answers dcm find and findscu, takes storescu into the folder, moves to --dest, logs each association (with -v, its C-MOVE's too) and exits 0 on SIGTERM",
  ignore: dcmtkIgnore("storescu"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cli_qrscp_" });
    try {
      const files = await writeSampleCorpus(`${dir}/archive`, {
        patients: 2,
        studiesPerPatient: 2,
        seriesPerStudy: 2,
        instancesPerSeries: 3,
      });
      await Deno.writeTextFile(`${dir}/archive/notes.txt`, "not DICOM\n");
      const moved: string[] = [];
      await using destination = new StorageScp({
        hostname: HOST,
        port: 0,
        aeTitle: "DEST",
        handleObject: async (o) => {
          await o.dataset.cancel();
          moved.push(o.sopInstanceUid);
        },
      });
      await using qrscp = new QrscpProcess([
        "--port",
        "0",
        "--host",
        HOST,
        "--aet",
        AE,
        "--dir",
        `${dir}/archive`,
        "--dest",
        `DEST=${HOST}:${destination.port}`,
        "-v",
      ]);
      const port = await qrscp.port();
      assertMatch(
        qrscp.stderr,
        /indexed 24 files \(1 skipped\): 2 patients, 4 studies, 8 series, 24 instances/,
      );

      // dcm find (our SCU) and findscu (DCMTK's), concurrently.
      const [ours, dcmtk] = await Promise.all([
        run(Deno.execPath(), [
          "run",
          "-A",
          MAIN,
          "find",
          HOST,
          String(port),
          "--call",
          AE,
          "--json",
          "-k",
          "QueryRetrieveLevel=STUDY",
          "-k",
          "StudyInstanceUID",
        ]),
        findscu(port, AE, ["QueryRetrieveLevel=STUDY", "StudyInstanceUID"], ["-S"]),
      ]);
      assertEquals(ours.code, 0, ours.stderr);
      const studies = new Set(files.map((f) => f.studyInstanceUid));
      const found = ours.stdout.trim().split("\n").map((line) =>
        JSON.parse(line)["0020000D"].Value[0]
      );
      assertEquals(new Set(found), studies);
      assertEquals(dcmtk.code, 0, dcmtk.log);
      assertEquals(
        new Set(dcmtk.identifiers.map((d) => d.string("StudyInstanceUID"))),
        studies,
      );

      // storescu into the folder, then findscu finds it.
      const [object] = generateSampleStudies({
        patients: 1,
        studiesPerPatient: 1,
        seriesPerStudy: 1,
        instancesPerSeries: 1,
      });
      const newFile = `${dir}/new.dcm`;
      await Deno.writeFile(newFile, encodePart10(object!));
      const stored = await run(
        "storescu",
        ["-aec", AE, HOST, String(port), newFile],
        DCMTK_ENV,
      );
      assertEquals(stored.code, 0, stored.stderr);
      const uid = object!.string("SOPInstanceUID")!;
      const after = await findscu(port, AE, [
        "QueryRetrieveLevel=IMAGE",
        `StudyInstanceUID=${object!.string("StudyInstanceUID")}`,
        "SeriesInstanceUID",
        "SOPInstanceUID",
      ], ["-S"]);
      assertEquals(
        after.identifiers.map((d) => d.string("SOPInstanceUID")),
        [uid],
        `${stored.stderr}\n${qrscp.stdout}\n${qrscp.stderr}`,
      );
      const inFolder = [...Deno.readDirSync(`${dir}/archive`)].map((e) => e.name);
      assert(inFolder.some((n) => n.includes(uid)), inFolder.join(" "));

      // dcm move to the --dest destination.
      const study = files[0]!.studyInstanceUid;
      const move = await run(Deno.execPath(), [
        "run",
        "-A",
        MAIN,
        "move",
        HOST,
        String(port),
        "--call",
        AE,
        "--dest",
        "DEST",
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        `StudyInstanceUID=${study}`,
      ]);
      assertEquals(move.code, 0, move.stderr);
      assertEquals(
        moved.sort(),
        files.filter((f) => f.studyInstanceUid === study).map((f) => f.sopInstanceUid).sort(),
      );

      // One line per association opened, and one when it ends: dcm find,
      // findscu, storescu, findscu, dcm move.
      const opened = () => qrscp.stdout.match(/^association from .* contexts accepted$/gm) ?? [];
      const ended = () =>
        (qrscp.stdout.match(/^association from \S+ \S+$/gm) ?? []).filter((l) =>
          !l.includes("contexts")
        );
      await qrscp.until("5 association end lines", () => ended().length >= 5);
      assertEquals(opened().length, 5, qrscp.stdout);
      assertMatch(qrscp.stdout, /^association from FINDSCU to QRCLI: \d+ contexts accepted$/m);
      assertMatch(qrscp.stdout, /^association from STORESCU to QRCLI: \d+ contexts accepted$/m);
      // -v: the associations it accepts, and those of its C-MOVE sub-operations.
      assertMatch(qrscp.stderr, /^I: association with [\d.]+:\d+ requested: FINDSCU -> QRCLI, /m);
      const toDestination = `I: association with ${HOST}:${destination.port}`;
      assertMatch(qrscp.stderr, new RegExp(`^${toDestination} requested: QRCLI -> DEST, `, "m"));
      await qrscp.until(
        "the C-MOVE association's release",
        () => qrscp.stderr.includes(`${toDestination} released`),
      );
      assertEquals(await qrscp.terminate(), 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("dcm qrscp --pending-interval 0 sends a pending C-MOVE response per sub-operation; a bad --move-window is a usage error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_qrscp_pending_" });
  try {
    await writeSampleCorpus(`${dir}/archive`, {
      patients: 1,
      studiesPerPatient: 1,
      seriesPerStudy: 2,
      instancesPerSeries: 4,
    });
    await using destination = new StorageScp({
      hostname: HOST,
      port: 0,
      aeTitle: "DEST",
      handleObject: (o) => o.dataset.cancel(),
    });
    const args = ["--port", "0", "--host", HOST, "--aet", AE, "--dir", `${dir}/archive`];
    const dest = ["--dest", `DEST=${HOST}:${destination.port}`];
    await using qrscp = new QrscpProcess([
      ...args,
      ...dest,
      "--pending-interval",
      "0",
      "--move-window",
      "1",
    ]);
    await using scu = new QueryRetrieveScu(HOST, await qrscp.port(), { calledAeTitle: AE });
    const operation = scu.move(new Identifier("PATIENT_ROOT", "PATIENT").set(Tag.PatientID, "*"), {
      destination: "DEST",
    });
    let pending = 0;
    for await (const p of operation) if (statusCategory(p.status) === "pending") pending++;
    const result = await operation;
    assertEquals(result.completed, 8);
    // One per sub-operation but the last, which the final response reports
    // (by default, one per 0.1 s, a local move of 8 objects reports once).
    assertEquals(pending, 7);
    const bad = await run(Deno.execPath(), [
      "run",
      "-A",
      MAIN,
      "qrscp",
      ...args,
      "--move-window",
      "0",
    ]);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /--move-window must be a positive number, not "0"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
