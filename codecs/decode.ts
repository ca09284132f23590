/**
 * Decoding one compressed frame to native pixel bytes, whatever its
 * transfer syntax: RLE and 12-bit JPEG DCT here, the rest of the JPEG
 * family through WebAssembly builds loaded on first use.
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";
import { CodecError, UnsupportedTransferSyntaxError } from "./errors.ts";
import { hasEndMarker, readJ2kHeader, readJpegHeader } from "./_headers.ts";
import type { PixelInfo } from "./pixel_info.ts";
import { decodeJpegDct } from "./jpeg_dct.ts";
import { decodeRleFrame } from "./rle.ts";
import { type WasmCodec, wasmDecode, type WasmDecoded } from "./_wasm.ts";
import { lossyMethod } from "./transfer_syntaxes.ts";

/** A frame decoded to native pixel bytes. */
export interface DecodedFrame {
  /** Samples interleaved (Planar Configuration 0), little endian, `bitsAllocated / 8` bytes each. */
  readonly bytes: Uint8Array;
  /** The Photometric Interpretation of `bytes` (e.g. `RGB` after a YCbCr JPEG). */
  readonly photometricInterpretation: string;
  /**
   * The Lossy Image Compression Method (0028,2114) of the decode when the
   * bitstream was lossy (JPEG DCT, JPEG-LS with NEAR > 0, irreversible JPEG
   * 2000), else `undefined`.
   */
  readonly lossyMethod: string | undefined;
}

let losslessDecoder: Promise<typeof import("jpeg-lossless-decoder-js")> | undefined;

/**
 * Decodes one frame of a compressed transfer syntax.
 *
 * @example Decode an RLE frame
 * ```ts
 * import { decodeFrame, encodeRleFrame } from "./mod.ts";
 * import { Uid } from "../dictionary/mod.ts";
 *
 * const info = {
 *   rows: 1, columns: 4, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8, highBit: 7,
 *   pixelRepresentation: 0, photometricInterpretation: "MONOCHROME2", planarConfiguration: 0,
 *   numberOfFrames: 1,
 * };
 * const frame = encodeRleFrame(new Uint8Array([1, 2, 3, 4]), info);
 * const decoded = await decodeFrame(frame, Uid.RLELossless, info);
 * console.log([...decoded.bytes]); // [ 1, 2, 3, 4 ]
 * ```
 *
 * @param bytes The frame's bitstream (its fragments joined).
 * @param transferSyntax The transfer syntax UID it is encoded in.
 * @param info The image's layout; the decoded frame must match it.
 * @param index The frame's number from 0, for messages.
 * @returns The native pixel bytes.
 * @throws {UnsupportedTransferSyntaxError} for a syntax (or a JPEG process) no codec here decodes.
 * @throws {CodecError} for a truncated or corrupt frame, or one whose geometry differs from `info`.
 */
export async function decodeFrame(
  bytes: Uint8Array,
  transferSyntax: string,
  info: PixelInfo,
  index = 0,
): Promise<DecodedFrame> {
  const where = `frame ${index + 1}`;
  try {
    switch (transferSyntax) {
      case Uid.RLELossless:
        return {
          bytes: decodeRleFrame(bytes, info),
          photometricInterpretation: info.photometricInterpretation,
          lossyMethod: undefined,
        };
      case Uid.JPEGBaseline8Bit:
      case Uid.JPEGExtended12Bit:
      case Uid.JPEGLossless:
      case Uid.JPEGLosslessSV1:
        return await decodeJpeg(bytes, transferSyntax, info);
      case Uid.JPEGLSLossless:
      case Uid.JPEGLSNearLossless:
        return await decodeJpegLs(bytes, info);
      case Uid.JPEG2000Lossless:
      case Uid.JPEG2000:
      case Uid.HTJ2KLossless:
      case Uid.HTJ2KLosslessRPCL:
      case Uid.HTJ2K:
        return await decodeJ2k(bytes, transferSyntax, info);
      default:
        throw new UnsupportedTransferSyntaxError(
          `Cannot decode ${where}: no decoder for transfer syntax ${transferSyntax}`,
          transferSyntax,
        );
    }
  } catch (e) {
    if (e instanceof UnsupportedTransferSyntaxError) throw e;
    if (e instanceof CodecError) {
      throw new CodecError(
        `Cannot decode ${where}: ${e.message.replace(/^Cannot decode\s*/, "")}`,
        {
          frame: index,
          cause: e,
        },
      );
    }
    throw new CodecError(`Cannot decode ${where}: ${e instanceof Error ? e.message : e}`, {
      frame: index,
      cause: e,
    });
  }
}

function checkGeometry(
  what: string,
  got: { rows: number; columns: number; components: number; precision: number },
  info: PixelInfo,
): void {
  if (
    got.rows !== info.rows || got.columns !== info.columns ||
    got.components !== info.samplesPerPixel || got.precision > info.bitsAllocated
  ) {
    throw new CodecError(
      `${what}: the bitstream holds ${got.columns}x${got.rows} with ${got.components} ` +
        `components of ${got.precision} bits, the data set says ${info.columns}x${info.rows} with ` +
        `${info.samplesPerPixel} samples of ${info.bitsAllocated} bits allocated`,
    );
  }
}

/** Decodes with `codec`, then checks what it made against the data set. */
async function wasmDecodeChecked(
  codec: WasmCodec,
  what: string,
  bytes: Uint8Array,
  info: PixelInfo,
): Promise<WasmDecoded> {
  const decoded = await wasmDecode(codec, bytes);
  const d = decoded.info;
  checkGeometry(what, {
    rows: d.height,
    columns: d.width,
    components: d.componentCount,
    precision: d.bitsPerSample,
  }, info);
  return decoded;
}

/** Widens 8-bit samples to 16 bits, or checks the sizes agree. */
function toAllocated(pixels: Uint8Array, sampleBytes: number, info: PixelInfo): Uint8Array {
  const count = info.rows * info.columns * info.samplesPerPixel;
  const want = info.bitsAllocated >> 3;
  if (pixels.length < count * sampleBytes) {
    throw new CodecError(`the decoder gave ${pixels.length} bytes for ${count} samples`);
  }
  if (sampleBytes === want) return pixels.subarray(0, count * want);
  if (sampleBytes === 1 && want === 2) {
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = pixels[i]!;
    return new Uint8Array(out.buffer);
  }
  throw new CodecError(
    `${sampleBytes}-byte decoded samples do not fit Bits Allocated ${info.bitsAllocated}`,
  );
}

/** By-plane samples (R...G...B...) to interleaved (RGBRGB...), `sampleBytes` bytes each. */
export function interleave(planar: Uint8Array, info: PixelInfo, sampleBytes: number): Uint8Array {
  const pixels = info.rows * info.columns;
  const spp = info.samplesPerPixel;
  const out = new Uint8Array(planar.length);
  for (let s = 0; s < spp; s++) {
    for (let p = 0; p < pixels; p++) {
      for (let b = 0; b < sampleBytes; b++) {
        out[(p * spp + s) * sampleBytes + b] = planar[(s * pixels + p) * sampleBytes + b]!;
      }
    }
  }
  return out;
}

async function decodeJpeg(
  bytes: Uint8Array,
  transferSyntax: string,
  info: PixelInfo,
): Promise<DecodedFrame> {
  const header = readJpegHeader(bytes);
  if (!header) throw new CodecError("no JPEG frame header (SOI, then SOFn) at its start");
  checkGeometry("JPEG", header, info);
  const sof = header.marker;
  if (!hasEndMarker(bytes)) throw new CodecError("the JPEG bitstream has no EOI: it is truncated");
  // ISO 10918-1 B.1.1.3: SOF3 is lossless Huffman, SOF0/1 baseline and extended DCT.
  if (sof === 0xffc3) {
    losslessDecoder ??= import("jpeg-lossless-decoder-js");
    const { Decoder } = await losslessDecoder;
    let out: ArrayBuffer;
    try {
      // The decoder only reads its input, through a view of `length` bytes at `offset`: no copy.
      out = new Decoder().decompress(
        bytes.buffer as ArrayBuffer,
        bytes.byteOffset,
        bytes.length,
      ) as ArrayBuffer;
    } catch (e) {
      throw new CodecError(`JPEG Lossless: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
    const sampleBytes = header.precision > 8 ? 2 : 1;
    return {
      bytes: toAllocated(new Uint8Array(out), sampleBytes, info),
      photometricInterpretation: info.photometricInterpretation,
      lossyMethod: undefined,
    };
  }
  if (sof !== 0xffc0 && sof !== 0xffc1) {
    throw new UnsupportedTransferSyntaxError(
      `Cannot decode: JPEG process with SOF marker ${
        sof.toString(16).toUpperCase()
      } is not supported`,
      transferSyntax,
    );
  }
  const rgb = info.samplesPerPixel === 3 && info.photometricInterpretation === "RGB";
  if (header.precision !== 8) return decodeJpeg12(bytes, info, rgb);
  const decoded = await wasmDecodeChecked(
    "libjpeg-turbo",
    "JPEG",
    rgb ? markedRgb(bytes) : bytes,
    info,
  );
  // libjpeg turns YCbCr into RGB (ISO 10918-1 with JFIF or no Adobe
  // transform flag); PS3.5 8.2.1: the decoded image is then RGB.
  const photometric = info.samplesPerPixel === 3 ? "RGB" : info.photometricInterpretation;
  return {
    bytes: toAllocated(decoded.pixels, 1, info),
    photometricInterpretation: photometric,
    lossyMethod: lossyMethod(Uid.JPEGBaseline8Bit),
  };
}

/**
 * 12-bit JPEG Extended (process 4, PS3.5 A.4.1) with the decoder written
 * here (jpeg_dct.ts). Three components are converted to RGB as libjpeg
 * (and so the 8-bit path and dcmdjpeg) would, except that a data set that
 * says RGB keeps its samples (PS3.5 8.2.1); unconverted YBR_FULL_422
 * comes out upsampled, so YBR_FULL.
 */
function decodeJpeg12(bytes: Uint8Array, info: PixelInfo, rgb: boolean): DecodedFrame {
  const image = decodeJpegDct(bytes, info, rgb ? { colorTransform: false } : {});
  const pi = info.photometricInterpretation;
  const photometric = image.colorTransformed ? "RGB" : pi === "YBR_FULL_422" ? "YBR_FULL" : pi;
  return {
    bytes: toAllocated(new Uint8Array(image.samples.buffer), 2, info),
    photometricInterpretation: photometric,
    lossyMethod: lossyMethod(Uid.JPEGExtended12Bit),
  };
}

async function decodeJpegLs(bytes: Uint8Array, info: PixelInfo): Promise<DecodedFrame> {
  const header = readJpegHeader(bytes);
  if (!header || header.marker !== 0xfff7) {
    throw new CodecError("no JPEG-LS frame header (SOI, then SOF55) at its start");
  }
  checkGeometry("JPEG-LS", header, info);
  if (!hasEndMarker(bytes)) {
    throw new CodecError("the JPEG-LS bitstream has no EOI: it is truncated");
  }
  const decoded = await wasmDecodeChecked("charls", "JPEG-LS", bytes, info);
  const d = decoded.info;
  const sampleBytes = d.bitsPerSample > 8 ? 2 : 1;
  let pixels = decoded.pixels;
  // ISO 14495-1 interleave mode 0 (none): the decoder gives one plane after another.
  if (decoded.interleaveMode === 0 && info.samplesPerPixel > 1) {
    pixels = interleave(pixels, info, sampleBytes);
  }
  return {
    bytes: toAllocated(pixels, sampleBytes, info),
    photometricInterpretation: info.photometricInterpretation,
    lossyMethod: (decoded.nearLossless ?? 0) > 0 ? "ISO_14495_1" : undefined,
  };
}

async function decodeJ2k(
  bytes: Uint8Array,
  transferSyntax: string,
  info: PixelInfo,
): Promise<DecodedFrame> {
  const header = readJ2kHeader(bytes);
  if (!header) throw new CodecError("no JPEG 2000 codestream header (SOC, then SIZ)");
  checkGeometry("JPEG 2000", header, info);
  // ISO 15444-1 A.4.4: a codestream ends with EOC (FFD9); without it, it was cut.
  if (!hasEndMarker(bytes)) {
    throw new CodecError("the JPEG 2000 codestream has no EOC: it is truncated");
  }
  const ht = transferSyntax === Uid.HTJ2KLossless || transferSyntax === Uid.HTJ2KLosslessRPCL ||
    transferSyntax === Uid.HTJ2K;
  const decoded = await wasmDecodeChecked(ht ? "openjph" : "openjpeg", "JPEG 2000", bytes, info);
  const d = decoded.info;
  const sampleBytes = d.bitsPerSample > 8 ? 2 : 1;
  // The decoder undoes the multiple component transform (ISO 15444-1 Annex
  // G): YBR_RCT and YBR_ICT data come out as RGB (PS3.5 A.4.4).
  const pi = info.photometricInterpretation;
  const photometric = pi === "YBR_RCT" || pi === "YBR_ICT" ? "RGB" : pi;
  const method = decoded.reversible === false
    ? lossyMethod(ht ? Uid.HTJ2K : Uid.JPEG2000)
    : undefined;
  return {
    bytes: toAllocated(decoded.pixels, sampleBytes, info),
    photometricInterpretation: photometric,
    lossyMethod: method,
  };
}

/** APP14 "Adobe" with transform flag 0: the components are not YCbCr (ISO 10918-6 / T.872 6.5.3). */
const ADOBE_RGB = new Uint8Array([
  0xff,
  0xee,
  0x00,
  0x0e,
  0x41,
  0x64,
  0x6f,
  0x62,
  0x65,
  0x00,
  0x64,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
]);

/**
 * A JPEG whose data set says RGB (PS3.5 8.2.1: no colour transform was
 * applied) but that carries neither a JFIF APP0 nor an Adobe APP14 marker:
 * libjpeg would take its three components for YCbCr and convert them.
 * An Adobe marker with transform 0 is put after SOI so that it does not, as
 * DCMTK's dcmdjpeg decodes such files.
 */
function markedRgb(bytes: Uint8Array): Uint8Array {
  let i = 2;
  while (i + 4 <= bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1]!;
    if (marker === 0xe0 || marker === 0xee) return bytes; // JFIF or Adobe: libjpeg knows
    if (marker === 0xda || (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4)) break;
    i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  }
  const out = new Uint8Array(bytes.length + ADOBE_RGB.length);
  out.set(bytes.subarray(0, 2));
  out.set(ADOBE_RGB, 2);
  out.set(bytes.subarray(2), 2 + ADOBE_RGB.length);
  return out;
}
