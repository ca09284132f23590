import { ELEMENT_TABLE, REPEATING_ELEMENT_TABLE } from "./_element_table.ts";
import { checkTag } from "./_check_tag.ts";
import { keywordFromName } from "./_keyword_from_name.ts";
import type { DictionaryVr } from "./dictionary_vr.ts";
import { Tag, type TagKeyword } from "./tag.ts";

/** What the data dictionary (PS3.6 Table 6-1, PS3.7 Annex E) says about a data element. */
export interface ElementInfo {
  /** The tag looked up, `(group << 16 | element) >>> 0`; for a repeating group, the instance asked for. */
  readonly tag: number;
  /** The VR, or the VRs to choose from, e.g. `"PN"` or `"OB or OW"`. */
  readonly vr: DictionaryVr;
  /** The value multiplicity, e.g. `"1"`, `"1-n"`, `"2-2n"`. */
  readonly vm: string;
  /** The name, e.g. `"Patient's Name"`. */
  readonly name: string;
  /**
   * The keyword, e.g. `"PatientName"`; `""` for the few retired elements that
   * have none and for generic group lengths and private creators.
   */
  readonly keyword: string;
  /** Whether the standard has retired the element. */
  readonly retired: boolean;
}

/** Data elements with x digits in their tag, matched as `(tag & mask) === value`. */
interface Repeating {
  readonly mask: number;
  readonly byValue: ReadonlyMap<number, ElementInfo>;
}

// Nothing is parsed at import time. The first lookup splits the table into
// rows (a fraction of a millisecond); each row is parsed when first asked for.
let rows: readonly string[] | undefined;
const parsed = new Map<number, ElementInfo>();
let repeating: readonly Repeating[] | undefined;

/** Parses a `tag|VR|VM|R|keyword|name` row of the generated table. */
function parseRow(row: string, tag: number): ElementInfo {
  const [, vr, vm, retired, keyword, name] = row.split("|") as [
    string,
    DictionaryVr,
    string,
    string,
    string,
    string,
  ];
  return {
    tag,
    vr,
    vm,
    name,
    keyword: keyword === "" ? keywordFromName(name) : keyword === "-" ? "" : keyword,
    retired: retired === "R",
  };
}

/** Finds a tag of Table 6-1 by binary search over the sorted rows. */
function findExact(tag: number): ElementInfo | undefined {
  const cached = parsed.get(tag);
  if (cached !== undefined) return cached;
  rows ??= ELEMENT_TABLE.split("\n");
  // Rows start with the tag in fixed-width upper-case hex, so comparing the
  // strings compares the tags.
  const key = tag.toString(16).toUpperCase().padStart(8, "0");
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (rows[mid]! < key) low = mid + 1;
    else high = mid;
  }
  const row = rows[low];
  if (row === undefined || !row.startsWith(key)) return undefined;
  const info = parseRow(row, tag);
  parsed.set(tag, info);
  return info;
}

function loadRepeating(): readonly Repeating[] {
  const byMask = new Map<number, Map<number, ElementInfo>>();
  for (const row of REPEATING_ELEMENT_TABLE.split("\n")) {
    const pattern = row.slice(0, 8);
    let mask = 0;
    for (const digit of pattern) mask = mask * 16 + (digit === "x" ? 0 : 0xf);
    const value = parseInt(pattern.replaceAll("x", "0"), 16);
    let byValue = byMask.get(mask);
    if (byValue === undefined) byMask.set(mask, byValue = new Map());
    byValue.set(value, parseRow(row, value));
  }
  // The most specific pattern (most fixed digits) is tried first.
  return repeating = [...byMask]
    .map(([mask, byValue]) => ({ mask, byValue }))
    .sort((a, b) => bitCount(b.mask) - bitCount(a.mask));
}

function bitCount(n: number): number {
  let count = 0;
  for (let v = n >>> 0; v !== 0; v >>>= 1) count += v & 1;
  return count;
}

/**
 * Looks up a data element in the dictionary, in this order (PS3.5 §7):
 *
 * 1. an element of PS3.6 Table 6-1 or of the command group (PS3.7 Annex E);
 * 2. a group length (gggg,0000) of any other group: UL, "Group Length",
 *    retired (PS3.5 §7.2);
 * 3. in an odd (private) group other than 0001, 0003, 0005, 0007 and FFFF, a
 *    private creator (gggg,0010-00FF): LO, "Private Creator" (PS3.5 §7.8.1);
 *    any other private element is unknown to the dictionary;
 * 4. a repeating group or element range with x digits, such as (60xx,3000),
 *    (50xx,0005), (7Fxx,0010), (0020,31xx) or (1000,xxx0).
 *
 * Nothing is parsed at import time; a lookup parses only the entry it needs
 * and caches it.
 *
 * @example Usage
 * ```ts
 * import { lookupElement, Tag } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * assert.equal(lookupElement(Tag.PatientID)?.vr, "LO");
 * assert.equal(lookupElement(0x6002_3000)?.keyword, "OverlayData");
 * assert.equal(lookupElement(0x0009_0010)?.name, "Private Creator");
 * assert.equal(lookupElement(0x0009_1001), undefined);
 * ```
 *
 * @param tag The tag, `(group << 16 | element) >>> 0`.
 * @returns The element's dictionary entry, or `undefined` if the dictionary does not know it.
 * @throws {RangeError} If `tag` is not an integer from 0 to 0xFFFFFFFF.
 */
export function lookupElement(tag: number): ElementInfo | undefined {
  checkTag(tag, "look up");
  const found = findExact(tag);
  if (found !== undefined) return found;
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (element === 0) {
    return { tag, vr: "UL", vm: "1", name: "Group Length", keyword: "", retired: true };
  }
  if ((group & 1) === 1) {
    if (group <= 0x0007 || group === 0xffff || element < 0x0010 || element > 0x00ff) {
      return undefined;
    }
    return { tag, vr: "LO", vm: "1", name: "Private Creator", keyword: "", retired: false };
  }
  for (const { mask, byValue } of repeating ?? loadRepeating()) {
    const entry = byValue.get((tag & mask) >>> 0);
    if (entry !== undefined) return { ...entry, tag };
  }
  return undefined;
}

/**
 * Returns the tag of a data element keyword, or `undefined` if there is no
 * such keyword. A repeating-group keyword gives its first instance, as in
 * {@linkcode Tag}.
 *
 * @example Usage
 * ```ts
 * import { tagForKeyword } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tagForKeyword("PatientID"), 0x0010_0020);
 * assert.equal(tagForKeyword("NoSuchKeyword"), undefined);
 * ```
 *
 * @param keyword A keyword such as `"PatientID"`; case matters.
 * @returns The tag, or `undefined`.
 */
export function tagForKeyword(keyword: string): number | undefined {
  return Object.hasOwn(Tag, keyword) ? Tag[keyword as TagKeyword] : undefined;
}

/**
 * Returns the keyword of a data element, including one of a repeating group
 * such as (6002,3000) `"OverlayData"`, or `undefined` if the dictionary has no
 * keyword for the tag (private elements, group lengths other than (0000,0000)
 * and (0002,0000), unknown tags).
 *
 * @example Usage
 * ```ts
 * import { keywordOf } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * assert.equal(keywordOf(0x0010_0020), "PatientID");
 * assert.equal(keywordOf(0x0009_1001), undefined);
 * ```
 *
 * @param tag The tag, `(group << 16 | element) >>> 0`.
 * @returns The keyword, or `undefined`.
 * @throws {RangeError} If `tag` is not an integer from 0 to 0xFFFFFFFF.
 */
export function keywordOf(tag: number): string | undefined {
  return lookupElement(tag)?.keyword || undefined;
}
