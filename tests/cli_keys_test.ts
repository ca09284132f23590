/**
 * `-k` key paths, as DCMTK's findscu reads them: `Sequence[i].Keyword=value`
 * sets a matching key inside item i of a sequence, `Sequence[i].Keyword` a
 * return key there, `Sequence[i]` an item with no keys; the same syntax for
 * `dcm find` (a Q/R model) and `dcm mwl` (the worklist model, no level).
 */
import { identifierOf } from "../cli/_keys.ts";
import { UsageError } from "../cli/_args.ts";
import { Tag } from "../dictionary/mod.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test("-k Sequence[0].Keyword=value sets a matching key in the sequence's item; without a value, a return key", () => {
  const id = identifierOf("MODALITY_WORKLIST", [
    "ScheduledProcedureStepSequence[0].Modality=MR",
    "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
    "(0040,0100)[0].(0040,0002)=20261201-20261203",
    "PatientName",
  ]);
  assertEquals(id.model, "MODALITY_WORKLIST");
  assert(!id.has(Tag.QueryRetrieveLevel));
  const items = id.items(Tag.ScheduledProcedureStepSequence);
  assertEquals(items.length, 1);
  const step = items[0]!;
  assertEquals(step.string(Tag.Modality), "MR");
  assert(step.has(Tag.ScheduledStationAETitle));
  assertEquals(step.strings(Tag.ScheduledStationAETitle), []);
  assertEquals(step.string(Tag.ScheduledProcedureStepStartDate), "20261201-20261203");
  assert(id.has(Tag.PatientName));
});

Deno.test("-k paths nest, give later items, and Sequence[0] alone is an empty item", () => {
  const id = identifierOf("MODALITY_WORKLIST", [
    "ScheduledProcedureStepSequence[0].ScheduledProtocolCodeSequence[0].CodeValue=X1",
    "ReferencedStudySequence[1].ReferencedSOPInstanceUID=1.2.3",
    "RequestedProcedureCodeSequence[0]",
  ]);
  const step = id.items(Tag.ScheduledProcedureStepSequence)[0]!;
  assertEquals(step.items(Tag.ScheduledProtocolCodeSequence)[0]!.string(Tag.CodeValue), "X1");
  const refs = id.items(Tag.ReferencedStudySequence);
  assertEquals(refs.length, 2);
  assertEquals(refs[1]!.string(Tag.ReferencedSOPInstanceUID), "1.2.3");
  assertEquals(id.items(Tag.RequestedProcedureCodeSequence).length, 1);
  assertEquals(id.items(Tag.RequestedProcedureCodeSequence)[0]!.size, 0);
});

Deno.test("dcm find's keys take the same paths, with QueryRetrieveLevel still required", () => {
  const id = identifierOf("STUDY_ROOT", [
    "QueryRetrieveLevel=STUDY",
    "ReferencedStudySequence[0].ReferencedSOPClassUID=1.2.840.10008.3.1.2.3.1",
  ]);
  assertEquals(id.level, "STUDY");
  assertEquals(
    id.items(Tag.ReferencedStudySequence)[0]!.string(Tag.ReferencedSOPClassUID),
    "1.2.840.10008.3.1.2.3.1",
  );
  assertThrows(() => identifierOf("STUDY_ROOT", ["PatientID=1"]), UsageError);
});

Deno.test("bad key paths are usage errors naming the key", () => {
  for (
    const bad of [
      "PatientName[0].PatientID=1", // not a sequence
      "ScheduledProcedureStepSequence[x].Modality=MR",
      "ScheduledProcedureStepSequence[0]..Modality",
      "ScheduledProcedureStepSequence[0].NoSuchKeyword=1",
      "ScheduledProcedureStepSequence[100000].Modality=MR",
      "QueryRetrieveLevel=STUDY", // a worklist query has no level
    ]
  ) {
    let error: unknown;
    try {
      identifierOf("MODALITY_WORKLIST", [bad]);
    } catch (e) {
      error = e;
    }
    assert(error instanceof UsageError, `${bad}: ${error}`);
    assert(error.message.includes(bad.split("=")[0]!), error.message);
  }
});
