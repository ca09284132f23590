/**
 * {@linkcode PduFramer}: PDUs from a byte stream of any chunking (PS3.8
 * §9.3.1: a 6-byte header with the PDU-type and PDU-length, then that many
 * bytes), without copying whole PDUs.
 *
 * @module
 */

import { PDU_HEADER_LENGTH, PDU_TYPE_CODES } from "./constants.ts";
import { decodePdu, type DecodePduOptions } from "./decode.ts";
import { PduDecodeError } from "./errors.ts";
import type { Pdu } from "./types.ts";

/**
 * The synchronous core of {@linkcode PduDecoderStream}, for callers that
 * read their transport themselves: push chunks in order, and each complete
 * PDU is handed to `emit` as soon as it is there.
 *
 * Chunks are kept in a list and joined only when a PDU spans several; a PDU
 * within one chunk is decoded in place, its P-DATA-TF fragments being views
 * into that chunk, so bytes are copied at most once on their way in (do not
 * reuse a chunk's buffer after pushing it). The declared PDU-length is
 * checked against the limits as soon as the 6-byte header is there, before
 * the body is buffered. Malformed bytes throw a {@linkcode PduDecodeError}
 * whose offset counts from the start of the stream; the framer cannot go on
 * after one.
 *
 * @example Feed chunks by hand
 * ```ts
 * import { PduFramer } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * const framer = new PduFramer();
 * const out: unknown[] = [];
 * framer.push(new Uint8Array([5, 0, 0, 0]), (pdu) => out.push(pdu));
 * framer.push(new Uint8Array([0, 4, 0, 0, 0, 0]), (pdu) => out.push(pdu));
 * deepEqual(out, [{ type: "A-RELEASE-RQ" }]);
 * ```
 */
export class PduFramer {
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

  /** Creates a framer with the limits of {@linkcode decodePdu}. */
  constructor(options: DecodePduOptions = {}) {
    this.#options = options;
  }

  /** Appends received bytes; calls `emit` for each PDU they complete, in order. */
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

  /** Says the stream ended: throws if it ended inside a PDU. */
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
