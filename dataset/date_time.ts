/**
 * The DA, TM and DT value representations (PS3.5 Table 6.2-1) and the ranges
 * used to match them in queries (PS3.4 §C.2.2.2.5).
 *
 * @module
 */

/** A date: DA "YYYYMMDD". */
export interface DicomDate {
  /** Four-digit year. */
  year: number;
  /** Month, 1–12. */
  month: number;
  /** Day of the month, 1–31. */
  day: number;
}

/** A time: TM "HH[MM[SS[.F{1,6}]]]"; absent parts are undefined. */
export interface DicomTime {
  /** Hours, 0–23. */
  hours: number;
  /** Minutes, 0–59. */
  minutes?: number;
  /** Seconds, 0–60 (a leap second). */
  seconds?: number;
  /** Fraction of a second in microseconds, 0–999999. */
  microseconds?: number;
}

/** A date time: DT "YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]". */
export interface DicomDateTime {
  /** Year. */
  year: number;
  /** Month, when given. */
  month?: number;
  /** Day, when given. */
  day?: number;
  /** Time of day, when given. */
  time?: DicomTime;
  /** Offset from UTC in minutes, when given ("&ZZXX"). */
  utcOffsetMinutes?: number;
}

function bad(vr: string, text: string): never {
  throw new SyntaxError(`Cannot parse "${text}" as ${vr}`);
}

/**
 * Parses a DA value; also the "YYYY.MM.DD" form of ACR-NEMA that PS3.5 asks
 * readers to accept.
 *
 * @throws {SyntaxError} when the text is not a valid date.
 */
export function parseDate(text: string): DicomDate {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(text.trim());
  if (!m) bad("DA", text);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > last) bad("DA", text);
  return { year, month, day };
}

/** Formats a date as DA; a `Date` is taken in UTC. */
export function formatDate(date: DicomDate | Date): string {
  const d = date instanceof Date
    ? { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }
    : date;
  return `${String(d.year).padStart(4, "0")}${String(d.month).padStart(2, "0")}${
    String(d.day).padStart(2, "0")
  }`;
}

/**
 * Parses a TM value; also the "HH:MM:SS" form of ACR-NEMA.
 *
 * @throws {SyntaxError} when the text is not a valid time.
 */
export function parseTime(text: string): DicomTime {
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.(\d{1,6}))?)?)?$/.exec(text.trim());
  if (!m) bad("TM", text);
  const t: DicomTime = { hours: Number(m[1]) };
  if (m[2] !== undefined) t.minutes = Number(m[2]);
  if (m[3] !== undefined) t.seconds = Number(m[3]);
  if (m[4] !== undefined) t.microseconds = Number(m[4].padEnd(6, "0"));
  if (t.hours > 23 || (t.minutes ?? 0) > 59 || (t.seconds ?? 0) > 60) bad("TM", text);
  return t;
}

/** Formats a time as TM, with as many parts as it has. */
export function formatTime(time: DicomTime): string {
  let s = String(time.hours).padStart(2, "0");
  if (time.minutes === undefined) return s;
  s += String(time.minutes).padStart(2, "0");
  if (time.seconds === undefined) return s;
  s += String(time.seconds).padStart(2, "0");
  if (time.microseconds !== undefined) s += "." + String(time.microseconds).padStart(6, "0");
  return s;
}

/**
 * Parses a DT value.
 *
 * @throws {SyntaxError} when the text is not a valid date time.
 */
export function parseDateTime(text: string): DicomDateTime {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)?([+-]\d{4})?$/.exec(
    text.trim(),
  );
  if (!m) bad("DT", text);
  const dt: DicomDateTime = { year: Number(m[1]) };
  if (m[2] !== undefined) dt.month = Number(m[2]);
  if (m[3] !== undefined) dt.day = Number(m[3]);
  if (m[2] !== undefined && (dt.month! < 1 || dt.month! > 12)) bad("DT", text);
  if (m[3] !== undefined) parseDate(`${m[1]}${m[2]}${m[3]}`);
  if (m[4] !== undefined) dt.time = parseTime(m[4]);
  if (m[5] !== undefined) {
    const sign = m[5][0] === "-" ? -1 : 1;
    dt.utcOffsetMinutes = sign * (Number(m[5].slice(1, 3)) * 60 + Number(m[5].slice(3, 5)));
  }
  return dt;
}

/** Converts a DA (and optionally a TM) to a JS `Date` in UTC. */
export function toJsDate(date: DicomDate, time?: DicomTime): Date {
  return new Date(Date.UTC(
    date.year,
    date.month - 1,
    date.day,
    time?.hours ?? 0,
    time?.minutes ?? 0,
    time?.seconds ?? 0,
    Math.floor((time?.microseconds ?? 0) / 1000),
  ));
}

/** A range of DA, TM or DT values in a query: "A-B", "A-", "-B" (PS3.4 §C.2.2.2.5). */
export interface DicomRange {
  /** The lower bound's text, if any. */
  start: string | undefined;
  /** The upper bound's text, if any. */
  end: string | undefined;
}

/**
 * Splits a range matching value; a value without "-" is a single value, both
 * ends equal. For DT a "-" in a UTC offset is not a range separator.
 *
 * @throws {SyntaxError} for more than one range separator.
 */
export function parseRange(text: string, vr: "DA" | "TM" | "DT" = "DA"): DicomRange {
  const t = text.trim();
  if (vr === "DT") {
    const i = findDtSeparator(t);
    if (i < 0) return { start: t, end: t };
    return { start: t.slice(0, i) || undefined, end: t.slice(i + 1) || undefined };
  }
  const parts = t.split("-");
  if (parts.length === 1) return { start: t, end: t };
  if (parts.length !== 2) bad(`${vr} range`, text);
  return { start: parts[0] || undefined, end: parts[1] || undefined };
}

// A DT range separator is a "-" that does not start a UTC offset "-ZZXX"
// closing a bound.
function findDtSeparator(t: string): number {
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== "-") continue;
    // An offset "-ZZXX" follows at least a year and ends the value or a bound.
    const after = t.slice(i + 1);
    if (i >= 4 && /^\d{4}(?:-|$)/.test(after) && /\d$/.test(t.slice(0, i))) {
      const rest = after.slice(4);
      if (rest === "" || rest.startsWith("-")) {
        if (rest.startsWith("-")) return i + 5;
        continue;
      }
    }
    return i;
  }
  return -1;
}
