import { checkTag } from "./_check_tag.ts";

/**
 * Formats a tag the way the standard writes it: `"(gggg,eeee)"` in upper-case
 * hexadecimal.
 *
 * @example Usage
 * ```ts
 * import { formatTag } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatTag(0x7fe0_0010), "(7FE0,0010)");
 * ```
 *
 * @param tag The tag, `(group << 16 | element) >>> 0`.
 * @returns The tag as `"(gggg,eeee)"`.
 * @throws {RangeError} If `tag` is not an integer from 0 to 0xFFFFFFFF.
 */
export function formatTag(tag: number): string {
  checkTag(tag, "format");
  const hex = tag.toString(16).toUpperCase().padStart(8, "0");
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
