/**
 * Pixel access: the frames of an image as typed arrays, whatever its
 * transfer syntax (PS3.5 §8, A.4), decoded with the codecs of this layer.
 *
 * @module
 */
import { Tag } from "../dictionary/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import { CodecError } from "./errors.ts";
import { decodeFrame, interleave } from "./decode.ts";
import { encapsulatedFrames } from "./fragments.ts";
import { nativeFrameLength, type PixelInfo, pixelInfo } from "./pixel_info.ts";
import { isNative } from "./transfer_syntaxes.ts";

/** An image: its data set and the transfer syntax it is encoded in (a `Part10File` is one). */
export interface ImageSource {
  /** The data set, with the Image Pixel Module and Pixel Data. */
  readonly dataset: Dataset;
  /** The transfer syntax of the data set (from the file meta or the presentation context). */
  readonly transferSyntax: string;
}

/** The typed arrays a frame's samples come in. */
export type PixelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array;

/** One decoded frame. */
export interface Frame {
  /** Its number, from 0. */
  readonly index: number;
  /** Rows. */
  readonly rows: number;
  /** Columns. */
  readonly columns: number;
  /** Samples per pixel, interleaved in `pixels` (R, G, B, R, G, B, ...). */
  readonly samplesPerPixel: number;
  /** Bits Allocated: the size of each element of `pixels` (1 means packed bits in bytes). */
  readonly bitsAllocated: number;
  /** Bits Stored. */
  readonly bitsStored: number;
  /** Whether samples are two's complement (Pixel Representation 1). */
  readonly signed: boolean;
  /** The Photometric Interpretation of `pixels`, after decoding (a YCbCr JPEG gives `RGB`). */
  readonly photometricInterpretation: string;
  /**
   * The samples: `Uint8Array`/`Int8Array` for 8 bits allocated,
   * `Uint16Array`/`Int16Array` for 16, `Uint32Array`/`Int32Array` for 32
   * (signed by Pixel Representation). When Bits Stored is less than Bits
   * Allocated (and High Bit is Bits Stored - 1), the values are the stored
   * ones (PS3.5 §8.1.1): unused high bits cleared, signed values
   * sign-extended from their high bit, so that a JPEG-LS decode (which
   * gives the bit pattern) and a native file agree.
   */
  readonly pixels: PixelArray;
  /** The same samples as native little endian bytes (what Explicit VR Little Endian would hold). */
  readonly bytes: Uint8Array;
  /** The Lossy Image Compression Method of the decode, when the bitstream was lossy. */
  readonly lossyMethod: string | undefined;
}

function typed(bytes: Uint8Array, info: PixelInfo): [PixelArray, Uint8Array] {
  const [pixels, native] = view(bytes, info);
  const { bitsStored, bitsAllocated } = info;
  if (
    bitsStored >= bitsAllocated || info.highBit !== bitsStored - 1 || bitsAllocated === 1 ||
    bitsAllocated > 32
  ) return [pixels, native];
  // PS3.5 §8.1.1: only Bits Stored bits hold the value; the rest is cleared or the sign.
  const shift = 32 - bitsStored;
  const signed = info.pixelRepresentation === 1;
  const fix = signed
    ? (v: number) => (v << shift) >> shift
    : (v: number) => v & ((2 ** bitsStored) - 1);
  // The common case (every value already clean) in a loop without calls.
  let i = 0;
  const n = pixels.length;
  if (signed) {
    while (i < n && ((pixels[i]! << shift) >> shift) === pixels[i]) i++;
  } else {
    const mask = (2 ** bitsStored) - 1;
    while (i < n && (pixels[i]! & mask) === pixels[i]) i++;
  }
  if (i === pixels.length) return [pixels, native];
  // A native frame is a view into the data set: normalised in a copy.
  const [copy, copyBytes] = view(native.slice(), info);
  for (let k = i; k < copy.length; k++) copy[k] = fix(copy[k]!);
  return [copy, copyBytes];
}

type PixelArrayType = new (
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
) => PixelArray;
/** The typed array of each whole-byte Bits Allocated: unsigned, then signed. */
const ARRAYS: Record<number, readonly [PixelArrayType, PixelArrayType]> = {
  8: [Uint8Array, Int8Array],
  16: [Uint16Array, Int16Array],
  32: [Uint32Array, Int32Array],
};

function view(bytes: Uint8Array, info: PixelInfo): [PixelArray, Uint8Array] {
  const size = info.bitsAllocated >> 3;
  if (size > 1 && bytes.byteOffset % size !== 0) bytes = bytes.slice();
  const signed = info.pixelRepresentation === 1;
  const types = ARRAYS[info.bitsAllocated];
  // 1 bit: packed, as stored; 8 bits unsigned: the bytes themselves.
  if (!types || (size === 1 && !signed)) return [bytes, bytes];
  const Type = types[signed ? 1 : 0];
  return [new Type(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / size)), bytes];
}

/** YBR_FULL_422 (Y Y Cb Cr per two pixels, PS3.3 C.7.6.3.1.2) to YBR_FULL, 8 bits. */
function expand422(bytes: Uint8Array, info: PixelInfo): Uint8Array {
  const out = new Uint8Array(info.rows * info.columns * 3);
  const pairs = (info.rows * info.columns) >> 1;
  for (let i = 0; i < pairs; i++) {
    const y0 = bytes[4 * i]!,
      y1 = bytes[4 * i + 1]!,
      cb = bytes[4 * i + 2]!,
      cr = bytes[4 * i + 3]!;
    out.set([y0, cb, cr, y1, cb, cr], 6 * i);
  }
  return out;
}

function checkIndex(index: number, info: PixelInfo): void {
  if (!Number.isInteger(index) || index < 0 || index >= info.numberOfFrames) {
    throw new RangeError(
      `Cannot read frame ${index}: the image has ${info.numberOfFrames} frames (0 to ${
        info.numberOfFrames - 1
      })`,
    );
  }
}

function nativeFrame(dataset: Dataset, info: PixelInfo, index: number): Frame {
  const data = dataset.bytes(Tag.PixelData);
  if (!data) throw new CodecError("Cannot read frames: the data set has no native Pixel Data");
  const length = nativeFrameLength(info);
  if (info.bitsAllocated === 1 && info.numberOfFrames > 1 && (info.rows * info.columns) % 8 !== 0) {
    throw new CodecError("Cannot read frames: 1-bit frames that do not end on a byte boundary");
  }
  if (data.length < length * info.numberOfFrames) {
    throw new CodecError(
      `Cannot read frames: Pixel Data holds ${data.length} bytes, ${info.numberOfFrames} frames of ` +
        `${info.columns}x${info.rows} need ${length * info.numberOfFrames}`,
    );
  }
  let bytes = data.subarray(index * length, (index + 1) * length);
  let photometric = info.photometricInterpretation;
  if (photometric === "YBR_FULL_422" && info.bitsAllocated === 8) {
    bytes = expand422(bytes, info);
    photometric = "YBR_FULL";
  } else if (
    info.planarConfiguration === 1 && info.samplesPerPixel > 1 && info.bitsAllocated >= 8
  ) {
    bytes = interleave(bytes, info, info.bitsAllocated >> 3);
  }
  return frameOf(bytes, info, index, photometric, undefined);
}

function frameOf(
  bytes: Uint8Array,
  info: PixelInfo,
  index: number,
  photometricInterpretation: string,
  lossyMethod: string | undefined,
): Frame {
  const [pixels, native] = typed(bytes, info);
  return {
    index,
    rows: info.rows,
    columns: info.columns,
    samplesPerPixel: info.samplesPerPixel,
    bitsAllocated: info.bitsAllocated,
    bitsStored: info.bitsStored,
    signed: info.pixelRepresentation === 1,
    photometricInterpretation,
    pixels,
    bytes: native,
    lossyMethod,
  };
}

/**
 * Reads and decodes one frame of an image. Native pixel data needs no
 * codec; compressed frames load their codec on first use.
 *
 * @example Read the first frame of a generated image
 * ```ts
 * import { readFrame } from "./frames.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag, Uid } from "../dictionary/mod.ts";
 *
 * const dataset = new Dataset()
 *   .set(Tag.SamplesPerPixel, 1).set(Tag.PhotometricInterpretation, "MONOCHROME2")
 *   .set(Tag.Rows, 2).set(Tag.Columns, 2).set(Tag.BitsAllocated, 16).set(Tag.BitsStored, 16)
 *   .set(Tag.HighBit, 15).set(Tag.PixelRepresentation, 1)
 *   .set(Tag.PixelData, new Uint8Array(new Int16Array([-1, 0, 1, 2]).buffer), "OW");
 * const frame = await readFrame({ dataset, transferSyntax: Uid.ExplicitVRLittleEndian }, 0);
 * console.log(frame.pixels); // Int16Array(4) [ -1, 0, 1, 2 ]
 * ```
 *
 * @param image The data set and its transfer syntax (a `Part10File` will do).
 * @param index The frame, from 0.
 * @returns The decoded frame.
 * @throws {RangeError} for an index outside the image's frames.
 * @throws {CodecError} for pixel data that does not agree with its attributes, or a bad frame.
 * @throws {UnsupportedTransferSyntaxError} for a syntax no codec here decodes.
 */
export async function readFrame(image: ImageSource, index: number): Promise<Frame> {
  const info = pixelInfo(image.dataset);
  checkIndex(index, info);
  if (isNative(image.transferSyntax)) return nativeFrame(image.dataset, info, index);
  const frames = encapsulatedFrames(image.dataset, info.numberOfFrames);
  return await decodedFrame(frames[index]!, image.transferSyntax, info, index);
}

async function decodedFrame(
  bytes: Uint8Array,
  transferSyntax: string,
  info: PixelInfo,
  index: number,
): Promise<Frame> {
  const decoded = await decodeFrame(bytes, transferSyntax, info, index);
  return frameOf(
    decoded.bytes,
    info,
    index,
    decoded.photometricInterpretation,
    decoded.lossyMethod,
  );
}

/**
 * Reads and decodes every frame of an image, in order.
 *
 * @example Decode an RLE file
 * ```ts ignore
 * import { decodeFrames } from "@dcm/net/codecs";
 * import { decodePart10 } from "@dcm/net/dataset";
 *
 * const file = decodePart10(await Deno.readFile("MR_small_RLE.dcm"));
 * const [frame] = await decodeFrames(file);
 * console.log(frame.rows, frame.columns, frame.pixels.constructor.name); // 64 64 Int16Array
 * ```
 *
 * @param image The data set and its transfer syntax (a `Part10File` will do).
 * @returns The decoded frames.
 * @throws {CodecError} for pixel data that does not agree with its attributes, or a bad frame.
 * @throws {UnsupportedTransferSyntaxError} for a syntax no codec here decodes.
 */
export async function decodeFrames(image: ImageSource): Promise<Frame[]> {
  const info = pixelInfo(image.dataset);
  if (isNative(image.transferSyntax)) {
    return Array.from(
      { length: info.numberOfFrames },
      (_, i) => nativeFrame(image.dataset, info, i),
    );
  }
  const frames = encapsulatedFrames(image.dataset, info.numberOfFrames);
  const out: Frame[] = [];
  for (const [i, bytes] of frames.entries()) {
    out.push(await decodedFrame(bytes, image.transferSyntax, info, i));
  }
  return out;
}
