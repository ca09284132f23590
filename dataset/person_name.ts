/**
 * The PN value representation (PS3.5 §6.2.1): up to three component groups
 * (alphabetic, ideographic, phonetic) separated by "=", each of five
 * components separated by "^".
 *
 * @module
 */

/** The five components of one PN component group, in order. */
export interface PersonNameComponents {
  /** Family name complex. */
  familyName: string;
  /** Given name complex. */
  givenName: string;
  /** Middle name. */
  middleName: string;
  /** Name prefix, e.g. "Dr.". */
  namePrefix: string;
  /** Name suffix, e.g. "Jr.". */
  nameSuffix: string;
}

/** A person name with its three component groups; absent groups are undefined. */
export interface PersonName {
  /** The single-byte (alphabetic) representation. */
  alphabetic?: PersonNameComponents;
  /** The ideographic representation. */
  ideographic?: PersonNameComponents;
  /** The phonetic representation. */
  phonetic?: PersonNameComponents;
}

const KEYS = ["familyName", "givenName", "middleName", "namePrefix", "nameSuffix"] as const;

function group(text: string | undefined): PersonNameComponents | undefined {
  if (text === undefined || text === "") return undefined;
  const parts = text.split("^");
  const out = {} as PersonNameComponents;
  KEYS.forEach((k, i) => (out[k] = (parts[i] ?? "").trim()));
  return out;
}

/**
 * Parses one PN value, e.g. `"Yamada^Tarou=山田^太郎=やまだ^たろう"`.
 *
 * @example
 * ```ts
 * import { parsePersonName } from "./mod.ts";
 * console.log(parsePersonName("Doe^John").alphabetic?.givenName); // "John"
 * ```
 */
export function parsePersonName(text: string): PersonName {
  const [a, i, p] = text.split("=");
  const out: PersonName = {};
  const alphabetic = group(a);
  const ideographic = group(i);
  const phonetic = group(p);
  if (alphabetic) out.alphabetic = alphabetic;
  if (ideographic) out.ideographic = ideographic;
  if (phonetic) out.phonetic = phonetic;
  return out;
}

function formatGroup(g: Partial<PersonNameComponents> | undefined): string {
  if (!g) return "";
  return KEYS.map((k) => g[k] ?? "").join("^").replace(/\^+$/, "");
}

/** Formats a person name as a PN value, dropping trailing empty components and groups. */
export function formatPersonName(name: {
  alphabetic?: Partial<PersonNameComponents>;
  ideographic?: Partial<PersonNameComponents>;
  phonetic?: Partial<PersonNameComponents>;
}): string {
  return [formatGroup(name.alphabetic), formatGroup(name.ideographic), formatGroup(name.phonetic)]
    .join("=").replace(/=+$/, "");
}
