// C-FIND matching in SQL (issue 13): the values of the keys users query,
// kept in the `match_keys` table, and a query's matching keys translated to
// conditions on them. The translation narrows: it keeps every record that
// matches() (matching.ts, PS3.4 §C.2.2.2) accepts, and matches() remains the
// final authority for each record it keeps. Where SQL cannot judge a value
// exactly, the value is stored as NULL ("unknown") and such a record is kept
// for any condition on that key; where it cannot judge a key, the key adds no
// condition.
import { lookupElement, Tag } from "../dictionary/mod.ts";
import { type Dataset, parseRange, type QueryLevel } from "../dataset/mod.ts";
import { levelDepth, levelOf } from "./levels.ts";
import { normalDate, normalTime, universalValues, WILDCARD_VRS } from "./_match_common.ts";

/**
 * The keys kept in `match_keys`: those users query most (PS3.4 Tables C.6-1
 * to C.6-4, required and unique keys first), each with its dictionary VR.
 * A query key is translated only when it comes with that VR: matches() reads
 * the query key's VR to choose the kind of matching.
 */
export const MATCH_KEYS: ReadonlyMap<number, string> = new Map(
  [
    Tag.PatientName,
    Tag.PatientID,
    Tag.IssuerOfPatientID,
    Tag.PatientBirthDate,
    Tag.PatientSex,
    Tag.StudyDate,
    Tag.StudyTime,
    Tag.AccessionNumber,
    Tag.StudyID,
    Tag.StudyInstanceUID,
    Tag.ReferringPhysicianName,
    Tag.StudyDescription,
    Tag.Modality,
    Tag.SeriesInstanceUID,
    Tag.SeriesNumber,
    Tag.SeriesDate,
    Tag.SeriesDescription,
    Tag.BodyPartExamined,
    Tag.SOPInstanceUID,
    Tag.SOPClassUID,
    Tag.InstanceNumber,
  ].map((tag) => [tag, lookupElement(tag)!.vr]),
);

/** The match_keys table: one row per value of a kept key of a record (`level`: PATIENT 0 … IMAGE 3). */
export const MATCH_KEYS_SCHEMA = `
CREATE TABLE IF NOT EXISTS match_keys (
  level INTEGER NOT NULL, pk INTEGER NOT NULL, tag INTEGER NOT NULL, value TEXT);
CREATE INDEX IF NOT EXISTS match_keys_value ON match_keys(tag, value, pk);
CREATE INDEX IF NOT EXISTS match_keys_record ON match_keys(level, pk);
`;

/**
 * Whether an element's bytes read the same in every character set: printable
 * ASCII (and the NUL that pads a UI). Other text is decoded by the Specific
 * Character Set of the record as merged (its deepest level's), which may not
 * be the one of the level it was stored with; SQL leaves such values to
 * matches().
 */
function plainAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 || b > 0x7e) && !(b === 0 && i === bytes.length - 1)) return false;
  }
  return true;
}

/**
 * A value as `match_keys` keeps it: DA and TM normalised, others as read;
 * `undefined` for a malformed date or time, which matches() never matches.
 */
function stored(vr: string, value: string): string | undefined {
  try {
    if (vr === "DA") return normalDate(value);
    if (vr === "TM") return normalTime(value, false);
  } catch {
    return undefined;
  }
  return value;
}

/**
 * The `match_keys` values of a level's data set (as decoded from its stored
 * blob): tag and value, `null` for a value SQL cannot judge. An absent or
 * empty attribute, or a malformed date or time, has no row: it matches no
 * matching key.
 */
export function matchKeyValues(level: Dataset): [number, string | null][] {
  const out: [number, string | null][] = [];
  for (const [tag, vr] of MATCH_KEYS) {
    const el = level.get(tag);
    if (el === undefined) continue;
    if (el.kind !== "bytes" || el.vr !== vr || !plainAscii(el.bytes)) {
      out.push([tag, null]);
      continue;
    }
    for (const v of level.strings(tag)) {
      const value = stored(vr, v);
      if (value !== undefined) out.push([tag, value]);
    }
  }
  return out;
}

/** One condition on the records of a query: `alias.pk IN (the keys' rows matching)`. */
export interface SqlCondition {
  /** The SQL, with `?` parameters. */
  readonly sql: string;
  /** Its parameters, in order. */
  readonly args: readonly (string | number)[];
}

/** Table aliases of the levels in `Archive.records()`. */
export const LEVEL_ALIAS: Readonly<Record<QueryLevel, string>> = {
  PATIENT: "p",
  STUDY: "st",
  SERIES: "se",
  IMAGE: "i",
};

/**
 * A GLOB pattern for a wildcard value (PS3.4 §C.2.2.2.4): "*" and "?" mean
 * the same in GLOB (case-sensitive, as matches() is); every other character
 * is itself, so only GLOB's own "[" needs escaping, as the class "[[]". A
 * "?" is one UTF-16 code unit to matches() and one character to GLOB; they
 * differ only beyond the BMP, whose values are stored NULL.
 */
export function globPattern(value: string): string {
  return value.replaceAll("[", "[[]");
}

/** Predicates on `value` for one query value, or undefined when SQL cannot say. */
function valuePredicate(
  vr: string,
  w: string,
): { sql: string; args: string[] } | undefined {
  if (vr === "DA" || vr === "TM") {
    try {
      const norm = vr === "DA"
        ? (v: string) => normalDate(v)
        : (v: string, end: boolean) => normalTime(v, end);
      // A single TM names the period it spans (PS3.4 §C.2.2.2.5), as matches() reads it.
      const range = w.includes("-")
        ? parseRange(w, vr)
        : vr === "TM"
        ? { start: w, end: w }
        : undefined;
      if (range === undefined) return { sql: "value = ?", args: [norm(w, false)] };
      const parts: string[] = [];
      const args: string[] = [];
      if (range.start !== undefined) {
        parts.push("value >= ?");
        args.push(norm(range.start, false));
      }
      if (range.end !== undefined) {
        parts.push("value <= ?");
        args.push(norm(range.end, true));
      }
      return { sql: parts.length > 0 ? parts.join(" AND ") : "1", args };
    } catch {
      return undefined; // validateQuery() refuses it first
    }
  }
  if (WILDCARD_VRS.has(vr) && /[*?]/.test(w)) {
    return { sql: "value GLOB ?", args: [globPattern(w)] };
  }
  return { sql: "value = ?", args: [w] };
}

/**
 * The conditions SQL can apply for a query at a level: one per matching key
 * kept in `match_keys`, of the level or above, given with its dictionary VR
 * and not universal (PS3.4 §C.2.2.2.3). Several values of a key match if any
 * does. Dates and times are left to matches() when the query carries
 * Timezone Offset From UTC: it shifts the record's values first.
 */
export function sqlConditions(query: Dataset, level: QueryLevel): SqlCondition[] {
  const out: SqlCondition[] = [];
  const shifted = query.strings(Tag.TimezoneOffsetFromUTC).some((v) => v !== "");
  for (const key of query) {
    // Modalities in Study (PS3.4 §C.6.2.1.2) is derived from the study's series' Modality.
    const derived = key.tag === Tag.ModalitiesInStudy;
    const vr = derived ? "CS" : MATCH_KEYS.get(key.tag);
    if (vr === undefined || key.kind === "sequence" || key.kind === "fragments") continue;
    if (key.vr !== vr) continue;
    const keyLevel = derived ? "STUDY" : levelOf(key.tag);
    if (levelDepth(keyLevel) > levelDepth(level)) continue;
    if (shifted && (vr === "DA" || vr === "TM")) continue;
    const wanted = query.strings(key.tag);
    if (universalValues(wanted)) continue;
    if (wanted.some((w) => w === "" || w.includes("\0"))) continue;
    const predicates = wanted.map((w) => valuePredicate(vr, w));
    if (predicates.some((p) => p === undefined)) continue;
    // One SELECT per predicate, so that each searches the (tag, value) index by its value.
    const selects = ["value IS NULL", ...predicates.map((p) => p!.sql)].map((p) =>
      `SELECT pk FROM match_keys WHERE tag = ? AND ${p}`
    ).join(" UNION ALL ");
    const tag = derived ? Tag.Modality : key.tag;
    const args = [tag, ...predicates.flatMap((p) => [tag, ...p!.args])];
    out.push({
      sql: derived
        // A study matches when one of its series' Modality values does (every value
        // kept, where the derived attribute has each series' first: a superset).
        ? `st.pk IN (SELECT study_pk FROM series WHERE pk IN (${selects}))`
        : `${LEVEL_ALIAS[keyLevel]}.pk IN (${selects})`,
      args,
    });
  }
  return out;
}
