/**
 * {@linkcode PduDecoderStream}: bytes in, PDUs out, for any chunking.
 *
 * @module
 */

import type { DecodePduOptions } from "./decode.ts";
import type { Pdu } from "./types.ts";
import { PduFramer } from "./framer.ts";

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
    const framer = new PduFramer(options);
    super({
      transform: (chunk, controller) => framer.push(chunk, (pdu) => controller.enqueue(pdu)),
      flush: () => framer.end(),
    });
  }
}
