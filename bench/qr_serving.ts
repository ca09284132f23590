/**
 * Query/Retrieve SCP throughput, ours against DCMTK's dcmqrscp, both serving
 * the same generated corpus to DCMTK's own clients in the same run:
 *
 * - C-FIND: `findscu --repeat`, STUDY-level queries matching every study;
 * - C-MOVE: `movescu`, one per patient, to a DCMTK `storescp`;
 * - C-GET: `getscu`, one per patient, into a folder.
 *
 * Our QueryRetrieveScp answers from an `Archive` indexing the corpus files;
 * dcmqrscp from its own index of copies of them. The clients and the
 * storescp receiver are the same for both, so the ratio is the servers'.
 *
 * With `BASELINE=<folder of another checkout>`, that checkout's
 * `QueryRetrieveScp` and `Archive` serve as a third side in the same
 * rounds, so that a change is measured before and after against the same
 * dcmqrscp runs. `QR_BENCH=find,move,get` picks the operations (all by
 * default), `ROUNDS` the rounds (5), `REPEAT` the C-FIND repeats (50);
 * `PATIENTS` (10, 2 studies of 2 series each), `INSTANCES` per series (10)
 * and `IMAGE_SIZE` (256) shape the corpus.
 *
 * Run: `[QR_BENCH=find] [ROUNDS=9] [BASELINE=dir] deno run -A bench/qr_serving.ts`.
 *
 * @module
 */
import { Archive } from "../archive/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import {
  compareSides,
  dirBytes,
  FIND_KEYS,
  findscu,
  freshDir,
  getscuPatients,
  movescuPatients,
  type Side,
} from "./_compare.ts";
import { startDcmqrscp, writeSampleCorpus } from "../tests/_qr_fixtures.ts";
import { DcmtkServer } from "../tests/_storage_corpus.ts";

const REPEAT = Number(Deno.env.get("REPEAT") ?? 50);
const PATIENTS = Number(Deno.env.get("PATIENTS") ?? 10);
const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 5);
const OPERATIONS = (Deno.env.get("QR_BENCH") ?? "find,move,get").split(",");
const baselineDir = Deno.env.get("BASELINE");
const baseline: { Archive: typeof Archive; QueryRetrieveScp: typeof QueryRetrieveScp } | undefined =
  baselineDir === undefined ? undefined : {
    Archive: (await import(`file://${await Deno.realPath(baselineDir)}/archive/mod.ts`)).Archive,
    QueryRetrieveScp:
      (await import(`file://${await Deno.realPath(baselineDir)}/scp/mod.ts`)).QueryRetrieveScp,
  };

const root = await Deno.makeTempDir({ prefix: "bench-qr-serving-" });
try {
  const corpus = `${root}/corpus`;
  await Deno.mkdir(corpus);
  const files = await writeSampleCorpus(corpus, {
    patients: PATIENTS,
    instancesPerSeries: Number(Deno.env.get("INSTANCES") ?? 10),
    imageSize: Number(Deno.env.get("IMAGE_SIZE") ?? 256),
  });
  const bytes = (await Promise.all(files.map((f) => Deno.stat(f.path)))).reduce(
    (n, s) => n + s.size,
    0,
  );
  console.log(
    `corpus: ${files.length} instances, ${(bytes / 1e6).toFixed(1)} MB, ` +
      "served by our QueryRetrieveScp and by DCMTK dcmqrscp to DCMTK's clients",
  );
  const patients = [...new Set(files.map((f) => f.patientId))];

  // One storescp receives every C-MOVE, whichever server sends.
  await using storescp = await DcmtkServer.start("storescp", (port) => ["--ignore", String(port)]);
  const storescpPort = storescp.port;
  const destinations = { STORESCP: { hostname: "127.0.0.1", port: storescpPort } };
  await using theirs = await startDcmqrscp(corpus, { destinations: { STORESCP: storescpPort } });
  const serve = async (A: typeof Archive, Scp: typeof QueryRetrieveScp, aeTitle: string) => {
    const archive = A.open();
    for (const f of files) await archive.ingestFile(f.path);
    const scp = new Scp({ hostname: "127.0.0.1", port: 0, aeTitle, archive, destinations });
    return {
      port: scp.port,
      async [Symbol.asyncDispose]() {
        await scp[Symbol.asyncDispose]();
        archive.close();
      },
    };
  };
  await using ours = await serve(Archive, QueryRetrieveScp, "OURQR");
  await using old = baseline === undefined
    ? undefined
    : await serve(baseline.Archive, baseline.QueryRetrieveScp, "OLDQR");
  const peer = (port: number, aeTitle: string) => ["-aec", aeTitle, "127.0.0.1", String(port)];
  const servers = {
    ours: peer(ours.port, "OURQR"),
    theirs: peer(theirs.port, theirs.aeTitle),
  };

  // Ours and dcmqrscp, and the baseline when there is one.
  const withBaseline = (
    ours: () => Promise<number>,
    theirs: () => Promise<number>,
    baseline: (() => Promise<number>) | undefined,
  ): Side[] => [
    ["ours", ours],
    ["dcmqrscp", theirs],
    ...baseline === undefined ? [] : [["baseline", baseline] as Side],
  ];
  if (OPERATIONS.includes("find")) {
    const studies = new Set(files.map((f) => f.studyInstanceUid)).size;
    // Every study; the studies of 2024 whose patient's name has an "a"; one study.
    const queries = [
      { label: "C-FIND, every study", keys: FIND_KEYS, matches: studies },
      {
        label: "C-FIND, date range + wildcard",
        keys: [...FIND_KEYS, "StudyDate=20240101-20241231", "PatientName=*a*"],
        matches: -1,
      },
      {
        label: "C-FIND, one Accession Number",
        keys: [...FIND_KEYS, "AccessionNumber=A11"],
        matches: 1,
      },
    ];
    for (const { label, keys, matches } of queries) {
      const find = (server: string[]) => async () => {
        const ms = await findscu(server, REPEAT, keys);
        return REPEAT / (ms / 1000);
      };
      await compareSides(
        `${label} (findscu x ${REPEAT}${matches >= 0 ? `, ${matches} matches` : ""})`,
        "queries/s",
        withBaseline(
          find(servers.ours),
          find(servers.theirs),
          old === undefined ? undefined : find(peer(old.port, "OLDQR")),
        ),
        ROUNDS,
      );
    }
  }

  if (OPERATIONS.includes("move")) {
    const move = (server: string[]) => async () => {
      const ms = await movescuPatients(server, patients, "STORESCP");
      return bytes / 1e6 / (ms / 1000);
    };
    await compareSides(
      "C-MOVE served (movescu -> storescp)",
      "MB/s",
      withBaseline(
        move(servers.ours),
        move(servers.theirs),
        old === undefined ? undefined : move(peer(old.port, "OLDQR")),
      ),
      ROUNDS,
    );
  }
  if (OPERATIONS.includes("get")) {
    const get = (server: string[], dir: string) => async () => {
      await freshDir(dir);
      const ms = await getscuPatients(server, patients, dir);
      return (await dirBytes(dir)) / 1e6 / (ms / 1000);
    };
    await compareSides(
      "C-GET served (getscu)",
      "MB/s",
      withBaseline(
        get(servers.ours, `${root}/got-ours`),
        get(servers.theirs, `${root}/got-theirs`),
        old === undefined ? undefined : get(peer(old.port, "OLDQR"), `${root}/got-baseline`),
      ),
      ROUNDS,
    );
  }
} finally {
  await Deno.remove(root, { recursive: true });
}
