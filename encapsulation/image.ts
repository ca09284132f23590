/**
 * A JPEG or JPEG 2000 bitstream as a Secondary Capture Image without
 * decoding it (PS3.3 A.8.1; PS3.5 A.4 encapsulation), and the frames of
 * encapsulated pixel data back out.
 *
 * @module
 */
import { concatBytes, Dataset } from "../dataset/mod.ts";
import { formatTag, Tag, Uid } from "../dictionary/mod.ts";
import { applyAttributes, fillCommon } from "./_common.ts";
import { type BitstreamInfo, readBitstreamHeader } from "./bitstream.ts";
import { EncapsulationError } from "./errors.ts";
import type { EncapsulateOptions } from "./options.ts";

/** An object made by {@linkcode encapsulateImage}: the data set and its transfer syntax. */
export interface EncapsulatedImage {
  /** The Secondary Capture Image Storage data set, its Pixel Data encapsulated. */
  readonly dataset: Dataset;
  /** The transfer syntax the data set must be written in (`encodePart10(ds, { transferSyntax })`). */
  readonly transferSyntax: string;
  /** What the (first) bitstream's header said. */
  readonly info: BitstreamInfo;
}

/**
 * A Secondary Capture image whose Pixel Data is `frames`, JPEG or JPEG 2000
 * bitstreams, each one fragment after a Basic Offset Table that gives each
 * frame's offset (PS3.5 A.4), in the transfer syntax the bitstreams'
 * headers call for (see {@linkcode readJpegHeader}, {@linkcode readJ2kHeader}).
 * One bitstream makes a Secondary Capture Image Storage object (PS3.3
 * A.8.1); several, all with the same header attributes, the Multi-frame
 * Grayscale Byte, Grayscale Word or True Color Secondary Capture object
 * that fits them (A.8.2–A.8.5), with Number of Frames and a Frame Label
 * Vector as Frame Increment Pointer (C.7.6.6, C.8.6.3).
 *
 * The Image Pixel module (C.7.6.3) comes from the header: Rows, Columns,
 * Samples per Pixel, Photometric Interpretation, Bits Allocated/Stored,
 * High Bit, Pixel Representation, Planar Configuration; lossy coding sets
 * Lossy Image Compression "01" with its ratio and method (C.7.6.1.1.5).
 * Patient, General Study, General Series (Modality OT), General Equipment,
 * SC Equipment (Conversion Type WSD), General Image and SC Image modules
 * are filled as for documents.
 *
 * @throws {EncapsulationError} for content that is not a supported JPEG or JPEG 2000 bitstream, frames that differ, or frames no Multi-frame SC IOD fits.
 *
 * @example Encapsulate a JPEG bitstream taken out of another object
 * ```ts ignore
 * import { encapsulateImage } from "./mod.ts";
 * import { encodePart10 } from "../dataset/mod.ts";
 *
 * const { dataset, transferSyntax } = encapsulateImage(await Deno.readFile("photo.jpg"));
 * await Deno.writeFile("photo.dcm", encodePart10(dataset, { transferSyntax }));
 * ```
 */
export function encapsulateImage(
  frames: Uint8Array | readonly Uint8Array[],
  options: EncapsulateOptions = {},
): EncapsulatedImage {
  const list = frames instanceof Uint8Array ? [frames] : frames;
  if (list.length === 0) throw new EncapsulationError("Cannot encapsulate an image of no frames");
  const infos = list.map((bytes, i) => {
    try {
      return readBitstreamHeader(bytes);
    } catch (e) {
      if (list.length === 1 || !(e instanceof EncapsulationError)) throw e;
      throw new EncapsulationError(`Frame ${i + 1}: ${e.message}`, { cause: e });
    }
  });
  const info = infos[0]!;
  for (const [i, other] of infos.entries()) {
    for (const key of SAME_IN_EVERY_FRAME) {
      if (other[key] !== info[key]) {
        throw new EncapsulationError(
          `Cannot encapsulate frame ${i + 1} with frame 1: its ${key} is ${other[key]}, not ${
            info[key]
          }`,
        );
      }
    }
  }
  const bitsAllocated = info.bitsStored <= 8 ? 8 : 16;
  const sopClassUid = list.length === 1 ? IMAGE_SOP_CLASSES.singleFrame : multiFrameClass(info);
  const ds = new Dataset();
  const when = fillCommon(ds, sopClassUid, "OT", options);
  // General Image (C.7.6.1): Patient Orientation Type 2C, empty; SC Equipment (C.8.6.1).
  ds.set(Tag.PatientOrientation, null)
    .set(Tag.ConversionType, "WSD")
    .set(Tag.DateOfSecondaryCapture, when.date)
    .set(Tag.TimeOfSecondaryCapture, when.time)
    .set(Tag.BurnedInAnnotation, "YES")
    // Image Pixel (C.7.6.3).
    .set(Tag.SamplesPerPixel, info.samplesPerPixel)
    .set(Tag.PhotometricInterpretation, info.photometricInterpretation)
    .set(Tag.Rows, info.rows)
    .set(Tag.Columns, info.columns)
    .set(Tag.BitsAllocated, bitsAllocated)
    .set(Tag.BitsStored, info.bitsStored)
    .set(Tag.HighBit, info.bitsStored - 1)
    .set(Tag.PixelRepresentation, info.pixelRepresentation);
  if (info.samplesPerPixel > 1) ds.set(Tag.PlanarConfiguration, 0);
  if (list.length > 1) {
    // Multi-frame (C.7.6.6) and SC Multi-frame Image (C.8.6.3) modules.
    ds.set(Tag.NumberOfFrames, list.length)
      .set(Tag.FrameIncrementPointer, Tag.FrameLabelVector, "AT")
      .set(Tag.FrameLabelVector, list.map((_, i) => String(i + 1)));
    if (info.samplesPerPixel === 1) {
      ds.set(Tag.PresentationLUTShape, "IDENTITY")
        .set(Tag.RescaleIntercept, 0)
        .set(Tag.RescaleSlope, 1)
        .set(Tag.RescaleType, "US");
    }
  }
  const encoded = infos.reduce((n, i) => n + i.codestream.length, 0);
  if (info.lossy) {
    const native = list.length * info.rows * info.columns * info.samplesPerPixel *
      bitsAllocated / 8;
    ds.set(Tag.LossyImageCompression, "01")
      .set(Tag.LossyImageCompressionRatio, Math.round(native / encoded * 100) / 100)
      .set(Tag.LossyImageCompressionMethod, info.compressionMethod);
  } else {
    ds.set(Tag.LossyImageCompression, "00");
  }
  // PS3.5 A.4: the Basic Offset Table gives each frame's first byte, counted
  // from the first fragment's item tag; each frame is one fragment, padded to
  // an even length with a zero byte.
  const fragments = infos.map((i) => padEven(i.codestream));
  const offsetTable = new Uint8Array(4 * fragments.length);
  const offsets = new DataView(offsetTable.buffer);
  let offset = 0;
  for (const [i, fragment] of fragments.entries()) {
    offsets.setUint32(4 * i, offset, true);
    offset += 8 + fragment.length;
  }
  ds.setElement({ tag: Tag.PixelData, vr: "OB", kind: "fragments", offsetTable, fragments });
  applyAttributes(ds, options);
  return { dataset: ds, transferSyntax: info.transferSyntax, info };
}

/**
 * The SOP classes {@linkcode encapsulateImage} makes: Secondary Capture
 * Image Storage for one frame (PS3.3 A.8.1); for several, the Multi-frame
 * SC IOD whose Image Pixel constraints they meet (A.8.3–A.8.5).
 *
 * @example
 * ```ts
 * import { IMAGE_SOP_CLASSES } from "./mod.ts";
 * console.log(IMAGE_SOP_CLASSES.singleFrame); // "1.2.840.10008.5.1.4.1.1.7"
 * ```
 */
export const IMAGE_SOP_CLASSES = {
  /** One frame of any kind. */
  singleFrame: Uid.SecondaryCaptureImageStorage,
  /** Several frames of 8-bit unsigned grey samples. */
  grayscaleByte: Uid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
  /** Several frames of 9- to 16-bit unsigned grey samples. */
  grayscaleWord: Uid.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
  /** Several frames of 8-bit colour (three samples a pixel). */
  trueColor: Uid.MultiFrameTrueColorSecondaryCaptureImageStorage,
} as const;

/** What every frame of one object must share. */
const SAME_IN_EVERY_FRAME = [
  "transferSyntax",
  "rows",
  "columns",
  "samplesPerPixel",
  "bitsStored",
  "pixelRepresentation",
  "photometricInterpretation",
] as const;

/** The Multi-frame SC IOD whose Image Pixel constraints the frames meet (PS3.3 A.8.2–A.8.5). */
function multiFrameClass(info: BitstreamInfo): string {
  if (info.samplesPerPixel === 1 && info.pixelRepresentation === 0) {
    if (info.bitsStored === 8) return IMAGE_SOP_CLASSES.grayscaleByte;
    if (info.bitsStored > 8) return IMAGE_SOP_CLASSES.grayscaleWord;
  }
  if (info.samplesPerPixel === 3 && info.bitsStored === 8) {
    return IMAGE_SOP_CLASSES.trueColor;
  }
  throw new EncapsulationError(
    `Cannot encapsulate several frames of ${info.samplesPerPixel} ${
      info.pixelRepresentation ? "signed " : ""
    }${info.bitsStored}-bit sample(s) a pixel: no Multi-frame Secondary Capture IOD takes them (PS3.3 A.8.2–A.8.5)`,
  );
}

function padEven(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * The frames of encapsulated Pixel Data, each the bitstream of one frame
 * (PS3.5 A.4): split by the Basic Offset Table when it has one offset per
 * frame, else one fragment per frame when there are as many fragments as
 * frames, else (one frame) all fragments joined. A zero pad byte after a
 * JPEG or JPEG 2000 end-of-image marker (FFD9) is taken off, so that a
 * bitstream of odd length comes back as it went in.
 *
 * @throws {EncapsulationError} when the Pixel Data is missing or not encapsulated, or its frames cannot be told apart.
 *
 * @example
 * ```ts
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 * import { extractFrames } from "./mod.ts";
 *
 * const ds = new Dataset().setElement({
 *   tag: Tag.PixelData, vr: "OB", kind: "fragments",
 *   offsetTable: new Uint8Array(0),
 *   fragments: [new Uint8Array([0xff, 0xd8, 0xff, 0xd9])],
 * });
 * console.log(extractFrames(ds).length); // 1
 * ```
 */
export function extractFrames(dataset: Dataset): Uint8Array[] {
  const element = dataset.get(Tag.PixelData);
  if (element === undefined) {
    throw new EncapsulationError(
      `Cannot extract frames: the object has no Pixel Data ${formatTag(Tag.PixelData)}`,
    );
  }
  if (element.kind !== "fragments") {
    throw new EncapsulationError(
      "Cannot extract frames: the Pixel Data is not encapsulated (a native transfer syntax)",
    );
  }
  const frames = Math.max(1, dataset.number(Tag.NumberOfFrames) ?? 1);
  const { fragments, offsetTable } = element;
  let grouped: Uint8Array[][];
  if (frames === 1) {
    grouped = [[...fragments]];
  } else if (offsetTable.length === 4 * frames) {
    grouped = byOffsets(fragments, offsetTable, frames);
  } else if (fragments.length === frames) {
    grouped = fragments.map((f) => [f]);
  } else {
    throw new EncapsulationError(
      `Cannot extract ${frames} frames from ${fragments.length} fragments without a Basic Offset Table`,
    );
  }
  return grouped.map((parts) => stripPad(concatBytes(parts)));
}

function byOffsets(
  fragments: readonly Uint8Array[],
  table: Uint8Array,
  frames: number,
): Uint8Array[][] {
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const offsets = Array.from({ length: frames }, (_, i) => view.getUint32(4 * i, true));
  const out: Uint8Array[][] = offsets.map(() => []);
  // Each fragment's offset: from the first fragment's item tag, 8 bytes of item header each.
  let position = 0;
  let frame = -1;
  for (const fragment of fragments) {
    while (frame + 1 < frames && offsets[frame + 1] === position) frame++;
    if (frame < 0) {
      throw new EncapsulationError(
        "Cannot extract frames: the Basic Offset Table does not start at 0",
      );
    }
    out[frame]!.push(fragment);
    position += 8 + fragment.length;
  }
  if (frame !== frames - 1 || out.some((parts) => parts.length === 0)) {
    throw new EncapsulationError(
      "Cannot extract frames: the Basic Offset Table's offsets do not fall on fragments",
    );
  }
  return out;
}

function stripPad(frame: Uint8Array): Uint8Array {
  const n = frame.length;
  if (n >= 3 && frame[n - 1] === 0 && frame[n - 2] === 0xd9 && frame[n - 3] === 0xff) {
    return frame.subarray(0, n - 1);
  }
  return frame;
}
