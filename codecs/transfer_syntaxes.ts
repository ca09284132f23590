/**
 * Which transfer syntaxes this layer decodes and encodes, and how lossy
 * each is.
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";
import { isNativeTransferSyntax } from "../dataset/mod.ts";

/**
 * The compressed transfer syntaxes {@linkcode decodeFrames} decodes (native
 * ones need no codec). JPEG Extended (4.51) decodes with 8-bit samples
 * (libjpeg-turbo) and 12-bit ones (the decoder written here, jpeg_dct.ts).
 *
 * @example Usage
 * ```ts
 * import { DECODABLE_TRANSFER_SYNTAXES } from "./transfer_syntaxes.ts";
 * import { Uid } from "../dictionary/mod.ts";
 *
 * console.log(DECODABLE_TRANSFER_SYNTAXES.includes(Uid.RLELossless)); // true
 * ```
 */
export const DECODABLE_TRANSFER_SYNTAXES: readonly string[] = [
  Uid.RLELossless,
  Uid.JPEGBaseline8Bit,
  Uid.JPEGExtended12Bit,
  Uid.JPEGLossless,
  Uid.JPEGLosslessSV1,
  Uid.JPEGLSLossless,
  Uid.JPEGLSNearLossless,
  Uid.JPEG2000Lossless,
  Uid.JPEG2000,
  Uid.HTJ2KLossless,
  Uid.HTJ2KLosslessRPCL,
  Uid.HTJ2K,
];

/**
 * The compressed transfer syntaxes {@linkcode transcode} encodes, all
 * lossless: RLE (written here), JPEG-LS Lossless (CharLS), JPEG 2000
 * Lossless (OpenJPEG) and HTJ2K Lossless (OpenJPH).
 *
 * @example Usage
 * ```ts
 * import { ENCODABLE_TRANSFER_SYNTAXES } from "./transfer_syntaxes.ts";
 * import { Uid } from "../dictionary/mod.ts";
 *
 * console.log(ENCODABLE_TRANSFER_SYNTAXES.includes(Uid.JPEGBaseline8Bit)); // false
 * ```
 */
export const ENCODABLE_TRANSFER_SYNTAXES: readonly string[] = [
  Uid.RLELossless,
  Uid.JPEGLSLossless,
  Uid.JPEG2000Lossless,
  Uid.HTJ2KLossless,
];

/**
 * Whether the transfer syntax is native (uncompressed; deflate counts as
 * native pixel data).
 *
 * @example Usage
 * ```ts
 * import { isNative } from "./transfer_syntaxes.ts";
 * import { Uid } from "../dictionary/mod.ts";
 *
 * console.log(isNative(Uid.DeflatedExplicitVRLittleEndian), isNative(Uid.RLELossless)); // true false
 * ```
 *
 * @param transferSyntax A transfer syntax UID.
 * @returns Whether its Pixel Data is native.
 */
export function isNative(transferSyntax: string): boolean {
  return isNativeTransferSyntax(transferSyntax);
}

/**
 * The Lossy Image Compression Method (0028,2114) term of a transfer syntax
 * that may lose information (PS3.3 C.7.6.1.1.5.1), or `undefined` for one
 * that never does.
 *
 * @example Usage
 * ```ts
 * import { lossyMethod } from "./transfer_syntaxes.ts";
 * import { Uid } from "../dictionary/mod.ts";
 *
 * console.log(lossyMethod(Uid.JPEGBaseline8Bit), lossyMethod(Uid.RLELossless)); // ISO_10918_1 undefined
 * ```
 *
 * @param transferSyntax A transfer syntax UID.
 * @returns The method's defined term, or `undefined`.
 */
export function lossyMethod(transferSyntax: string): string | undefined {
  switch (transferSyntax) {
    case Uid.JPEGBaseline8Bit:
    case Uid.JPEGExtended12Bit:
      return "ISO_10918_1";
    case Uid.JPEGLSNearLossless:
      return "ISO_14495_1";
    case Uid.JPEG2000:
      return "ISO_15444_1";
    case Uid.HTJ2K:
      return "ISO_15444_15";
    default:
      return undefined;
  }
}
