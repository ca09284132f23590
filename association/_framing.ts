/**
 * Splits a byte stream into PDUs with `decodePdu` (PS3.8 §9.3.1: a 6-byte
 * header with the PDU-type and PDU-length, then that many bytes). The
 * header is validated as soon as it is complete (unknown type, PDU-length
 * over the limit), before the body is buffered. Each PDU is decoded from
 * its own copy of the bytes, so the P-DATA-TF fragments it holds (views,
 * not copies) stay valid while this buffer is reused.
 *
 * @module
 */

import { decodePdu, type Pdu, PDU_HEADER_LENGTH } from "../pdu/mod.ts";

/** Accumulates chunks and hands out decoded PDUs. */
export class _PduFramer {
  readonly #maxPduLength: number;
  #buffer: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;

  /**
   * @param maxPduLength The largest P-DATA-TF PDU-length accepted (the
   * Maximum Length we advertised); 0 means no limit.
   */
  constructor(maxPduLength: number) {
    this.#maxPduLength = maxPduLength;
  }

  /** Appends received bytes. */
  push(chunk: Uint8Array): void {
    const have = this.#end - this.#start;
    if (this.#buffer.length - this.#end < chunk.length) {
      if (this.#buffer.length - have >= chunk.length) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(this.#buffer.length * 2, have + chunk.length, 4096));
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      }
      this.#start = 0;
      this.#end = have;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /**
   * The next PDU, or `undefined` when more bytes are needed.
   *
   * @throws {PduDecodeError} For bytes that are not a valid PDU, including
   * an unknown type or an oversize PDU-length seen in the header alone.
   */
  next(): Pdu | undefined {
    const have = this.#end - this.#start;
    if (have === 0) return undefined;
    const options = { maxPduLength: this.#maxPduLength };
    const header = this.#buffer.subarray(
      this.#start,
      this.#start + Math.min(have, PDU_HEADER_LENGTH),
    );
    const probe = decodePdu(header, 0, options);
    const needed = probe.complete ? probe.byteLength : probe.needed;
    if (have < needed) return undefined;
    const bytes = this.#buffer.slice(this.#start, this.#start + needed);
    this.#start += needed;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    const result = probe.complete ? probe : decodePdu(bytes, 0, options);
    if (!result.complete) throw new Error("unreachable: a whole PDU decoded as incomplete");
    return result.pdu;
  }
}
