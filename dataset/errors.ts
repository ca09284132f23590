/**
 * Errors raised while decoding data sets and Part 10 files.
 *
 * @module
 */

import { DicomError } from "../errors.ts";

/** Options of {@linkcode DicomDecodeError}. */
export interface DicomDecodeErrorOptions extends ErrorOptions {
  /**
   * Set when the bytes ended before the structure did: a streaming reader
   * waits for more bytes instead of failing.
   *
   * @default {false}
   */
  truncated?: boolean;
  /**
   * With `truncated`, how many bytes from the start of the input the decoder
   * needs before it can go on, when the declared lengths tell.
   */
  needed?: number;
}

/**
 * Malformed bytes in a data set or Part 10 file: the message says what was
 * wrong and `offset` where, counted from the start of the decoded input.
 *
 * @example Catching a truncated file
 * ```ts
 * import { decodeDataset, DicomDecodeError } from "./mod.ts";
 * try {
 *   decodeDataset(new Uint8Array([0x10, 0x00, 0x10]));
 * } catch (e) {
 *   if (!(e instanceof DicomDecodeError)) throw e;
 *   console.log(e.offset, e.message);
 * }
 * ```
 */
export class DicomDecodeError extends DicomError {
  /** Byte offset of the problem, counted from the start of the input. */
  readonly offset: number;
  /** True when the input ended early rather than being malformed. */
  readonly truncated: boolean;
  /** With `truncated`, the input length needed to go on, when known. */
  readonly needed: number | undefined;

  /** Creates the error for a problem at `offset`. */
  constructor(message: string, offset: number, options?: DicomDecodeErrorOptions) {
    super(`${message} (at byte ${offset})`, options);
    this.name = "DicomDecodeError";
    this.offset = offset;
    this.truncated = options?.truncated ?? false;
    this.needed = options?.needed;
  }
}
