/**
 * Pixel data codecs, an optional layer: frames of any supported transfer
 * syntax as typed arrays ({@linkcode readFrame}, {@linkcode decodeFrames}),
 * {@linkcode transcode} between transfer syntaxes, and the
 * {@linkcode transcoder} that `store()` and the C-MOVE / C-GET SCPs use to
 * decode for peers that accept only uncompressed data.
 *
 * RLE Lossless (PS3.5 Annex G) and 12-bit JPEG Extended (sequential
 * Huffman DCT, ITU-T T.81, which no maintained WebAssembly build on npm
 * decodes) are written here. The rest of the JPEG family comes from the
 * field's WebAssembly builds on npm, pinned in deno.json and each loaded by
 * dynamic `import()` on first use: libjpeg-turbo (JPEG Baseline and 8-bit
 * Extended), jpeg-lossless-decoder-js (JPEG Lossless, process 14, any
 * predictor), CharLS (JPEG-LS), OpenJPEG (JPEG 2000) and OpenJPH (HTJ2K).
 * Nothing in the root module imports this layer.
 *
 * @example Decode a generated RLE image
 * ```ts
 * import { decodeFrames, transcode } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag, Uid } from "../dictionary/mod.ts";
 *
 * const dataset = new Dataset()
 *   .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage).set(Tag.SOPInstanceUID, "2.25.8")
 *   .set(Tag.SamplesPerPixel, 1).set(Tag.PhotometricInterpretation, "MONOCHROME2")
 *   .set(Tag.Rows, 1).set(Tag.Columns, 3).set(Tag.BitsAllocated, 16).set(Tag.BitsStored, 16)
 *   .set(Tag.HighBit, 15).set(Tag.PixelRepresentation, 0)
 *   .set(Tag.PixelData, new Uint8Array(new Uint16Array([100, 200, 300]).buffer), "OW");
 * const rle = await transcode({ dataset, transferSyntax: Uid.ExplicitVRLittleEndian }, Uid.RLELossless);
 * const [frame] = await decodeFrames(rle);
 * console.log(frame!.pixels); // Uint16Array(3) [ 100, 200, 300 ]
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./pixel_info.ts";
export * from "./fragments.ts";
export * from "./rle.ts";
export * from "./jpeg_dct.ts";
export * from "./decode.ts";
export * from "./encode.ts";
export * from "./frames.ts";
export * from "./transcode.ts";
export * from "./transfer_syntaxes.ts";
