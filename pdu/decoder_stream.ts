/**
 * {@linkcode PduDecoderStream}: bytes in, PDUs out, for any chunking.
 *
 * @module
 */

import { PDU_HEADER_LENGTH, PDU_TYPE_CODES } from "./constants.ts";
import { decodePdu, type DecodePduOptions } from "./decode.ts";
import { PduDecodeError } from "./errors.ts";
import type { Pdu } from "./types.ts";

/** Options of {@linkcode PduDecoderStream}: the same limits as {@linkcode decodePdu}. */
export type PduDecoderStreamOptions = DecodePduOptions;

/**
 * Splits a byte stream, such as a TCP connection's `readable`, into PDUs
 * (PS3.8 §9.3), whatever the chunk boundaries.
 *
 * Received chunks are kept in a list and joined only when a whole PDU is
 * there; a PDU that lies within one chunk is decoded in place, and its
 * P-DATA-TF fragments are views into that chunk (so do not reuse a chunk's
 * buffer after writing it). The PDU-length is checked against the limits in
 * the options as soon as the 6-byte header arrives, before the body is
 * buffered: an oversize PDU errors the stream with a
 * {@linkcode PduDecodeError} of code `"oversize"`, which the association
 * layer answers with an A-ABORT. Error offsets count bytes from the start
 * of the stream. A stream that ends inside a PDU errors too.
 *
 * @example Decode PDUs split across chunks
 * ```ts
 * import { PduDecoderStream } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * const release = [5, 0, 0, 0, 0, 4, 0, 0, 0, 0];
 * const abort = [7, 0, 0, 0, 0, 4, 0, 0, 0, 0];
 * const chunks = [new Uint8Array(release.slice(0, 3)), new Uint8Array([...release.slice(3), ...abort])];
 * const pdus = await Array.fromAsync(ReadableStream.from(chunks).pipeThrough(new PduDecoderStream()));
 * deepEqual(pdus, [{ type: "A-RELEASE-RQ" }, { type: "A-ABORT", source: 0, reason: 0 }]);
 * ```
 */
export class PduDecoderStream extends TransformStream<Uint8Array, Pdu> {
  /**
   * Constructs a new instance.
   *
   * @param options Limits on the declared PDU-length.
   */
  constructor(options: PduDecoderStreamOptions = {}) {
    const framer = new Framer(options);
    super({
      transform: (chunk, controller) => framer.push(chunk, (pdu) => controller.enqueue(pdu)),
      flush: () => framer.end(),
    });
  }
}

/** The chunk list and its cursor; see {@linkcode PduDecoderStream}. */
class Framer {
  readonly #options: DecodePduOptions;
  /** Unconsumed chunks; the first is consumed up to `#head`. */
  #chunks: Uint8Array[] = [];
  #head = 0;
  /** Unconsumed bytes in `#chunks`. */
  #buffered = 0;
  /** Stream offset of the first unconsumed byte, for error offsets. */
  #position = 0;
  /** Bytes the current PDU needs: the header, then the whole PDU once the header is known. */
  #needed = PDU_HEADER_LENGTH;

  constructor(options: DecodePduOptions) {
    this.#options = options;
  }

  push(chunk: Uint8Array, emit: (pdu: Pdu) => void): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered > 0) {
      const first = this.#chunks[0]!;
      const inFirst = first.length - this.#head;
      let input: Uint8Array;
      let offset: number;
      if (inFirst >= this.#needed || inFirst === this.#buffered) {
        // Decode in place: the whole PDU is in the first chunk, or everything
        // buffered is, which lets the header be checked as early as possible.
        input = first;
        offset = this.#head;
      } else if (this.#buffered >= this.#needed) {
        input = this.#join(this.#needed);
        offset = 0;
      } else {
        return;
      }
      const result = this.#decode(input, offset);
      if (!result.complete) {
        this.#needed = result.needed;
        if (this.#buffered < this.#needed) return;
        continue;
      }
      emit(result.pdu);
      this.#consume(result.byteLength);
      this.#needed = PDU_HEADER_LENGTH;
    }
  }

  end(): void {
    if (this.#buffered === 0) return;
    const code = this.#chunks[0]![this.#head]!;
    const name = Object.entries(PDU_TYPE_CODES).find(([, value]) => value === code)?.[0] ?? "PDU";
    throw new PduDecodeError(
      `Cannot decode ${name}: the stream ended after ${this.#buffered} of its ${this.#needed} bytes`,
      this.#position + this.#buffered,
    );
  }

  #decode(input: Uint8Array, offset: number): ReturnType<typeof decodePdu> {
    try {
      return decodePdu(input, offset, this.#options);
    } catch (error) {
      if (!(error instanceof PduDecodeError)) throw error;
      throw new PduDecodeError(error.message, this.#position + error.offset - offset, {
        code: error.code,
        cause: error,
      });
    }
  }

  /** Copies the first `count` unconsumed bytes into one new array, consuming nothing. */
  #join(count: number): Uint8Array {
    const joined = new Uint8Array(count);
    let filled = 0;
    let start = this.#head;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(start, start + count - filled);
      joined.set(part, filled);
      filled += part.length;
      start = 0;
      if (filled === count) break;
    }
    return joined;
  }

  #consume(count: number): void {
    this.#buffered -= count;
    this.#position += count;
    let head = this.#head + count;
    let drop = 0;
    while (drop < this.#chunks.length && head >= this.#chunks[drop]!.length) {
      head -= this.#chunks[drop]!.length;
      drop++;
    }
    if (drop > 0) this.#chunks.splice(0, drop);
    this.#head = head;
  }
}
