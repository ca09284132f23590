/**
 * Transcoding: an image decoded from its transfer syntax and encoded in
 * another, with the Image Pixel Module, the Lossy Image Compression
 * attributes and the file meta information updated to match.
 *
 * @module
 */
import { Tag, transferSyntaxInfo, Uid } from "../dictionary/mod.ts";
import { concatBytes, createFileMeta, Dataset, type Part10File } from "../dataset/mod.ts";
import { UnsupportedTransferSyntaxError } from "./errors.ts";
import { encodeFrame } from "./encode.ts";
import { decodeFrames, type ImageSource } from "./frames.ts";
import { nativeFrameLength, pixelInfo } from "./pixel_info.ts";
import {
  DECODABLE_TRANSFER_SYNTAXES,
  ENCODABLE_TRANSFER_SYNTAXES,
  isNative,
} from "./transfer_syntaxes.ts";

/** An image to transcode: a data set and its transfer syntax, with its file's meta when it has one. */
export interface TranscodeSource extends ImageSource {
  /** The file meta information, kept with its Transfer Syntax UID replaced. */
  readonly meta?: Dataset | undefined;
  /** The file's preamble, kept. */
  readonly preamble?: Uint8Array | undefined;
}

/** Item tag and length before each fragment (PS3.5 A.4). */
const ITEM_HEADER = 8;

function even(bytes: Uint8Array): Uint8Array {
  if ((bytes.length & 1) === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1); // PS3.5 A.4: one trailing NUL
  out.set(bytes);
  return out;
}

/**
 * Transcodes an image to another transfer syntax: every frame is decoded
 * and encoded again (native to native only changes the label; the data set
 * encoder writes the new byte order). The result is a new data set; the
 * source is not changed.
 *
 * What changes (PS3.5 §8.2, PS3.3 C.7.6.3.1 and C.7.6.1.1.5):
 * - Photometric Interpretation as decoded (a YCbCr JPEG becomes `RGB`,
 *   native `YBR_FULL_422` becomes `YBR_FULL`) or as encoded (colour JPEG
 *   2000 with the reversible transform is `YBR_RCT`); Planar Configuration 0.
 * - Lossy Image Compression (0028,2110): once any step was lossy it stays
 *   `01`. When the source bitstream was lossy and the data set did not say
 *   so yet, `01`, the ratio (0028,2112) and the method (0028,2114) of that
 *   compression are added. Decoded lossy pixels re-encoded with a lossless
 *   syntax keep saying `01`: nothing here relabels lossy data as lossless,
 *   and nothing here compresses lossily.
 * - The file meta's Transfer Syntax UID (a new meta group when there was none).
 *
 * @example Compress with RLE and back
 * ```ts
 * import { transcode } from "./transcode.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag, Uid } from "../dictionary/mod.ts";
 *
 * const dataset = new Dataset()
 *   .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage).set(Tag.SOPInstanceUID, "2.25.7")
 *   .set(Tag.SamplesPerPixel, 1).set(Tag.PhotometricInterpretation, "MONOCHROME2")
 *   .set(Tag.Rows, 2).set(Tag.Columns, 2).set(Tag.BitsAllocated, 8).set(Tag.BitsStored, 8)
 *   .set(Tag.HighBit, 7).set(Tag.PixelRepresentation, 0)
 *   .set(Tag.PixelData, new Uint8Array([1, 2, 3, 4]), "OB");
 * const rle = await transcode({ dataset, transferSyntax: Uid.ExplicitVRLittleEndian }, Uid.RLELossless);
 * console.log(rle.dataset.fragments()?.fragments.length); // 1
 * const back = await transcode(rle, Uid.ExplicitVRLittleEndian);
 * console.log([...back.dataset.bytes(Tag.PixelData)!]); // [ 1, 2, 3, 4 ]
 * ```
 *
 * @param image The data set, its transfer syntax, and its meta (a `Part10File` will do).
 * @param transferSyntax The transfer syntax UID to transcode to.
 * @returns The transcoded file: data set, meta and transfer syntax.
 * @throws {UnsupportedTransferSyntaxError} when the source cannot be decoded or the target not encoded.
 * @throws {CodecError} for pixel data that does not decode.
 */
export async function transcode(
  image: TranscodeSource,
  transferSyntax: string,
): Promise<Part10File> {
  const from = image.transferSyntax;
  const meta = (dataset: Dataset): Dataset => {
    if (!image.meta || image.meta.size === 0) {
      try {
        return createFileMeta(dataset, { transferSyntax });
      } catch {
        // No SOP UIDs to name in a meta group: it says the transfer syntax only.
        return new Dataset().set(Tag.TransferSyntaxUID, transferSyntax, "UI");
      }
    }
    const copy = new Dataset();
    for (const element of image.meta) copy.setElement(element);
    return copy.set(Tag.TransferSyntaxUID, transferSyntax, "UI");
  };
  const result = (dataset: Dataset): Part10File => ({
    preamble: image.preamble,
    meta: meta(dataset),
    transferSyntax,
    dataset,
  });
  const targetNative = isNative(transferSyntax);
  if (!targetNative && !ENCODABLE_TRANSFER_SYNTAXES.includes(transferSyntax)) {
    throw new UnsupportedTransferSyntaxError(
      `Cannot transcode to ${transferSyntax}: ${
        transferSyntaxInfo(transferSyntax)
          ? "no encoder here for it"
          : "not a known transfer syntax"
      } (encoded here: native, ${ENCODABLE_TRANSFER_SYNTAXES.join(", ")})`,
      transferSyntax,
    );
  }
  const hasPixels = image.dataset.has(Tag.PixelData);
  if (from === transferSyntax || (!hasPixels && targetNative && isNative(from))) {
    return result(copyOf(image.dataset));
  }
  if (!hasPixels) {
    if (targetNative || isNative(from)) return result(copyOf(image.dataset));
  }
  if (!isNative(from) && !DECODABLE_TRANSFER_SYNTAXES.includes(from)) {
    throw new UnsupportedTransferSyntaxError(
      `Cannot transcode from ${from}: no decoder here for it`,
      from,
    );
  }
  if (isNative(from) && targetNative) return result(copyOf(image.dataset));
  const info = pixelInfo(image.dataset);
  const frames = await decodeFrames(image);
  const dataset = copyOf(image.dataset, [
    Tag.PixelData,
    Tag.ExtendedOffsetTable,
    Tag.ExtendedOffsetTableLengths,
  ]);
  let photometric = frames[0]!.photometricInterpretation;
  const decodedInfo = { ...info, photometricInterpretation: photometric, planarConfiguration: 0 };
  if (targetNative) {
    dataset.setElement({
      tag: Tag.PixelData,
      vr: info.bitsAllocated > 8 ? "OW" : "OB",
      kind: "bytes",
      bytes: even(concatBytes(frames.map((f) => f.bytes))),
    });
  } else {
    const fragments: Uint8Array[] = [];
    for (const frame of frames) {
      const encoded = await encodeFrame(frame.bytes, transferSyntax, decodedInfo);
      photometric = encoded.photometricInterpretation;
      fragments.push(even(encoded.bytes));
    }
    // PS3.5 A.4: one fragment per frame; the Basic Offset Table gives each one's Item tag offset.
    const offsetTable = new Uint8Array(4 * fragments.length);
    const view = new DataView(offsetTable.buffer);
    let offset = 0;
    for (const [i, f] of fragments.entries()) {
      view.setUint32(4 * i, offset, true);
      offset += ITEM_HEADER + f.length;
    }
    dataset.setElement({ tag: Tag.PixelData, vr: "OB", kind: "fragments", offsetTable, fragments });
  }
  dataset.set(Tag.PhotometricInterpretation, photometric, "CS");
  if (info.samplesPerPixel > 1) dataset.set(Tag.PlanarConfiguration, 0, "US");
  // PS3.3 C.7.6.1.1.5: once lossy, always "01", with each step's ratio and method.
  const method = frames.find((f) => f.lossyMethod)?.lossyMethod;
  if (method && image.dataset.string(Tag.LossyImageCompression)?.trim() !== "01") {
    const compressed = (image.dataset.fragments()?.fragments ?? []).reduce(
      (n, f) => n + f.length,
      0,
    );
    const ratio = (nativeFrameLength(info) * info.numberOfFrames) / Math.max(compressed, 1);
    dataset.set(Tag.LossyImageCompression, "01", "CS");
    dataset.set(
      Tag.LossyImageCompressionRatio,
      [...image.dataset.strings(Tag.LossyImageCompressionRatio), ratio.toFixed(2)],
      "DS",
    );
    dataset.set(
      Tag.LossyImageCompressionMethod,
      [...image.dataset.strings(Tag.LossyImageCompressionMethod), method],
      "CS",
    );
  }
  return result(dataset);
}

/** A shallow copy of a data set's elements (values are shared, never changed), without `omit`. */
function copyOf(source: Dataset, omit: readonly number[] = []): Dataset {
  const copy = new Dataset(source.onWarning ? { onWarning: source.onWarning } : {});
  for (const element of source) if (!omit.includes(element.tag)) copy.setElement(element);
  return copy;
}

/**
 * What `store()` and the C-MOVE / C-GET SCPs of `@dcm/net/service` take as
 * their `transcoder` option: decodes a compressed data set to native pixel
 * data when the peer accepted only uncompressed syntaxes. Passing it is what
 * loads the codecs; without it nothing here is imported.
 *
 * @example Let store() decode for peers that want uncompressed data
 * ```ts ignore
 * import { store } from "@dcm/net/service";
 * import { transcoder } from "@dcm/net/codecs";
 *
 * await store("127.0.0.1", 11112, ["ct_j2k.dcm"], { transcoder });
 * ```
 */
export const transcoder: {
  canDecode(transferSyntax: string): boolean;
  toNative(dataset: Dataset, transferSyntax: string): Promise<Dataset>;
} = {
  canDecode: (transferSyntax: string): boolean =>
    isNative(transferSyntax) || DECODABLE_TRANSFER_SYNTAXES.includes(transferSyntax),
  toNative: async (dataset: Dataset, transferSyntax: string): Promise<Dataset> =>
    (await transcode({ dataset, transferSyntax }, Uid.ExplicitVRLittleEndian)).dataset,
};
