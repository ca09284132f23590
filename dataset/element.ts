/**
 * The data element model: what a {@linkcode Dataset} holds per tag.
 *
 * Elements read from bytes keep those bytes (as views, little endian after any
 * byte swap), so that reading and writing again is byte-exact and values are
 * only decoded when asked for. Elements set through the API hold JS values and
 * are encoded when written.
 *
 * @module
 */
import type { Vr } from "./vr.ts";
import type { Dataset } from "./dataset.ts";

/**
 * The Value Length FFFFFFFFH: undefined length, for sequences, items and
 * encapsulated pixel data that end with a delimitation item instead
 * (PS3.5 §7.1.1, §7.5).
 */
export const UNDEFINED_LENGTH = 0xffff_ffff;

/** A primitive value of a data element: text, a number, or a 64-bit integer. */
export type PrimitiveValue = string | number | bigint;

/** An element whose value is the bytes it was read with (PS3.5 §7.1). */
export interface BytesElement {
  /** The tag, `(group << 16 | element) >>> 0`. */
  readonly tag: number;
  /** The Value Representation. */
  readonly vr: Vr;
  /** Discriminant. */
  readonly kind: "bytes";
  /** The value field without its header; binary VRs are little endian. */
  readonly bytes: Uint8Array;
}

/** An element whose values were set through the API and are encoded on write. */
export interface ValuesElement {
  /** The tag, `(group << 16 | element) >>> 0`. */
  readonly tag: number;
  /** The Value Representation. */
  readonly vr: Vr;
  /** Discriminant. */
  readonly kind: "values";
  /** The values: strings for text VRs, numbers (tags for AT), bigints for SV/UV. */
  readonly values: readonly PrimitiveValue[];
}

/** A sequence of items (PS3.5 §7.5); also UN of undefined length (PS3.5 §6.2.2). */
export interface SequenceElement {
  /** The tag, `(group << 16 | element) >>> 0`. */
  readonly tag: number;
  /** `SQ`, or `UN` for a sequence of unknown VR encoded as Implicit VR LE. */
  readonly vr: Vr;
  /** Discriminant. */
  readonly kind: "sequence";
  /** The items, each a data set nested in the one that holds this element. */
  readonly items: Dataset[];
  /** Whether the sequence and its items were (or are to be) written with undefined length. */
  readonly undefinedLength: boolean;
}

/** Encapsulated pixel data (PS3.5 §A.4): an offset table item and fragments, kept as read. */
export interface FragmentsElement {
  /** The tag, normally Pixel Data (7FE0,0010). */
  readonly tag: number;
  /** `OB` (or `OW` as some writers put it). */
  readonly vr: Vr;
  /** Discriminant. */
  readonly kind: "fragments";
  /** The Basic Offset Table item's value: empty, or 4-byte offsets. */
  readonly offsetTable: Uint8Array;
  /** The fragments' values, in order. */
  readonly fragments: readonly Uint8Array[];
}

/** A data element of any kind. */
export type DataElement = BytesElement | ValuesElement | SequenceElement | FragmentsElement;
