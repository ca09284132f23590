/**
 * Joining byte chunks, as the layers that gather fragments need.
 *
 * @module
 */

/**
 * Joins chunks into one array; a single chunk is returned as it is, not
 * copied. `length`, when known, saves summing the chunks.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./mod.ts";
 * console.log(concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])])); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(
  chunks: readonly Uint8Array[],
  length: number = chunks.reduce((n, c) => n + c.length, 0),
): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
