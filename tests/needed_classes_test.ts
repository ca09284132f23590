// The preliminary C-FIND walk of get() (scu/_needed_classes.ts), against a
// peer given as a find function: which queries it sends and what it learns.
import { Dataset, Identifier } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { findNeededClasses } from "../scu/_needed_classes.ts";
import { assert, assertEquals } from "./_assert.ts";

/**
 * A patient with 2 studies of 2 series of 3 images each, answered level by
 * level as a hierarchical C-FIND SCP would; IMAGE matches carry SOP Class UID
 * only when `withClass`. Every query is recorded by its level.
 */
function peer(withClass: boolean) {
  const queries: string[] = [];
  async function* find(q: Identifier): AsyncGenerator<Identifier> {
    queries.push(q.level);
    const match = (set: (ds: Dataset) => void) => {
      const ds = new Dataset();
      for (const el of q) if (el.tag !== Tag.QueryRetrieveLevel) ds.setElement(el);
      set(ds);
      return Identifier.from(q.model, ds);
    };
    await Promise.resolve();
    if (q.level === "PATIENT") yield match((ds) => ds.set(Tag.PatientID, "P1"));
    else if (q.level === "STUDY") {
      for (const s of ["1.2.3.1", "1.2.3.2"]) yield match((ds) => ds.set(Tag.StudyInstanceUID, s));
    } else if (q.level === "SERIES") {
      const study = q.string(Tag.StudyInstanceUID)!;
      for (const s of [1, 2]) yield match((ds) => ds.set(Tag.SeriesInstanceUID, `${study}.${s}`));
    } else {
      const series = q.string(Tag.SeriesInstanceUID)!;
      for (const i of [1, 2, 3]) {
        yield match((ds) => {
          ds.set(Tag.SOPInstanceUID, `${series}.${i}`);
          if (withClass) ds.set(Tag.SOPClassUID, Uid.CTImageStorage);
        });
      }
    }
  }
  return { queries, find };
}

const patientP1 = () => new Identifier("PATIENT_ROOT", "PATIENT").set(Tag.PatientID, "P1");

Deno.test("findNeededClasses() walks every series down to IMAGE level when the matches carry their SOP Class UID", async () => {
  const { queries, find } = peer(true);
  const needed = await findNeededClasses(find, patientP1(), undefined, undefined);
  assertEquals(queries, [
    "PATIENT",
    "STUDY",
    "SERIES",
    "SERIES",
    "IMAGE",
    "IMAGE",
    "IMAGE",
    "IMAGE",
  ]);
  assertEquals(needed.classes, [Uid.CTImageStorage]);
  assertEquals([needed.guessed, needed.instances.length, needed.withoutSopClassUid], [
    false,
    12,
    undefined,
  ]);
});

Deno.test("findNeededClasses() stops after the first IMAGE level query whose matches lack SOP Class UID, and says the peer omits it (issue 13)", async () => {
  const { queries, find } = peer(false);
  const warnings: string[] = [];
  const needed = await findNeededClasses(find, patientP1(), undefined, (m) => warnings.push(m));
  // The three other series would not have told the class either.
  assertEquals(queries, ["PATIENT", "STUDY", "SERIES", "SERIES", "IMAGE"]);
  assertEquals([needed.guessed, needed.instances.length, needed.withoutSopClassUid], [
    true,
    0,
    true,
  ]);
  assert(needed.classes.includes(Uid.CTImageStorage));
  assertEquals(warnings.length, 1);
});
