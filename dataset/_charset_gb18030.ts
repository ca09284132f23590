/**
 * Encoders for GB18030 and GBK (PS3.3 Table C.12-5; PS3.5 Annex J), which the
 * runtime can decode but not encode. The reverse table is derived once from the
 * runtime's `gb18030` decoder: every two-byte code (GBK), then every four-byte
 * code of the Basic Multilingual Plane; supplementary planes are linear.
 *
 * Internal module: pure functions.
 *
 * @module
 */

import { sharedDecoder } from "./_charset_tables.ts";
import type { Unencodable } from "./_charset_iso2022.ts";

/** BMP code unit -> code: `0xXXYY` for two bytes, `0xWWXXYYZZ` for four; 0 = none. */
let table: Uint32Array | undefined;

/** Four-byte pointer (GB18030 linear index) to its four bytes, packed. */
function fourBytes(pointer: number): number {
  const b1 = 0x81 + Math.floor(pointer / 12600);
  const b2 = 0x30 + (Math.floor(pointer / 1260) % 10);
  const b3 = 0x81 + (Math.floor(pointer / 10) % 126);
  const b4 = 0x30 + (pointer % 10);
  return ((b1 << 24) | (b2 << 16) | (b3 << 8) | b4) >>> 0;
}

function fill(codes: number[], bytes: Uint8Array, width: number, into: Uint32Array): void {
  const d = sharedDecoder("gb18030");
  let text = d.decode(bytes);
  const perCode = text.length === codes.length;
  for (let i = 0; i < codes.length; i++) {
    if (!perCode) text = d.decode(bytes.subarray(i * width, i * width + width));
    const unit = perCode ? text.charCodeAt(i) : text.length === 1 ? text.charCodeAt(0) : 0xfffd;
    if (unit !== 0xfffd && into[unit] === 0) into[unit] = codes[i]!;
  }
}

function build(): Uint32Array {
  const into = new Uint32Array(0x10000);
  // Two-byte codes: lead 08/01-15/14, trail 04/00-07/14 and 08/00-15/14.
  const two: number[] = [];
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail !== 0x7f) two.push((lead << 8) | trail);
    }
  }
  const twoBytes = new Uint8Array(two.length * 2);
  two.forEach((code, i) => {
    twoBytes[i * 2] = code >> 8;
    twoBytes[i * 2 + 1] = code & 0xff;
  });
  fill(two, twoBytes, 2, into);
  // Four-byte codes of the BMP: pointers 0-39419 (0x81308130-0x8431A439).
  const four: number[] = [];
  for (let p = 0; p <= 39419; p++) four.push(fourBytes(p));
  const fourBytesArray = new Uint8Array(four.length * 4);
  four.forEach((code, i) => {
    fourBytesArray[i * 4] = code >>> 24;
    fourBytesArray[i * 4 + 1] = (code >> 16) & 0xff;
    fourBytesArray[i * 4 + 2] = (code >> 8) & 0xff;
    fourBytesArray[i * 4 + 3] = code & 0xff;
  });
  fill(four, fourBytesArray, 4, into);
  return into;
}

/** Encodes `text` as GB18030 (`gbk` false) or GBK (`gbk` true: two-byte codes only). */
export function encodeGb(text: string, gbk: boolean, unencodable: Unencodable): Uint8Array {
  table ??= build();
  const out = new Uint8Array(text.length * 4);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    const index = i;
    if (cp > 0xffff) i++;
    let code: number;
    if (cp < 0x80) code = cp;
    else if (cp > 0xffff) code = gbk ? 0 : fourBytes(cp - 0x10000 + 189000);
    else if (cp >= 0xd800 && cp <= 0xdfff) code = 0; // lone surrogate
    else code = table[cp]!;
    if (code === 0 && cp !== 0) code = -1;
    if (gbk && code > 0xffff) code = -1;
    if (code < 0) code = unencodable(cp, index);
    if (code > 0xffff) {
      out[n++] = code >>> 24;
      out[n++] = (code >> 16) & 0xff;
      out[n++] = (code >> 8) & 0xff;
      out[n++] = code & 0xff;
    } else if (code > 0xff) {
      out[n++] = code >> 8;
      out[n++] = code & 0xff;
    } else {
      out[n++] = code;
    }
  }
  return out.slice(0, n);
}
