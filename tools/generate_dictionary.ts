/**
 * Generates the data dictionary under `dictionary/` from the DICOM standard's
 * tables in `tools/dicom-standard/` (PS3.6 Table 6-1 and PS3.7 Annex E in
 * `elements.json`, PS3.6 Table A-1 in `uids.json`; `SOURCE.md` says where
 * they come from).
 *
 * Run it from the repository root with `deno task gen`. The output is already
 * formatted as `deno fmt` would format it, so the task needs no `--allow-run`.
 * Both the JSON input and the generated TypeScript are committed; CI
 * (`.ci/run`) regenerates the dictionary and fails if `dictionary/` changes.
 *
 * The generator fails, rather than guess, when the tables hold something it
 * does not know how to classify (a new transfer syntax, a keyword that is not
 * an identifier, a character that would need escaping).
 *
 * @module
 */

import { keywordFromName } from "../dictionary/_keyword_from_name.ts";

const SOURCE_DIR = new URL("./dicom-standard/", import.meta.url);
const OUT_DIR = new URL("../dictionary/", import.meta.url);
const LINE_WIDTH = 100;

interface ElementRecord {
  readonly tag: string;
  readonly vr: string;
  readonly vm: string;
  readonly name: string;
  readonly keyword: string;
  readonly retired: boolean;
}

interface UidRecord {
  readonly uid: string;
  readonly name: string;
  readonly type: string;
  readonly info: string;
  readonly retired: boolean;
  readonly keyword: string;
}

// ---------------------------------------------------------------------------
// Transfer syntax encodings, checked against PS3.5 §10 and Annex A. Every
// Transfer Syntax UID of the registry must appear in exactly one of these
// sets; a new one stops the generator until someone reads its Annex A section.

/** A.1: the DICOM default; the only implicit VR syntax PS3.5 specifies. */
const IMPLICIT_VR_LITTLE_ENDIAN = new Set(["1.2.840.10008.1.2"]);
/** A.3 (retired): the only big endian syntax. */
const EXPLICIT_VR_BIG_ENDIAN = new Set(["1.2.840.10008.1.2.2"]);
/** A.5, A.7, A.12: the whole data set is deflated (RFC 1951) after encoding per A.2/A.6/A.11. */
const DEFLATED = new Set([
  "1.2.840.10008.1.2.1.99", // A.5 Deflated Explicit VR Little Endian
  "1.2.840.10008.1.2.4.95", // A.7 JPIP Referenced Deflate
  "1.2.840.10008.1.2.4.205", // A.12 JPIP HTJ2K Referenced Deflate
]);
/**
 * Explicit VR little endian with native (not encapsulated) or absent pixel data:
 * A.2, A.6 and A.11 (JPIP: Pixel Data is absent, referenced by Pixel Data
 * Provider URL (0028,7FE0)), A.8 to A.10 (SMPTE ST 2110: metadata for DICOM-RTV
 * flows, PS3.22; the pixels travel outside the data set).
 */
const NATIVE_EXPLICIT_VR_LITTLE_ENDIAN = new Set([
  "1.2.840.10008.1.2.1",
  "1.2.840.10008.1.2.4.94",
  "1.2.840.10008.1.2.4.204",
  "1.2.840.10008.1.2.7.1",
  "1.2.840.10008.1.2.7.2",
  "1.2.840.10008.1.2.7.3",
]);
/** A.4: explicit VR little endian with Pixel Data in the Encapsulated Format (PS3.5 §8.2, A.4). */
const ENCAPSULATED = new Set([
  "1.2.840.10008.1.2.1.98", // A.4.11 Encapsulated Uncompressed
  // A.4.1 JPEG: processes 1 to 29 (.50 to .66) and 14 SV1 (.70)
  ...Array.from({ length: 17 }, (_, i) => `1.2.840.10008.1.2.4.${50 + i}`),
  "1.2.840.10008.1.2.4.70",
  "1.2.840.10008.1.2.4.80", // A.4.3 JPEG-LS
  "1.2.840.10008.1.2.4.81", // A.4.3 JPEG-LS
  "1.2.840.10008.1.2.4.90", // A.4.4 JPEG 2000
  "1.2.840.10008.1.2.4.91",
  "1.2.840.10008.1.2.4.92",
  "1.2.840.10008.1.2.4.93",
  ...["100", "101", "102", "103", "104", "105", "106"].flatMap((n) => [
    `1.2.840.10008.1.2.4.${n}`, // A.4.5, A.4.6 MPEG-2, MPEG-4 AVC/H.264
    `1.2.840.10008.1.2.4.${n}.1`, // ... and their fragmentable variants
  ]),
  "1.2.840.10008.1.2.4.107", // A.4.7 HEVC/H.265
  "1.2.840.10008.1.2.4.108",
  "1.2.840.10008.1.2.4.110", // JPEG XL
  "1.2.840.10008.1.2.4.111",
  "1.2.840.10008.1.2.4.112",
  "1.2.840.10008.1.2.4.201", // High-Throughput JPEG 2000
  "1.2.840.10008.1.2.4.202",
  "1.2.840.10008.1.2.4.203",
  "1.2.840.10008.1.2.5", // A.4.2 RLE Lossless
  "1.2.840.10008.1.2.8.1", // A.4.13 Deflated Image Frame Compression (frames, not the data set)
]);
/**
 * Registered as transfer syntaxes but not specified as a data set encoding in
 * PS3.5 Annex A (all retired): RFC 2557 MIME encapsulation, XML Encoding and
 * Papyrus 3. They stay in the UID registry, not in `TRANSFER_SYNTAXES`.
 */
const NOT_A_DATA_SET_ENCODING = new Set([
  "1.2.840.10008.1.2.6.1",
  "1.2.840.10008.1.2.6.2",
  "1.2.840.10008.1.20",
]);

/**
 * Storage SOP classes: C-STORE SOP classes of the Storage Service Class
 * (PS3.4 Annex B) and of the other storage service classes that store
 * composite instances the same way (Hanging Protocol, Color Palette, Implant
 * Template: Annexes T, X, BB). Not: Storage Commitment (Annex J, N-ACTION),
 * Media Storage Directory Storage (the DICOMDIR, a Media Storage SOP class of
 * Annex I, never sent with C-STORE), nor the Storage Management well-known
 * instance (not a SOP class).
 */
function isStorageSopClass(record: UidRecord): boolean {
  if (record.type !== "SOP Class" || !/\bStorage\b/.test(record.name)) return false;
  if (record.name.startsWith("Storage Commitment")) return false;
  if (record.uid === "1.2.840.10008.1.3.10") return false; // Media Storage Directory Storage
  return true;
}

// ---------------------------------------------------------------------------

async function readJson(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(new URL(name, SOURCE_DIR)));
}

function release(source: unknown): string {
  const match = typeof source === "string" ? /release (\d{4}[a-z])/.exec(source) : null;
  if (!match?.[1]) throw new Error(`Cannot find the release in the source note ${source}`);
  return match[1];
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function checkElement(record: ElementRecord, pattern: boolean): void {
  const where = `element ${JSON.stringify(record)}`;
  check(
    (pattern ? /^[0-9A-Fx]{8}$/ : /^[0-9A-F]{8}$/).test(record.tag),
    `${where}: bad tag`,
  );
  check(!pattern || record.tag.includes("x"), `${where}: a repeating group without x`);
  check(/^[A-Z]{2}( or [A-Z]{2})*$|^NONE$/.test(record.vr), `${where}: bad VR`);
  check(/^\d+(-(\d*n|\d+))?$/.test(record.vm), `${where}: bad VM`);
  check(
    record.keyword === "" || /^[A-Za-z_][A-Za-z0-9_]*$/.test(record.keyword),
    `${where}: keyword`,
  );
  check(record.keyword !== "" || record.retired, `${where}: no keyword but not retired`);
  check(typeof record.retired === "boolean", `${where}: retired`);
  // The compact table uses "|" and newlines as separators inside a template literal.
  check(!/[|\n`\\]|\$\{/.test(record.name), `${where}: the name needs escaping`);
}

function checkUid(record: UidRecord): void {
  const where = `UID ${JSON.stringify(record)}`;
  check(/^[0-9]+(\.[0-9]+)*$/.test(record.uid), `${where}: bad UID`);
  check(
    record.keyword === "" || /^[A-Za-z_][A-Za-z0-9_]*$/.test(record.keyword),
    `${where}: keyword`,
  );
  check(typeof record.retired === "boolean", `${where}: retired`);
  for (const text of [record.name, record.type, record.info]) {
    check(!/[|\n`\\*]|\$\{/.test(text), `${where}: text needs escaping`);
  }
}

/**
 * The tag a repeating-group keyword stands for: its lowest instance, every x
 * set to 0 (so (60xx,3000) is (6000,3000)), unless that instance is a group
 * length (element 0000, PS3.5 §7.2), in a private (odd) group, or a data
 * element of its own in Table 6-1; then the next instance up. So (1000,xxx0) is (1000,0010), (1010,xxxx) is
 * (1010,0001) and (0028,04x0) is (0028,0410), since (0028,0400) is Transform
 * Label.
 */
function repeatingBase(pattern: string, exact: ReadonlySet<number>): number {
  const xs = [...pattern].flatMap((c, i) => c === "x" ? [i] : []);
  for (let n = 0; n < 16 ** xs.length; n++) {
    const digits = [...pattern];
    xs.forEach((at, k) => {
      digits[at] = ((n >> (4 * (xs.length - 1 - k))) & 0xf).toString(16).toUpperCase();
    });
    const tag = parseInt(digits.join(""), 16);
    const privateGroup = ((tag >>> 16) & 1) === 1;
    if ((tag & 0xffff) !== 0 && !privateGroup && !exact.has(tag)) return tag;
  }
  throw new Error(`Cannot choose a tag for the repeating group ${pattern}`);
}

function hex8(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(8, "0");
}

function quote(text: string): string {
  return JSON.stringify(text);
}

/**
 * An object property as `deno fmt` prints it: on one line if that fits,
 * otherwise with the value on the next line, indented once more.
 */
function property(key: string, value: string, indent = "  "): string {
  const line = `${indent}${key}: ${value},`;
  return line.length <= LINE_WIDTH ? line : `${indent}${key}:\n${indent}  ${value},`;
}

/** The first line of every generated file. */
function header(releaseName: string): string {
  return `// Generated by tools/generate_dictionary.ts from DICOM PS3.6 ${releaseName}. Do not edit.\n`;
}

// ---------------------------------------------------------------------------

function generateTag(
  rel: string,
  elements: readonly ElementRecord[],
  repeating: readonly ElementRecord[],
  exact: ReadonlySet<number>,
): string {
  const lines = [header(rel)];
  lines.push(
    "/**",
    " * The tag of every data element keyword of PS3.6 Table 6-1 and of the command",
    " * group of PS3.7 Annex E, retired ones included, as a number",
    " * `(group << 16 | element) >>> 0`.",
    " *",
    " * A keyword of a repeating group stands for its first instance: `OverlayData`",
    " * is (6000,3000) of (60xx,3000); where that would be a group length or another",
    " * element, the next one: `RowsForNthOrderCoefficients` is (0028,0410) of",
    " * (0028,04x0). {@linkcode lookupElement} resolves every instance.",
    " *",
    " * @example Usage",
    " * ```ts",
    ' * import { Tag } from "@dcm/net/dictionary";',
    ' * import assert from "node:assert/strict";',
    " *",
    " * assert.equal(Tag.PatientID, 0x0010_0020);",
    " * assert.equal(Tag.OverlayData, 0x6000_3000);",
    " * ```",
    " */",
    "export const Tag = {",
  );
  // No JSDoc per property: it would add about 2 ms to every cold start (the
  // emitted JS carries an inline source map). lookupElement() has the details.
  const add = (keyword: string, tag: number) => {
    const h = hex8(tag);
    lines.push(property(keyword, `0x${h.slice(0, 4)}_${h.slice(4)}`));
  };
  for (const r of elements) if (r.keyword !== "") add(r.keyword, parseInt(r.tag, 16));
  for (const r of repeating) add(r.keyword, repeatingBase(r.tag, exact));
  lines.push(
    "} as const;",
    "",
    '/** A data element keyword of PS3.6, such as `"PatientID"`. */',
    "export type TagKeyword = keyof typeof Tag;",
    "",
  );
  return lines.join("\n");
}

function generateElementTable(
  rel: string,
  elements: readonly ElementRecord[],
  repeating: readonly ElementRecord[],
): string {
  // The keyword column is empty where keywordFromName() gives the keyword, and
  // "-" where there is none, which keeps the table (and cold start) small.
  const row = (r: ElementRecord) => {
    const keyword = r.keyword === "" ? "-" : r.keyword === keywordFromName(r.name) ? "" : r.keyword;
    return [r.tag, r.vr, r.vm, r.retired ? "R" : "", keyword, r.name].join("|");
  };
  // Sorted by tag: fixed-width upper-case hex sorts as the numbers do, which
  // lets element.ts binary search the rows without parsing them.
  const sorted = [...elements].sort((a, b) => parseInt(a.tag, 16) - parseInt(b.tag, 16));
  return [
    header(rel),
    "/**",
    " * Every data element of PS3.6 Table 6-1 and PS3.7 Annex E, one per line, sorted",
    " * by tag: `tag|VR|VM|R if retired|keyword|name`. The keyword is empty where",
    " * `keywordFromName(name)` gives it and `-` where the element has none.",
    " */",
    `export const ELEMENT_TABLE: string = \`${sorted.map(row).join("\n")}\`;`,
    "",
    "/**",
    " * The repeating groups and element ranges, in the same format; each x of the",
    " * tag matches any hexadecimal digit.",
    " */",
    `export const REPEATING_ELEMENT_TABLE: string = \`${repeating.map(row).join("\n")}\`;`,
    "",
  ].join("\n");
}

function generateDictionaryVr(rel: string, vrs: readonly string[]): string {
  return [
    header(rel),
    "/**",
    " * Every VR that PS3.6 gives a data element, in alphabetical order. Besides the",
    ' * VRs of PS3.5 Table 6.2-1 this has the alternatives such as `"OB or OW"`,',
    ' * which the encoding decides (PS3.5 Annex A), and `"NONE"` for the item and',
    " * delimitation tags of group FFFE, which have no VR.",
    " */",
    "export const DICTIONARY_VRS = [",
    ...vrs.map((vr) => `  ${quote(vr)},`),
    "] as const;",
    "",
    '/** A VR as PS3.6 gives it for a data element, e.g. `"PN"` or `"US or SS"`. */',
    "export type DictionaryVr = typeof DICTIONARY_VRS[number];",
    "",
  ].join("\n");
}

function generateUid(rel: string, uids: readonly UidRecord[], types: readonly string[]): string {
  const lines = [
    header(rel),
    "/**",
    " * Every UID of the PS3.6 Table A-1 registry that has a keyword, by keyword:",
    " * SOP classes, transfer syntaxes, well-known instances, frames of reference and",
    " * the others, retired ones included.",
    " *",
    " * @example Usage",
    " * ```ts",
    ' * import { Uid } from "@dcm/net/dictionary";',
    ' * import assert from "node:assert/strict";',
    " *",
    ' * assert.equal(Uid.ImplicitVRLittleEndian, "1.2.840.10008.1.2");',
    ' * assert.equal(Uid.StudyRootQueryRetrieveInformationModelFind, "1.2.840.10008.5.1.4.1.2.2.1");',
    " * ```",
    " */",
    "export const Uid = {",
  ];
  for (const r of uids) {
    if (r.keyword === "") continue;
    lines.push(`  /** ${r.name} (${r.type}${r.retired ? ", retired" : ""}) */`);
    lines.push(property(r.keyword, quote(r.uid)));
  }
  lines.push(
    "} as const;",
    "",
    '/** A keyword of the PS3.6 UID registry, such as `"CTImageStorage"`. */',
    "export type UidKeyword = keyof typeof Uid;",
    "",
    "/** Every UID type of the PS3.6 Table A-1 registry, in the order they first occur. */",
    "export const UID_TYPES = [",
    ...types.map((t) => `  ${quote(t)},`),
    "] as const;",
    "",
    '/** The type of a registered UID, such as `"SOP Class"` or `"Transfer Syntax"`. */',
    "export type UidType = typeof UID_TYPES[number];",
    "",
  );
  return lines.join("\n");
}

function generateUidTable(
  rel: string,
  uids: readonly UidRecord[],
  types: readonly string[],
): string {
  const rows = uids.map((r) =>
    [r.uid, types.indexOf(r.type), r.retired ? "R" : "", r.keyword, r.name, r.info].join("|")
  );
  return [
    header(rel),
    "/**",
    " * The PS3.6 Table A-1 UID registry, one UID per line:",
    " * `uid|index into UID_TYPES|R if retired|keyword|name|info`. Parsed on first use",
    " * by `uid_info.ts`.",
    " */",
    `export const UID_TABLE: string = \`${rows.join("\n")}\`;`,
    "",
  ].join("\n");
}

function generateStorage(rel: string, uids: readonly UidRecord[]): string {
  const storage = uids.filter(isStorageSopClass);
  for (const r of storage) check(r.keyword !== "", `Storage SOP class ${r.uid} has no keyword`);
  const list = (retired: boolean) =>
    storage.filter((r) => r.retired === retired).map((r) => `  Uid.${r.keyword},`);
  const doc = (retired: boolean) => [
    "/**",
    retired
      ? " * The retired Storage SOP classes of the PS3.6 registry, for accepting old data."
      : " * Every current (not retired) Storage SOP class of the PS3.6 registry.",
    " *",
    " * These are the SOP classes sent with C-STORE: those of the Storage Service",
    " * Class (PS3.4 Annex B) and of the Hanging Protocol, Color Palette and Implant",
    " * Template storage service classes (Annexes T, X, BB). Storage Commitment",
    " * (Annex J) and Media Storage Directory Storage (the DICOMDIR, Annex I) are not.",
    ...(retired ? [] : [
      " *",
      " * @example Usage",
      " * ```ts",
      ' * import { STORAGE_SOP_CLASSES, Uid } from "@dcm/net/dictionary";',
      ' * import assert from "node:assert/strict";',
      " *",
      " * assert.ok(STORAGE_SOP_CLASSES.includes(Uid.CTImageStorage));",
      " * assert.ok(!STORAGE_SOP_CLASSES.includes(Uid.StorageCommitmentPushModel));",
      " * ```",
    ]),
    " */",
  ];
  return [
    header(rel),
    'import { Uid } from "./uid.ts";',
    "",
    ...doc(false),
    "export const STORAGE_SOP_CLASSES: readonly string[] = [",
    ...list(false),
    "];",
    "",
    ...doc(true),
    "export const RETIRED_STORAGE_SOP_CLASSES: readonly string[] = [",
    ...list(true),
    "];",
    "",
  ].join("\n");
}

function generateTransferSyntaxes(rel: string, uids: readonly UidRecord[]): string {
  const sets = [
    IMPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    DEFLATED,
    NATIVE_EXPLICIT_VR_LITTLE_ENDIAN,
    ENCAPSULATED,
    NOT_A_DATA_SET_ENCODING,
  ];
  const registered = uids.filter((r) => r.type === "Transfer Syntax");
  for (const r of registered) {
    const n = sets.filter((s) => s.has(r.uid)).length;
    check(n === 1, `Transfer syntax ${r.uid} (${r.name}) is classified ${n} times, not once`);
    check(r.keyword !== "", `Transfer syntax ${r.uid} has no keyword`);
  }
  const known = new Set(registered.map((r) => r.uid));
  for (const s of sets) {
    for (const uid of s) check(known.has(uid), `${uid} is not a registered transfer syntax`);
  }
  const lines = [
    header(rel),
    'import type { TransferSyntaxInfo } from "./transfer_syntax.ts";',
    'import { Uid } from "./uid.ts";',
    "",
    "/**",
    " * Every transfer syntax of the PS3.6 registry that PS3.5 Annex A specifies as a",
    " * data set encoding, with its encoding. Left out: the retired RFC 2557 MIME",
    " * encapsulation, XML Encoding and Papyrus 3 Implicit VR Little Endian, which",
    " * Annex A does not specify.",
    " *",
    " * The JPIP Referenced syntaxes (A.6, A.7, A.11, A.12) carry no Pixel Data, and",
    " * the SMPTE ST 2110 ones (A.8 to A.10) describe DICOM-RTV flows (PS3.22); all",
    " * of them have `encapsulated: false`.",
    " *",
    " * @example Usage",
    " * ```ts",
    ' * import { TRANSFER_SYNTAXES } from "@dcm/net/dictionary";',
    ' * import assert from "node:assert/strict";',
    " *",
    " * const implicit = TRANSFER_SYNTAXES.filter((ts) => !ts.explicitVr);",
    ' * assert.deepEqual(implicit.map((ts) => ts.uid), ["1.2.840.10008.1.2"]);',
    " * ```",
    " */",
    "export const TRANSFER_SYNTAXES: readonly TransferSyntaxInfo[] = [",
  ];
  for (const r of registered) {
    if (NOT_A_DATA_SET_ENCODING.has(r.uid)) continue;
    lines.push(
      "  {",
      `    uid: Uid.${r.keyword},`,
      property("name", quote(r.name), "    "),
      `    explicitVr: ${!IMPLICIT_VR_LITTLE_ENDIAN.has(r.uid)},`,
      `    littleEndian: ${!EXPLICIT_VR_BIG_ENDIAN.has(r.uid)},`,
      `    deflated: ${DEFLATED.has(r.uid)},`,
      `    encapsulated: ${ENCAPSULATED.has(r.uid)},`,
      `    retired: ${r.retired},`,
      "  },",
    );
  }
  lines.push("];", "");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const elementJson = await readJson("elements.json");
  const uidJson = await readJson("uids.json");
  const rel = release(elementJson["source"]);
  check(rel === release(uidJson["source"]), "elements.json and uids.json differ in release");

  const elements = elementJson["elements"] as ElementRecord[];
  const repeating = elementJson["repeatingGroups"] as ElementRecord[];
  const uids = uidJson["uids"] as UidRecord[];
  for (const r of elements) checkElement(r, false);
  for (const r of repeating) checkElement(r, true);
  for (const r of uids) checkUid(r);

  // Keywords and tags must be unique, and a repeating-group keyword's tag
  // must not be a tag of its own in Table 6-1.
  const exact = new Set(elements.map((r) => parseInt(r.tag, 16)));
  check(exact.size === elements.length, "A tag occurs twice in Table 6-1");
  const keywords = new Set<string>();
  const tags = new Set<number>();
  for (const r of [...elements, ...repeating]) {
    const tag = r.tag.includes("x") ? repeatingBase(r.tag, exact) : parseInt(r.tag, 16);
    check(!tags.has(tag), `Tag ${hex8(tag)} occurs twice`);
    tags.add(tag);
    if (r.keyword === "") continue;
    check(!keywords.has(r.keyword), `Element keyword ${r.keyword} occurs twice`);
    keywords.add(r.keyword);
  }
  const uidKeywords = new Set<string>();
  const uidValues = new Set<string>();
  for (const r of uids) {
    check(!uidValues.has(r.uid), `UID ${r.uid} occurs twice`);
    uidValues.add(r.uid);
    if (r.keyword === "") continue;
    check(!uidKeywords.has(r.keyword), `UID keyword ${r.keyword} occurs twice`);
    uidKeywords.add(r.keyword);
  }

  const vrs = [...new Set([...elements, ...repeating].map((r) => r.vr))].sort();
  const types = [...new Set(uids.map((r) => r.type))];

  const files: Record<string, string> = {
    "tag.ts": generateTag(rel, elements, repeating, exact),
    "_element_table.ts": generateElementTable(rel, elements, repeating),
    "dictionary_vr.ts": generateDictionaryVr(rel, vrs),
    "uid.ts": generateUid(rel, uids, types),
    "_uid_table.ts": generateUidTable(rel, uids, types),
    "storage_sop_classes.ts": generateStorage(rel, uids),
    "transfer_syntaxes.ts": generateTransferSyntaxes(rel, uids),
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(new URL(name, OUT_DIR), text);
    console.log(`wrote dictionary/${name} (${text.length} characters)`);
  }
  console.log(
    `${keywords.size} element keywords, ${uidKeywords.size} UID keywords, release ${rel}`,
  );
}

if (import.meta.main) await main();
