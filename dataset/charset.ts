/**
 * Text values under Specific Character Set (0008,0005): bytes to strings and
 * back, as PS3.5 §6.1 and its Annexes H (Japanese), I (Korean), J (Unicode and
 * GB18030) and K (GB 2312) specify, with the Defined Terms of PS3.3
 * §C.12.1.1.2.
 *
 * Only the VRs whose repertoire (0008,0005) extends are affected: SH, LO, ST,
 * LT, PN, UC and UT (PS3.5 §6.1.2.3). Every other VR uses the default
 * repertoire (ISO-IR 6).
 *
 * Decoding never throws. Unknown terms, undeclared escape sequences and bytes
 * with no meaning are reported through {@linkcode SpecificCharacterSetOptions.onWarning}
 * and read with a fallback (Latin-1 or U+FFFD); callers that must rewrite
 * such values unchanged should keep their original bytes.
 *
 * This module is pure: no `Deno.*`, no I/O, no global settings. Code tables are
 * derived once from the runtime's `TextDecoder`, on first use.
 *
 * @module
 */

import { graphicSet, sharedDecoder } from "./_charset_tables.ts";
import {
  type CharsetPlan,
  type DefinedTerm,
  resolveTerms,
  SUPPORTED_TERMS,
} from "./_charset_terms.ts";
import {
  asciiBytes,
  decodeIso2022,
  type Delimiters,
  encodeIso2022,
  type Iso2022Plan,
  isPlainAscii,
  latin1String,
  PN_DELIMITERS,
  TEXT_DELIMITERS,
  type Unencodable,
  VALUE_DELIMITERS,
} from "./_charset_iso2022.ts";
import { encodeGb } from "./_charset_gb18030.ts";

/** A Defined Term of Specific Character Set (0008,0005) this module supports. */
export type SpecificCharacterSetTerm = DefinedTerm;

/**
 * Every Defined Term of Specific Character Set (0008,0005) this module supports,
 * in the order of PS3.3 Tables C.12-2 (single-byte), C.12-3 (single-byte with
 * code extensions), C.12-4 (multi-byte with code extensions) and C.12-5
 * (ISO_IR 192, GB18030, GBK).
 *
 * @example Check whether a term is supported
 * ```ts
 * import assert from "node:assert/strict";
 * import { SUPPORTED_CHARACTER_SET_TERMS } from "./charset.ts";
 *
 * assert.ok(SUPPORTED_CHARACTER_SET_TERMS.includes("ISO 2022 IR 149"));
 * ```
 */
export const SUPPORTED_CHARACTER_SET_TERMS: readonly SpecificCharacterSetTerm[] = SUPPORTED_TERMS;

/** Options for {@linkcode SpecificCharacterSet}. */
export interface SpecificCharacterSetOptions {
  /**
   * Receives a message for anything that is read or written with a fallback:
   * an unknown or misspelled term, an escape sequence for a set that was not
   * declared, bytes that have no character in the active set, or (with
   * `unencodable: "replace"`) a character written as "?".
   *
   * @default {undefined} warnings are dropped
   */
  onWarning?: (message: string) => void;
  /**
   * What {@linkcode SpecificCharacterSet.encode} does with a character that
   * none of the declared character sets can represent: `"throw"` a
   * `RangeError`, or `"replace"` it with "?" and report a warning.
   *
   * @default {"throw"}
   */
  unencodable?: "throw" | "replace";
}

/** The VRs (0008,0005) applies to, with the delimiters that reset code extensions. */
function delimitersFor(vr: string): Delimiters | undefined {
  switch (vr) {
    case "PN":
      return PN_DELIMITERS;
    case "SH":
    case "LO":
    case "UC":
      return VALUE_DELIMITERS;
    case "ST":
    case "LT":
    case "UT":
      return TEXT_DELIMITERS;
    default:
      return undefined;
  }
}

/** ISO-IR 6 only: the repertoire of every VR that (0008,0005) does not extend. */
const DEFAULT_PLAN: Iso2022Plan = {
  kind: "iso2022",
  g0: graphicSet("ISO-IR 6"),
  g1: undefined,
  sets: [graphicSet("ISO-IR 6")],
  escapes: false,
};

const utf8Encoder = new TextEncoder();

function describeCodePoint(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  return cp >= 0xd800 && cp <= 0xdfff
    ? `lone surrogate ${hex}`
    : `"${String.fromCodePoint(cp)}" (${hex})`;
}

/**
 * The character repertoire named by Specific Character Set (0008,0005): decodes
 * the value field of a text element to a string and encodes a string back to a
 * value field, applying the code extension rules of PS3.5 §6.1.2.5.
 *
 * An instance is immutable; create one per distinct (0008,0005) value and reuse
 * it for every element of the data set (and of sequence items that do not
 * declare their own). Construction is cheap; the code tables a set needs are
 * built on first use and shared.
 *
 * Supported: the default repertoire; ISO_IR 100, 101, 109, 110, 144, 127, 126,
 * 138, 148, 203, 166 and 13; ISO_IR 192 (UTF-8), GB18030 and GBK; and with code
 * extensions ISO 2022 IR 6, 100, 101, 109, 110, 144, 127, 126, 138, 148, 203,
 * 166, 13, 87 (JIS X 0208), 159 (JIS X 0212), 149 (KS X 1001) and 58 (GB 2312).
 *
 * Values are decoded and encoded whole, delimiters included: split a decoded
 * multi-valued string on "\" afterwards (never its bytes, where 05/12 can be
 * half of a two-byte character), and join values with "\" before encoding.
 * Padding is left to the caller: `decode()` keeps a trailing SPACE and
 * `encode()` adds none.
 *
 * @example Decode and encode a Japanese person name (PS3.5 Example H.3-1)
 * ```ts
 * import assert from "node:assert/strict";
 * import { SpecificCharacterSet } from "./charset.ts";
 *
 * const charset = new SpecificCharacterSet(["", "ISO 2022 IR 87"]);
 * const bytes = new Uint8Array([
 *   0x59, 0x61, 0x6d, 0x61, 0x64, 0x61, 0x3d, // "Yamada="
 *   0x1b, 0x24, 0x42, 0x3b, 0x33, 0x45, 0x44, 0x1b, 0x28, 0x42, // ESC $ B 山田 ESC ( B
 * ]);
 * assert.equal(charset.decode(bytes, "PN"), "Yamada=山田");
 * assert.deepEqual(charset.encode("Yamada=山田", "PN"), bytes);
 * ```
 *
 * @example Report unknown terms instead of failing
 * ```ts
 * import assert from "node:assert/strict";
 * import { SpecificCharacterSet } from "./charset.ts";
 *
 * const warnings: string[] = [];
 * const charset = new SpecificCharacterSet("ISO_IR 999", { onWarning: (m) => warnings.push(m) });
 * assert.equal(charset.decode(new Uint8Array([0x4a, 0xe9]), "LO"), "Jé"); // read as Latin-1
 * assert.equal(warnings.length, 1);
 * ```
 */
export class SpecificCharacterSet {
  /** The values of (0008,0005) as given, trimmed of padding; `[]` for the default repertoire. */
  readonly terms: readonly string[];
  /**
   * True when only the default repertoire (ISO-IR 6, ASCII) is in effect: no
   * (0008,0005), an empty one, or "ISO_IR 6". Non-ASCII bytes are then read as
   * Latin-1, without a warning, so that mislabelled data stays legible.
   */
  readonly isDefault: boolean;
  readonly #plan: CharsetPlan;
  readonly #label: string;
  readonly #onWarning: ((message: string) => void) | undefined;
  readonly #replace: boolean;

  /**
   * Resolves the terms of (0008,0005).
   *
   * @param terms The values of (0008,0005), or its raw value with "\" between
   * values; `undefined` or `[]` when the attribute is absent.
   * @param options Warning callback and the policy for unencodable characters.
   */
  constructor(
    terms?: readonly string[] | string | undefined,
    options: SpecificCharacterSetOptions = {},
  ) {
    if (terms !== undefined && typeof terms !== "string" && !Array.isArray(terms)) {
      throw new TypeError("Cannot create SpecificCharacterSet: terms must be a string or an array");
    }
    const { onWarning, unencodable = "throw" } = options;
    if (unencodable !== "throw" && unencodable !== "replace") {
      throw new TypeError(
        `Cannot create SpecificCharacterSet: unencodable must be "throw" or "replace", not "${unencodable}"`,
      );
    }
    const list = terms === undefined ? [] : typeof terms === "string" ? terms.split("\\") : terms;
    this.terms = Object.freeze(list.map((t) => String(t).trim()));
    this.#label = this.terms.join("\\");
    this.#onWarning = onWarning;
    this.#replace = unencodable === "replace";
    this.#plan = resolveTerms(this.terms, (m) => this.#warn(m));
    this.isDefault = this.#plan.kind === "default";
    Object.freeze(this);
  }

  #warn(message: string): void {
    this.#onWarning?.(message);
  }

  /**
   * Decodes the value field of a text element (all its values, with their
   * delimiters). Escape sequences are interpreted but not returned, and the
   * initial designations are restored after each control character, after
   * "\" (except in ST, LT and UT) and after PN's "^" and "=" (PS3.5
   * §6.1.2.5.3). Never throws.
   *
   * @param bytes The value field, padding included.
   * @param vr The element's VR; VRs other than SH, LO, ST, LT, PN, UC and UT
   * are read in the default repertoire.
   * @returns The decoded text.
   */
  decode(bytes: Uint8Array, vr: string): string {
    const delims = delimitersFor(vr);
    const plan = delims === undefined ? DEFAULT_PLAN : this.#plan;
    if (plan.kind === "default" || plan === DEFAULT_PLAN) return latin1String(bytes);
    if (plan.kind === "iso2022") {
      return decodeIso2022(plan, bytes, delims!, (problem) => {
        this.#warn(
          `Specific Character Set "${this.#label}": cannot decode ${vr} value: ${problem}`,
        );
      });
    }
    if (isPlainAscii(bytes)) return latin1String(bytes);
    const label = plan.encoding === "utf-8" ? "utf-8" : "gb18030";
    try {
      return sharedDecoder(label, true).decode(bytes);
    } catch {
      this.#warn(
        `Specific Character Set "${this.#label}": invalid ${plan.encoding} bytes in ${vr} value replaced by U+FFFD`,
      );
      return sharedDecoder(label).decode(bytes);
    }
  }

  /**
   * Encodes text as the value field of a text element (join multiple values
   * with "\" first). With code extensions each character is written in the
   * first declared set that has it, designated by its escape sequence, and the
   * initial designations are restored before each delimiter and at the end
   * (PS3.5 §6.1.2.5.3; Examples H.3-1, H.3-2, I.2-1 and K.2-1 come out byte for
   * byte). No padding is added.
   *
   * @param text The value(s) to encode.
   * @param vr The element's VR; VRs other than SH, LO, ST, LT, PN, UC and UT
   * accept ISO-IR 6 (ASCII) only.
   * @returns The encoded bytes.
   * @throws {RangeError} If a character has no code in the declared sets and
   * `unencodable` is `"throw"`.
   */
  encode(text: string, vr: string): Uint8Array {
    const delims = delimitersFor(vr);
    const plan = delims === undefined ? DEFAULT_PLAN : this.#plan;
    const unencodable: Unencodable = (cp, index) => {
      const where = delims === undefined
        ? `in a ${vr} value (default repertoire only)`
        : `with Specific Character Set "${this.#label}"`;
      const message = `Cannot encode ${describeCodePoint(cp)} at index ${index} ${where}`;
      if (!this.#replace) throw new RangeError(message);
      this.#warn(`${message}; wrote "?" instead`);
      return 0x3f;
    };
    switch (plan.kind) {
      case "default":
        return encodeIso2022(DEFAULT_PLAN, text, TEXT_DELIMITERS, unencodable);
      case "iso2022":
        return encodeIso2022(plan, text, delims ?? TEXT_DELIMITERS, unencodable);
      case "standAlone":
        if (plan.encoding !== "utf-8") return encodeGb(text, plan.encoding === "gbk", unencodable);
        return asciiBytes(text) ?? utf8Encoder.encode(wellFormed(text, unencodable));
    }
  }
}

/** `text` with each lone surrogate replaced through `unencodable` (UTF-8 cannot carry them). */
function wellFormed(text: string, unencodable: Unencodable): string {
  if (text.isWellFormed()) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) {
      out += text[i]! + text[i + 1]!;
      i++;
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      out += String.fromCodePoint(unencodable(cp, i));
    } else {
      out += text[i]!;
    }
  }
  return out;
}
