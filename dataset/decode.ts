/**
 * Decoding of data sets from bytes (PS3.5 §7): Implicit VR Little Endian,
 * Explicit VR Little Endian and Explicit VR Big Endian. Values stay as views
 * into the input (copied only to byte-swap big endian), so decoding costs one
 * pass over the element headers.
 *
 * @module
 */
import { transferSyntaxInfo, Uid } from "../dictionary/mod.ts";
import { Dataset } from "./dataset.ts";
import { encodingOf } from "./encoding.ts";
import { Decoder } from "./_decoder.ts";

/** Options of {@linkcode decodeDataset}. */
export interface DecodeDatasetOptions {
  /**
   * The transfer syntax UID the bytes are in. Deflated syntaxes must be
   * inflated first ({@linkcode readPart10} does that).
   *
   * @default {"1.2.840.10008.1.2"} (Implicit VR Little Endian)
   */
  transferSyntax?: string;
  /** Stop before the first top-level element whose tag is at least this (e.g. Pixel Data). */
  stopBefore?: number;
  /**
   * Deepest nesting of sequences accepted; deeper input is a DicomDecodeError.
   *
   * @default {64}
   */
  maxDepth?: number;
  /**
   * Refuse what PS3.5 forbids but real files contain (odd value lengths)
   * with a DicomDecodeError, instead of a warning.
   *
   * @default {false}
   */
  strict?: boolean;
  /** Receives warnings about recoverable oddities (odd lengths, unknown VR codes read as UN). */
  onWarning?: (message: string) => void;
  /**
   * Called with each sequence item (at any depth) before its elements are
   * decoded, and the offset of its Item tag (FFFE,E000) in `bytes`: what a
   * DICOMDIR's record offsets point to (PS3.3 F.3.2.1).
   */
  onItem?: (item: Dataset, offset: number) => void;
}

/**
 * Decodes a data set from bytes.
 *
 * @example Decoding an Implicit VR Little Endian data set
 * ```ts
 * import { decodeDataset } from "./mod.ts";
 * const bytes = new Uint8Array([0x10, 0x00, 0x20, 0x00, 4, 0, 0, 0, 0x31, 0x32, 0x33, 0x34]);
 * const ds = decodeDataset(bytes);
 * console.log(ds.string("PatientID")); // "1234"
 * ```
 *
 * @throws {DicomDecodeError} for malformed or truncated bytes, with the offset.
 */
export function decodeDataset(bytes: Uint8Array, options: DecodeDatasetOptions = {}): Dataset {
  const ts = options.transferSyntax ?? Uid.ImplicitVRLittleEndian;
  if (transferSyntaxInfo(ts)?.deflated) {
    throw new TypeError(`Cannot decode ${ts} synchronously: inflate it first, or use readPart10()`);
  }
  const decoder = new Decoder(bytes, encodingOf(ts), 0, options);
  const ds = new Dataset(options.onWarning ? { onWarning: options.onWarning } : {});
  let pos = 0;
  const stop = options.stopBefore ?? Infinity;
  while (pos < bytes.length) {
    if (pos + 4 <= bytes.length && decoder.tagAt(pos) >= stop) break;
    pos = decoder.element(ds, pos, bytes.length, 0);
  }
  return ds;
}
