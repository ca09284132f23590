/**
 * A pass-through stream that checks the structure of a data set as its bytes
 * go by (PS3.5 §7): element headers, value lengths, sequences, items and
 * delimiters. It holds only element headers, never values, so it can guard a
 * data set of any size on its way to disk and fail it if it is truncated or
 * malformed.
 *
 * @module
 */
import { Tag, transferSyntaxInfo } from "../dictionary/mod.ts";
import { UNDEFINED_LENGTH } from "./element.ts";
import { encodingOf } from "./encoding.ts";
import { DicomDecodeError } from "./errors.ts";
import { hasLongHeader, isVr, type Vr } from "./vr.ts";

type Frame =
  | { kind: "sequence"; explicit: boolean } // undefined-length SQ: items or delimiter
  | { kind: "item"; explicit: boolean } // undefined-length item: elements or delimiter
  | { kind: "fragments" }; // encapsulated pixel data: items or delimiter

/** Group FFFE: Item, Item Delimitation Item and Sequence Delimitation Item (PS3.5 §7.5). */
const ITEM_GROUP = Tag.Item >>> 16;

/** Options of {@linkcode DatasetCheckStream}. */
export interface DatasetCheckStreamOptions {
  /**
   * Deepest nesting of sequences accepted.
   *
   * @default {64}
   */
  maxDepth?: number;
}

/**
 * The structure check of {@linkcode DatasetCheckStream} as a plain object:
 * feed it the bytes in order with `push()`, then call `finish()`.
 */
export class DatasetChecker {
  /** Checks the next bytes; throws {@linkcode DicomDecodeError} when malformed. */
  readonly push: (chunk: Uint8Array) => void;
  /** Checks that the data set ended where an element ends; throws when truncated. */
  readonly finish: () => void;

  /** Creates a checker for data sets in `transferSyntax`. */
  constructor(transferSyntax: string, options: DatasetCheckStreamOptions = {}) {
    const unchecked = transferSyntaxInfo(transferSyntax)?.deflated === true;
    const enc = encodingOf(transferSyntax);
    const little = enc.littleEndian;
    const maxDepth = options.maxDepth ?? 64;
    const stack: Frame[] = [];
    let pos = 0; // absolute offset of the next unread byte
    let skip = 0; // value bytes still to pass
    let header = new Uint8Array(12);
    let have = 0;

    const fail = (message: string, at: number): never => {
      throw new DicomDecodeError(message, at);
    };
    const u16 = (b: Uint8Array, i: number, le: boolean) =>
      le ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
    const u32 = (b: Uint8Array, i: number, le: boolean) =>
      le
        ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
        : ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

    // How many header bytes the element starting in `header` needs.
    const headerLength = (explicit: boolean): number => {
      if (have < 8) return 8;
      const tag = ((u16(header, 0, little) << 16) | u16(header, 2, little)) >>> 0;
      if (!explicit || tag >>> 16 === ITEM_GROUP) return 8;
      const vr = String.fromCharCode(header[4]!, header[5]!);
      return isVr(vr) && hasLongHeader(vr) ? 12 : 8;
    };

    const explicitHere = (): boolean => {
      const top = stack[stack.length - 1];
      if (top === undefined) return enc.explicitVr;
      return top.kind === "fragments" ? true : top.explicit;
    };

    // Handles one complete header at absolute offset `at`.
    const onHeader = (at: number): void => {
      const top = stack[stack.length - 1];
      const le = top && top.kind !== "fragments" && !top.explicit ? true : little;
      const tag = ((u16(header, 0, le) << 16) | u16(header, 2, le)) >>> 0;
      if (top?.kind === "sequence" || top?.kind === "fragments") {
        const length = u32(header, 4, le);
        if (tag === Tag.SequenceDelimitationItem) return void stack.pop();
        if (tag !== Tag.Item) {
          fail(
            `Expected an item, found (${(tag >>> 16).toString(16)},${(tag & 0xffff).toString(16)})`,
            at,
          );
        }
        if (length === UNDEFINED_LENGTH) {
          if (top.kind === "fragments") fail("A fragment of undefined length", at);
          if (stack.length >= maxDepth) fail(`Sequences nested deeper than ${maxDepth}`, at);
          stack.push({ kind: "item", explicit: (top as { explicit: boolean }).explicit });
        } else {
          skip = length;
        }
        return;
      }
      if (tag === Tag.ItemDelimitationItem && top?.kind === "item") return void stack.pop();
      if (tag >>> 16 === ITEM_GROUP) fail("An item tag outside a sequence", at);
      const explicit = top ? (top as { explicit: boolean }).explicit : enc.explicitVr;
      let vr: Vr | undefined;
      let length: number;
      if (explicit) {
        const code = String.fromCharCode(header[4]!, header[5]!);
        if (!isVr(code)) fail(`Unknown VR code "${code}"`, at + 4);
        vr = code as Vr;
        length = hasLongHeader(vr) ? u32(header, 8, le) : u16(header, 6, le);
      } else {
        length = u32(header, 4, le);
      }
      if (length !== UNDEFINED_LENGTH) {
        skip = length;
        return;
      }
      if (stack.length >= maxDepth) fail(`Sequences nested deeper than ${maxDepth}`, at);
      if (explicit && (vr === "OB" || vr === "OW")) stack.push({ kind: "fragments" });
      else if (!explicit || vr === "SQ" || vr === "UN") {
        // UN of undefined length holds Implicit VR LE items (PS3.5 §6.2.2).
        stack.push({ kind: "sequence", explicit: explicit && vr === "SQ" });
      } else fail(`Undefined length is not allowed for VR ${vr}`, at);
    };

    this.push = (chunk: Uint8Array): void => {
      if (unchecked) return;
      let i = 0;
      while (i < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          pos += n;
          continue;
        }
        const explicit = explicitHere();
        let need = headerLength(explicit);
        while (have < need && i < chunk.length) {
          header[have++] = chunk[i++]!;
          pos++;
          if (have === 8) need = headerLength(explicit);
        }
        if (have < need) break;
        onHeader(pos - have);
        have = 0;
      }
    };
    this.finish = (): void => {
      if (unchecked) return;
      if (skip > 0 || have > 0) {
        fail(`The data set is truncated: ${skip || 8 - have} more bytes expected`, pos);
      }
      if (stack.length > 0) fail("The data set is truncated inside a sequence or item", pos);
      header = new Uint8Array(0);
    };
  }
}

/**
 * Passes bytes through unchanged and errors the stream with a
 * {@linkcode DicomDecodeError} as soon as the data set is malformed, or at
 * the end when it is truncated. Deflated data sets pass unchecked.
 *
 * @example
 * ```ts
 * import { Uid } from "@dcm/net/dictionary";
 * import { DatasetCheckStream } from "./mod.ts";
 * const truncated = new Blob([new Uint8Array([0x10, 0, 0x20, 0, 8, 0, 0, 0, 0x31])]).stream();
 * const check = truncated.pipeThrough(new DatasetCheckStream(Uid.ImplicitVRLittleEndian));
 * await new Response(check).arrayBuffer().catch((e) => console.log(e.name)); // DicomDecodeError
 * ```
 */
export class DatasetCheckStream extends TransformStream<Uint8Array, Uint8Array> {
  /** Creates the check for data sets in `transferSyntax`. */
  constructor(transferSyntax: string, options: DatasetCheckStreamOptions = {}) {
    const checker = new DatasetChecker(transferSyntax, options);
    super({
      transform(chunk, controller) {
        checker.push(chunk);
        controller.enqueue(chunk);
      },
      flush() {
        checker.finish();
      },
    });
  }
}
