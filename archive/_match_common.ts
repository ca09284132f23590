// What the matcher (matching.ts) and the SQL translation of a query
// (_sql_match.ts) share: the wildcard VRs, DA and TM values normalised to
// compare as strings, universal matching, the error of a key that cannot be
// matched.
import { DicomError } from "../errors.ts";

/** VRs for which "*" and "?" are wildcards (PS3.4 §C.2.2.2.4). */
export const WILDCARD_VRS: ReadonlySet<string> = new Set([
  "AE",
  "CS",
  "LO",
  "LT",
  "PN",
  "SH",
  "ST",
  "UC",
  "UR",
  "UT",
]);

/** A malformed matching key: the SCP answers A900 or C000 with this message. */
export class MatchingKeyError extends DicomError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MatchingKeyError";
  }
}

/** Normalises a TM value so that times compare as strings: HHMMSS.FFFFFF. */
export function normalTime(t: string, end: boolean): string {
  const m = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/.exec(t.replace(/:/g, "").trim());
  if (!m) throw new MatchingKeyError(`Cannot match TM "${t}"`);
  const fill = end ? "59" : "00";
  const frac = m[4] !== undefined ? m[4].padEnd(6, end ? "9" : "0") : end ? "999999" : "000000";
  return `${m[1]}${m[2] ?? fill}${m[3] ?? fill}.${frac}`;
}

/** Normalises a DA value for comparison; accepts the old "YYYY.MM.DD" form. */
export function normalDate(d: string): string {
  const s = d.replace(/\./g, "").trim();
  if (!/^\d{8}$/.test(s)) throw new MatchingKeyError(`Cannot match DA "${d}"`);
  return s;
}

/** Whether a key's values match anything: none, or "*" alone (PS3.4 §C.2.2.2.3). */
export function universalValues(wanted: readonly string[]): boolean {
  return wanted.every((w) => w === "") || (wanted.length === 1 && wanted[0] === "*");
}
