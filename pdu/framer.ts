/**
 * {@linkcode PduFramer}: PDUs from a byte stream of any chunking (PS3.8
 * §9.3.1: a 6-byte header with the PDU-type and PDU-length, then that many
 * bytes), without copying whole PDUs.
 *
 * @module
 */

import { ByteQueue } from "../dataset/bytes.ts";
import { PDU_HEADER_LENGTH, PDU_TYPE_CODES } from "./constants.ts";
import { decodePdu, type DecodePduOptions } from "./decode.ts";
import { PduDecodeError } from "./errors.ts";
import type { Pdu } from "./types.ts";

/**
 * The synchronous core of {@linkcode PduDecoderStream}, for callers that
 * read their transport themselves: push chunks in order, and each complete
 * PDU is handed to `emit` as soon as it is there.
 *
 * Chunks are kept in a {@linkcode ByteQueue} and joined only when a PDU
 * spans several; a PDU within one chunk is decoded in place, its P-DATA-TF
 * fragments being views into that chunk, so bytes are copied at most once
 * on their way in (do not reuse a chunk's buffer after pushing it). The
 * declared PDU-length is checked against the limits as soon as the 6-byte
 * header is there, before the body is buffered. Malformed bytes throw a {@linkcode PduDecodeError}
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
  /** Unconsumed bytes; `consumed` is the stream offset of the first, for error offsets. */
  readonly #queue = new ByteQueue();
  /** Bytes the current PDU needs: the header, then the whole PDU once the header is checked. */
  #needed = PDU_HEADER_LENGTH;

  /** Creates a framer with the limits of {@linkcode decodePdu}. */
  constructor(options: DecodePduOptions = {}) {
    this.#options = options;
  }

  /** Appends received bytes; calls `emit` for each PDU they complete, in order. */
  push(chunk: Uint8Array, emit: (pdu: Pdu) => void): void {
    const queue = this.#queue;
    queue.push(chunk);
    while (queue.length >= this.#needed) {
      // In place when the bytes needed are within one chunk: decodePdu then
      // sees the rest of the chunk too, and a PDU that is all there decodes
      // at once, its fragments views into the chunk. Otherwise they are
      // joined: the header alone, then the whole PDU, its only copy.
      const result = queue.peekWith(this.#needed, this.#decode);
      if (result.complete) {
        emit(result.pdu);
        queue.consume(result.byteLength);
        this.#needed = PDU_HEADER_LENGTH;
      } else {
        // The header is checked (limits included) before the body is buffered.
        this.#needed = result.needed;
      }
    }
    // A PDU type is checked as soon as its byte is there.
    if (this.#needed === PDU_HEADER_LENGTH && queue.length > 0) queue.peekWith(1, this.#decode);
  }

  /** Says the stream ended: throws if it ended inside a PDU. */
  end(): void {
    const queue = this.#queue;
    if (queue.length === 0) return;
    const code = queue.byteAt(0);
    const name = Object.entries(PDU_TYPE_CODES).find(([, value]) => value === code)?.[0] ?? "PDU";
    throw new PduDecodeError(
      `Cannot decode ${name}: the stream ended after ${queue.length} of its ${this.#needed} bytes`,
      queue.consumed + queue.length,
    );
  }

  readonly #decode = (input: Uint8Array, offset = 0): ReturnType<typeof decodePdu> => {
    try {
      return decodePdu(input, offset, this.#options);
    } catch (error) {
      if (!(error instanceof PduDecodeError)) throw error;
      throw new PduDecodeError(error.message, this.#queue.consumed + error.offset - offset, {
        code: error.code,
        cause: error,
      });
    }
  };
}
