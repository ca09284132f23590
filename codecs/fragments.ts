/**
 * The frames of encapsulated pixel data (PS3.5 §A.4): which fragments make
 * up which frame, from the Extended Offset Table, the Basic Offset Table,
 * or the fragments themselves when both are empty.
 *
 * @module
 */
import { Tag } from "../dictionary/mod.ts";
import { concatBytes, type Dataset, type FragmentsElement } from "../dataset/mod.ts";
import { CodecError } from "./errors.ts";

/** Item tag and length before each fragment (PS3.5 A.4). */
const ITEM_HEADER = 8;

/** Whether a fragment starts a JPEG (SOI), JPEG-LS (SOI) or JPEG 2000 (SOC, or a JP2 signature box) frame. */
function startsFrame(fragment: Uint8Array): boolean {
  if (fragment[0] === 0xff && (fragment[1] === 0xd8 || fragment[1] === 0x4f)) return true;
  return fragment[4] === 0x6a && fragment[5] === 0x50 && fragment[6] === 0x20 &&
    fragment[7] === 0x20;
}

/**
 * Splits encapsulated pixel data into its frames' bytes, each frame's
 * fragments joined.
 *
 * - With an Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002):
 *   byte ranges counted from the first fragment's Item tag (PS3.3 C.7.6.3.1.8).
 * - With a Basic Offset Table: each frame from the fragment at its offset
 *   to the next frame's (PS3.5 A.4 and Table A.4-1).
 * - With neither: one fragment per frame when the counts agree, all
 *   fragments for one frame, else frames split where a fragment starts with
 *   a JPEG or JPEG 2000 start marker (PS3.5 A.4: "a frame may be split
 *   across fragments" and each frame starts a new fragment).
 *
 * @example One frame in two fragments
 * ```ts
 * import { encapsulatedFrames } from "./fragments.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const ds = new Dataset().setElement({
 *   tag: Tag.PixelData, vr: "OB", kind: "fragments",
 *   offsetTable: new Uint8Array(0), fragments: [new Uint8Array([1, 2]), new Uint8Array([3, 4])],
 * });
 * console.log(encapsulatedFrames(ds, 1).map((f) => [...f])); // [ [ 1, 2, 3, 4 ] ]
 * ```
 *
 * @param dataset The data set holding encapsulated Pixel Data.
 * @param numberOfFrames Number of Frames (0028,0008), 1 when absent.
 * @returns Each frame's bytes.
 * @throws {CodecError} when the tables disagree with the fragments or with the frame count.
 */
export function encapsulatedFrames(dataset: Dataset, numberOfFrames: number): Uint8Array[] {
  const element: FragmentsElement | undefined = dataset.fragments(Tag.PixelData);
  if (!element) throw new CodecError("Cannot read frames: Pixel Data is not encapsulated");
  const fragments = element.fragments;
  // Where each fragment's item starts, counted from the first fragment's Item tag.
  const starts: number[] = [];
  let position = 0;
  for (const f of fragments) {
    starts.push(position);
    position += ITEM_HEADER + f.length;
  }
  const total = position;
  const extended = dataset.get(Tag.ExtendedOffsetTable);
  if (extended) {
    const offsets = uint64s(dataset.bytes(Tag.ExtendedOffsetTable), "Extended Offset Table");
    const lengths = uint64s(
      dataset.bytes(Tag.ExtendedOffsetTableLengths),
      "Extended Offset Table Lengths",
    );
    if (offsets.length !== numberOfFrames || lengths.length !== numberOfFrames) {
      throw new CodecError(
        `Cannot read frames: the Extended Offset Table has ${offsets.length} offsets and ` +
          `${lengths.length} lengths for ${numberOfFrames} frames`,
      );
    }
    // PS3.3 C.7.6.3.1.8: each frame is one fragment; its offset is that of its Item tag.
    return offsets.map((offset, i) => {
      const index = starts.indexOf(offset);
      if (index < 0 || fragments[index]!.length < lengths[i]!) {
        throw new CodecError(
          `Cannot read frame ${i + 1}: the Extended Offset Table points at byte ${offset}, ` +
            `which starts no fragment of length ${lengths[i]} or more`,
          { frame: i },
        );
      }
      return fragments[index]!.subarray(0, lengths[i]!);
    });
  }
  if (fragments.length === 0) {
    throw new CodecError("Cannot read frames: Pixel Data has no fragments");
  }
  const bot = element.offsetTable;
  if (bot.length > 0) {
    if (bot.length % 4 !== 0 || bot.length / 4 !== numberOfFrames) {
      throw new CodecError(
        `Cannot read frames: the Basic Offset Table has ${bot.length / 4} entries for ` +
          `${numberOfFrames} frames`,
      );
    }
    const view = new DataView(bot.buffer, bot.byteOffset, bot.byteLength);
    const first: number[] = [];
    for (let i = 0; i < numberOfFrames; i++) {
      const offset = view.getUint32(4 * i, true);
      const index = starts.indexOf(offset);
      if (index < 0 || (i > 0 && index <= first[i - 1]!)) {
        throw new CodecError(
          `Cannot read frame ${i + 1}: the Basic Offset Table gives byte ${offset}, which is ` +
            `not the start of a fragment after the previous frame's (fragments end at ${total})`,
          { frame: i },
        );
      }
      first.push(index);
    }
    return first.map((f, i) => concatBytes(fragments.slice(f, first[i + 1] ?? fragments.length)));
  }
  if (fragments.length === numberOfFrames) return fragments.map((f) => f);
  if (numberOfFrames === 1) return [concatBytes(fragments)];
  const firsts: number[] = [];
  fragments.forEach((f, i) => {
    if (startsFrame(f)) firsts.push(i);
  });
  if (firsts.length !== numberOfFrames || firsts[0] !== 0) {
    throw new CodecError(
      `Cannot read frames: ${fragments.length} fragments and no offset table for ` +
        `${numberOfFrames} frames, and the fragments do not show where frames start`,
    );
  }
  return firsts.map((f, i) => concatBytes(fragments.slice(f, firsts[i + 1] ?? fragments.length)));
}

function uint64s(bytes: Uint8Array | undefined, name: string): number[] {
  if (!bytes || bytes.length % 8 !== 0) {
    throw new CodecError(`Cannot read frames: the ${name} is not a list of 64-bit values`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    const v = view.getBigUint64(i, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CodecError(`Cannot read frames: the ${name} holds ${v}, beyond any fragment`);
    }
    out.push(Number(v));
  }
  return out;
}
