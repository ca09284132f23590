/**
 * The transport side of the protocol machine: reads PDUs from a transport
 * (PS3.8 §9.1.3), writes each PDU with a single write, and closes the
 * transport (PS3.8 §9.1.4). It reports what happens; the state machine
 * decides what it means.
 *
 * @module
 */

import { encodePdu, type Pdu, PduDecodeError, PduFramer } from "../pdu/mod.ts";
import type { Transport } from "./transport.ts";

/** What a {@linkcode _Connection} reports. */
export interface _ConnectionHandlers {
  /** A PDU arrived. */
  pdu(pdu: Pdu): void;
  /** Bytes that are not a valid PDU arrived; nothing more is decoded after them. */
  invalid(error: PduDecodeError): void;
  /** The transport ended: end of stream, a read or write error. Called once. */
  ended(cause: unknown): void;
  /** Returns a promise to wait for before reading on (backpressure), if any. */
  pause(): Promise<void> | undefined;
}

/** One transport connection in use by the protocol machine. */
export class _Connection {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #handlers: _ConnectionHandlers;
  readonly #reading: Promise<void>;
  #closing: Promise<void> | undefined;
  #ended = false;

  /**
   * Takes hold of the transport's streams and starts reading.
   *
   * @param transport The transport.
   * @param maxPduLength The largest P-DATA-TF PDU-length to accept; 0 = no limit.
   * @param handlers Where to report.
   */
  constructor(transport: Transport, maxPduLength: number, handlers: _ConnectionHandlers) {
    this.#handlers = handlers;
    this.#writer = transport.writable.getWriter();
    this.#reader = transport.readable.getReader();
    this.#reading = this.#read(new PduFramer({ maxPduLength }));
  }

  /**
   * Encodes and writes one PDU in a single write. Writes happen in call
   * order. The promise settles when the write does; a failed write also
   * reports the transport as ended.
   */
  send(pdu: Pdu): Promise<void> {
    let write: Promise<void>;
    try {
      write = this.#writer.write(encodePdu(pdu));
    } catch (error) {
      return Promise.reject(error);
    }
    write.catch((cause) => this.#end(cause));
    return write;
  }

  /**
   * Closes the transport once: `graceful` lets queued writes finish first,
   * otherwise they are dropped. Settles when closed and reading stopped.
   */
  close(graceful: boolean): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await (graceful ? this.#writer.close() : this.#writer.abort());
      } catch { /* already closed or failed */ }
      try {
        await this.#reader.cancel();
      } catch { /* already closed */ }
      await this.#reading;
    })();
    return this.#closing;
  }

  #end(cause: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#handlers.ended(cause);
  }

  async #read(framer: PduFramer): Promise<void> {
    let framing = true;
    let cause: unknown;
    try {
      for (;;) {
        const { value, done } = await this.#reader.read();
        if (done || this.#closing !== undefined) break;
        if (!framing) continue; // After invalid bytes the stream cannot be framed again.
        try {
          framer.push(value, (pdu) => this.#handlers.pdu(pdu));
        } catch (error) {
          if (!(error instanceof PduDecodeError)) throw error;
          framing = false;
          this.#handlers.invalid(error);
        }
        const pause = this.#handlers.pause();
        if (pause !== undefined) await pause;
      }
    } catch (error) {
      cause = error;
    }
    this.#end(cause);
  }
}
