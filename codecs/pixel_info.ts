/**
 * The attributes of the Image Pixel Module (PS3.3 C.7.6.3) that describe a
 * frame's layout, read once from a data set.
 *
 * @module
 */
import { Tag } from "../dictionary/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import { CodecError } from "./errors.ts";

/** A frame's layout, from the Image Pixel Module (PS3.3 C.7.6.3.1). */
export interface PixelInfo {
  /** Rows (0028,0010). */
  readonly rows: number;
  /** Columns (0028,0011). */
  readonly columns: number;
  /** Samples per Pixel (0028,0002). */
  readonly samplesPerPixel: number;
  /** Bits Allocated (0028,0100). */
  readonly bitsAllocated: number;
  /** Bits Stored (0028,0101). */
  readonly bitsStored: number;
  /** High Bit (0028,0102). */
  readonly highBit: number;
  /** Pixel Representation (0028,0103): 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: number;
  /** Photometric Interpretation (0028,0004), e.g. `MONOCHROME2`, `RGB`, `YBR_FULL_422`. */
  readonly photometricInterpretation: string;
  /** Planar Configuration (0028,0006): 0 interleaved, 1 by plane (only with more than one sample). */
  readonly planarConfiguration: number;
  /** Number of Frames (0028,0008); 1 when absent. */
  readonly numberOfFrames: number;
}

/** Largest Rows x Columns x Samples accepted, against absurd geometry from bad headers (2^31 samples). */
const MAX_SAMPLES = 2 ** 31;

/**
 * Reads the layout of a data set's pixel data.
 *
 * @example Usage
 * ```ts
 * import { pixelInfo } from "./pixel_info.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const ds = new Dataset()
 *   .set(Tag.Rows, 2).set(Tag.Columns, 3).set(Tag.SamplesPerPixel, 1)
 *   .set(Tag.BitsAllocated, 16).set(Tag.BitsStored, 12).set(Tag.HighBit, 11)
 *   .set(Tag.PixelRepresentation, 0).set(Tag.PhotometricInterpretation, "MONOCHROME2");
 * console.log(pixelInfo(ds).numberOfFrames); // 1
 * ```
 *
 * @param dataset The image's data set.
 * @returns Its layout.
 * @throws {CodecError} when a required attribute is missing or out of range.
 */
export function pixelInfo(dataset: Dataset): PixelInfo {
  // A value that is no number (a damaged US, an IS with letters) is a CodecError here.
  const read = <T>(get: () => T): T => {
    try {
      return get();
    } catch (e) {
      throw new CodecError(`Cannot read pixel data: ${e instanceof Error ? e.message : e}`, {
        cause: e,
      });
    }
  };
  const number = (tag: number): number | undefined => read(() => dataset.number(tag));
  const text = (tag: number): string | undefined => read(() => dataset.string(tag));
  const need = (tag: number, name: string): number => {
    const v = number(tag);
    if (v === undefined || !Number.isInteger(v) || v < 0) {
      throw new CodecError(`Cannot read pixel data: ${name} is missing or invalid`);
    }
    return v;
  };
  const rows = need(Tag.Rows, "Rows (0028,0010)");
  const columns = need(Tag.Columns, "Columns (0028,0011)");
  const samplesPerPixel = number(Tag.SamplesPerPixel) ?? 1;
  const bitsAllocated = need(Tag.BitsAllocated, "Bits Allocated (0028,0100)");
  const bitsStored = number(Tag.BitsStored) ?? bitsAllocated;
  const highBit = number(Tag.HighBit) ?? bitsStored - 1;
  const pixelRepresentation = number(Tag.PixelRepresentation) ?? 0;
  const photometricInterpretation = text(Tag.PhotometricInterpretation)?.trim() ??
    (samplesPerPixel === 1 ? "MONOCHROME2" : "RGB");
  const planarConfiguration = samplesPerPixel > 1 ? number(Tag.PlanarConfiguration) ?? 0 : 0;
  const frames = text(Tag.NumberOfFrames);
  const numberOfFrames = frames === undefined || frames.trim() === "" ? 1 : Number(frames);
  if (
    rows === 0 || columns === 0 || samplesPerPixel < 1 || samplesPerPixel > 4 ||
    ![1, 8, 16, 32, 64].includes(bitsAllocated) || bitsStored < 1 || bitsStored > bitsAllocated ||
    !Number.isInteger(numberOfFrames) || numberOfFrames < 1 ||
    rows * columns * samplesPerPixel > MAX_SAMPLES
  ) {
    throw new CodecError(
      `Cannot read pixel data: ${rows}x${columns}, ${samplesPerPixel} samples, ` +
        `${bitsStored} of ${bitsAllocated} bits, ${frames ?? 1} frames is no valid image geometry`,
    );
  }
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    photometricInterpretation,
    planarConfiguration,
    numberOfFrames,
  };
}

/**
 * Bytes of one native frame (PS3.5 §8.1.1), YBR_FULL_422 holding two
 * samples per pixel (PS3.3 C.7.6.3.1.2).
 *
 * @example Usage
 * ```ts
 * import { nativeFrameLength } from "./pixel_info.ts";
 *
 * const info = {
 *   rows: 4, columns: 4, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8, highBit: 7,
 *   pixelRepresentation: 0, photometricInterpretation: "YBR_FULL_422", planarConfiguration: 0,
 *   numberOfFrames: 1,
 * };
 * console.log(nativeFrameLength(info)); // 32
 * ```
 *
 * @param info The image's layout.
 * @returns The frame's size in bytes.
 */
export function nativeFrameLength(info: PixelInfo): number {
  const samples = info.photometricInterpretation === "YBR_FULL_422" ? 2 : info.samplesPerPixel;
  return Math.ceil((info.rows * info.columns * samples * info.bitsAllocated) / 8);
}
