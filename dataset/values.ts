/**
 * Conversions between element value bytes and JS values (PS3.5 §6.2): one
 * set of padding, trimming and number rules for the data set codec and the
 * DIMSE command set codec. Most callers go through `Dataset`'s getters and
 * the encoder instead.
 *
 * @module
 */
import type { Vr } from "./vr.ts";
import { isMultiValuedText, paddingByte, wordSize } from "./vr.ts";
import type { PrimitiveValue } from "./element.ts";

const LATIN1 = new TextDecoder("latin1");

/**
 * Decodes bytes of the default repertoire (ISO-IR 6) without a decoder for short values.
 *
 * @example
 * ```ts
 * import { decodeAscii } from "./values.ts";
 * console.log(decodeAscii(new Uint8Array([0x43, 0x54]))); // "CT"
 * ```
 */
export function decodeAscii(bytes: Uint8Array): string {
  if (bytes.length > 256) return LATIN1.decode(bytes);
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/**
 * Encodes text of the default repertoire; code points above 0xFF become "?".
 *
 * @example
 * ```ts
 * import { encodeAscii } from "./values.ts";
 * console.log(encodeAscii("CT")); // Uint8Array(2) [ 67, 84 ]
 * ```
 */
export function encodeAscii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c > 0xff ? 0x3f : c;
  }
  return out;
}

/**
 * Removes the padding and insignificant spaces of one value (PS3.5 Table
 * 6.2-1): trailing only for PN, LT, ST, UT, UC and UR, where leading spaces are
 * significant; both ends for the others; UI is padded with NUL.
 */
export function trimValue(vr: Vr, value: string): string {
  switch (vr) {
    case "PN":
    case "LT":
    case "ST":
    case "UT":
    case "UC":
    case "UR":
      return value.replace(/[ \0]+$/, "");
    case "UI":
      return value.replace(/[\0 ]+$/, "").replace(/^ +/, "");
    default:
      return value.replace(/^ +|[ \0]+$/g, "");
  }
}

/**
 * Splits decoded text into values and trims each (PS3.5 §6.4 value multiplicity).
 *
 * @example
 * ```ts
 * import { splitText } from "./values.ts";
 * console.log(splitText("CS", "ORIGINAL\\PRIMARY ")); // [ "ORIGINAL", "PRIMARY" ]
 * ```
 */
export function splitText(vr: Vr, text: string): string[] {
  if (text.length === 0) return [];
  if (!isMultiValuedText(vr)) return [trimValue(vr, text)];
  const parts = text.split("\\");
  for (let i = 0; i < parts.length; i++) parts[i] = trimValue(vr, parts[i]!);
  if (parts.length === 1 && parts[0] === "") return [];
  return parts;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes the values of a binary numeric VR from little endian bytes; AT gives tags.
 *
 * @example
 * ```ts
 * import { decodeNumbers } from "./values.ts";
 * console.log(decodeNumbers("US", new Uint8Array([1, 0, 2, 0]))); // [ 1, 2 ]
 * ```
 */
export function decodeNumbers(vr: Vr, bytes: Uint8Array): number[] {
  const size = wordSize(vr);
  if (size === 0) return [];
  const v = view(bytes);
  const count = Math.floor(bytes.length / size);
  const out = new Array<number>(count);
  for (let i = 0, p = 0; i < count; i++, p += size) {
    switch (vr) {
      case "US":
      case "OW":
        out[i] = v.getUint16(p, true);
        break;
      case "SS":
        out[i] = v.getInt16(p, true);
        break;
      case "UL":
      case "OL":
        out[i] = v.getUint32(p, true);
        break;
      case "SL":
        out[i] = v.getInt32(p, true);
        break;
      case "FL":
      case "OF":
        out[i] = v.getFloat32(p, true);
        break;
      case "FD":
      case "OD":
        out[i] = v.getFloat64(p, true);
        break;
      case "SV":
        out[i] = Number(v.getBigInt64(p, true));
        break;
      case "UV":
      case "OV":
        out[i] = Number(v.getBigUint64(p, true));
        break;
      case "AT": {
        // PS3.5 §6.2: AT is a pair of 16-bit values, group then element.
        const count2 = Math.floor(bytes.length / 4);
        const tags = new Array<number>(count2);
        for (let j = 0; j < count2; j++) {
          tags[j] = ((v.getUint16(j * 4, true) << 16) | v.getUint16(j * 4 + 2, true)) >>> 0;
        }
        return tags;
      }
    }
  }
  return out;
}

/** Decodes SV, UV and OV values as 64-bit integers. */
export function decodeBigInts(vr: Vr, bytes: Uint8Array): bigint[] {
  const v = view(bytes);
  const out: bigint[] = [];
  for (let p = 0; p + 8 <= bytes.length; p += 8) {
    out.push(vr === "SV" ? v.getBigInt64(p, true) : v.getBigUint64(p, true));
  }
  return out;
}

const RANGES: Partial<Record<Vr, readonly [number, number]>> = {
  US: [0, 0xffff],
  OW: [0, 0xffff],
  SS: [-0x8000, 0x7fff],
  UL: [0, 0xffffffff],
  OL: [0, 0xffffffff],
  SL: [-0x80000000, 0x7fffffff],
  AT: [0, 0xffffffff],
};

/**
 * Encodes numeric values of a binary VR as little endian bytes; throws RangeError when out of range.
 *
 * @example
 * ```ts
 * import { encodeNumbers } from "./values.ts";
 * console.log(encodeNumbers("US", [1, 2])); // Uint8Array(4) [ 1, 0, 2, 0 ]
 * ```
 */
export function encodeNumbers(vr: Vr, values: readonly PrimitiveValue[]): Uint8Array {
  const size = wordSize(vr);
  if (vr === "AT") {
    const out = new Uint8Array(values.length * 4);
    const v = view(out);
    values.forEach((x, i) => {
      const tag = checkRange(vr, x);
      v.setUint16(i * 4, tag >>> 16, true);
      v.setUint16(i * 4 + 2, tag & 0xffff, true);
    });
    return out;
  }
  const out = new Uint8Array(values.length * size);
  const v = view(out);
  values.forEach((x, i) => {
    const p = i * size;
    switch (vr) {
      case "SV":
        v.setBigInt64(p, BigInt(x), true);
        return;
      case "UV":
      case "OV":
        v.setBigUint64(p, BigInt(x), true);
        return;
      case "FL":
      case "OF":
        v.setFloat32(p, Number(x), true);
        return;
      case "FD":
      case "OD":
        v.setFloat64(p, Number(x), true);
        return;
    }
    const n = checkRange(vr, x);
    if (size === 2) v.setUint16(p, n & 0xffff, true);
    else v.setUint32(p, n >>> 0, true);
  });
  return out;
}

function checkRange(vr: Vr, x: PrimitiveValue): number {
  const n = typeof x === "number" ? x : Number(x);
  const range = RANGES[vr];
  if (!Number.isInteger(n) || (range && (n < range[0] || n > range[1]))) {
    throw new RangeError(`Cannot encode ${String(x)} as ${vr}: not an integer in its range`);
  }
  return n;
}

/**
 * Formats a number as a Decimal String of at most 16 bytes (PS3.5 Table 6.2-1, DS).
 * Throws RangeError for NaN and infinities, which DS cannot hold.
 */
export function formatDecimalString(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`Cannot encode ${n} as DS: not finite`);
  let s = String(n);
  if (s.length <= 16) return s;
  for (let p = 15; p > 0; p--) {
    s = n.toPrecision(p).replace(/(\.\d*?)0+(e|$)/, "$1$2").replace(/\.(e|$)/, "$1");
    if (s.length <= 16) return s;
  }
  throw new RangeError(`Cannot encode ${n} as DS in 16 bytes`);
}

/** Converts a value given through the API to the text of a string VR (numbers allowed). */
export function toText(vr: Vr, x: PrimitiveValue): string {
  if (typeof x === "string") return x;
  if (vr === "IS") {
    const n = Number(x);
    if (!Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) {
      throw new RangeError(`Cannot encode ${String(x)} as IS: not a 32-bit integer`);
    }
    return String(n);
  }
  if (vr === "DS") return formatDecimalString(Number(x));
  return String(x);
}

/**
 * Pads `bytes` to even length with the VR's padding byte (PS3.5 §7.1), copying only when odd.
 *
 * @example
 * ```ts
 * import { padEven } from "./values.ts";
 * console.log(padEven("UI", new Uint8Array([0x31]))); // Uint8Array(2) [ 49, 0 ]
 * ```
 */
export function padEven(vr: Vr, bytes: Uint8Array): Uint8Array {
  if ((bytes.length & 1) === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = paddingByte(vr);
  return out;
}
