/**
 * Modality Worklist matching as PS3.4 §K.2.2 and §C.2.2.2 state it: keys
 * inside the Scheduled Procedure Step Sequence item (sequence matching,
 * §C.2.2.2.6), the Scheduled Procedure Step Start Date and Time matched as
 * one date-time range (§C.2.2.2.5), and the response's return keys
 * (§K.6.1.2.2, §C.2.2.2.6): each requested attribute with the item's value,
 * zero length when the item has none, sequences reduced to the keys of the
 * identifier's item.
 */
import {
  matches,
  type MatchOptions,
  returnKeys,
  WORKLIST_DATE_TIME_PAIRS,
} from "../archive/mod.ts";
import { Dataset } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { assert, assertEquals } from "./_assert.ts";

const WORKLIST: MatchOptions = { dateTimePairs: WORKLIST_DATE_TIME_PAIRS };

/** A worklist item like DCMTK's wklist1.dump: one scheduled procedure step. */
function item(date = "20261202", time = "080000"): Dataset {
  return new Dataset()
    .set(Tag.SpecificCharacterSet, "ISO_IR 100")
    .set(Tag.AccessionNumber, "00000")
    .set(Tag.PatientName, "VIVALDI^ANTONIO")
    .set(Tag.PatientID, "AV35674")
    .set(Tag.StudyInstanceUID, "1.2.276.0.7230010.3.2.101")
    .set(Tag.ScheduledProcedureStepSequence, [
      new Dataset()
        .set(Tag.Modality, "MR")
        .set(Tag.ScheduledStationAETitle, ["AA32", "AA33"])
        .set(Tag.ScheduledProcedureStepStartDate, date)
        .set(Tag.ScheduledProcedureStepStartTime, time)
        .set(Tag.ScheduledPerformingPhysicianName, "JOHNSON")
        .set(Tag.ScheduledProcedureStepID, "SPD3445"),
    ])
    .set(Tag.RequestedProcedureID, "RP454G234");
}

/** An identifier with one Scheduled Procedure Step item holding `keys`. */
function stepQuery(keys: Record<string, string | null>): Dataset {
  const step = new Dataset();
  for (const [k, v] of Object.entries(keys)) step.set(k, v);
  return new Dataset().set(Tag.ScheduledProcedureStepSequence, [step]);
}

Deno.test("worklist: a key inside the Scheduled Procedure Step item matches the item's attribute (C.2.2.2.6)", () => {
  assert(matches(stepQuery({ Modality: "MR" }), item(), WORKLIST));
  assert(!matches(stepQuery({ Modality: "CT" }), item(), WORKLIST));
  // Wildcard against a multi-valued AE title: any value may match.
  assert(matches(stepQuery({ ScheduledStationAETitle: "AA3?" }), item(), WORKLIST));
  assert(matches(stepQuery({ ScheduledStationAETitle: "AA33" }), item(), WORKLIST));
  assert(!matches(stepQuery({ ScheduledStationAETitle: "AB*" }), item(), WORKLIST));
  // Every key of the item must hold at once.
  assert(!matches(stepQuery({ Modality: "MR", ScheduledStationAETitle: "TT67" }), item()));
});

Deno.test("worklist: an item holding only return keys is universal, even where the record has no such sequence", () => {
  const q = stepQuery({ Modality: null, ScheduledStationAETitle: null });
  assert(matches(q, item(), WORKLIST));
  const noSteps = item();
  noSteps.delete(Tag.ScheduledProcedureStepSequence);
  assert(matches(q, noSteps, WORKLIST));
  // A matching key inside still needs a record item.
  assert(!matches(stepQuery({ Modality: "MR" }), noSteps, WORKLIST));
});

Deno.test("worklist: start date and time ranges are matched as one date-time range (C.2.2.2.5)", () => {
  const range = stepQuery({
    ScheduledProcedureStepStartDate: "20261201-20261203",
    ScheduledProcedureStepStartTime: "1000-1800",
  });
  // From 1 December 10:00 to 3 December 18:00: 2 December 08:00 is inside,
  // though its time alone is outside 1000-1800.
  assert(matches(range, item("20261202", "080000"), WORKLIST));
  assert(matches(range, item("20261201", "100000"), WORKLIST));
  assert(matches(range, item("20261203", "180059"), WORKLIST));
  assert(!matches(range, item("20261201", "095959"), WORKLIST));
  assert(!matches(range, item("20261203", "180100"), WORKLIST));
  // Matched separately (the Q/R default), 08:00 is out.
  assert(!matches(range, item("20261202", "080000")));
});

Deno.test("worklist: a single date with a time range is that day's window; open ends stay open", () => {
  const day = stepQuery({
    ScheduledProcedureStepStartDate: "20261202",
    ScheduledProcedureStepStartTime: "0700-0900",
  });
  assert(matches(day, item("20261202", "080000"), WORKLIST));
  assert(!matches(day, item("20261202", "093000"), WORKLIST));
  assert(!matches(day, item("20261203", "080000"), WORKLIST));
  const from = stepQuery({
    ScheduledProcedureStepStartDate: "20261202-",
    ScheduledProcedureStepStartTime: "1200-",
  });
  assert(matches(from, item("20261202", "120000"), WORKLIST));
  assert(matches(from, item("20301231", "000000"), WORKLIST));
  assert(!matches(from, item("20261202", "115959"), WORKLIST));
  // A date alone, or a time alone, is matched alone.
  assert(matches(stepQuery({ ScheduledProcedureStepStartDate: "20261202" }), item(), WORKLIST));
  assert(matches(stepQuery({ ScheduledProcedureStepStartTime: "0700-0900" }), item(), WORKLIST));
  assert(!matches(stepQuery({ ScheduledProcedureStepStartTime: "0900-" }), item(), WORKLIST));
});

Deno.test("worklist return keys: each requested attribute with the item's value, zero length when absent (K.6.1.2.2)", () => {
  const q = new Dataset()
    .set(Tag.PatientName, null)
    .set(Tag.PatientBirthDate, null)
    .set(Tag.ScheduledProcedureStepSequence, [
      new Dataset().set(Tag.Modality, "MR").set(Tag.ScheduledStationAETitle, null)
        .set(Tag.ScheduledStationName, null),
    ]);
  const out = returnKeys(q, item());
  assertEquals(out.string(Tag.PatientName), "VIVALDI^ANTONIO");
  assert(out.has(Tag.PatientBirthDate));
  assertEquals(out.strings(Tag.PatientBirthDate), []);
  // Not asked for, not returned.
  assert(!out.has(Tag.PatientID));
  assert(!out.has(Tag.RequestedProcedureID));
  // The sequence comes back reduced to the keys of the identifier's item.
  const steps = out.items(Tag.ScheduledProcedureStepSequence);
  assertEquals(steps.length, 1);
  const step = steps[0]!;
  assertEquals(step.string(Tag.Modality), "MR");
  assertEquals(step.strings(Tag.ScheduledStationAETitle), ["AA32", "AA33"]);
  assert(step.has(Tag.ScheduledStationName));
  assertEquals(step.strings(Tag.ScheduledStationName), []);
  assert(!step.has(Tag.ScheduledProcedureStepID));
  // The item's character set goes with it, so the text decodes as stored.
  assertEquals(out.string(Tag.SpecificCharacterSet), "ISO_IR 100");
});

Deno.test("worklist return keys: a sequence key with no item, or one empty item, returns the whole sequence; one the item lacks comes back empty", () => {
  for (const key of [[], [new Dataset()]]) {
    // DCMTK's sample query wlistqry1 asks for the step with one empty item.
    const out = returnKeys(new Dataset().set(Tag.ScheduledProcedureStepSequence, key), item());
    const step = out.items(Tag.ScheduledProcedureStepSequence)[0]!;
    assertEquals(step.string(Tag.ScheduledProcedureStepID), "SPD3445");
    assertEquals(step.string(Tag.ScheduledPerformingPhysicianName), "JOHNSON");
    assertEquals(step.strings(Tag.ScheduledStationAETitle), ["AA32", "AA33"]);
  }
  const q = new Dataset()
    .set(Tag.ScheduledProcedureStepSequence, [])
    .set(Tag.ReferencedStudySequence, []);
  const out = returnKeys(q, item());
  assert(out.has(Tag.ReferencedStudySequence));
  assertEquals(out.items(Tag.ReferencedStudySequence), []);
});
