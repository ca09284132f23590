/**
 * Encoding one native frame with a lossless compressed transfer syntax:
 * RLE here, JPEG-LS, JPEG 2000 and HTJ2K through WebAssembly builds loaded
 * on first use.
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";
import { CodecError, UnsupportedTransferSyntaxError } from "./errors.ts";
import type { PixelInfo } from "./pixel_info.ts";
import { encodeRleFrame } from "./rle.ts";
import { wasmEncode } from "./_wasm.ts";

/** A frame encoded by {@linkcode encodeFrame}. */
export interface EncodedFrame {
  /** The bitstream (not padded). */
  readonly bytes: Uint8Array;
  /**
   * The Photometric Interpretation the data set must then say: `YBR_RCT`
   * for colour JPEG 2000 encoded with the reversible component transform
   * (PS3.5 A.4.4), else the input's.
   */
  readonly photometricInterpretation: string;
}

/**
 * Encodes one native frame (samples interleaved, little endian) with a
 * lossless transfer syntax of {@linkcode ENCODABLE_TRANSFER_SYNTAXES}.
 *
 * @example Encode with RLE
 * ```ts
 * import { encodeFrame } from "./encode.ts";
 * import { Uid } from "../dictionary/mod.ts";
 *
 * const info = {
 *   rows: 1, columns: 4, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8, highBit: 7,
 *   pixelRepresentation: 0, photometricInterpretation: "MONOCHROME2", planarConfiguration: 0,
 *   numberOfFrames: 1,
 * };
 * const { bytes } = await encodeFrame(new Uint8Array([9, 9, 9, 9]), Uid.RLELossless, info);
 * console.log(bytes.length); // 66
 * ```
 *
 * @param pixels The frame's native bytes.
 * @param transferSyntax The transfer syntax to encode in.
 * @param info The image's layout (Planar Configuration is taken to be 0).
 * @returns The bitstream and the Photometric Interpretation it implies.
 * @throws {UnsupportedTransferSyntaxError} for a syntax this layer does not encode.
 * @throws {CodecError} when the codec refuses the frame.
 */
export async function encodeFrame(
  pixels: Uint8Array,
  transferSyntax: string,
  info: PixelInfo,
): Promise<EncodedFrame> {
  const pi = info.photometricInterpretation;
  const count = info.rows * info.columns * info.samplesPerPixel;
  const size = info.bitsAllocated >> 3;
  if (
    transferSyntax !== Uid.RLELossless && (size < 1 || size > 2 || pixels.length !== count * size)
  ) {
    throw new CodecError(
      `Cannot encode ${transferSyntax}: ${pixels.length} bytes for ${count} samples of ` +
        `${info.bitsAllocated} bits (8 or 16 bits allocated are supported)`,
    );
  }
  const j2k = transferSyntax === Uid.JPEG2000Lossless || transferSyntax === Uid.HTJ2KLossless;
  if (j2k && info.samplesPerPixel > 1 && info.bitsAllocated > 8) {
    // OpenJPEG's wasm build fails (out-of-bounds access) and OpenJPH's does
    // not round-trip on 16-bit colour: refused rather than written wrong.
    throw new CodecError(
      `Cannot encode ${transferSyntax}: colour with more than 8 bits is not supported here`,
    );
  }
  const frameInfo = {
    width: info.columns,
    height: info.rows,
    bitsPerSample: info.bitsStored,
    componentCount: info.samplesPerPixel,
    isSigned: info.pixelRepresentation === 1,
  };
  switch (transferSyntax) {
    case Uid.RLELossless:
      return { bytes: encodeRleFrame(pixels, info), photometricInterpretation: pi };
    case Uid.JPEGLSLossless:
      // ISO 14495-1: samples of Bits Stored bits, unsigned; interleave mode 2 (by sample).
      return {
        bytes: await wasmEncode("charls", masked(pixels, info), frameInfo, {
          interleaveMode: info.samplesPerPixel > 1 ? 2 : 0,
          nearLossless: 0,
        }),
        photometricInterpretation: pi,
      };
    case Uid.JPEG2000Lossless: {
      const bytes = await wasmEncode("openjpeg", pixels, frameInfo);
      return {
        bytes,
        photometricInterpretation: info.samplesPerPixel === 3 && usesMct(bytes) ? "YBR_RCT" : pi,
      };
    }
    case Uid.HTJ2KLossless: {
      const bytes = await wasmEncode("openjph", pixels, {
        ...frameInfo,
        isUsingColorTransform: false,
      });
      return {
        bytes,
        photometricInterpretation: info.samplesPerPixel === 3 && usesMct(bytes) ? "YBR_RCT" : pi,
      };
    }
    default:
      throw new UnsupportedTransferSyntaxError(
        `Cannot encode ${transferSyntax}: only RLE, JPEG-LS, JPEG 2000 and HTJ2K lossless are encoded here`,
        transferSyntax,
      );
  }
}

/** Samples with bits above Bits Stored cleared (JPEG-LS codes Bits Stored bits, unsigned). */
function masked(pixels: Uint8Array, info: PixelInfo): Uint8Array {
  if (info.bitsStored >= info.bitsAllocated) return pixels;
  const mask = (1 << info.bitsStored) - 1;
  if (info.bitsAllocated === 8) return pixels.map((v) => v & mask);
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i += 2) {
    const v = (pixels[i]! | (pixels[i + 1]! << 8)) & mask;
    out[i] = v & 0xff;
    out[i + 1] = v >> 8;
  }
  return out;
}

/**
 * Whether a JPEG 2000 codestream uses a multiple component transform: the
 * COD segment's SGcod MCT byte (ISO 15444-1 A.6.1, Table A.17).
 */
function usesMct(codestream: Uint8Array): boolean {
  for (let i = 2; i + 10 < codestream.length && i < 4096;) {
    if (codestream[i] !== 0xff) return false;
    const marker = codestream[i + 1]!;
    const length = (codestream[i + 2]! << 8) | codestream[i + 3]!;
    // COD: Lcod(2) Scod(1) SGcod = progression(1) layers(2) MCT(1)
    if (marker === 0x52) return codestream[i + 8] === 1;
    if (marker === 0x90) return false; // SOT: the main header ended
    i += 2 + length;
  }
  return false;
}
