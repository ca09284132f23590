/**
 * Timezone Offset From UTC (0008,0201) in a C-FIND identifier (PS3.4
 * §C.2.2.2.5, §C.4.1.1.3.1): the query's date and time keys are in the
 * query's offset, a record's values in the record's own offset; they are
 * compared at one offset, so a study is found by when it happened, not by
 * what its clock said.
 */
import { Archive, matches } from "../archive/mod.ts";
import { Dataset, Identifier } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { HOST } from "./_qr_fixtures.ts";

/** A study done at 23:30 local time in New York (-0500) on 15 February: 04:30 UTC on the 16th. */
function newYorkStudy(): Dataset {
  return new Dataset()
    .set(Tag.PatientID, "TZ1")
    .set(Tag.StudyInstanceUID, "1.2.3.4.5")
    .set(Tag.StudyDate, "20240215")
    .set(Tag.StudyTime, "233000")
    .set(Tag.AcquisitionDateTime, "20240215233000")
    .set(Tag.TimezoneOffsetFromUTC, "-0500");
}

function query(keys: Record<string, string>): Dataset {
  const q = new Dataset().set(Tag.QueryRetrieveLevel, "STUDY");
  for (const [k, v] of Object.entries(keys)) q.set(k, v);
  return q;
}

Deno.test("a query in +0100 finds a -0500 study by the date and time it happened in +0100", () => {
  // 23:30 on the 15th at -0500 is 05:30 on the 16th at +0100.
  const tz = { TimezoneOffsetFromUTC: "+0100" };
  assert(matches(query({ ...tz, StudyDate: "20240216" }), newYorkStudy()));
  assert(!matches(query({ ...tz, StudyDate: "20240215" }), newYorkStudy()));
  assert(matches(query({ ...tz, StudyDate: "20240216", StudyTime: "0500-0600" }), newYorkStudy()));
  assert(!matches(query({ ...tz, StudyDate: "20240216", StudyTime: "2300-2359" }), newYorkStudy()));
  assert(matches(query({ ...tz, StudyDate: "20240216-" }), newYorkStudy()));
  assert(!matches(query({ ...tz, StudyDate: "-20240215" }), newYorkStudy()));
  // A DT value without its own offset is in the record's offset too.
  assert(
    matches(query({ ...tz, AcquisitionDateTime: "202402160500-202402160600" }), newYorkStudy()),
  );
});

Deno.test("the same offset, or an offset on one side only, leaves the values as written", () => {
  assert(matches(query({ TimezoneOffsetFromUTC: "-0500", StudyDate: "20240215" }), newYorkStudy()));
  assert(matches(query({ StudyDate: "20240215" }), newYorkStudy()));
  const unstamped = newYorkStudy();
  unstamped.delete(Tag.TimezoneOffsetFromUTC);
  assert(matches(query({ TimezoneOffsetFromUTC: "+0100", StudyDate: "20240215" }), unstamped));
});

Deno.test("a date without its time is not shifted (the moment is unknown)", () => {
  const dateOnly = newYorkStudy();
  dateOnly.delete(Tag.StudyTime);
  assert(matches(query({ TimezoneOffsetFromUTC: "+0100", StudyDate: "20240215" }), dateOnly));
});

Deno.test("C-FIND to our Q/R SCP with Timezone Offset From UTC finds the -0500 study on the +0100 date, and answers it in its own offset", async () => {
  using archive = Archive.open();
  const ds = newYorkStudy()
    .set(Tag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.7")
    .set(Tag.SOPInstanceUID, "1.2.3.4.5.1.1")
    .set(Tag.SeriesInstanceUID, "1.2.3.4.5.1");
  archive.index(ds, "/tz.dcm", "1.2.840.10008.1.2.1");
  await using scp = new QueryRetrieveScp({ hostname: HOST, port: 0, archive });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const find = async (date: string) => {
    const q = new Identifier("STUDY_ROOT", "STUDY")
      .set(Tag.TimezoneOffsetFromUTC, "+0100")
      .set(Tag.StudyDate, date)
      .request(Tag.StudyInstanceUID, Tag.StudyTime);
    const out: Identifier[] = [];
    for await (const m of scu.find(q)) out.push(m);
    return out;
  };
  const found = await find("20240216");
  assertEquals(found.map((m) => m.string(Tag.StudyInstanceUID)), ["1.2.3.4.5"]);
  // The stored values, with the study's own offset.
  assertEquals(found[0]!.string(Tag.StudyTime), "233000");
  assertEquals(found[0]!.string(Tag.TimezoneOffsetFromUTC), "-0500");
  assertEquals(await find("20240215"), []);
});
