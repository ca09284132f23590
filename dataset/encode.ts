/**
 * Encoding of data sets to bytes (PS3.5 §7) in Implicit VR Little Endian,
 * Explicit VR Little Endian and Explicit VR Big Endian. The encoder sizes the
 * whole data set first and allocates once.
 *
 * @module
 */
import { formatTag, Tag, transferSyntaxInfo, Uid } from "../dictionary/mod.ts";
import type { Dataset } from "./dataset.ts";
import { type DataElement, UNDEFINED_LENGTH } from "./element.ts";
import { type Encoding, encodingOf } from "./encoding.ts";
import { hasLongHeader, isTextVr, usesCharset, type Vr, wordSize } from "./vr.ts";
import { encodeAscii, encodeNumbers, padEven } from "./values.ts";

/** Options of {@linkcode encodeDataset}. */
export interface EncodeDatasetOptions {
  /**
   * The transfer syntax UID to write. A deflated syntax is written as Explicit
   * VR Little Endian, for the caller to deflate ({@linkcode writePart10} does).
   *
   * @default {"1.2.840.10008.1.2.1"} (Explicit VR Little Endian)
   */
  transferSyntax?: string;
  /**
   * How to write sequences and items: as read (`"preserve"`; new sequences use
   * undefined length), all with undefined length, or all with defined length.
   *
   * @default {"preserve"}
   */
  sequenceLength?: "preserve" | "undefined" | "defined";
}

/**
 * Group length elements (gggg,0000) of data set groups are retired (PS3.5
 * §7.2) and would go stale on any change: they are not written, except in the
 * command (0000) and file meta (0002) groups, whose writers compute them.
 */
function skipped(tag: number): boolean {
  return (tag & 0xffff) === 0 && tag >>> 16 > 2;
}

// First pass: sizes of values, items and sequences, remembered for the second pass.
class Sizer {
  readonly values = new Map<DataElement, Uint8Array>();
  readonly lengths = new Map<object, number>();
  constructor(readonly encoding: Encoding, readonly mode: "preserve" | "undefined" | "defined") {}

  undefinedLength(el: DataElement & { kind: "sequence" }): boolean {
    return this.mode === "preserve" ? el.undefinedLength : this.mode === "undefined";
  }

  dataset(ds: Dataset, explicit: boolean): number {
    let size = 0;
    for (const el of ds) if (!skipped(el.tag)) size += this.element(ds, el, explicit);
    return size;
  }

  header(vr: Vr, explicit: boolean): number {
    return explicit ? (hasLongHeader(vr) ? 12 : 8) : 8;
  }

  element(ds: Dataset, el: DataElement, explicit: boolean): number {
    switch (el.kind) {
      case "bytes": {
        const length = el.bytes.length + (el.bytes.length & 1);
        this.checkShort(el, length, explicit);
        return this.header(el.vr, explicit) + length;
      }
      case "values": {
        const bytes = padEven(el.vr, valueBytes(ds, el));
        this.values.set(el, bytes);
        this.checkShort(el, bytes.length, explicit);
        return this.header(el.vr, explicit) + bytes.length;
      }
      case "fragments": {
        let size = 8 + el.offsetTable.length + (el.offsetTable.length & 1) + 8;
        for (const f of el.fragments) size += 8 + f.length + (f.length & 1);
        return this.header(el.vr, explicit) + size;
      }
      case "sequence": {
        // A UN sequence holds Implicit VR LE items (PS3.5 §6.2.2).
        const itemsExplicit = el.vr === "UN" ? false : explicit;
        const undef = this.undefinedLength(el) || el.vr === "UN";
        let content = 0;
        for (const item of el.items) {
          const body = this.dataset(item, itemsExplicit);
          this.lengths.set(item, body);
          content += 8 + body + (undef ? 8 : 0);
        }
        this.lengths.set(el, content);
        return this.header(el.vr, explicit) + content + (undef ? 8 : 0);
      }
    }
  }

  checkShort(el: DataElement, length: number, explicit: boolean): void {
    if (explicit && !hasLongHeader(el.vr) && length > 0xffff) {
      throw new RangeError(
        `Cannot encode ${formatTag(el.tag)} (${el.vr}): ${length} bytes exceed its 16-bit length`,
      );
    }
  }
}

/** Encodes the JS values of an element set through the API. */
function valueBytes(ds: Dataset, el: DataElement & { kind: "values" }): Uint8Array {
  const vr = el.vr;
  if (isTextVr(vr)) {
    const text = el.values.map(String).join("\\");
    return usesCharset(vr) ? ds.characterSet.encode(text, vr) : encodeAscii(text);
  }
  if (wordSize(vr) > 0) return encodeNumbers(vr, el.values);
  // No values is zero length in any VR: Dataset.set(tag, null, "OB") allows it.
  if (el.values.length === 0) return new Uint8Array(0);
  throw new TypeError(`Cannot encode ${formatTag(el.tag)} (${vr}) from values: give bytes`);
}

class Writer {
  pos = 0;
  readonly view: DataView;
  little: boolean;
  constructor(readonly out: Uint8Array, readonly sizer: Sizer, encoding: Encoding) {
    this.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    this.little = encoding.littleEndian;
  }

  tag(tag: number): void {
    this.view.setUint16(this.pos, tag >>> 16, this.little);
    this.view.setUint16(this.pos + 2, tag & 0xffff, this.little);
    this.pos += 4;
  }

  u32(n: number): void {
    this.view.setUint32(this.pos, n, this.little);
    this.pos += 4;
  }

  header(tag: number, vr: Vr, length: number, explicit: boolean): void {
    this.tag(tag);
    if (!explicit) return this.u32(length);
    this.out[this.pos] = vr.charCodeAt(0);
    this.out[this.pos + 1] = vr.charCodeAt(1);
    if (hasLongHeader(vr)) {
      this.view.setUint16(this.pos + 2, 0);
      this.pos += 4;
      this.u32(length);
    } else {
      this.view.setUint16(this.pos + 2, length, this.little);
      this.pos += 4;
    }
  }

  value(vr: Vr, bytes: Uint8Array): void {
    const size = this.little ? 0 : wordSize(vr);
    if (size > 1) {
      const whole = bytes.length - (bytes.length % size);
      for (let p = 0; p < whole; p += size) {
        for (let i = 0; i < size; i++) this.out[this.pos + p + i] = bytes[p + size - 1 - i]!;
      }
      this.out.set(bytes.subarray(whole), this.pos + whole);
    } else {
      this.out.set(bytes, this.pos);
    }
    this.pos += bytes.length;
    if (bytes.length & 1) this.out[this.pos++] = isTextVr(vr) && vr !== "UI" ? 0x20 : 0;
  }

  dataset(ds: Dataset, explicit: boolean): void {
    for (const el of ds) if (!skipped(el.tag)) this.element(el, explicit);
  }

  element(el: DataElement, explicit: boolean): void {
    switch (el.kind) {
      case "bytes":
        this.header(el.tag, el.vr, el.bytes.length + (el.bytes.length & 1), explicit);
        return this.value(el.vr, el.bytes);
      case "values": {
        const bytes = this.sizer.values.get(el)!;
        this.header(el.tag, el.vr, bytes.length, explicit);
        return this.value(el.vr, bytes);
      }
      case "fragments": {
        this.header(el.tag, el.vr, UNDEFINED_LENGTH, explicit);
        for (const f of [el.offsetTable, ...el.fragments]) {
          this.tag(Tag.Item);
          this.u32(f.length + (f.length & 1));
          this.value("OB", f);
        }
        this.tag(Tag.SequenceDelimitationItem);
        return this.u32(0);
      }
      case "sequence": {
        const unknown = el.vr === "UN";
        const undef = this.sizer.undefinedLength(el) || unknown;
        this.header(
          el.tag,
          el.vr,
          undef ? UNDEFINED_LENGTH : this.sizer.lengths.get(el)!,
          explicit,
        );
        const saved = this.little;
        if (unknown) this.little = true;
        for (const item of el.items) {
          this.tag(Tag.Item);
          this.u32(undef ? UNDEFINED_LENGTH : this.sizer.lengths.get(item)!);
          this.dataset(item, unknown ? false : explicit);
          if (undef) {
            this.tag(Tag.ItemDelimitationItem);
            this.u32(0);
          }
        }
        // The delimiter of a UN sequence is in the items' encoding (Implicit VR LE).
        if (undef) {
          this.tag(Tag.SequenceDelimitationItem);
          this.u32(0);
        }
        this.little = saved;
        return;
      }
    }
  }
}

/**
 * Encodes a data set (without a Part 10 header) in one allocation.
 *
 * @example Explicit VR Little Endian
 * ```ts
 * import { Dataset, encodeDataset } from "./mod.ts";
 * const bytes = encodeDataset(new Dataset().set("PatientID", "1234"));
 * console.log(bytes.length); // 12: an 8-byte header and a 4-byte value
 * ```
 *
 * @throws {RangeError} when a value does not fit its VR.
 */
export function encodeDataset(ds: Dataset, options: EncodeDatasetOptions = {}): Uint8Array {
  const ts = options.transferSyntax ?? Uid.ExplicitVRLittleEndian;
  const encoding = transferSyntaxInfo(ts)?.deflated
    ? encodingOf(Uid.ExplicitVRLittleEndian)
    : encodingOf(ts);
  const sizer = new Sizer(encoding, options.sequenceLength ?? "preserve");
  const size = sizer.dataset(ds, encoding.explicitVr);
  const out = new Uint8Array(size);
  const writer = new Writer(out, sizer, encoding);
  writer.dataset(ds, encoding.explicitVr);
  return out;
}
