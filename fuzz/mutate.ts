/**
 * Seeded mutation of DICOM bytes for `deno task fuzz` (issue 11): generic
 * byte mutators plus structure-aware ones that know an element header
 * (PS3.5 §7.1): a VR swap, an undefined length (FFFFFFFFH) and a sequence
 * nesting bomb (PS3.5 §7.5).
 *
 * @module
 */
import { hasLongHeader, isVr, VRS } from "../dataset/vr.ts";

/**
 * mulberry32: a small seeded PRNG, so a seed and a case index reproduce a case.
 *
 * @param seed Any 32-bit integer.
 * @returns A function giving uniformly distributed numbers in [0, 1).
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The VRs of PS3.5 Table 6.2-1 as 16-bit codes, to find an element header. */
const VR_CODES = new Set(VRS.map((v) => v.charCodeAt(0) << 8 | v.charCodeAt(1)));

/** The offset of the next explicit VR from `from` on (wrapping), or -1. */
function findVr(b: Uint8Array, from: number): number {
  for (let k = 0; k < b.length; k++) {
    const i = (from + k) % b.length;
    if (i >= 4 && i + 1 < b.length && VR_CODES.has(b[i]! << 8 | b[i + 1]!)) return i;
  }
  return -1;
}

/**
 * Nested sequences of undefined length, `depth` deep and never closed: a
 * Referenced Image Sequence (0008,1140) holding an item holding the next.
 *
 * @param depth How many sequences to nest.
 * @param explicit Whether to write explicit VR headers (else implicit VR).
 * @returns The bytes, little endian.
 */
export function sequenceBomb(depth: number, explicit: boolean): Uint8Array {
  const sq = explicit
    ? [0x08, 0x00, 0x40, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]
    : [0x08, 0x00, 0x40, 0x11, 0xff, 0xff, 0xff, 0xff];
  const item = [0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff];
  const unit = [...sq, ...item];
  const out = new Uint8Array(unit.length * depth);
  for (let i = 0; i < depth; i++) out.set(unit, i * unit.length);
  return out;
}

function insert(b: Uint8Array, at: number, bytes: Uint8Array): Uint8Array {
  const n = new Uint8Array(b.length + bytes.length);
  n.set(b.subarray(0, at));
  n.set(bytes, at);
  n.set(b.subarray(at), at + bytes.length);
  return n;
}

/**
 * Mutates a copy of `seed` with 1 to 4 mutators chosen by `rand`: bit flip,
 * byte insert or delete, a 32-bit length set to an edge value, truncation,
 * a splice with `other`, a VR swap, an undefined length on an element, or
 * a sequence depth bomb.
 *
 * @param seed Valid bytes to start from; not modified.
 * @param other A second seed, spliced in by one of the mutators.
 * @param rand The seeded random source (see {@linkcode prng}).
 * @returns The mutated bytes.
 */
export function mutate(seed: Uint8Array, other: Uint8Array, rand: () => number): Uint8Array {
  let b: Uint8Array = seed.slice();
  const int = (n: number) => Math.floor(rand() * n);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = int(b.length + 1);
    switch (int(10)) {
      case 0: // bit flip
        if (b.length > 0) b[at % b.length]! ^= 1 << int(8);
        break;
      case 1: // byte insert
        b = insert(b, at, new Uint8Array([int(256)]));
        break;
      case 2: // byte delete
        if (b.length > 0) b = insert(b.subarray(0, at), at, b.subarray(at + 1));
        break;
      case 3: { // a 32-bit length field: 0, odd, huge, off by one, undefined
        if (b.length < 4) break;
        const o = int(b.length - 3);
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const le = rand() < 0.5;
        const old = v.getUint32(o, le);
        const choices = [0, 1, 0x7fffffff, 0xffffffff, old + 1, old - 1, old | 1];
        v.setUint32(o, choices[int(choices.length)]! >>> 0, le);
        break;
      }
      case 4: // truncation
        b = b.subarray(0, at);
        break;
      case 5: { // splice of two seeds
        const from = int(other.length + 1);
        b = insert(b.subarray(0, at), at, other.subarray(from));
        break;
      }
      case 6: { // VR swap at an element header
        const i = findVr(b, at);
        if (i < 0) break;
        const vr = VRS[int(VRS.length)]!;
        b[i] = vr.charCodeAt(0);
        b[i + 1] = vr.charCodeAt(1);
        break;
      }
      case 7: { // undefined length (FFFFFFFFH) on an element
        const i = findVr(b, at);
        if (i < 0) break;
        const vr = String.fromCharCode(b[i]!, b[i + 1]!);
        const [o, n] = isVr(vr) && hasLongHeader(vr) ? [i + 4, 4] : [i + 2, 2];
        if (o + n <= b.length) b.fill(0xff, o, o + n);
        break;
      }
      case 8: { // sequence depth bomb at an element boundary
        const i = findVr(b, at);
        const bomb = sequenceBomb(1 + int(rand() < 0.1 ? 20_000 : 200), i >= 0);
        b = insert(b, i >= 4 ? i - 4 : b.length, bomb);
        break;
      }
      default: { // a run of bytes set to 00H or FFH
        const n = 1 + int(8);
        b.fill(rand() < 0.5 ? 0 : 0xff, at, Math.min(at + n, b.length));
      }
    }
  }
  return b;
}
