import { tagForKeyword } from "./element.ts";

const TAG_TEXT = /^(?:\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)|([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4}))$/;

/**
 * Parses a tag written as `"(gggg,eeee)"`, `"gggg,eeee"` or `"ggggeeee"` in
 * hexadecimal (either case), or as a data element keyword such as
 * `"PatientID"`.
 *
 * @example Usage
 * ```ts
 * import { parseTag } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseTag("(0010,0020)"), 0x0010_0020);
 * assert.equal(parseTag("0010,0020"), 0x0010_0020);
 * assert.equal(parseTag("7fe00010"), 0x7fe0_0010);
 * assert.equal(parseTag("PatientID"), 0x0010_0020);
 * assert.throws(() => parseTag("(0010,20)"), TypeError);
 * ```
 *
 * @param text The tag as text.
 * @returns The tag, `(group << 16 | element) >>> 0`.
 * @throws {TypeError} If `text` is none of these forms or an unknown keyword.
 */
export function parseTag(text: string): number {
  if (typeof text === "string") {
    const match = TAG_TEXT.exec(text);
    if (match !== null) {
      const group = match[1] ?? match[3] ?? "";
      const element = match[2] ?? match[4] ?? "";
      return parseInt(group + element, 16);
    }
    const tag = tagForKeyword(text);
    if (tag !== undefined) return tag;
  }
  throw new TypeError(
    `Cannot parse tag ${
      JSON.stringify(text)
    }: expected "(gggg,eeee)", "gggg,eeee" or "ggggeeee" in hexadecimal, or a data element keyword such as "PatientID"`,
  );
}
