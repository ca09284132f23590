/**
 * The ISO/IEC 2022 state machine DICOM uses for every character set except
 * UTF-8, GB18030 and GBK (PS3.5 §6.1.2.4 and §6.1.2.5): two code elements, G0
 * invoked in GL (00/00-07/15) and G1 invoked in GR (08/00-15/15), redesignated
 * by escape sequences, and reset to the initial designations at the delimiters
 * of §6.1.2.5.3.
 *
 * Internal module: pure functions over bytes and strings.
 *
 * @module
 */

import { type GraphicSet, setForEscape } from "./_charset_tables.ts";
import type { CharsetPlan } from "./_charset_terms.ts";

/** The ISO 2022 plan variant. */
export type Iso2022Plan = Extract<CharsetPlan, { kind: "iso2022" }>;

/**
 * A 128-entry flag table: 1 marks a GL byte before which (when encoding) and
 * after which (when decoding) the initial designations are in effect again.
 */
export type Delimiters = Uint8Array;

function delimiters(graphic: string): Delimiters {
  const table = new Uint8Array(128);
  // PS3.5 §6.1.2.5.3: before CR, LF, FF "and any other Control Character other than ESC".
  for (let b = 0; b < 0x20; b++) if (b !== 0x1b) table[b] = 1;
  for (const c of graphic) table[c.charCodeAt(0)] = 1;
  return table;
}

/** PN: the value delimiter 05/12 and the "^" and "=" of component (group) boundaries. */
export const PN_DELIMITERS: Delimiters = delimiters("\\^=");
/** SH, LO, UC and other multi-valued strings: the value delimiter 05/12 ("\"). */
export const VALUE_DELIMITERS: Delimiters = delimiters("\\");
/** ST, LT, UT: control characters only (05/12 is text there, PS3.5 §6.1.2.3). */
export const TEXT_DELIMITERS: Delimiters = delimiters("");

const ESC = 0x1b;
const U_FFFD = 0xfffd;

/** Reports whether every byte is below 08/00 and none is ESC. */
export function isPlainAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x80 || b === ESC) return false;
  }
  return true;
}

/** Bytes 00/00-15/15 as U+0000-U+00FF (ISO 8859-1), in chunks that `apply` accepts. */
export function latin1String(bytes: Uint8Array | Uint16Array, length = bytes.length): string {
  const CHUNK = 0x2000;
  if (length <= CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(0, length) as unknown as number[]);
  }
  let text = "";
  for (let i = 0; i < length; i += CHUNK) {
    const chunk = bytes.subarray(i, Math.min(i + CHUNK, length));
    text += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return text;
}

/** Parses ESC I* F (ISO/IEC 2022 §13.1) at `at`; the text after ESC and the end offset. */
function parseEscape(bytes: Uint8Array, at: number): { text: string; end: number } | undefined {
  let i = at + 1;
  let text = "";
  while (i < bytes.length && bytes[i]! >= 0x20 && bytes[i]! <= 0x2f) {
    text += String.fromCharCode(bytes[i++]!);
  }
  const final = bytes[i];
  if (final === undefined || final < 0x30 || final > 0x7e || text === "") return undefined;
  return { text: text + String.fromCharCode(final), end: i + 1 };
}

/**
 * Decodes one value field. Bytes that cannot be decoded become U+FFFD, except a
 * GR byte while no G1 set is designated, which is read as Latin-1 so that it
 * stays visible; the first such problem is reported through `warn`.
 */
export function decodeIso2022(
  plan: Iso2022Plan,
  bytes: Uint8Array,
  delims: Delimiters,
  warn: (problem: string) => void,
): string {
  if (isPlainAscii(bytes)) return latin1String(bytes);
  const out = new Uint16Array(bytes.length);
  let k = 0;
  let g0 = plan.g0;
  let g1 = plan.g1;
  let t0 = g0.width === 2 ? g0.decodeTable() : undefined;
  let t1 = g1?.decodeTable();
  let problem: string | undefined;
  const note = (what: string, at: number): void => {
    problem ??= `${what} at byte ${at}`;
  };
  const reset = (): void => {
    if (g0 !== plan.g0) {
      g0 = plan.g0;
      t0 = undefined;
    }
    if (g1 !== plan.g1) {
      g1 = plan.g1;
      t1 = g1?.decodeTable();
    }
  };

  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      if (b === ESC && plan.escapes) {
        const esc = parseEscape(bytes, i);
        const set = esc && setForEscape(esc.text);
        if (esc === undefined || set === undefined) {
          note(`unknown escape sequence ESC ${esc?.text ?? ""}`.trimEnd(), i);
          out[k++] = b;
          i++;
          continue;
        }
        if (!plan.sets.includes(set) && set.name !== "ISO-IR 6" && set.name !== "ISO-IR 14") {
          note(`escape sequence for undeclared ${set.name}`, i);
        }
        if (set.register === 0) {
          g0 = set;
          t0 = set.width === 2 ? set.decodeTable() : undefined;
        } else {
          g1 = set;
          t1 = set.decodeTable();
        }
        i = esc.end;
        continue;
      }
      if (t0 === undefined || b <= 0x20 || b === 0x7f) {
        // One-byte G0 (ISO-IR 6 or 14, both read as ASCII), SPACE, DEL or a control.
        out[k++] = b;
        i++;
        if (delims[b] === 1) reset();
        continue;
      }
      const b2 = bytes[i + 1];
      if (b2 !== undefined && b2 >= 0x21 && b2 <= 0x7e) {
        const unit = t0[(b - 0x21) * 94 + (b2 - 0x21)]!;
        if (unit === U_FFFD) note(`undefined ${g0.name} code`, i);
        out[k++] = unit;
        i += 2;
      } else {
        note(`incomplete ${g0.name} character`, i);
        out[k++] = U_FFFD;
        i++;
      }
      continue;
    }
    if (t1 === undefined || g1 === undefined) {
      note(`byte 0x${b.toString(16)} with no G1 set designated (read as Latin-1)`, i);
      out[k++] = b;
      i++;
      continue;
    }
    if (g1.width === 1) {
      const unit = t1[b - 0x80]!;
      if (unit === U_FFFD) note(`undefined ${g1.name} code 0x${b.toString(16)}`, i);
      out[k++] = unit;
      i++;
      continue;
    }
    const b2 = bytes[i + 1];
    if (b >= 0xa1 && b <= 0xfe && b2 !== undefined && b2 >= 0xa1 && b2 <= 0xfe) {
      const unit = t1[(b - 0xa1) * 94 + (b2 - 0xa1)]!;
      if (unit === U_FFFD) note(`undefined ${g1.name} code`, i);
      out[k++] = unit;
      i += 2;
    } else {
      note(`incomplete ${g1.name} character`, i);
      out[k++] = U_FFFD;
      i++;
    }
  }
  if (problem !== undefined) warn(problem);
  return latin1String(out, k);
}

/** A growable byte buffer for the encoder, whose output size is not known up front. */
class ByteSink {
  #buf: Uint8Array;
  #n = 0;
  constructor(capacity: number) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }
  #room(extra: number): void {
    if (this.#n + extra <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#n + extra));
    bigger.set(this.#buf.subarray(0, this.#n));
    this.#buf = bigger;
  }
  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#n++] = b;
  }
  bytes(bs: Uint8Array): void {
    this.#room(bs.length);
    this.#buf.set(bs, this.#n);
    this.#n += bs.length;
  }
  result(): Uint8Array {
    return this.#buf.slice(0, this.#n);
  }
}

/**
 * Called for a code point no declared set can represent, with its UTF-16
 * index; returns the code point to write instead (or throws).
 */
export type Unencodable = (codePoint: number, index: number) => number;

/** Text of only U+0000-U+007F as bytes, or undefined if any unit is beyond. */
export function asciiBytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return undefined;
    out[i] = c;
  }
  return out;
}

/**
 * Encodes one value field. Each character goes to the first set of
 * `plan.sets` that has it: value 1's G0 and G1, then values 2..n in order.
 * An escape sequence designates a set before its first use after each
 * delimiter, and the initial designations are restored before every delimiter
 * and at the end of the value (PS3.5 §6.1.2.5.3; Annex H, I and K examples).
 */
export function encodeIso2022(
  plan: Iso2022Plan,
  text: string,
  delims: Delimiters,
  unencodable: Unencodable,
): Uint8Array {
  const ascii = asciiBytes(text);
  if (ascii !== undefined) return ascii; // G0 of every plan reads 00/00-07/15 as ASCII
  const sink = new ByteSink(text.length * 2 + 8);
  let g0: GraphicSet = plan.g0;
  let g1: GraphicSet | undefined = plan.g1;
  const restore = (): void => {
    if (g0 !== plan.g0) {
      sink.bytes(plan.g0.escape);
      g0 = plan.g0;
    }
    if (g1 !== plan.g1) {
      // With value 1 empty, G1 has no initial set: nothing to restore, but the
      // next use designates again, as PS3.5 Examples I.2-1 and K.2-1 show.
      if (plan.g1 !== undefined) sink.bytes(plan.g1.escape);
      g1 = plan.g1;
    }
  };

  for (let i = 0; i < text.length; i++) {
    let cp = text.codePointAt(i)!;
    const index = i;
    if (cp > 0xffff) i++;
    if (cp < 0x80 && delims[cp] === 1) {
      restore();
      sink.byte(cp);
      continue;
    }
    let set: GraphicSet | undefined;
    let code = -1;
    for (const candidate of plan.sets) {
      code = candidate.encode(cp);
      if (code >= 0) {
        set = candidate;
        break;
      }
    }
    if (set === undefined) {
      cp = unencodable(cp, index);
      set = plan.g0;
      code = cp;
    }
    if (set.register === 0) {
      if (g0 !== set) {
        sink.bytes(set.escape);
        g0 = set;
      }
    } else if (g1 !== set) {
      sink.bytes(set.escape);
      g1 = set;
    }
    if (set.width === 1) {
      sink.byte(code);
    } else {
      const offset = set.register === 0 ? 0x21 : 0xa1;
      sink.byte(offset + Math.floor(code / 94));
      sink.byte(offset + (code % 94));
    }
  }
  restore();
  return sink.result();
}
