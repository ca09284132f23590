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
 * Run: `deno run -A bench/qr_serving.ts`.
 *
 * @module
 */
import { Archive } from "../archive/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import {
  compare,
  dirBytes,
  findscu,
  freshDir,
  getscuPatients,
  movescuPatients,
} from "./_compare.ts";
import { startDcmqrscp, writeSampleCorpus } from "../tests/_qr_fixtures.ts";
import { DcmtkServer } from "../tests/_storage_corpus.ts";

const REPEAT = 50;

const root = await Deno.makeTempDir({ prefix: "bench-qr-serving-" });
try {
  const corpus = `${root}/corpus`;
  await Deno.mkdir(corpus);
  const files = await writeSampleCorpus(corpus, { patients: 10, imageSize: 256 });
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
  using archive = Archive.open();
  for (const f of files) await archive.ingestFile(f.path);
  await using ours = new QueryRetrieveScp({
    hostname: "127.0.0.1",
    port: 0,
    aeTitle: "OURQR",
    archive,
    destinations,
  });
  const peer = (port: number, aeTitle: string) => ["-aec", aeTitle, "127.0.0.1", String(port)];
  const servers = {
    ours: peer(ours.port, "OURQR"),
    theirs: peer(theirs.port, theirs.aeTitle),
  };

  const matches = new Set(files.map((f) => f.studyInstanceUid)).size;
  const find = (server: string[]) => async () => {
    const ms = await findscu(server, REPEAT);
    return matches * REPEAT / (ms / 1000);
  };
  await compare(
    `C-FIND served (findscu x ${REPEAT})`,
    "rsp/s",
    find(servers.ours),
    find(servers.theirs),
  );

  const move = (server: string[]) => async () => {
    const ms = await movescuPatients(server, patients, "STORESCP");
    return bytes / 1e6 / (ms / 1000);
  };
  await compare(
    "C-MOVE served (movescu -> storescp)",
    "MB/s",
    move(servers.ours),
    move(servers.theirs),
  );

  const get = (server: string[], dir: string) => async () => {
    await freshDir(dir);
    const ms = await getscuPatients(server, patients, dir);
    return (await dirBytes(dir)) / 1e6 / (ms / 1000);
  };
  await compare(
    "C-GET served (getscu)",
    "MB/s",
    get(servers.ours, `${root}/got-ours`),
    get(servers.theirs, `${root}/got-theirs`),
  );
} finally {
  await Deno.remove(root, { recursive: true });
}
