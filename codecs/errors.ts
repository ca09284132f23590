/**
 * The errors of the codecs layer: pixel data that cannot be decoded or
 * encoded, and transfer syntaxes no codec here handles.
 *
 * @module
 */
import { DicomError } from "../errors.ts";

/**
 * Pixel data that cannot be decoded or encoded: a truncated or corrupt
 * bitstream, a fragment table that lies, a frame count that disagrees with
 * the data, a geometry the codec refuses. Names the frame when there is one.
 *
 * @example Tell a bad frame from other failures
 * ```ts
 * import { CodecError } from "./errors.ts";
 *
 * const e = new CodecError("Cannot decode frame 1: RLE segment 2 ends early", { frame: 0 });
 * console.log(e instanceof CodecError, e.frame); // true 0
 * ```
 */
export class CodecError extends DicomError {
  /** The frame (from 0) the problem is in, when it is in one. */
  readonly frame: number | undefined;

  /**
   * Creates the error.
   *
   * @param message What went wrong.
   * @param options The frame and the cause, if any.
   */
  constructor(message: string, options?: ErrorOptions & { frame?: number }) {
    super(message, options);
    this.name = "CodecError";
    this.frame = options?.frame;
  }
}

/**
 * A transfer syntax for which this layer has no decoder (or no encoder):
 * for example an MPEG video syntax, or a JPEG process other than baseline,
 * extended sequential and lossless (progressive, hierarchical).
 *
 * @example Usage
 * ```ts
 * import { UnsupportedTransferSyntaxError } from "./errors.ts";
 *
 * const e = new UnsupportedTransferSyntaxError("No decoder", "1.2.840.10008.1.2.4.100");
 * console.log(e.transferSyntax); // 1.2.840.10008.1.2.4.100
 * ```
 */
export class UnsupportedTransferSyntaxError extends DicomError {
  /**
   * Creates the error.
   *
   * @param message What is not supported.
   * @param transferSyntax The transfer syntax UID.
   * @param options The cause, if any.
   */
  constructor(message: string, readonly transferSyntax: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnsupportedTransferSyntaxError";
  }
}
