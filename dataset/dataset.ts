/**
 * The {@linkcode Dataset}: an ordered collection of data elements (PS3.5 §7).
 *
 * @module
 */
import { formatTag, lookupElement, Tag, tagForKeyword } from "../dictionary/mod.ts";
import type { DataElement, FragmentsElement, PrimitiveValue } from "./element.ts";
import { isTextVr, resolveDictionaryVr, usesCharset, type Vr, wordSize } from "./vr.ts";
import { SpecificCharacterSet } from "./charset.ts";
import { decodeAscii, decodeBigInts, decodeNumbers, splitText, toText } from "./values.ts";

/** A tag as a number, `(group << 16 | element) >>> 0`, or a dictionary keyword such as `"PatientID"`. */
export type TagLike = number | string;

/**
 * What {@linkcode Dataset.set} accepts: text, numbers (also for string VRs
 * that have a string form of them, such as IS, DS, LO), bigints, an array of
 * those for several values, bytes for binary VRs, items for a sequence, or
 * `null`/`undefined` for an empty value (a return key in a query).
 */
export type SetValue =
  | PrimitiveValue
  | readonly PrimitiveValue[]
  | Uint8Array
  | readonly Dataset[]
  | null
  | undefined;

/** Options of {@linkcode Dataset}. */
export interface DatasetOptions {
  /** The data set this one is an item of: it gives the inherited Specific Character Set. */
  parent?: Dataset;
  /**
   * Receives warnings, such as an unknown Specific Character Set term.
   *
   * @default {undefined} (warnings are dropped)
   */
  onWarning?: (message: string) => void;
}

/** Resolves a tag or keyword to a numeric tag; throws TypeError for an unknown keyword. */
export function resolveTag(tag: TagLike): number {
  if (typeof tag === "number") {
    if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) {
      throw new TypeError(`Cannot use ${tag} as a tag: not a 32-bit unsigned integer`);
    }
    return tag;
  }
  const t = tagForKeyword(tag);
  if (t === undefined) throw new TypeError(`Cannot find the keyword "${tag}" in the dictionary`);
  return t;
}

/**
 * A DICOM data set: elements by tag, iterated in ascending tag order.
 *
 * @example Building a data set and reading it back
 * ```ts
 * import { Dataset } from "./mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const ds = new Dataset();
 * ds.set(Tag.PatientID, 1234).set("PatientName", "Doe^John");
 * console.log(ds.string(Tag.PatientID)); // "1234"
 * ```
 */
export class Dataset implements Iterable<DataElement> {
  #elements = new Map<number, DataElement>();
  #lastTag = -1;
  #sorted = true;
  #charset: SpecificCharacterSet | undefined;
  #charsetElement: DataElement | undefined;
  /** The data set this one is an item of, if any. */
  parent: Dataset | undefined;
  /** Where warnings go; inherited by items. */
  readonly onWarning: ((message: string) => void) | undefined;

  /** Creates an empty data set. */
  constructor(options: DatasetOptions = {}) {
    this.parent = options.parent;
    this.onWarning = options.onWarning ?? options.parent?.onWarning;
  }

  /** The number of elements at this level. */
  get size(): number {
    return this.#elements.size;
  }

  /** Reports whether an element with this tag is present (even if empty). */
  has(tag: TagLike): boolean {
    return this.#elements.has(resolveTag(tag));
  }

  /** The element with this tag, or `undefined`. */
  get(tag: TagLike): DataElement | undefined {
    return this.#elements.get(resolveTag(tag));
  }

  /** Removes the element with this tag; returns whether it was there. */
  delete(tag: TagLike): boolean {
    return this.#elements.delete(resolveTag(tag));
  }

  /** Adds or replaces an element as it is. Items of a sequence get this data set as parent. */
  setElement(element: DataElement): this {
    const tag = element.tag;
    if (tag <= this.#lastTag) {
      if (!this.#elements.has(tag)) this.#sorted = false;
    } else {
      this.#lastTag = tag;
    }
    if (element.kind === "sequence") { for (const item of element.items) item.parent = this; }
    this.#elements.set(tag, element);
    return this;
  }

  /**
   * Sets an element from a JS value. The VR comes from the dictionary unless
   * given; numbers are accepted for string VRs that have a string form of them
   * (`set(Tag.PatientID, 1234)` stores "1234").
   *
   * @throws {TypeError} for an unknown keyword, or a tag with no dictionary VR and none given.
   * @throws {RangeError} for a number outside its VR's range.
   */
  set(tag: TagLike, value: SetValue, vr?: Vr): this {
    const t = resolveTag(tag);
    const v = vr ?? this.#dictionaryVr(t, value);
    if (v === "SQ") {
      const items = value === null || value === undefined ? [] : value;
      if (!Array.isArray(items) || !items.every((i) => i instanceof Dataset)) {
        throw new TypeError(`Cannot set ${formatTag(t)} (SQ): value is not an array of Dataset`);
      }
      return this.setElement({ tag: t, vr: v, kind: "sequence", items, undefinedLength: true });
    }
    if (value instanceof Uint8Array) {
      return this.setElement({ tag: t, vr: v, kind: "bytes", bytes: value });
    }
    const list: PrimitiveValue[] = value === null || value === undefined
      ? []
      : Array.isArray(value)
      ? [...value as readonly PrimitiveValue[]]
      : [value as PrimitiveValue];
    if (list.some((x) => (x as unknown) instanceof Dataset)) {
      throw new TypeError(`Cannot set ${formatTag(t)} (${v}): items need VR SQ`);
    }
    const values = isTextVr(v) ? list.map((x) => toText(v, x)) : list;
    if (!isTextVr(v) && wordSize(v) === 0 && values.length > 0) {
      throw new TypeError(`Cannot set ${formatTag(t)} (${v}) from ${typeof values[0]}: give bytes`);
    }
    return this.setElement({ tag: t, vr: v, kind: "values", values });
  }

  #dictionaryVr(tag: number, value: SetValue): Vr {
    const info = lookupElement(tag);
    if (info === undefined) {
      if (value instanceof Uint8Array) return "UN";
      throw new TypeError(`Cannot set ${formatTag(tag)}: no VR in the dictionary, give one`);
    }
    return resolveDictionaryVr(
      info.vr,
      this.number(Tag.PixelRepresentation),
      value instanceof Uint8Array ? "OB" : undefined,
    );
  }

  /** Iterates over the elements in ascending tag order. */
  *[Symbol.iterator](): IterableIterator<DataElement> {
    if (!this.#sorted) {
      this.#elements = new Map([...this.#elements].sort((a, b) => a[0] - b[0]));
      this.#sorted = true;
    }
    yield* this.#elements.values();
  }

  /** The tags present, in ascending order. */
  tags(): number[] {
    return [...this].map((e) => e.tag);
  }

  /** The Specific Character Set in effect here: this data set's (0008,0005), else its parent's. */
  get characterSet(): SpecificCharacterSet {
    const el = this.#elements.get(Tag.SpecificCharacterSet);
    if (el === undefined) {
      return this.parent?.characterSet ?? (this.#charset ??= new SpecificCharacterSet(undefined));
    }
    if (this.#charset === undefined || this.#charsetElement !== el) {
      const onWarning = this.onWarning;
      this.#charset = new SpecificCharacterSet(
        this.#rawStrings(el),
        onWarning ? { onWarning } : {},
      );
      this.#charsetElement = el;
    }
    return this.#charset;
  }

  #rawStrings(el: DataElement): string[] {
    if (el.kind === "values") return el.values.map(String);
    if (el.kind !== "bytes") return [];
    // (0008,0005) may have an empty first value: keep positions (PS3.5 §6.1.2.5.3).
    return decodeAscii(el.bytes).split("\\").map((s) => s.trim());
  }

  /** All values of a text or numeric element as strings; `[]` when absent or empty. */
  strings(tag: TagLike): string[] {
    const el = this.get(tag);
    if (el === undefined) return [];
    const vr = el.vr;
    if (el.kind === "values") {
      // The same values as after encoding and decoding: "" alone is no value.
      return isTextVr(vr) ? splitText(vr, el.values.map(String).join("\\")) : el.values.map(String);
    }
    if (el.kind !== "bytes") return [];
    if (isTextVr(vr)) {
      const text = usesCharset(vr) ? this.characterSet.decode(el.bytes, vr) : decodeAscii(el.bytes);
      return splitText(vr, text);
    }
    if (vr === "SV" || vr === "UV") return decodeBigInts(vr, el.bytes).map(String);
    return decodeNumbers(vr, el.bytes).map(String);
  }

  /** The first value as a string, or `undefined` when absent or empty. */
  string(tag: TagLike): string | undefined {
    return this.strings(tag)[0];
  }

  /**
   * All values as numbers: binary numeric VRs, IS and DS (parsed), AT (tags).
   * Throws TypeError when a text value is not a number.
   */
  numbers(tag: TagLike): number[] {
    const el = this.get(tag);
    if (el === undefined) return [];
    if (el.kind === "values") return el.values.map((x) => this.#toNumber(el.tag, x));
    if (el.kind !== "bytes") return [];
    if (isTextVr(el.vr)) return this.strings(el.tag).map((s) => this.#toNumber(el.tag, s));
    return decodeNumbers(el.vr, el.bytes);
  }

  #toNumber(tag: number, x: PrimitiveValue): number {
    if (typeof x === "number") return x;
    const n = typeof x === "bigint" ? Number(x) : x.trim() === "" ? NaN : Number(x);
    if (Number.isNaN(n)) {
      throw new TypeError(`Cannot read ${formatTag(tag)} as a number: "${String(x)}"`);
    }
    return n;
  }

  /** The first value as a number, or `undefined` when absent or empty. */
  number(tag: TagLike): number | undefined {
    return this.numbers(tag)[0];
  }

  /** All values of an SV, UV or OV element as bigints. */
  bigints(tag: TagLike): bigint[] {
    const el = this.get(tag);
    if (el === undefined) return [];
    if (el.kind === "values") return el.values.map((x) => BigInt(x));
    if (el.kind !== "bytes") return [];
    return decodeBigInts(el.vr, el.bytes);
  }

  /** The items of a sequence; `[]` when absent or not a sequence. */
  items(tag: TagLike): Dataset[] {
    const el = this.get(tag);
    return el?.kind === "sequence" ? el.items : [];
  }

  /** The value bytes of an element read from bytes (little endian), or `undefined`. */
  bytes(tag: TagLike): Uint8Array | undefined {
    const el = this.get(tag);
    return el?.kind === "bytes" ? el.bytes : undefined;
  }

  /** The fragments of encapsulated pixel data, or `undefined`. */
  fragments(tag: TagLike = Tag.PixelData): FragmentsElement | undefined {
    const el = this.get(tag);
    return el?.kind === "fragments" ? el : undefined;
  }
}
