/**
 * What an association runs over.
 *
 * @module
 */

/**
 * A bidirectional byte stream: a `Deno.Conn`, a TLS connection or an
 * in-memory pipe. The association takes both streams and closes them when
 * it ends (PS3.8 §9.1.4).
 *
 * @example An in-memory pair of transports, for tests
 * ```ts
 * import type { Transport } from "@dcm/net/association";
 *
 * const ab = new TransformStream<Uint8Array, Uint8Array>();
 * const ba = new TransformStream<Uint8Array, Uint8Array>();
 * const a: Transport = { readable: ba.readable, writable: ab.writable };
 * const b: Transport = { readable: ab.readable, writable: ba.writable };
 * ```
 */
export interface Transport {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
}
