/**
 * The Defined Terms of Specific Character Set (0008,0005) and how a list of
 * them resolves to an initial state and a set of code elements
 * (PS3.3 §C.12.1.1.2, Tables C.12-2 to C.12-5; PS3.5 §6.1.2.4, §6.1.2.5).
 *
 * Internal module: pure data and functions.
 *
 * @module
 */

import { type GraphicSet, graphicSet, type GraphicSetName } from "./_charset_tables.ts";

/** A character encoding scheme outside ISO/IEC 2022 (PS3.3 Table C.12-5). */
export type StandAloneEncoding = "utf-8" | "gb18030" | "gbk";

type TermSpec =
  | {
    readonly kind: "iso2022";
    /** G0 set, then the G1 set if any (single-byte); or the one multi-byte set. */
    readonly sets: readonly GraphicSetName[];
    /** An "ISO 2022 ..." term: escape sequences may occur (PS3.5 §6.1.2.4). */
    readonly codeExtension: boolean;
  }
  | { readonly kind: "standAlone"; readonly encoding: StandAloneEncoding };

/**
 * Every Defined Term this module understands. Single-byte terms without code
 * extensions (Table C.12-2), with code extensions (Table C.12-3), multi-byte
 * with code extensions (Table C.12-4) and without (Table C.12-5).
 */
const DEFINED_TERMS = {
  "ISO_IR 6": { kind: "iso2022", sets: ["ISO-IR 6"], codeExtension: false },
  "ISO_IR 100": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 100"], codeExtension: false },
  "ISO_IR 101": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 101"], codeExtension: false },
  "ISO_IR 109": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 109"], codeExtension: false },
  "ISO_IR 110": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 110"], codeExtension: false },
  "ISO_IR 144": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 144"], codeExtension: false },
  "ISO_IR 127": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 127"], codeExtension: false },
  "ISO_IR 126": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 126"], codeExtension: false },
  "ISO_IR 138": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 138"], codeExtension: false },
  "ISO_IR 148": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 148"], codeExtension: false },
  "ISO_IR 203": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 203"], codeExtension: false },
  "ISO_IR 13": { kind: "iso2022", sets: ["ISO-IR 14", "ISO-IR 13"], codeExtension: false },
  "ISO_IR 166": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 166"], codeExtension: false },
  "ISO 2022 IR 6": { kind: "iso2022", sets: ["ISO-IR 6"], codeExtension: true },
  "ISO 2022 IR 100": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 100"], codeExtension: true },
  "ISO 2022 IR 101": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 101"], codeExtension: true },
  "ISO 2022 IR 109": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 109"], codeExtension: true },
  "ISO 2022 IR 110": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 110"], codeExtension: true },
  "ISO 2022 IR 144": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 144"], codeExtension: true },
  "ISO 2022 IR 127": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 127"], codeExtension: true },
  "ISO 2022 IR 126": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 126"], codeExtension: true },
  "ISO 2022 IR 138": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 138"], codeExtension: true },
  "ISO 2022 IR 148": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 148"], codeExtension: true },
  "ISO 2022 IR 203": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 203"], codeExtension: true },
  "ISO 2022 IR 13": { kind: "iso2022", sets: ["ISO-IR 14", "ISO-IR 13"], codeExtension: true },
  "ISO 2022 IR 166": { kind: "iso2022", sets: ["ISO-IR 6", "ISO-IR 166"], codeExtension: true },
  "ISO 2022 IR 87": { kind: "iso2022", sets: ["ISO-IR 87"], codeExtension: true },
  "ISO 2022 IR 159": { kind: "iso2022", sets: ["ISO-IR 159"], codeExtension: true },
  "ISO 2022 IR 149": { kind: "iso2022", sets: ["ISO-IR 149"], codeExtension: true },
  "ISO 2022 IR 58": { kind: "iso2022", sets: ["ISO-IR 58"], codeExtension: true },
  "ISO_IR 192": { kind: "standAlone", encoding: "utf-8" },
  "GB18030": { kind: "standAlone", encoding: "gb18030" },
  "GBK": { kind: "standAlone", encoding: "gbk" },
} as const satisfies Record<string, TermSpec>;

/** A Defined Term of Specific Character Set (0008,0005) that this module supports. */
export type DefinedTerm = keyof typeof DEFINED_TERMS;

/** Every supported Defined Term, in the order of PS3.3 Tables C.12-2 to C.12-5. */
export const SUPPORTED_TERMS: readonly DefinedTerm[] = Object.freeze(
  Object.keys(DEFINED_TERMS) as DefinedTerm[],
);

/** What a list of terms means for decoding and encoding. */
export type CharsetPlan =
  | { readonly kind: "default" }
  | { readonly kind: "standAlone"; readonly encoding: StandAloneEncoding }
  | {
    readonly kind: "iso2022";
    /** Initial designations (PS3.5 §6.1.2.5.1 and §6.1.2.5.4). */
    readonly g0: GraphicSet;
    readonly g1: GraphicSet | undefined;
    /** Sets `encode()` may use, in order of preference: value 1's, then values 2..n. */
    readonly sets: readonly GraphicSet[];
    /** Whether escape sequences are interpreted (code extension in use). */
    readonly escapes: boolean;
  };

function lookup(term: string): TermSpec | undefined {
  return Object.hasOwn(DEFINED_TERMS, term) ? DEFINED_TERMS[term as DefinedTerm] : undefined;
}

/** Common misspellings ("ISO IR 100", "ISO-IR 100", "iso_ir 100") to the Defined Term. */
function correct(term: string): string | undefined {
  const upper = term.toUpperCase().replace(/\s+/g, " ");
  let m = /^ISO[ _-]?2022[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (m) return `ISO 2022 IR ${m[1]}`;
  m = /^ISO[ _-]?IR[ _-]?(\d+)$/.exec(upper);
  if (m) return `ISO_IR ${m[1]}`;
  return upper === term ? undefined : upper;
}

function describe(terms: readonly string[]): string {
  return terms.join("\\");
}

/**
 * Resolves the values of (0008,0005) to a plan. Never throws: anything odd is
 * reported through `warn` and replaced by the closest sensible reading.
 */
export function resolveTerms(
  terms: readonly string[],
  warn: (message: string) => void,
): CharsetPlan {
  const all = describe(terms);
  const multi = terms.length > 1;
  let initial: { g0: GraphicSet; g1: GraphicSet | undefined } | undefined;
  const extensions: GraphicSet[] = [];
  let escapes = multi;

  for (let index = 0; index < terms.length; index++) {
    const raw = terms[index]!;
    if (raw === "") {
      // Value 1 may be empty: ISO-IR 6 is then G0 and G1 is undefined (PS3.5 §6.1.2.5.4 c).
      if (index > 0) warn(`Specific Character Set "${all}": empty value ${index + 1} ignored`);
      continue;
    }
    let term = raw;
    let spec = lookup(term);
    if (spec === undefined) {
      const fixed = correct(raw);
      spec = fixed === undefined ? undefined : lookup(fixed);
      if (spec !== undefined) {
        warn(
          `Specific Character Set "${all}": "${raw}" is not a Defined Term; assuming "${fixed}"`,
        );
        term = fixed!;
      }
    }
    if (spec === undefined) {
      if (index === 0) {
        warn(
          `Specific Character Set "${all}": unknown term "${raw}"; decoding its bytes as ISO_IR 100 (Latin-1)`,
        );
        initial = { g0: graphicSet("ISO-IR 6"), g1: graphicSet("ISO-IR 100") };
      } else {
        warn(`Specific Character Set "${all}": unknown term "${raw}" ignored`);
      }
      continue;
    }
    if (spec.kind === "standAlone") {
      // PS3.5 §6.1.2.4 Note: UTF-8, GB18030 and GBK forbid code extensions.
      if (index === 0) {
        if (multi) {
          warn(
            `Specific Character Set "${all}": "${term}" cannot be combined with other terms; the others are ignored`,
          );
        }
        return { kind: "standAlone", encoding: spec.encoding };
      }
      warn(
        `Specific Character Set "${all}": "${term}" cannot be used as a code extension; ignored`,
      );
      continue;
    }
    if (spec.codeExtension) escapes = true;
    else if (multi) {
      // e.g. "ISO_IR 13\ISO 2022 IR 87": read as the ISO 2022 form of the same set.
      warn(
        `Specific Character Set "${all}": "${term}" in a multi-valued list; assuming "${
          term.replace("ISO_IR", "ISO 2022 IR")
        }"`,
      );
    }
    const sets = spec.sets.map(graphicSet);
    if (index === 0) {
      if (sets[0]!.width === 2) {
        // Value 1 must be single-byte (PS3.3 Table C.12-4 lists values 2 to n only).
        warn(
          `Specific Character Set "${all}": value 1 "${term}" is multi-byte; assuming ISO-IR 6 as the initial G0`,
        );
        extensions.push(...sets);
      } else {
        initial = { g0: sets[0]!, g1: sets[1] };
      }
    } else {
      extensions.push(...sets);
    }
  }

  const g0 = initial?.g0 ?? graphicSet("ISO-IR 6");
  const g1 = initial?.g1;
  const ordered: GraphicSet[] = [];
  for (const set of [g0, ...(g1 ? [g1] : []), ...extensions]) {
    if (!ordered.includes(set)) ordered.push(set);
  }
  if (ordered.length === 1 && g0.name === "ISO-IR 6") return { kind: "default" };
  return { kind: "iso2022", g0, g1, sets: ordered, escapes };
}
