/**
 * Query/Retrieve SCU throughput, ours against DCMTK's findscu, movescu and
 * getscu, in one run against the same DCMTK dcmqrscp loaded with a
 * generated corpus:
 *
 * - C-FIND: responses/s over repeated STUDY-level queries on one association;
 * - C-MOVE: MB/s of every instance to a Storage SCP of the SCU's side;
 * - C-GET: MB/s of every instance into a folder.
 *
 * Run: `deno run -A bench/query_retrieve.ts`.
 *
 * @module
 */
import { Identifier } from "../dataset/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import {
  DCMTK_ENV,
  freePort,
  startDcmqrscp,
  waitForListener,
  writeSampleCorpus,
} from "../tests/_qr_fixtures.ts";

const REPEAT = 50;

/**
 * Whether our side fsyncs each received file before answering (our default).
 * DCMTK does not; `--no-fsync` measures both sides doing the same work.
 */
const DURABLE = !Deno.args.includes("--no-fsync");

async function dcmtk(tool: string, args: string[]): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(tool, {
    args,
    env: DCMTK_ENV,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${tool} failed: ${new TextDecoder().decode(out.stderr).slice(0, 400)}`);
  }
  return performance.now() - start;
}

function ratio(label: string, unit: string, ours: number, theirs: number): string {
  return `${label.padEnd(28)} ours ${ours.toFixed(1).padStart(9)} ${unit}   DCMTK ${
    theirs.toFixed(1).padStart(9)
  } ${unit}   ratio ${(ours / theirs).toFixed(2)}x`;
}

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    n += e.isDirectory ? await dirBytes(p) : (await Deno.stat(p)).size;
  }
  return n;
}

const root = await Deno.makeTempDir({ prefix: "bench-qr-" });
try {
  const corpus = `${root}/corpus`;
  await Deno.mkdir(corpus);
  const files = await writeSampleCorpus(corpus, { patients: 10, imageSize: 256 });
  const corpusBytes = (await Promise.all(files.map((f) => Deno.stat(f.path)))).reduce(
    (n, s) => n + s.size,
    0,
  );
  const mb = corpusBytes / 1e6;
  console.log(
    `corpus: ${files.length} instances, ${mb.toFixed(1)} MB, served by DCMTK dcmqrscp; ` +
      `our side ${DURABLE ? "fsyncs each file" : "does not fsync (--no-fsync), as DCMTK"}`,
  );

  const ourScpPort = freePort();
  const moveScuPort = freePort();
  await using qr = await startDcmqrscp(corpus, {
    destinations: { OURSCP: ourScpPort, MOVESCU: moveScuPort },
  });
  const peer = ["-aec", qr.aeTitle, "127.0.0.1", String(qr.port)];

  // C-FIND: REPEAT study-level queries, each matching every study.
  const query = new Identifier("STUDY_ROOT", "STUDY").set("PatientID", "*")
    .request("StudyInstanceUID", "StudyDate", "PatientName");
  let responses = 0;
  const findStart = performance.now();
  {
    await using scu = new QueryRetrieveScu("127.0.0.1", qr.port, { calledAeTitle: qr.aeTitle });
    for (let i = 0; i < REPEAT; i++) for await (const _ of scu.find(query)) responses++;
  }
  const oursFind = responses / ((performance.now() - findStart) / 1000);
  const findscuMs = await dcmtk("findscu", [
    "-S",
    "--repeat",
    String(REPEAT),
    "-k",
    "QueryRetrieveLevel=STUDY",
    "-k",
    "PatientID=*",
    "-k",
    "StudyInstanceUID",
    "-k",
    "StudyDate",
    "-k",
    "PatientName",
    ...peer,
  ]);
  const theirsFind = responses / (findscuMs / 1000);
  console.log(
    ratio(`C-FIND (${responses / REPEAT} matches x ${REPEAT})`, "rsp/s", oursFind, theirsFind),
  );

  // C-MOVE of everything, patient by patient (one C-MOVE per patient).
  const patients = [...new Set(files.map((f) => f.patientId))];
  const oursDir = `${root}/moved-ours`;
  await Deno.mkdir(oursDir);
  let moveMs: number;
  {
    await using scp = new StorageScp({
      hostname: "127.0.0.1",
      port: ourScpPort,
      aeTitle: "OURSCP",
      directory: oursDir,
    });
    await using scu = new QueryRetrieveScu("127.0.0.1", qr.port, {
      calledAeTitle: qr.aeTitle,
      callingAeTitle: "OURSCP",
    });
    const start = performance.now();
    for (const id of patients) {
      await scu.move(new Identifier("PATIENT_ROOT", "PATIENT").set("PatientID", id), {
        destination: "OURSCP",
      });
    }
    moveMs = performance.now() - start;
    void scp;
  }
  const theirDir = `${root}/moved-dcmtk`;
  await Deno.mkdir(theirDir);
  // movescu's own receiver (+P) is much slower here than DCMTK's storescp, so
  // DCMTK's side is measured at its best: movescu with storescp as destination.
  const storescp = new Deno.Command("storescp", {
    args: ["+xa", "-od", theirDir, String(moveScuPort)],
    env: DCMTK_ENV,
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForListener(moveScuPort, storescp.status);
  let movescuMs = 0;
  try {
    for (const id of patients) {
      movescuMs += await dcmtk("movescu", [
        "-P",
        "-aet",
        "MOVESCU",
        "-aem",
        "MOVESCU",
        "-k",
        "QueryRetrieveLevel=PATIENT",
        "-k",
        `PatientID=${id}`,
        ...peer,
      ]);
    }
  } finally {
    storescp.kill("SIGTERM");
    await storescp.status;
  }
  const movedOurs = await dirBytes(oursDir) / 1e6;
  const movedTheirs = await dirBytes(theirDir) / 1e6;
  console.log(
    ratio(
      "C-MOVE, all instances",
      "MB/s",
      movedOurs / (moveMs / 1000),
      movedTheirs / (movescuMs / 1000),
    ),
  );

  // C-GET of everything, patient by patient.
  const getOurs = `${root}/get-ours`;
  const getTheirs = `${root}/get-dcmtk`;
  await Deno.mkdir(getOurs);
  await Deno.mkdir(getTheirs);
  let getMs: number;
  {
    await using scu = new QueryRetrieveScu("127.0.0.1", qr.port, { calledAeTitle: qr.aeTitle });
    const start = performance.now();
    for (const id of patients) {
      await scu.get(new Identifier("PATIENT_ROOT", "PATIENT").set("PatientID", id), {
        directory: getOurs,
        durable: DURABLE,
        sopClasses: [...new Set(files.map((f) => f.sopClassUid))],
      });
    }
    getMs = performance.now() - start;
  }
  let getscuMs = 0;
  for (const id of patients) {
    getscuMs += await dcmtk("getscu", [
      "-P",
      "-od",
      getTheirs,
      "-k",
      "QueryRetrieveLevel=PATIENT",
      "-k",
      `PatientID=${id}`,
      ...peer,
    ]);
  }
  console.log(
    ratio(
      "C-GET, all instances",
      "MB/s",
      (await dirBytes(getOurs)) / 1e6 / (getMs / 1000),
      (await dirBytes(getTheirs)) / 1e6 / (getscuMs / 1000),
    ),
  );
} finally {
  await Deno.remove(root, { recursive: true });
}
