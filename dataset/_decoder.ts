// The data set decoder proper (PS3.5 §7). Internal: decodeDataset(),
// decodePart10() and readPart10() drive it.
import { formatTag, lookupElement, Tag } from "../dictionary/mod.ts";
import { Dataset } from "./dataset.ts";
import { type DataElement, UNDEFINED_LENGTH } from "./element.ts";
import type { Encoding } from "./encoding.ts";
import { DicomDecodeError } from "./errors.ts";
import { hasLongHeader, resolveDictionaryVr, type Vr, VRS, wordSize } from "./vr.ts";

/** Options the decoder takes. */
export interface DecoderOptions {
  maxDepth?: number;
  strict?: boolean;
  onWarning?: (message: string) => void;
  /** Called with each sequence item as it starts, and where its item tag is in the input. */
  onItem?: (item: Dataset, offset: number) => void;
}

/** Group FFFE: Item, Item Delimitation Item and Sequence Delimitation Item (PS3.5 §7.5). */
const ITEM_GROUP = Tag.Item >>> 16;

// Two VR bytes as one 16-bit key (first byte high) -> Vr.
const VR_BY_CODE = new Map<number, Vr>(
  VRS.map((vr) => [(vr.charCodeAt(0) << 8) | vr.charCodeAt(1), vr]),
);

/** The VR a tag has in Implicit VR data: the dictionary's, with ambiguities resolved. */
function implicitVr(tag: number, ds: Dataset): Vr {
  if ((tag & 0xffff) === 0) return "UL";
  const info = lookupElement(tag);
  if (info === undefined) return "UN";
  return resolveDictionaryVr(info.vr, ds.number(Tag.PixelRepresentation), "OW");
}

/**
 * The decoder proper. One instance decodes one buffer; `element()` decodes a
 * single element so that a streaming reader can resume between top-level
 * elements.
 */
export class Decoder {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Added to positions in error messages: where `bytes` starts in the whole input. */
  readonly base: number;
  explicit: boolean;
  little: boolean;
  readonly maxDepth: number;
  readonly strict: boolean;
  readonly onWarning: ((message: string) => void) | undefined;
  readonly onItem: ((item: Dataset, offset: number) => void) | undefined;
  /**
   * Whether `bytes` is the whole input. Then a sequence or item whose defined
   * length overruns the end of the input is read up to the end, with a
   * warning, as DCMTK does; otherwise that is a truncation to wait out.
   */
  complete = true;

  constructor(bytes: Uint8Array, encoding: Encoding, base = 0, options: DecoderOptions = {}) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.base = base;
    this.explicit = encoding.explicitVr;
    this.little = encoding.littleEndian;
    this.maxDepth = options.maxDepth ?? 64;
    this.strict = options.strict ?? false;
    this.onWarning = options.onWarning;
    this.onItem = options.onItem;
  }

  fail(message: string, pos: number): never {
    throw new DicomDecodeError(message, this.base + pos);
  }

  truncated(what: string, pos: number, needed: number): never {
    const have = this.bytes.length - pos;
    throw new DicomDecodeError(
      `Cannot decode ${what}: it needs ${needed - pos} bytes, ${have} left`,
      this.base + pos,
      { truncated: true, needed: this.base + needed },
    );
  }

  tagAt(pos: number): number {
    const v = this.view;
    return ((v.getUint16(pos, this.little) << 16) | v.getUint16(pos + 2, this.little)) >>> 0;
  }

  /**
   * Decodes elements into `ds` from `pos` up to `end`, or, with `end` undefined,
   * up to and including an Item Delimitation Item. Returns the position after.
   */
  /**
   * The VR, value length and header length of the element at `pos`, or
   * `undefined` when its header is not all in the buffer (nothing is checked:
   * `element()` reports what is wrong).
   */
  headerAt(
    pos: number,
    ds: Dataset,
  ): { vr: Vr | undefined; length: number; headerLength: number } | undefined {
    if (pos + 8 > this.bytes.length) return undefined;
    const tag = this.tagAt(pos);
    if (!this.explicit) {
      return {
        vr: implicitVr(tag, ds),
        length: this.view.getUint32(pos + 4, true),
        headerLength: 8,
      };
    }
    const vr = VR_BY_CODE.get((this.bytes[pos + 4]! << 8) | this.bytes[pos + 5]!);
    if (vr === undefined || !hasLongHeader(vr)) {
      return { vr, length: this.view.getUint16(pos + 6, this.little), headerLength: 8 };
    }
    if (pos + 12 > this.bytes.length) return undefined;
    return { vr, length: this.view.getUint32(pos + 8, this.little), headerLength: 12 };
  }

  elements(ds: Dataset, pos: number, end: number | undefined, depth: number): number {
    const limit = end ?? this.bytes.length;
    while (pos < limit) {
      if (end === undefined && pos + 8 <= limit && this.tagAt(pos) === Tag.ItemDelimitationItem) {
        return pos + 8;
      }
      pos = this.element(ds, pos, limit, depth);
    }
    if (end === undefined) this.truncated("an item of undefined length", pos, pos + 8);
    return pos;
  }

  /** Decodes the element at `pos` into `ds`; returns the position after it. */
  element(ds: Dataset, pos: number, limit: number, depth: number): number {
    if (pos + 8 > limit) {
      if (limit < this.bytes.length) {
        this.fail("Cannot decode an element header past its item", pos);
      }
      this.truncated("an element header", pos, pos + 8);
    }
    const v = this.view;
    const tag = this.tagAt(pos);
    if (tag >>> 16 === ITEM_GROUP) {
      this.fail(`Cannot decode ${formatTag(tag)}: an item tag outside a sequence`, pos);
    }
    let vr: Vr;
    let length: number;
    let start: number;
    if (this.explicit) {
      const code = (this.bytes[pos + 4]! << 8) | this.bytes[pos + 5]!;
      const known = VR_BY_CODE.get(code);
      if (known === undefined) {
        const text = String.fromCharCode(this.bytes[pos + 4]!, this.bytes[pos + 5]!);
        this.fail(`Cannot decode ${formatTag(tag)}: unknown VR code "${text}"`, pos + 4);
      }
      vr = known;
      if (hasLongHeader(vr)) {
        if (pos + 12 > limit) this.truncated(`the header of ${formatTag(tag)}`, pos, pos + 12);
        length = v.getUint32(pos + 8, this.little);
        start = pos + 12;
      } else {
        length = v.getUint16(pos + 6, this.little);
        start = pos + 8;
      }
    } else {
      vr = implicitVr(tag, ds);
      length = v.getUint32(pos + 4, true);
      start = pos + 8;
    }

    if (length === UNDEFINED_LENGTH) {
      if (vr === "SQ" || vr === "UN" || (!this.explicit && tag !== Tag.PixelData)) {
        return this.sequence(
          ds,
          tag,
          vr === "SQ" || this.explicit ? vr : "SQ",
          start,
          undefined,
          depth,
        );
      }
      if (vr === "OB" || vr === "OW" || tag === Tag.PixelData) {
        return this.fragments(ds, tag, vr, start);
      }
      this.fail(`Cannot decode ${formatTag(tag)} (${vr}): undefined length is not allowed`, pos);
    }
    let next = start + length;
    if (vr === "SQ" && next > limit && this.#clamp(formatTag(tag), limit)) next = limit;
    if (next > limit) {
      if (limit < this.bytes.length) {
        this.fail(
          `Cannot decode ${formatTag(tag)}: value length ${length} exceeds the ${
            limit - start
          } bytes left in its item`,
          pos,
        );
      }
      this.truncated(`${formatTag(tag)} (${vr}, length ${length})`, pos, next);
    }
    if (length & 1) {
      // PS3.5 §7.1.1: value lengths are even. Real files break this; strict mode refuses them.
      const message = `${formatTag(tag)} (${vr}) has odd length ${length}`;
      if (this.strict) this.fail(`Cannot decode ${message}`, pos);
      this.onWarning?.(message);
    }
    if (vr === "SQ") return this.sequence(ds, tag, vr, start, next, depth);
    let bytes = this.bytes.subarray(start, next);
    if (!this.little) bytes = swap(bytes, wordSize(vr));
    const element: DataElement = { tag, vr, kind: "bytes", bytes };
    ds.setElement(element);
    return next;
  }

  /** Whether `what`, whose length overruns the input, is read to the end instead (with a warning). */
  #clamp(what: string, limit: number): boolean {
    if (!this.complete || limit !== this.bytes.length) return false;
    this.onWarning?.(`${what}: its length overruns the end of the input; read to the end`);
    return true;
  }

  /** Decodes a sequence's items (PS3.5 §7.5); UN of undefined length holds Implicit VR LE items. */
  sequence(
    ds: Dataset,
    tag: number,
    vr: Vr,
    pos: number,
    end: number | undefined,
    depth: number,
  ): number {
    if (depth >= this.maxDepth) {
      this.fail(
        `Cannot decode ${formatTag(tag)}: sequences nested deeper than ${this.maxDepth}`,
        pos,
      );
    }
    const saved = { explicit: this.explicit, little: this.little };
    if (vr === "UN") {
      // PS3.5 §6.2.2: a UN sequence of undefined length is encoded as Implicit VR LE.
      this.explicit = false;
      this.little = true;
    }
    const items: Dataset[] = [];
    const limit = end ?? this.bytes.length;
    try {
      for (;;) {
        if (end !== undefined && pos >= end) break;
        if (pos + 8 > limit) {
          if (end !== undefined && end < this.bytes.length) {
            this.fail(`Cannot decode an item of ${formatTag(tag)} past the sequence's end`, pos);
          }
          this.truncated(`an item of ${formatTag(tag)}`, pos, pos + 8);
        }
        const itemTag = this.tagAt(pos);
        const itemLength = this.view.getUint32(pos + 4, this.little);
        if (itemTag === Tag.SequenceDelimitationItem && end === undefined) {
          pos += 8;
          break;
        }
        if (itemTag !== Tag.Item) {
          this.fail(
            `Cannot decode ${formatTag(tag)}: expected an item, found ${formatTag(itemTag)}`,
            pos,
          );
        }
        const item = new Dataset({ parent: ds });
        this.onItem?.(item, this.base + pos);
        if (itemLength === UNDEFINED_LENGTH) {
          pos = this.elements(item, pos + 8, undefined, depth + 1);
        } else {
          let itemEnd = pos + 8 + itemLength;
          if (itemEnd > limit && this.#clamp(`An item of ${formatTag(tag)}`, limit)) {
            itemEnd = limit;
          }
          if (itemEnd > limit) {
            if (limit < this.bytes.length) {
              this.fail(
                `Cannot decode an item of ${formatTag(tag)}: length ${itemLength} exceeds the ${
                  limit - pos - 8
                } bytes left`,
                pos,
              );
            }
            this.truncated(`an item of ${formatTag(tag)}`, pos, itemEnd);
          }
          this.elements(item, pos + 8, itemEnd, depth + 1);
          pos = itemEnd;
        }
        items.push(item);
      }
    } finally {
      this.explicit = saved.explicit;
      this.little = saved.little;
    }
    ds.setElement({ tag, vr, kind: "sequence", items, undefinedLength: end === undefined });
    return pos;
  }

  /** Decodes encapsulated pixel data: offset table item, fragments, delimiter (PS3.5 §A.4). */
  fragments(ds: Dataset, tag: number, vr: Vr, pos: number): number {
    let offsetTable: Uint8Array | undefined;
    const fragments: Uint8Array[] = [];
    for (;;) {
      if (pos + 8 > this.bytes.length) {
        this.truncated(`a fragment of ${formatTag(tag)}`, pos, pos + 8);
      }
      const itemTag = this.tagAt(pos);
      const length = this.view.getUint32(pos + 4, this.little);
      if (itemTag === Tag.SequenceDelimitationItem) {
        pos += 8;
        break;
      }
      if (itemTag !== Tag.Item) {
        this.fail(
          `Cannot decode ${formatTag(tag)}: expected a fragment, found ${formatTag(itemTag)}`,
          pos,
        );
      }
      if (length === UNDEFINED_LENGTH) {
        this.fail(`Cannot decode a fragment of undefined length`, pos);
      }
      const next = pos + 8 + length;
      if (next > this.bytes.length) this.truncated(`a fragment of ${formatTag(tag)}`, pos, next);
      const value = this.bytes.subarray(pos + 8, next);
      if (offsetTable === undefined) offsetTable = value;
      else fragments.push(value);
      pos = next;
    }
    ds.setElement({
      tag,
      vr,
      kind: "fragments",
      offsetTable: offsetTable ?? new Uint8Array(0),
      fragments,
    });
    return pos;
  }
}

/** Copies big endian words of `size` bytes into little endian order (PS3.5 §7.3). */
function swap(bytes: Uint8Array, size: number): Uint8Array {
  if (size < 2) return bytes;
  const out = new Uint8Array(bytes.length);
  const whole = bytes.length - (bytes.length % size);
  for (let p = 0; p < whole; p += size) {
    for (let i = 0; i < size; i++) out[p + i] = bytes[p + size - 1 - i]!;
  }
  out.set(bytes.subarray(whole), whole);
  return out;
}
