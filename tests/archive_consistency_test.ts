/**
 * One archive, one story (issue 11, item 7): an instance stored again with
 * other patient data is reported the same way by C-FIND (the records), by
 * C-GET (the file) and after a restart (a new index of the same folder).
 */
import { Archive } from "../archive/mod.ts";
import { Dataset, decodePart10, encodePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { assertEquals } from "./_assert.ts";

function instance(uid: string, patientName: string, studyDescription: string): Dataset {
  return new Dataset()
    .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
    .set(Tag.SOPInstanceUID, uid)
    .set(Tag.PatientID, "P1")
    .set(Tag.PatientName, patientName)
    .set(Tag.StudyInstanceUID, "2.25.100")
    .set(Tag.StudyDescription, studyDescription)
    .set(Tag.SeriesInstanceUID, "2.25.200")
    .set(Tag.Modality, "OT");
}

function namesIn(archive: Archive): { patient: string[]; study: string[] } {
  return {
    patient: [...archive.records("PATIENT")].map((r) => r.dataset.string(Tag.PatientName) ?? ""),
    study: [...archive.records("STUDY")].map((r) => r.dataset.string(Tag.StudyDescription) ?? ""),
  };
}

Deno.test("an instance stored again with new patient and study data is what C-FIND reports, before and after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archive-consistency-" });
  try {
    using archive = Archive.open();
    // Two instances of one patient, then the first sent again with corrected data,
    // overwriting its file as the Storage SCP does.
    // Each a second after the one before, as stores are (the file system's
    // modification time is what a restart has to go by).
    let clock = Date.now() - 10_000;
    const write = async (ds: Dataset) => {
      const path = `${dir}/${ds.string(Tag.SOPInstanceUID)}.dcm`;
      await Deno.writeFile(path, encodePart10(ds));
      clock += 1000;
      await Deno.utime(path, new Date(clock), new Date(clock));
      await archive.ingestFile(path);
    };
    await write(instance("2.25.1", "Doe^Jane", "HEAD"));
    await write(instance("2.25.2", "Doe^Jane", "HEAD"));
    await write(instance("2.25.1", "Roe^Jane", "HEAD AND NECK"));
    assertEquals(namesIn(archive), { patient: ["Roe^Jane"], study: ["HEAD AND NECK"] });
    // The file C-GET sends says the same.
    const [file] = archive.instances("PATIENT", [...archive.records("PATIENT")][0]!.key)
      .filter((i) => i.sopInstanceUid === "2.25.1");
    assertEquals(
      decodePart10(await Deno.readFile(file!.path)).dataset.string(Tag.PatientName),
      "Roe^Jane",
    );
    // A restart indexes the folder anew: the same answer, whatever the files' names.
    using restarted = Archive.open();
    await restarted.ingestDirectory(dir);
    assertEquals(namesIn(restarted), namesIn(archive));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a study stored again under another Patient ID moves to that patient; the emptied patient goes", () => {
  using archive = Archive.open();
  archive.index(instance("2.25.1", "Doe^Jane", "HEAD"), "/a/1.dcm", Uid.ExplicitVRLittleEndian);
  const moved = instance("2.25.1", "Doe^Jane", "HEAD").set(Tag.PatientID, "P2");
  archive.index(moved, "/a/1.dcm", Uid.ExplicitVRLittleEndian);
  const patients = [...archive.records("PATIENT")].map((r) => r.dataset.string(Tag.PatientID));
  assertEquals(patients, ["P2"]);
  const studies = [...archive.records("STUDY")].map((r) => r.dataset.string(Tag.PatientID));
  assertEquals(studies, ["P2"]);
  assertEquals(archive.counts(), { patients: 1, studies: 1, series: 1, instances: 1 });
});
