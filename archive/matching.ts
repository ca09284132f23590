/**
 * Attribute matching of C-FIND (PS3.4 §C.2.2.2): single value, list of
 * UIDs, universal, wildcard, range (DA, TM, DT) and sequence matching, as
 * pure functions over data sets.
 *
 * @module
 */
import { type DataElement, Dataset, parseRange } from "../dataset/mod.ts";
import { formatTag, Tag } from "../dictionary/mod.ts";
import {
  MatchingKeyError,
  normalDate,
  normalTime,
  universalValues,
  WILDCARD_VRS,
} from "./_match_common.ts";

export { MatchingKeyError };

/**
 * Query keys that are not matched against records (PS3.4 §C.4.1.1.3.1).
 * Timezone Offset From UTC (0008,0201) is among them: in a request it states
 * the timezone the date and time keys are expressed in (PS3.4 §C.2.2.2.5,
 * §C.4.1.1.3.1), it is not a value to match, so a study stamped "-0500"
 * still matches a query that carries "+0100". It is answered as a return key,
 * and it shifts the record's dates and times to the query's offset first
 * ({@linkcode inQueryOffset}).
 */
const NOT_MATCHED: ReadonlySet<number> = new Set([
  Tag.SpecificCharacterSet,
  Tag.TimezoneOffsetFromUTC,
  Tag.QueryRetrieveLevel,
  Tag.RetrieveAETitle,
  Tag.InstanceAvailability,
  0x0008_8000, // not in PS3.6 (2024d, retired included); kept as the first version had it
  Tag.QueryRetrieveView,
  Tag.FailedSOPInstanceUIDList,
  Tag.RetrieveURL,
]);

/**
 * VRs of binary values, which no matching of PS3.4 §C.2.2.2 applies to: a key
 * of one of these is a return key when empty, and cannot be a matching key.
 */
const BINARY_VRS: ReadonlySet<string> = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);

/**
 * Wildcard matching (PS3.4 §C.2.2.2.4): "*" matches any run of characters,
 * none included, and "?" exactly one; every other character matches itself,
 * case included. Characters are UTF-16 code units, as a RegExp without the
 * "u" flag sees them.
 *
 * The greedy two-pointer algorithm: on a mismatch it backtracks to the last
 * "*" only, letting that star take one more character. Earlier stars never
 * need revisiting (whatever they matched, the last one can absorb), so the
 * time is O(pattern × value) at worst and linear for runs of stars, where a
 * backtracking RegExp of ".*" per star is exponential in their number.
 */
function wildcardMatches(pattern: string, value: string): boolean {
  const STAR = 0x2a, QUESTION_MARK = 0x3f;
  let p = 0; // next pattern position
  let v = 0; // next value position
  let star = -1; // position of the last "*" seen
  let resume = 0; // where the value resumes when that star takes one more character
  while (v < value.length) {
    const c = p < pattern.length ? pattern.charCodeAt(p) : -1;
    if (c === STAR) {
      star = p++;
      resume = v;
    } else if (c !== -1 && (c === QUESTION_MARK || c === value.charCodeAt(v))) {
      p++;
      v++;
    } else if (star !== -1) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p++;
  return p === pattern.length;
}

/** Normalises a DT value (without its UTC offset) to a full-length comparable string. */
function normalDateTime(dt: string, end: boolean): string {
  const s = dt.trim().replace(/[+-]\d{4}$/, "");
  if (!/^\d{4}(\d{2}){0,5}(\.\d{1,6})?$/.test(s)) {
    throw new MatchingKeyError(`Cannot match DT "${dt}"`);
  }
  const [whole, frac] = s.split(".") as [string, string | undefined];
  const template = end ? "99991231235959" : "00000101000000";
  const full = whole + template.slice(whole.length);
  return `${full}.${
    frac !== undefined ? frac.padEnd(6, end ? "9" : "0") : end ? "999999" : "000000"
  }`;
}

/** The explicit UTC offset of a DT value ("&ZZXX", PS3.5 §6.2), in minutes, if any. */
function dtOffsetMinutes(dt: string): number | undefined {
  const m = /([+-])(\d{2})(\d{2})$/.exec(dt.trim());
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === "-" ? -minutes : minutes;
}

/** Shifts a normalised DT ("YYYYMMDDHHMMSS.FFFFFF") by -offset minutes, to UTC. */
function toUtc(full: string, offset: number): string {
  const num = (from: number, to: number) => Number(full.slice(from, to));
  const d = new Date(0);
  d.setUTCFullYear(num(0, 4), num(4, 6) - 1, num(6, 8));
  d.setUTCHours(num(8, 10), num(10, 12) - offset, num(12, 14));
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}` +
    `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}` +
    full.slice(14);
}

function inRange(vr: string, query: string, value: string): boolean {
  const r = parseRange(query, vr === "DT" ? "DT" : vr === "TM" ? "TM" : "DA");
  // PS3.4 §C.2.2.2.5: a DT's UTC offset, if present in the value, is taken
  // into account. When both the bound and the value carry one, both are
  // compared in UTC; otherwise as written.
  const hasOffset = (v: string | undefined) => v === undefined || dtOffsetMinutes(v) !== undefined;
  const utc = vr === "DT" && hasOffset(value) && hasOffset(r.start) && hasOffset(r.end);
  const norm = (v: string, end: boolean) => {
    if (vr === "DA") return normalDate(v);
    if (vr === "TM") return normalTime(v, end);
    const full = normalDateTime(v, end);
    return utc ? toUtc(full, dtOffsetMinutes(v)!) : full;
  };
  let candidate: string;
  try {
    candidate = norm(value, false);
  } catch {
    return false; // a malformed stored value never matches
  }
  if (r.start !== undefined && candidate < norm(r.start, false)) return false;
  if (r.end !== undefined) {
    const hi = norm(r.end, true);
    if (candidate > hi) return false;
  }
  return true;
}

/**
 * Whether one query value matches one record value of a VR: wildcard, range
 * or single value matching (PS3.4 §C.2.2.2.1, .4, .5).
 */
export function matchValue(vr: string, query: string, value: string): boolean {
  if (vr === "DA" || vr === "TM" || vr === "DT") {
    if (query.includes("-")) return inRange(vr, query, value);
    if (vr === "DA") return normalDate(query) === (safe(() => normalDate(value)) ?? value);
    if (vr === "TM") {
      // A TM query of fewer components matches the whole period it names.
      return inRange("TM", `${query}-${query}`, value);
    }
    return inRange("DT", `${query}-${query}`, value);
  }
  if (WILDCARD_VRS.has(vr) && /[*?]/.test(query)) return wildcardMatches(query, value);
  return query === value;
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Reads all values of an element of a data set as strings (empty array when absent). */
function values(ds: Dataset, el: DataElement | undefined): string[] {
  if (el === undefined) return [];
  return ds.strings(el.tag);
}

/**
 * Pairs of a DA and a TM attribute that say one moment together. With
 * `dateTimePairs`, {@linkcode matches} matches such a pair as one date-time
 * range (PS3.4 §C.2.2.2.5: a date range "20060705-20060707" with a time
 * range "1000-1800" is the period from 5 July 10:00 to 7 July 18:00).
 */
export type DateTimePair = readonly [date: number, time: number];

/**
 * The date and time pairs of the Modality Worklist model, each matched as
 * one range: Scheduled Procedure Step Start Date and Time (0040,0002) and
 * (0040,0003), as DCMTK's wlmscpfs does, and its End Date and Time
 * (0040,0004) and (0040,0005).
 *
 * @example Matching a worklist item as the worklist SCP does
 * ```ts
 * import { matches, WORKLIST_DATE_TIME_PAIRS } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const step = (date: string, time: string) =>
 *   new Dataset().set(Tag.ScheduledProcedureStepSequence, [
 *     new Dataset().set(Tag.ScheduledProcedureStepStartDate, date)
 *       .set(Tag.ScheduledProcedureStepStartTime, time),
 *   ]);
 * const query = step("20261201-20261203", "1000-1800");
 * const options = { dateTimePairs: WORKLIST_DATE_TIME_PAIRS };
 * console.log(matches(query, step("20261202", "0800"), options)); // true: 2 December is inside
 * console.log(matches(query, step("20261203", "1900"), options)); // false: after 3 December 18:00
 * ```
 */
export const WORKLIST_DATE_TIME_PAIRS: readonly DateTimePair[] = [
  [Tag.ScheduledProcedureStepStartDate, Tag.ScheduledProcedureStepStartTime],
  [Tag.ScheduledProcedureStepEndDate, Tag.ScheduledProcedureStepEndTime],
];

/** Options of {@linkcode matches}. */
export interface MatchOptions {
  /**
   * Date and time attributes matched together as one date-time range when
   * the query gives both (PS3.4 §C.2.2.2.5), at any depth of sequence items.
   * Without it each is matched alone, as Query/Retrieve does unless combined
   * date-time matching was negotiated.
   *
   * @default {[]}
   */
  dateTimePairs?: readonly DateTimePair[];
}

/** Whether a key has no value to match: empty, or "*" alone (universal matching). */
function isUniversal(query: Dataset, key: DataElement): boolean {
  if (key.kind === "sequence") {
    const pattern = key.items[0];
    return pattern === undefined || [...pattern].every((k) => isUniversal(pattern, k));
  }
  if (NOT_MATCHED.has(key.tag) || (key.tag & 0xffff) === 0 || BINARY_VRS.has(key.vr)) return true;
  return universalValues(query.strings(key.tag));
}

/**
 * Whether a query has a matching key: one that is not universal (empty, or
 * "*" alone), not a return key only (binary VRs, group lengths) and not one
 * of those {@linkcode matches} never matches (Query/Retrieve Level, Specific
 * Character Set, Timezone Offset From UTC ...); a sequence key whose item has
 * one. Without any, every record matches (PS3.4 §C.2.2.2.3).
 *
 * @example
 * ```ts
 * import { hasMatchingKeys } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 *
 * console.log(hasMatchingKeys(new Dataset().set("PatientID", "*").set("StudyDate", null))); // false
 * console.log(hasMatchingKeys(new Dataset().set("PatientID", "12*"))); // true
 * ```
 */
export function hasMatchingKeys(query: Dataset): boolean {
  for (const key of query) if (!isUniversal(query, key)) return true;
  return false;
}

/**
 * A date and a time query value as one date-time range: "YYYYMMDDHHMMSS.FFFFFF"
 * bounds, `undefined` where open.
 */
function dateTimeRange(date: string, time: string): { start?: string; end?: string } {
  const d = parseRangeChecked(date, "DA");
  // A single time is the period it names (PS3.4 §C.2.2.2.5).
  const t = parseRangeChecked(time.includes("-") ? time : `${time}-${time}`, "TM");
  const out: { start?: string; end?: string } = {};
  if (d.start !== undefined) {
    out.start = normalDate(d.start) +
      (t.start !== undefined ? normalTime(t.start, false) : "000000.000000");
  }
  if (d.end !== undefined) {
    out.end = normalDate(d.end) + (t.end !== undefined ? normalTime(t.end, true) : "235959.999999");
  }
  return out;
}

/**
 * The date and time attributes that name one moment together: a DA and its
 * TM, shifted as a pair (PS3.4 §C.2.2.2.5 matches such pairs as one
 * date-time). A date without its time is left as written: its moment in
 * another offset is unknown.
 */
const DATE_TIME_PAIRS: readonly (readonly [number, number])[] = [
  [Tag.StudyDate, Tag.StudyTime],
  [Tag.SeriesDate, Tag.SeriesTime],
  [Tag.AcquisitionDate, Tag.AcquisitionTime],
  [Tag.ContentDate, Tag.ContentTime],
  [Tag.InstanceCreationDate, Tag.InstanceCreationTime],
  [Tag.PerformedProcedureStepStartDate, Tag.PerformedProcedureStepStartTime],
];

/** A Timezone Offset From UTC value ("+HHMM" or "-HHMM", PS3.3 C.12.1.1.8) in minutes. */
function offsetMinutes(ds: Dataset): number | undefined {
  const v = ds.string(Tag.TimezoneOffsetFromUTC);
  if (v === undefined || !/^[+-]\d{4}$/.test(v.trim())) return undefined;
  return dtOffsetMinutes(v);
}

/**
 * The record as the query sees it (PS3.4 §C.2.2.2.5, §C.4.1.1.3.1): when the
 * query carries Timezone Offset From UTC (0008,0201), its date and time keys
 * are in that offset, while the record's values are in the record's own
 * offset; if both are given and differ, the record's date/time pairs
 * ({@linkcode DATE_TIME_PAIRS}) and its DT values without an explicit
 * offset are shifted to the query's. Otherwise the record as it is.
 */
function inQueryOffset(query: Dataset, record: Dataset): Dataset {
  const wanted = offsetMinutes(query), own = offsetMinutes(record);
  if (wanted === undefined || own === undefined || wanted === own) return record;
  const out = new Dataset();
  for (const el of record) out.setElement(el);
  // toUtc() subtracts its offset: by (own - wanted) takes own-offset values to the query's.
  const shift = (full: string) => toUtc(full, own - wanted);
  for (const [dateTag, timeTag] of DATE_TIME_PAIRS) {
    const date = record.string(dateTag), time = record.string(timeTag);
    if (!date || !time) continue;
    const full = safe(() => `${normalDate(date)}${normalTime(time, false).replace(".", "")}`);
    if (full === undefined) continue; // a malformed value stays, and matches nothing
    const moved = shift(`${full.slice(0, 14)}.${full.slice(14)}`);
    out.set(dateTag, moved.slice(0, 8), "DA");
    out.set(timeTag, moved.slice(8), "TM");
  }
  for (const el of record) {
    if (el.kind === "sequence" || el.vr !== "DT") continue;
    const values = record.strings(el.tag);
    if (values.length !== 1 || dtOffsetMinutes(values[0]!) !== undefined) continue;
    const full = safe(() => normalDateTime(values[0]!, false));
    if (full !== undefined) out.set(el.tag, shift(full), "DT");
  }
  return out;
}

/** Combined date-time matching of one pair (PS3.4 §C.2.2.2.5). */
function matchesDateTime(query: Dataset, record: Dataset, [date, time]: DateTimePair): boolean {
  const range = dateTimeRange(query.string(date)!, query.string(time)!);
  const d = record.string(date), t = record.string(time);
  if (d === undefined) return false;
  let candidate: string;
  try {
    candidate = normalDate(d) + (t === undefined ? "000000.000000" : normalTime(t, false));
  } catch {
    return false; // a malformed stored value never matches
  }
  return (range.start === undefined || candidate >= range.start) &&
    (range.end === undefined || candidate <= range.end);
}

/**
 * Whether a record matches every matching key of a query (PS3.4 §C.2.2.2).
 * Empty keys are return keys and match anything (universal matching);
 * several values in a UI key are a list of UIDs; several values in another
 * key match if any does; a record attribute with several values matches if
 * any of its values does; a sequence key with one item matches if any item of
 * the record's sequence matches the item's keys, and is universal when the
 * item holds no matching key (PS3.4 §C.2.2.2.6). Keys of binary VRs (OB, OW,
 * UN …) are return keys only and match anything.
 *
 * @example Sequence matching of a worklist item
 * ```ts
 * import { matches } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const step = (modality: string) =>
 *   new Dataset().set(Tag.ScheduledProcedureStepSequence, [new Dataset().set(Tag.Modality, modality)]);
 * console.log(matches(step("MR"), step("MR"))); // true
 * console.log(matches(step("CT"), step("MR"))); // false
 * ```
 *
 * @throws {MatchingKeyError} for a malformed range or date in the query.
 */
export function matches(query: Dataset, record: Dataset, options: MatchOptions = {}): boolean {
  record = inQueryOffset(query, record);
  const pairs = options.dateTimePairs ?? [];
  // Pairs the query gives both halves of are matched together, not alone.
  const combined = pairs.filter(([d, t]) => {
    const dk = query.get(d), tk = query.get(t);
    return dk !== undefined && tk !== undefined && !isUniversal(query, dk) &&
      !isUniversal(query, tk);
  });
  for (const pair of combined) if (!matchesDateTime(query, record, pair)) return false;
  for (const key of query) {
    if (combined.some(([d, t]) => key.tag === d || key.tag === t)) continue;
    if (isUniversal(query, key)) continue;
    if (key.kind === "sequence") {
      const pattern = key.items[0]!;
      const candidates = record.items(key.tag);
      if (!candidates.some((item) => matches(pattern, item, options))) return false;
      continue;
    }
    const wanted = query.strings(key.tag);
    const have = values(record, record.get(key.tag));
    if (have.length === 0) return false;
    const vr = key.vr;
    const ok = wanted.some((w) => have.some((h) => matchValue(vr, w, h)));
    if (!ok) return false;
  }
  return true;
}

/** A copy of a data set's elements, sequence items copied too (their parents are the copies). */
function copyOf(ds: Dataset): Dataset {
  const out = new Dataset();
  for (const el of ds) {
    out.setElement(el.kind === "sequence" ? { ...el, items: el.items.map(copyOf) } : el);
  }
  return out;
}

/**
 * The response identifier of a match, built from the query's keys (PS3.4
 * §K.6.1.2.2, §C.2.2.2.6): each key with the record's value, zero length when
 * the record has none; a sequence key with an item of keys returns each of
 * the record's items reduced to those keys (recursively), one with no item
 * or an empty one the record's whole sequence. The record's Specific Character Set goes
 * with the values it decodes. Group length elements are left out. The
 * record is not changed.
 *
 * @example
 * ```ts
 * import { returnKeys } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const record = new Dataset().set(Tag.PatientName, "Doe^Jane").set(Tag.PatientID, "7");
 * const out = returnKeys(new Dataset().set(Tag.PatientName, null).set(Tag.PatientSex, null), record);
 * console.log(out.string(Tag.PatientName), out.has(Tag.PatientSex), out.has(Tag.PatientID)); // "Doe^Jane" true false
 * ```
 */
export function returnKeys(query: Dataset, record: Dataset): Dataset {
  const out = new Dataset();
  const charset = record.get(Tag.SpecificCharacterSet);
  if (charset) out.setElement(charset);
  for (const key of query) {
    if (key.tag === Tag.SpecificCharacterSet || (key.tag & 0xffff) === 0) continue;
    const have = record.get(key.tag);
    if (key.kind === "sequence") {
      const pattern = key.items[0];
      const items = record.items(key.tag);
      // No item, or one empty item: the whole sequence (universal, as DCMTK's
      // wlmscpfs expands it); otherwise each item reduced to the item's keys.
      const whole = pattern === undefined || pattern.size === 0;
      out.set(
        key.tag,
        whole ? items.map(copyOf) : items.map((item) => returnKeys(pattern, item)),
        "SQ",
      );
      continue;
    }
    if (have === undefined || have.kind === "sequence") out.set(key.tag, null, key.vr);
    else out.setElement(have);
  }
  return out;
}

/**
 * Checks a query's matching keys before searching: dates, times and ranges
 * must parse, and a key of a binary VR (OB, OD, OF, OL, OV, OW, UN) must be
 * empty, a return key, since PS3.4 §C.2.2.2 defines no matching for them.
 *
 * @throws {MatchingKeyError} naming the first key that cannot be matched.
 */
export function validateQuery(query: Dataset): void {
  for (const key of query) {
    if (key.kind !== "bytes" && key.kind !== "values") continue;
    if (BINARY_VRS.has(key.vr)) {
      const empty = key.kind === "bytes" ? key.bytes.length === 0 : key.values.length === 0;
      if (empty) continue;
      throw new MatchingKeyError(
        `Cannot match ${formatTag(key.tag)} (${key.vr}): binary keys are return keys only`,
      );
    }
    if (key.vr !== "DA" && key.vr !== "TM" && key.vr !== "DT") continue;
    for (const w of query.strings(key.tag)) {
      if (w === "") continue;
      const r = parseRangeChecked(w, key.vr);
      const norm = key.vr === "DA"
        ? normalDate
        : key.vr === "TM"
        ? (v: string) => normalTime(v, false)
        : (v: string) => normalDateTime(v, false);
      if (r.start !== undefined) norm(r.start);
      if (r.end !== undefined) norm(r.end);
    }
  }
}

function parseRangeChecked(text: string, vr: "DA" | "TM" | "DT") {
  try {
    return parseRange(text, vr);
  } catch (e) {
    throw new MatchingKeyError(`Cannot match ${vr} "${text}": not a value or range`, { cause: e });
  }
}
