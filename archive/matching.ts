/**
 * Attribute matching of C-FIND (PS3.4 §C.2.2.2): single value, list of
 * UIDs, universal, wildcard, range (DA, TM, DT) and sequence matching, as
 * pure functions over data sets.
 *
 * @module
 */
import { DicomError } from "../errors.ts";
import { type DataElement, Dataset, parseRange } from "../dataset/mod.ts";
import { formatTag, Tag } from "../dictionary/mod.ts";

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

/** VRs for which "*" and "?" are wildcards (PS3.4 §C.2.2.2.4). */
const WILDCARD_VRS = new Set(["AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"]);

/**
 * VRs of binary values, which no matching of PS3.4 §C.2.2.2 applies to: a key
 * of one of these is a return key when empty, and cannot be a matching key.
 */
const BINARY_VRS: ReadonlySet<string> = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);

/** A malformed matching key: the SCP answers A900 or C000 with this message. */
export class MatchingKeyError extends DicomError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MatchingKeyError";
  }
}

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

/** Normalises a TM value so that times compare as strings: HHMMSS.FFFFFF. */
function normalTime(t: string, end: boolean): string {
  const m = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/.exec(t.replace(/:/g, "").trim());
  if (!m) throw new MatchingKeyError(`Cannot match TM "${t}"`);
  const fill = end ? "59" : "00";
  const frac = m[4] !== undefined ? m[4].padEnd(6, end ? "9" : "0") : end ? "999999" : "000000";
  return `${m[1]}${m[2] ?? fill}${m[3] ?? fill}.${frac}`;
}

/** Normalises a DA value for comparison; accepts the old "YYYY.MM.DD" form. */
function normalDate(d: string): string {
  const s = d.replace(/\./g, "").trim();
  if (!/^\d{8}$/.test(s)) throw new MatchingKeyError(`Cannot match DA "${d}"`);
  return s;
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

/**
 * Whether a record matches every matching key of a query (PS3.4 §C.2.2.2).
 * Empty keys are return keys and match anything (universal matching);
 * several values in a UI key are a list of UIDs; several values in another
 * key match if any does; a record attribute with several values matches if
 * any of its values does; a sequence key with one item matches if any item of
 * the record's sequence matches the item's keys. Keys of binary VRs (OB, OW,
 * UN …) are return keys only and match anything.
 *
 * @throws {MatchingKeyError} for a malformed range or date in the query.
 */
export function matches(query: Dataset, record: Dataset): boolean {
  record = inQueryOffset(query, record);
  for (const key of query) {
    if (NOT_MATCHED.has(key.tag) || (key.tag & 0xffff) === 0) continue;
    if (key.kind === "sequence") {
      const pattern = key.items[0];
      if (pattern === undefined || pattern.size === 0) continue; // universal
      const candidates = record.items(key.tag);
      if (!candidates.some((item) => matches(pattern, item))) return false;
      continue;
    }
    if (BINARY_VRS.has(key.vr)) continue; // never matched: validateQuery() refuses a value
    const wanted = query.strings(key.tag);
    if (wanted.length === 0 || wanted.every((w) => w === "")) continue; // universal matching
    if (wanted.length === 1 && wanted[0] === "*") continue; // "*" alone is universal too
    const have = values(record, record.get(key.tag));
    if (have.length === 0) return false;
    const vr = key.vr;
    const ok = wanted.some((w) => have.some((h) => matchValue(vr, w, h)));
    if (!ok) return false;
  }
  return true;
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
