/**
 * Query/Retrieve SCU throughput, ours against DCMTK's findscu, movescu and
 * getscu, in one run against the same DCMTK dcmqrscp loaded with a
 * generated corpus:
 *
 * - C-FIND: responses/s over repeated STUDY-level queries on one association;
 * - C-MOVE: MB/s of every instance to a Storage SCP of the SCU's side
 *   (ours: our StorageScp; DCMTK's: movescu with storescp as destination);
 * - C-GET: MB/s of every instance into a folder.
 *
 * C-MOVE and C-GET are measured with each durability of ours (DCMTK's tools
 * never fsync): `"deferred"`, the default of `get()` and `retrieve()`, where
 * the time includes flushing every file to the disk before the operation
 * ends; and `true`, a Storage SCP's default, one fsync of the file and of
 * the folder before each success. `--no-fsync` measures ours without fsync,
 * the same work as DCMTK.
 *
 * Then the defaults, through the library and through `dcm` (one process
 * per patient, as DCMTK's tools): `retrieve()` and `dcm get` (C-GET, fsync
 * deferred) against getscu, `dcm move` to our StorageScp (fsync each
 * file, its default) and `dcm move --dir` (its own Storage SCP, fsync
 * deferred, all flushed before it reports) against movescu to storescp.
 * `--only=find|move|get|cli` runs one group.
 *
 * Each measurement runs 5 times, ours and DCMTK's alternating, and the
 * median ratio is reported: single runs on a shared machine vary by ±20%.
 *
 * Run: `deno run -A bench/query_retrieve.ts [--no-fsync] [--only=GROUP]`.
 *
 * @module
 */
import { Identifier } from "../dataset/mod.ts";
import { type Durability, StorageScp } from "../scp/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import {
  compare,
  dirBytes,
  findscu,
  freshDir,
  getscuPatients,
  movescuPatients,
} from "./_compare.ts";
import { freePort, startDcmqrscp, writeSampleCorpus } from "../tests/_qr_fixtures.ts";
import { DcmtkServer } from "../tests/_storage_corpus.ts";
import { dcm } from "../tests/_cli.ts";

const REPEAT = 50;
/** `--only=find|move|get|cli`: one group of measurements. */
const ONLY = /--only=(\w+)/.exec(Deno.args.join(" "))?.[1];
const wanted = (group: string) => ONLY === undefined || ONLY === group;

/** What was written into `dir` in `ms` milliseconds, in MB/s. */
async function mbPerSecond(dir: string, ms: number): Promise<number> {
  return (await dirBytes(dir)) / 1e6 / (ms / 1000);
}

/** `dcm ...args` in a process of its own (as the tests run it); its wall time in ms. */
async function timedDcm(args: string[]): Promise<number> {
  const start = performance.now();
  const out = await dcm(...args);
  if (out.code !== 0) throw new Error(`dcm ${args[0]} failed: ${out.stderr.slice(0, 400)}`);
  return performance.now() - start;
}

/** Our durabilities measured (see the module comment). */
const DURABILITIES: readonly Durability[] = Deno.args.includes("--no-fsync")
  ? [false]
  : ["deferred", true];

const DURABILITY_LABEL = new Map<Durability, string>([
  ["deferred", "fsync deferred"],
  [true, "fsync each file"],
  [false, "no fsync"],
]);

const root = await Deno.makeTempDir({ prefix: "bench-qr-" });
try {
  const corpus = `${root}/corpus`;
  await Deno.mkdir(corpus);
  const files = await writeSampleCorpus(corpus, { patients: 10, imageSize: 256 });
  const bytes = (await Promise.all(files.map((f) => Deno.stat(f.path)))).reduce(
    (n, s) => n + s.size,
    0,
  );
  console.log(
    `corpus: ${files.length} instances, ${
      (bytes / 1e6).toFixed(1)
    } MB, served by DCMTK dcmqrscp; ` +
      `our durability: ${DURABILITIES.map((d) => DURABILITY_LABEL.get(d)).join(", then ")}`,
  );
  const patients = [...new Set(files.map((f) => f.patientId))];
  const classes = [...new Set(files.map((f) => f.sopClassUid))];
  const ourScpPort = freePort();
  const moveScuPort = freePort();
  await using qr = await startDcmqrscp(corpus, {
    destinations: { OURSCP: ourScpPort, MOVESCU: moveScuPort },
  });
  const peer = ["-aec", qr.aeTitle, "127.0.0.1", String(qr.port)];
  // movescu's own receiver (+P) is much slower here than storescp, so
  // DCMTK's C-MOVE is measured at its best: movescu with storescp as destination.
  const dcmtkMove = async () => {
    const dir = await freshDir(`${root}/moved-dcmtk`);
    await using _storescp = await DcmtkServer.start(
      "storescp",
      (port) => ["+xa", "-od", dir, String(port)],
      moveScuPort,
    );
    const ms = await movescuPatients(peer, patients, "MOVESCU", "MOVESCU");
    return await mbPerSecond(dir, ms);
  };
  const getscu = async () => {
    const dir = await freshDir(`${root}/get-dcmtk`);
    const ms = await getscuPatients(peer, patients, dir);
    return await mbPerSecond(dir, ms);
  };
  const patientQuery = (id: string) =>
    new Identifier("PATIENT_ROOT", "PATIENT").set("PatientID", id);
  /** `dcm COMMAND ...args` once per patient (as DCMTK's tools run); the total of their times. */
  const dcmPerPatient = async (command: string, args: string[]) => {
    let ms = 0;
    for (const id of patients) {
      ms += await timedDcm([
        command,
        ...["--model", "patient", "--call", qr.aeTitle, ...args],
        ...["-k", "QueryRetrieveLevel=PATIENT", "-k", `PatientID=${id}`],
        "127.0.0.1",
        String(qr.port),
      ]);
    }
    return ms;
  };

  // C-FIND: REPEAT study-level queries, each matching every study.
  const query = new Identifier("STUDY_ROOT", "STUDY").set("PatientID", "*")
    .request("StudyInstanceUID", "StudyDate", "PatientName");
  let perQuery = 0;
  if (wanted("find")) {
    await compare(`C-FIND (x ${REPEAT})`, "rsp/s", async () => {
      let responses = 0;
      const start = performance.now();
      await using scu = new QueryRetrieveScu("127.0.0.1", qr.port, { calledAeTitle: qr.aeTitle });
      for (let i = 0; i < REPEAT; i++) for await (const _ of scu.find(query)) responses++;
      perQuery = responses / REPEAT;
      return responses / ((performance.now() - start) / 1000);
    }, async () => {
      const ms = await findscu(peer, REPEAT);
      return perQuery * REPEAT / (ms / 1000);
    });
  }

  for (const durable of DURABILITIES) {
    // C-MOVE of everything, one C-MOVE per patient.
    if (wanted("move")) {
      await compare(`C-MOVE, ${DURABILITY_LABEL.get(durable)}`, "MB/s", async () => {
        const dir = await freshDir(`${root}/moved-ours`);
        await using scp = new StorageScp({
          hostname: "127.0.0.1",
          port: ourScpPort,
          aeTitle: "OURSCP",
          directory: dir,
          durable,
        });
        await using scu = new QueryRetrieveScu("127.0.0.1", qr.port, {
          calledAeTitle: qr.aeTitle,
          callingAeTitle: "OURSCP",
        });
        const start = performance.now();
        for (const id of patients) await scu.move(patientQuery(id), { destination: "OURSCP" });
        await scp.flush(); // deferred: every file on the disk, as retrieve() waits for
        const ms = performance.now() - start;
        return await mbPerSecond(dir, ms);
      }, dcmtkMove);
    }

    // C-GET of everything, one C-GET per patient.
    if (wanted("get")) {
      await compare(`C-GET, ${DURABILITY_LABEL.get(durable)}`, "MB/s", async () => {
        const dir = await freshDir(`${root}/get-ours`);
        await using scu = new QueryRetrieveScu("127.0.0.1", qr.port, { calledAeTitle: qr.aeTitle });
        const start = performance.now();
        for (const id of patients) {
          await scu.get(patientQuery(id), { directory: dir, durable, sopClasses: classes });
        }
        const ms = performance.now() - start;
        return await mbPerSecond(dir, ms);
      }, getscu);
    }
  }

  if (wanted("cli")) {
    // retrieve(): C-GET when the peer accepts it, each class learnt from a C-FIND.
    await compare("retrieve(), defaults", "MB/s", async () => {
      const dir = await freshDir(`${root}/get-ours`);
      await using scu = new QueryRetrieveScu("127.0.0.1", qr.port, { calledAeTitle: qr.aeTitle });
      const start = performance.now();
      for (const id of patients) await scu.retrieve(patientQuery(id), { directory: dir });
      const ms = performance.now() - start;
      return await mbPerSecond(dir, ms);
    }, getscu);
    await compare("dcm get, defaults", "MB/s", async () => {
      const dir = await freshDir(`${root}/get-ours`);
      const ms = await dcmPerPatient("get", ["--dir", dir]);
      return await mbPerSecond(dir, ms);
    }, getscu);
    await compare("dcm move to StorageScp, defaults", "MB/s", async () => {
      const dir = await freshDir(`${root}/moved-ours`);
      await using _scp = new StorageScp({
        hostname: "127.0.0.1",
        port: ourScpPort,
        aeTitle: "OURSCP",
        directory: dir,
      });
      const ms = await dcmPerPatient("move", ["--aet", "OURSCP", "--dest", "OURSCP"]);
      return await mbPerSecond(dir, ms);
    }, dcmtkMove);
    // dcm move receiving itself (movescu +P -od's way): its own Storage SCP,
    // fsync deferred, every file on the disk before the result is printed.
    await compare("dcm move --dir, defaults", "MB/s", async () => {
      const dir = await freshDir(`${root}/moved-ours`);
      const ms = await dcmPerPatient("move", [
        "--aet",
        "OURSCP",
        "--dir",
        dir,
        "--port",
        String(ourScpPort),
      ]);
      return await mbPerSecond(dir, ms);
    }, dcmtkMove);
  }
} finally {
  await Deno.remove(root, { recursive: true });
}
