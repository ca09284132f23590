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
  /** {@linkcode PduFramer.frame}: the stream offset of the first byte it is given, for error offsets. */
  #base = 0;

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

  /**
   * Frames the complete PDUs in `bytes` from `start` on, calling `emit` for
   * each (P-DATA-TF fragments are views into `bytes`), and returns where the
   * first incomplete one starts (`bytes.length` when none). Nothing is
   * kept: a caller that keeps its bytes in one buffer passes the unframed
   * ones again, with more after them, and may overwrite the buffer once
   * the PDUs framed from it are done with. Not to be mixed with
   * {@linkcode PduFramer.push} while that holds bytes: see
   * {@linkcode PduFramer.takeRest}.
   *
   * @example Frame from one buffer
   * ```ts
   * import { PduFramer } from "./mod.ts";
   * import { strictEqual } from "node:assert/strict";
   *
   * const release = [0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0];
   * const bytes = new Uint8Array([...release, 0x06, 0]);
   * const framer = new PduFramer();
   * const at = framer.frame(bytes, 0, (pdu) => strictEqual(pdu.type, "A-RELEASE-RP"));
   * strictEqual(at, 10); // The last two bytes begin a PDU not yet complete.
   * strictEqual(framer.needed, 6);
   * ```
   */
  frame(bytes: Uint8Array, start: number, emit: (pdu: Pdu) => void): number {
    let at = start;
    while (at < bytes.length) {
      let result: ReturnType<typeof decodePdu>;
      try {
        result = decodePdu(bytes, at, this.#options);
      } catch (error) {
        if (!(error instanceof PduDecodeError)) throw error;
        throw new PduDecodeError(error.message, this.#base + error.offset - start, {
          code: error.code,
          cause: error,
        });
      }
      if (!result.complete) {
        this.#needed = result.needed;
        return at;
      }
      emit(result.pdu);
      at += result.byteLength;
      this.#base += result.byteLength;
    }
    this.#needed = PDU_HEADER_LENGTH;
    return at;
  }

  /** Bytes the PDU where {@linkcode PduFramer.frame} stopped needs: its header's, then all of them. */
  get needed(): number {
    return this.#needed;
  }

  /**
   * Takes the bytes {@linkcode PduFramer.push} holds (the start of a PDU),
   * as a copy of their own, to be framed with {@linkcode PduFramer.frame}
   * from now on, followed by the bytes received next.
   */
  takeRest(): Uint8Array {
    const queue = this.#queue;
    this.#base = queue.consumed;
    const rest = queue.length > 0 ? queue.peek().slice() : new Uint8Array(0);
    queue.consume(queue.length);
    return rest;
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
