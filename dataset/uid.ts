/**
 * The form of a UID (PS3.5 §9.1): components of digits separated by `.`,
 * none empty, none with a leading zero unless it is `0` itself, at most 64
 * characters in all.
 *
 * @module
 */

/** Options of {@linkcode uidProblem}. */
export interface UidProblemOptions {
  /**
   * Also refuse components with a leading zero (`1.2.05`), which PS3.5
   * forbids but some equipment writes; without it they pass, since such
   * UIDs are still unambiguous and safe to use as names.
   *
   * @default {false}
   */
  strict?: boolean;
}

/** The longest UID, PS3.5 §9.1 (and the UI value length of Table 6.2-1). */
export const MAX_UID_LENGTH = 64;

/**
 * Why `uid` is not a UID of PS3.5 §9.1, or `undefined` when it is one.
 * Trailing NUL padding (PS3.5 §9.1) is not part of the UID: strip it first.
 *
 * @example Check UIDs from a peer
 * ```ts
 * import { uidProblem } from "./uid.ts";
 * console.log(uidProblem("1.2.840.10008.1.2.1")); // undefined
 * console.log(uidProblem("1.2.3/4")); // 'has "/", not a digit or "."'
 * console.log(uidProblem("1.2.05")); // undefined
 * console.log(uidProblem("1.2.05", { strict: true })); // 'has a component with a leading zero'
 * ```
 */
export function uidProblem(uid: string, options: UidProblemOptions = {}): string | undefined {
  if (uid.length === 0) return "is empty";
  if (uid.length > MAX_UID_LENGTH) {
    return `is ${uid.length} characters long, more than ${MAX_UID_LENGTH}`;
  }
  const bad = /[^0-9.]/.exec(uid);
  if (bad) return `has ${JSON.stringify(bad[0])}, not a digit or "."`;
  const components = uid.split(".");
  if (components.some((c) => c === "")) return "has an empty component";
  if (options.strict && components.some((c) => c.length > 1 && c[0] === "0")) {
    return "has a component with a leading zero";
  }
  return undefined;
}

/**
 * A new UID under the `2.25` root (PS3.5 §B.2): `2.25.` followed by the
 * decimal form of a random (version 4) UUID, 128 bits with 122 random, so
 * that UIDs made anywhere without coordination do not collide.
 *
 * @example
 * ```ts
 * import { generateUid, uidProblem } from "./uid.ts";
 * const uid = generateUid();
 * console.log(uid.startsWith("2.25."), uidProblem(uid)); // true undefined
 * ```
 */
export function generateUid(): string {
  return `2.25.${BigInt(`0x${crypto.randomUUID().replaceAll("-", "")}`)}`;
}
