/**
 * The error thrown for bytes that are not a valid PDU.
 *
 * @module
 */

import { DicomError } from "../errors.ts";

/**
 * Why a PDU could not be decoded, so that the association layer can choose
 * its answer (PS3.8 §9.3.1 and Table 9-26):
 *
 * - `"unknown-pdu-type"`: the first byte is not 01H–07H; answer with an
 *   A-ABORT, reason 1 (unrecognized-PDU).
 * - `"unsupported-protocol-version"`: an A-ASSOCIATE-RQ without bit 0 of the
 *   Protocol-version set; answer with an A-ASSOCIATE-RJ, result 1, source 2,
 *   reason 2 (protocol-version-not-supported).
 * - `"oversize"`: the PDU-length is larger than the local limit; detected
 *   from the 6-byte header before the body is buffered. Answer with an
 *   A-ABORT, reason 6 (invalid-PDU-parameter value).
 * - `"malformed"`: anything else (lengths overrunning their parent, bad
 *   fields); answer with an A-ABORT, reason 6 (invalid-PDU-parameter value).
 */
export type PduDecodeErrorCode =
  | "unknown-pdu-type"
  | "unsupported-protocol-version"
  | "oversize"
  | "malformed";

/** Options of the {@linkcode PduDecodeError} constructor. */
export interface PduDecodeErrorOptions extends ErrorOptions {
  /**
   * What kind of problem it is.
   *
   * @default {"malformed"}
   */
  code?: PduDecodeErrorCode;
}

/**
 * Thrown when bytes are not a valid PDU: a malformed field, a length
 * overrunning its parent, an unknown PDU type or a PDU longer than the
 * local limit. Incomplete input is not an error: decoders report that they
 * need more bytes.
 *
 * @example Catch a malformed PDU
 * ```ts
 * import { decodePdu, PduDecodeError } from "@dcm/net/pdu";
 * import { deepEqual, ok } from "node:assert/strict";
 *
 * try {
 *   decodePdu(new Uint8Array([0x09, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
 *   ok(false);
 * } catch (error) {
 *   ok(error instanceof PduDecodeError);
 *   deepEqual(error.code, "unknown-pdu-type");
 *   deepEqual(error.offset, 0);
 * }
 * ```
 */
export class PduDecodeError extends DicomError {
  /** Offset, in the bytes given to the decoder, of the field found to be wrong. */
  readonly offset: number;
  /** What kind of problem it is. */
  readonly code: PduDecodeErrorCode;

  /**
   * Constructs a new instance.
   *
   * @param message What is wrong, e.g. `"Cannot decode A-ASSOCIATE-RQ: item length 3 exceeds the 2 bytes left"`.
   * @param offset Offset of the offending field in the decoder's input.
   * @param options The error code and an optional cause.
   */
  constructor(message: string, offset: number, options: PduDecodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PduDecodeError";
    this.offset = offset;
    this.code = options.code ?? "malformed";
  }
}
