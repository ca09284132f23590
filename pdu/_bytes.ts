/**
 * Internal byte-level helpers shared by the PDU codecs: a writer that runs
 * twice (once to measure, once to fill a buffer allocated once) and a reader
 * that bounds-checks every field against its parent and reports failures as
 * {@linkcode PduDecodeError}s. PS3.8 §9.3: all PDU header fields are Big
 * Endian unsigned binary numbers; strings are one byte per character.
 *
 * @module
 */

import { PduDecodeError, type PduDecodeErrorCode } from "./errors.ts";
import type { UnknownItem } from "./types.ts";

/**
 * A byte sink. Without a target it only counts bytes (`offset` is then the
 * encoded size); with one it writes. Encoders call the same code with both,
 * so sizes and bytes cannot disagree.
 */
export class _Writer {
  /** Bytes written (or counted) so far. */
  offset = 0;
  readonly #bytes: Uint8Array | undefined;
  readonly #view: DataView | undefined;

  constructor(target?: Uint8Array) {
    this.#bytes = target;
    this.#view = target && new DataView(target.buffer, target.byteOffset, target.byteLength);
  }

  u8(value: number, field: string): void {
    _checkUint(value, 0xff, field);
    if (this.#bytes) this.#bytes[this.offset] = value;
    this.offset += 1;
  }

  u16(value: number, field: string): void {
    _checkUint(value, 0xffff, field);
    this.#view?.setUint16(this.offset, value);
    this.offset += 2;
  }

  u32(value: number, field: string): void {
    _checkUint(value, 0xffff_ffff, field);
    this.#view?.setUint32(this.offset, value);
    this.offset += 4;
  }

  zeros(count: number): void {
    this.#bytes?.fill(0, this.offset, this.offset + count);
    this.offset += count;
  }

  bytes(value: Uint8Array): void {
    this.#bytes?.set(value, this.offset);
    this.offset += value.length;
  }

  /** Writes a string one byte per character (ISO 646 / Latin-1 code points). */
  text(value: string, field: string): void {
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code > 0xff) {
        throw new TypeError(
          `Cannot encode ${field}: character U+${
            code.toString(16).toUpperCase().padStart(4, "0")
          } at index ${i} is not a single-byte character`,
        );
      }
      if (this.#bytes) this.#bytes[this.offset + i] = code;
    }
    this.offset += value.length;
  }

  /** Writes an AE title as 16 bytes padded with spaces (PS3.8 Table 9-11, bytes 11–42). */
  aeTitle(value: string, field: string): void {
    if (value.length > 16) {
      throw new RangeError(`Cannot encode ${field}: "${value}" is longer than 16 characters`);
    }
    this.text(value, field);
    this.#bytes?.fill(0x20, this.offset, this.offset + 16 - value.length);
    this.offset += 16 - value.length;
  }

  /** Reserves a 2-byte length field; {@linkcode _Writer.endLength16} fills it in. */
  beginLength16(): number {
    this.offset += 2;
    return this.offset;
  }

  /** Fills in the 2-byte length reserved at `start` with the bytes written since. */
  endLength16(start: number, field: string): void {
    const length = this.offset - start;
    if (length > 0xffff) {
      throw new RangeError(
        `Cannot encode ${field}: ${length} bytes exceed the 65535 of a 2-byte length`,
      );
    }
    this.#view?.setUint16(start - 2, length);
  }

  /** Reserves a 4-byte length field; {@linkcode _Writer.endLength32} fills it in. */
  beginLength32(): number {
    this.offset += 4;
    return this.offset;
  }

  /** Fills in the 4-byte length reserved at `start` with the bytes written since. */
  endLength32(start: number, field: string): void {
    const length = this.offset - start;
    if (length > 0xffff_ffff) {
      throw new RangeError(`Cannot encode ${field}: ${length} bytes exceed a 4-byte length`);
    }
    this.#view?.setUint32(start - 4, length);
  }
}

function _checkUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`Cannot encode ${field}: ${value} is not an integer from 0 to ${max}`);
  }
}

/** Encodes with `write` into a buffer sized by a first, counting run of `write`. */
export function _encode(write: (writer: _Writer) => void): Uint8Array {
  const counter = new _Writer();
  write(counter);
  const bytes = new Uint8Array(counter.offset);
  const writer = new _Writer(bytes);
  write(writer);
  return bytes;
}

/**
 * A bounds-checked view of the bytes of one PDU. Offsets are absolute in
 * `bytes` (the decoder's input), so errors point at the offending field.
 */
export class _Reader {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  /** The PDU being decoded, for messages: `"A-ASSOCIATE-RQ"`. */
  readonly pdu: string;

  constructor(bytes: Uint8Array, pdu: string) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pdu = pdu;
  }

  fail(detail: string, offset: number, code: PduDecodeErrorCode = "malformed"): never {
    throw new PduDecodeError(`Cannot decode ${this.pdu}: ${detail}`, offset, { code });
  }

  /** Fails unless `count` bytes of `what` fit between `at` and `end`. */
  need(at: number, count: number, end: number, what: string): void {
    if (at + count > end) {
      this.fail(`${what} needs ${count} bytes but only ${end - at} are left`, at);
    }
  }

  u8(at: number): number {
    return this.bytes[at]!;
  }

  u16(at: number): number {
    return this.#view.getUint16(at);
  }

  u32(at: number): number {
    return this.#view.getUint32(at);
  }

  /** Reads bytes as one character per byte. */
  text(start: number, end: number): string {
    let text = "";
    for (let i = start; i < end; i += 4096) {
      text += String.fromCharCode(...this.bytes.subarray(i, Math.min(end, i + 4096)));
    }
    return text;
  }

  /** Reads a UID, trimming trailing NUL padding (PS3.5 §9.1, PS3.8 §9.3.2.2.1). */
  uid(start: number, end: number): string {
    while (end > start && this.bytes[end - 1] === 0) end--;
    return this.text(start, end);
  }

  /** Reads a 16-byte AE title, trimming leading and trailing spaces (and NUL padding). */
  aeTitle(start: number): string {
    return this.text(start, start + 16).replace(/^[ \0]+|[ \0]+$/g, "");
  }

  /** Copies bytes so that the decoded value does not alias the input. */
  copy(start: number, end: number): Uint8Array {
    return this.bytes.slice(start, end);
  }

  /** Fails if a single-valued item (`what`) was already read. */
  once(value: unknown, what: string, at: number): void {
    if (value !== undefined) this.fail(`more than one ${what}`, at);
  }

  /** Reads a 2-byte length at `at` and fails unless that many bytes follow before `end`. */
  length16(at: number, end: number, what: string): number {
    this.need(at, 2, end, `${what} length`);
    const length = this.u16(at);
    if (at + 2 + length > end) {
      this.fail(`${what} length ${length} exceeds the ${end - at - 2} bytes left`, at);
    }
    return length;
  }

  /**
   * Walks the items of a variable field: each has a 1-byte Item-type, a
   * reserved byte and a 2-byte Item-length (PS3.8 §9.3.2.1–§9.3.3.3).
   * Calls `visit` with the item's type and the range of its value.
   */
  items(
    start: number,
    end: number,
    parent: string,
    visit: (type: number, valueStart: number, valueEnd: number, itemStart: number) => void,
  ): void {
    let at = start;
    while (at < end) {
      if (end - at < 4) {
        this.fail(
          `${end - at} bytes left in the ${parent} are too few for an item header`,
          at,
        );
      }
      const length = this.u16(at + 2);
      if (length > end - at - 4) {
        this.fail(
          `item length ${length} exceeds the ${end - at - 4} bytes left in the ${parent}`,
          at + 2,
        );
      }
      visit(this.u8(at), at + 4, at + 4 + length, at);
      at += 4 + length;
    }
  }
}

/** An item to write: its type (for ordering) and how to write its value. */
export interface _ItemWriter {
  readonly type: number;
  readonly write: (writer: _Writer) => void;
}

/**
 * Writes items in increasing order of type (PS3.8 §9.3), each with its
 * Item-type, a reserved 00H byte and a derived 2-byte Item-length. The sort
 * is stable, so items of the same type keep their order.
 */
export function _writeItems(
  writer: _Writer,
  items: _ItemWriter[],
  unknown: readonly UnknownItem[] | undefined,
): void {
  for (const item of unknown ?? []) {
    items.push({ type: item.type, write: (w) => w.bytes(item.bytes) });
  }
  items.sort((a, b) => a.type - b.type);
  for (const item of items) {
    writer.u8(item.type, "Item-type");
    writer.u8(0, "reserved");
    const start = writer.beginLength16();
    item.write(writer);
    writer.endLength16(start, `item ${_hex(item.type)}`);
  }
}

/** Formats an item type the way the standard does: `0x58` as `"58H"`. */
export function _hex(type: number): string {
  return `${type.toString(16).toUpperCase().padStart(2, "0")}H`;
}
