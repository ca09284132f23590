/**
 * The retrieve flow of a Query/Retrieve SCU, as DeCaMino's "Implementing a
 * Query/Retrieve SCU" describes it: find a patient's studies, then have them
 * sent to our own Storage SCP by C-MOVE, watching the progress.
 *
 * With no arguments it starts everything it needs on loopback: an archive
 * (the Q/R SCP over an in-memory index, loaded with generated studies,
 * patient ID 1234 among them) and a Storage SCP to receive the objects.
 *
 *   deno run -A examples/retrieve.ts
 *   deno run -A examples/retrieve.ts --host pacs --port 104 --call PACS --aet MYSCU --patient 1234 [--port-in 11113]
 *
 * Against a real archive, our AE title (--aet) must be known to it as a move
 * destination at this host and the --port-in port.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Archive, generateSampleStudies } from "../archive/mod.ts";
import { encodePart10, Identifier } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { QueryRetrieveScp, StorageScp } from "../scp/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    host: { type: "string" },
    port: { type: "string" },
    call: { type: "string", default: "QRSCP" },
    aet: { type: "string", default: "RETRIEVE" },
    patient: { type: "string", default: "1234" },
    "port-in": { type: "string", default: "0" },
  },
});

const out = await Deno.makeTempDir({ prefix: "retrieve-" });
const cleanup: (() => Promise<void>)[] = [];

// Our Storage SCP: where C-MOVE sends the objects (DeCaMino: new StorageSCP(o -> ...).start()).
// The archive keeps its copies, so files are flushed to disk in the background,
// many at a time, and flush() below waits for them before the summary.
let received = 0;
const storageScp = new StorageScp({
  hostname: values.host ? "0.0.0.0" : "127.0.0.1",
  port: Number(values["port-in"]),
  aeTitle: values.aet,
  directory: out,
  durable: "deferred",
  onFileStored: () => void received++,
});
cleanup.push(async () => void await storageScp.shutdown());

let host = values.host ?? "127.0.0.1";
let port = Number(values.port ?? 104);
if (!values.host) {
  // No archive given: start one, with generated studies.
  const files = await Deno.makeTempDir({ prefix: "archive-" });
  const archive = Archive.open({ database: ":memory:" });
  let count = 0;
  for (
    const ds of generateSampleStudies({
      patients: 5,
      studiesPerPatient: 2,
      seriesPerStudy: 2,
      instancesPerSeries: 5,
    })
  ) {
    const path = `${files}/${ds.string(Tag.SOPInstanceUID)}.dcm`;
    await Deno.writeFile(path, encodePart10(ds));
    archive.index(ds, path, Uid.ExplicitVRLittleEndian);
    count++;
  }
  const qrScp = new QueryRetrieveScp({
    hostname: "127.0.0.1",
    port: 0,
    aeTitle: values.call,
    archive,
    destinations: { [values.aet]: { hostname: "127.0.0.1", port: storageScp.port } },
  });
  host = "127.0.0.1";
  port = qrScp.port;
  console.log(
    `Started an archive ${values.call} on port ${port} with ${count} generated instances.`,
  );
  cleanup.push(async () => {
    await qrScp.shutdown();
    archive.close();
    await Deno.remove(files, { recursive: true });
  });
}
console.log(`Storage SCP ${values.aet} listening on port ${storageScp.port}, writing to ${out}\n`);

try {
  await using scu = new QueryRetrieveScu(host, port, {
    callingAeTitle: values.aet,
    calledAeTitle: values.call,
  });

  // 1. Find the patient's studies.
  const query = new Identifier("STUDY_ROOT", "STUDY")
    .set(Tag.PatientID, values.patient)
    .request(
      Tag.PatientName,
      Tag.StudyInstanceUID,
      Tag.StudyDate,
      Tag.StudyDescription,
      Tag.ModalitiesInStudy,
    );

  let studies = 0;
  let totalCompleted = 0;
  let totalFailed = 0;
  for await (const study of scu.find(query)) {
    studies++;
    const uid = study.string(Tag.StudyInstanceUID)!;
    console.log(
      `Study ${studies}: ${study.string(Tag.PatientName)} ${study.string(Tag.StudyDate)} ` +
        `"${study.string(Tag.StudyDescription) ?? ""}" [${
          study.strings(Tag.ModalitiesInStudy).join("\\")
        }]`,
    );
    console.log(`  ${uid}`);

    // 2. Move it to our Storage SCP, inside the find loop: the SCU uses a second association.
    const move = new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, uid);
    const operation = scu.move(move, { destination: values.aet });
    for await (const p of operation) {
      const total = p.completed + p.failed + p.warning + (p.remaining ?? 0);
      console.log(
        `  progress: ${p.completed + p.failed + p.warning}/${total} (failed ${p.failed})`,
      );
    }
    const result = await operation;
    totalCompleted += result.completed;
    totalFailed += result.failed;
  }

  await storageScp.flush(); // every file on disk, and counted
  console.log(
    `\nSummary: ${studies} studies found for patient ${values.patient}; ${totalCompleted} instances moved, ` +
      `${totalFailed} failed; ${received} files received in ${out}` +
      (values.host ? "" : " (a temporary folder, removed on exit)"),
  );
  if (studies === 0 || totalFailed > 0) Deno.exitCode = 1;
} finally {
  for (const fn of cleanup.reverse()) await fn();
  if (!values.host) await Deno.remove(out, { recursive: true });
}
