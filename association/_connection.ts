/**
 * The transport side of the protocol machine: reads PDUs from a transport
 * (PS3.8 §9.1.3), writes each PDU whole within one write (PDUs sent while a
 * write is under way go out together in the next one), and closes the
 * transport (PS3.8 §9.1.4). It reports what happens; the state machine
 * decides what it means. A write the transport has not taken within the
 * write timeout closes the transport: a peer that stops reading cannot be
 * sent an A-ABORT, so this is an A-P-ABORT (PS3.8 §7.4).
 *
 * @module
 */

import {
  encodePdu,
  pDataTfLength,
  type PDataTfPdu,
  type Pdu,
  PduDecodeError,
  PduFramer,
  writePDataTf,
} from "../pdu/mod.ts";
import { WriteTimeoutError } from "./errors.ts";
import type { Transport } from "./transport.ts";

/** Spare write buffers a connection keeps. */
const SPARE_BUFFERS = 4;
/** Batches larger than this get a buffer of their own, not kept. */
const MAX_SPARE_BUFFER = 2 << 20;
/** Bytes asked of the socket per read (a `Deno.Conn`'s own `readable` reads as much). */
const READ_BUFFER = 64 << 10;
/**
 * A read shorter than this is copied out of the read buffer, which is read
 * into again; a longer one keeps the buffer (the PDUs framed from it are
 * views into it) and the next read gets a fresh one. A small read then costs
 * a small copy, not a 64 KiB allocation and its share of garbage collection.
 */
const COPY_BELOW = 16 << 10;

/**
 * Bytes of the one buffer a socket is read into once the PDUs it carries
 * are done with by the time of the next read (see `#readReused`): room for
 * a PDU of the usual 16 or 64 KiB Maximum Length and what follows it.
 */
const REUSED_BUFFER = 128 << 10;

/** Read buffers larger than this (for a PDU longer than usual) are not kept for reuse. */
const MAX_KEPT_BUFFER = 4 * REUSED_BUFFER;

/**
 * The size of the next read buffer, with `have` bytes of a PDU that needs
 * `needed`: room for all of it, or, for a very long one (no Maximum Length
 * set), twice what has arrived so far: a declared length alone allocates
 * nothing large, and the bytes of a long PDU are copied O(1) times each.
 */
function roomFor(needed: number, have: number): number {
  return Math.max(REUSED_BUFFER, Math.min(needed, 2 * have + REUSED_BUFFER));
}

/**
 * Read buffers a connection keeps for reads while its earlier ones wait
 * for their reader (as many PDUs as the reader lets wait, see `pause()`).
 */
const SPARE_READ_BUFFERS = 8;

/**
 * A transport that is a socket (a `Deno.Conn`, TCP or TLS): read with
 * `read()` into buffers of the connection's own instead of through its
 * `readable`, whose byte stream costs several promise hops and a fresh
 * 64 KiB buffer per read.
 */
interface Socket {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}

function isSocket(transport: Transport): transport is Transport & Socket {
  const t = transport as Partial<Socket>;
  return typeof t.read === "function" && typeof t.write === "function" &&
    typeof t.closeWrite === "function" && typeof t.close === "function";
}

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
  /**
   * P-DATA-TF PDUs reported so far, counted for their bytes to be reused:
   * once {@linkcode _ConnectionHandlers.finished} reaches the count, the
   * bytes they are views into may be overwritten. `undefined` when they may
   * be kept: their buffer is then left to them.
   */
  pushed(): number | undefined;
  /** P-DATA-TF PDUs done with, of those counted by {@linkcode _ConnectionHandlers.pushed}. */
  finished(): number;
}

/** The limits of a {@linkcode _Connection}. */
export interface _ConnectionLimits {
  /** The largest P-DATA-TF PDU-length to accept; 0 = no limit. */
  readonly maxPduLength: number;
  /** ms without a write completing, while one is pending, before closing; 0 = no limit. */
  readonly writeTimeout: number;
}

/** One transport connection in use by the protocol machine. */
export class _Connection {
  readonly #transport: Transport;
  readonly #writeTimeout: number;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** The readable's reader; none on a socket, which is read directly. */
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #handlers: _ConnectionHandlers;
  readonly #reading: Promise<void>;
  #closing: Promise<void> | undefined;
  #ended = false;
  /** Writes handed to the writer and not settled yet. */
  #pendingWrites = 0;
  /** When the last write settled, or the first of the pending ones started. */
  #lastProgress = 0;
  #writeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The write timeout passed: the transport was closed under a pending write. */
  #stalled = false;
  /** A write is under way: PDUs sent meanwhile wait in `#queued`. */
  #writing = false;
  /**
   * PDUs waiting for the write under way (P-DATA-TF as they are, to be
   * encoded straight into the write's buffer; others encoded), and the
   * promise of their write.
   */
  #queued: (Uint8Array | PDataTfPdu)[] = [];
  #queuedBytes = 0;
  /** Bytes of the write under way. */
  #writingBytes = 0;
  #batch: PromiseWithResolvers<void> | undefined;
  /** PDUs are queued until {@linkcode _Connection.uncork}, to go out in one write. */
  #corked = false;
  /** Bytes received so far were valid PDUs: after invalid ones, nothing is framed. */
  #framing = true;
  /**
   * Buffers of written batches, to fill again: on a socket, whose writes
   * have taken the bytes when they resolve (a `Deno.Conn`), unlike a
   * stream that passes the chunk on (then `undefined`: never reused). A
   * fresh buffer per batch cost page faults and garbage collections worth
   * more than the copy into it.
   */
  readonly #spares: Uint8Array[] | undefined;

  /**
   * Takes hold of the transport's streams and starts reading.
   *
   * @param transport The transport.
   * @param limits The PDU-length limit on receipt and the write timeout.
   * @param handlers Where to report.
   */
  constructor(transport: Transport, limits: _ConnectionLimits, handlers: _ConnectionHandlers) {
    const { maxPduLength, writeTimeout } = limits;
    this.#transport = transport;
    this.#writeTimeout = writeTimeout;
    this.#handlers = handlers;
    const socket = isSocket(transport);
    this.#spares = socket ? [] : undefined;
    this.#writer = transport.writable.getWriter();
    const framer = new PduFramer({ maxPduLength });
    if (socket) {
      this.#reader = undefined;
      this.#reading = this.#readSocket(transport, framer);
    } else {
      this.#reader = transport.readable.getReader();
      this.#reading = this.#read(this.#reader, framer);
    }
  }

  /**
   * Encodes one PDU and writes it whole, in call order. A PDU sent while a
   * write is under way waits for it and goes out with the others sent
   * meanwhile in one write: a message of many PDUs (a data set under a
   * 16 KiB Maximum Length) costs a few writes, not one per PDU. The promise
   * settles when the write carrying the PDU does; a failed write also
   * reports the transport as ended, and so does the write timeout (with a
   * {@linkcode WriteTimeoutError}).
   */
  send(pdu: Pdu): Promise<void> {
    let queued: Uint8Array | PDataTfPdu;
    let length: number;
    try {
      if (pdu.type === "P-DATA-TF") {
        length = pDataTfLength(pdu);
        queued = pdu;
      } else {
        queued = encodePdu(pdu);
        length = queued.length;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#writing && !this.#corked) {
      if (queued instanceof Uint8Array) return this.#write(queued);
      const bytes = new Uint8Array(length);
      writePDataTf(queued, bytes, 0);
      return this.#write(bytes);
    }
    this.#queued.push(queued);
    this.#queuedBytes += length;
    this.#batch ??= Promise.withResolvers();
    return this.#batch.promise;
  }

  /** Bytes handed to {@linkcode _Connection.send} that the transport has not taken yet. */
  get bufferedAmount(): number {
    return this.#writingBytes + this.#queuedBytes;
  }

  /** Queues the PDUs sent from now on, until {@linkcode _Connection.uncork}. */
  cork(): void {
    this.#corked = true;
  }

  /** Writes the PDUs queued since {@linkcode _Connection.cork} in one write (after the one under way). */
  uncork(): void {
    this.#corked = false;
    if (!this.#writing) this.#writeQueued();
  }

  #write(bytes: Uint8Array): Promise<void> {
    let write: Promise<void>;
    try {
      write = this.#writer.write(bytes);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#writing = true;
    this.#writingBytes = bytes.length;
    this.#writeStarted();
    write.then(() => {
      this.#writeSettled();
      this.#writing = false;
      this.#writingBytes = 0;
      this.#writeQueued();
    }, (cause) => {
      this.#writeSettled();
      this.#writing = false;
      this.#writingBytes = 0;
      this.#dropQueued(cause);
      this.#end(cause);
    });
    return write;
  }

  /** Writes the PDUs queued behind the write that just finished, in one write. */
  #writeQueued(): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    const parts = this.#queued;
    const first = parts[0]!;
    let bytes: Uint8Array;
    if (parts.length === 1 && first instanceof Uint8Array) {
      bytes = first;
    } else {
      bytes = this.#buffer(this.#queuedBytes);
      let offset = 0;
      for (const part of parts) {
        if (part instanceof Uint8Array) {
          bytes.set(part, offset);
          offset += part.length;
        } else {
          offset = writePDataTf(part, bytes, offset);
        }
      }
    }
    this.#queued = [];
    this.#queuedBytes = 0;
    this.#batch = undefined;
    const written = this.#write(bytes);
    written.then(batch.resolve, batch.reject);
    if (this.#spares !== undefined && bytes !== first) {
      written.then(() => {
        if (this.#spares!.length < SPARE_BUFFERS) this.#spares!.push(bytes);
      }, () => {});
    }
  }

  /** A buffer of `length` bytes: a spare one, if one is large enough. */
  #buffer(length: number): Uint8Array {
    const spares = this.#spares;
    if (spares !== undefined && length <= MAX_SPARE_BUFFER) {
      const i = spares.findIndex((b) => b.buffer.byteLength >= length);
      if (i >= 0) {
        const spare = spares.splice(i, 1)[0]!;
        return new Uint8Array(spare.buffer, 0, length);
      }
    }
    return new Uint8Array(length);
  }

  /** Fails the PDUs still queued: the write before them failed or the transport is closing. */
  #dropQueued(cause: unknown): void {
    const batch = this.#batch;
    this.#queued = [];
    this.#queuedBytes = 0;
    this.#batch = undefined;
    batch?.reject(cause);
  }

  #writeStarted(): void {
    if (this.#pendingWrites++ > 0 || this.#writeTimeout === 0) return;
    this.#lastProgress = performance.now();
    if (this.#writeTimer === undefined) this.#armWriteTimer(this.#writeTimeout);
    else Deno.refTimer(this.#writeTimer);
  }

  #writeSettled(): void {
    this.#lastProgress = performance.now();
    if (--this.#pendingWrites === 0 && this.#writeTimer !== undefined) {
      Deno.unrefTimer(this.#writeTimer);
    }
  }

  /**
   * One timer for many writes: on firing it checks when a write last settled
   * and, while one is pending, waits on. It is left running when writes
   * settle (a timer per write costs more than a small write), keeping the
   * process alive only while a write is pending.
   */
  #armWriteTimer(ms: number): void {
    this.#writeTimer = setTimeout(() => {
      this.#writeTimer = undefined;
      if (this.#pendingWrites === 0) return;
      const waited = performance.now() - this.#lastProgress;
      if (waited < this.#writeTimeout) return this.#armWriteTimer(this.#writeTimeout - waited);
      this.#stall();
    }, ms);
  }

  /**
   * The peer has not taken a PDU for the write timeout. Aborting the writer
   * would wait for the write under way, so a socket (anything with
   * `close()`, as a `Deno.Conn` has) is closed, which fails that write.
   */
  #stall(): void {
    this.#stalled = true;
    const error = new WriteTimeoutError(this.#writeTimeout);
    this.#dropQueued(error);
    this.#end(error);
    const closable = this.#transport as { close?: () => void };
    if (typeof closable.close === "function") {
      try {
        closable.close();
      } catch { /* Already closed. */ }
    }
    this.#writer.abort().catch(() => {});
    this.#reader?.cancel().catch(() => {});
  }

  /**
   * Closes the transport once: `graceful` lets queued writes finish first,
   * otherwise they are dropped. Settles when closed and reading stopped.
   */
  close(graceful: boolean): Promise<void> {
    this.#closing ??= (async () => {
      try {
        // Once stalled, the write under way may never settle on a transport
        // that cannot be closed: do not wait for it.
        if (graceful) {
          // The PDUs queued behind the write under way go out first.
          while (this.#batch !== undefined && !this.#stalled) {
            await this.#batch.promise.catch(() => {});
          }
        } else {
          this.#dropQueued(new Error("The transport was closed"));
        }
        if (!this.#stalled) await (graceful ? this.#writer.close() : this.#writer.abort());
      } catch { /* already closed or failed */ }
      // A socket is closed by its writer's close() or abort() (a pending
      // read() then fails, which ends the reading), or above when stalled.
      try {
        await this.#reader?.cancel();
      } catch { /* already closed */ }
      await this.#reading;
    })();
    return this.#closing;
  }

  #end(cause: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    this.#handlers.ended(cause);
  }

  async #read(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    framer: PduFramer,
  ): Promise<void> {
    let cause: unknown;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#closing !== undefined) break;
        const pause = this.#received(framer, value);
        if (pause !== undefined) await pause;
      }
    } catch (error) {
      cause = error;
    }
    this.#end(cause);
  }

  /** {@linkcode _Connection.#read} for a socket, read into the connection's buffers. */
  async #readSocket(socket: Socket, framer: PduFramer): Promise<void> {
    let cause: unknown;
    let buffer = new Uint8Array(READ_BUFFER);
    try {
      for (;;) {
        const n = await this.#readInto(socket, buffer);
        if (n === null) break;
        let chunk: Uint8Array;
        if (n < COPY_BELOW) chunk = buffer.slice(0, n);
        else {
          chunk = buffer.subarray(0, n);
          buffer = new Uint8Array(READ_BUFFER);
        }
        const pause = this.#received(framer, chunk);
        if (pause !== undefined) await pause;
        // The buffers read into so far are left to their PDUs, never reused.
        if (this.#framing && this.#handlers.pushed() !== undefined) {
          return await this.#readReused(socket, framer);
        }
      }
    } catch (error) {
      cause = error;
    }
    this.#end(cause);
  }

  /**
   * {@linkcode _Connection.#readSocket} once the PDUs are taken by a reader
   * that copies what it keeps (a DIMSE channel, see `PDataConsumer`): the
   * socket is read into buffers that are reused, the start of an
   * incomplete PDU moved to the front of the next, so that every PDU is
   * framed in place and no read leaves a buffer behind for the garbage
   * collector (issue 13: memory while receiving 100 MB objects). A buffer
   * whose PDUs wait for their reader is held until they are done with (the
   * reads meanwhile go into spare ones); one with a PDU that may be kept
   * (another type) is left to it.
   */
  async #readReused(socket: Socket, framer: PduFramer): Promise<void> {
    let cause: unknown;
    /** Buffers with PDUs not yet done with: free once `finished()` reaches `pushed`. */
    const held: { buffer: Uint8Array; pushed: number }[] = [];
    const spare: Uint8Array[] = [];
    const rest = framer.takeRest();
    let buffer: Uint8Array = new Uint8Array(roomFor(framer.needed, rest.length));
    buffer.set(rest);
    let end = rest.length;
    let other = false;
    const emit = (pdu: Pdu) => {
      if (pdu.type !== "P-DATA-TF") other = true;
      this.#handlers.pdu(pdu);
    };
    try {
      for (;;) {
        const n = await this.#readInto(socket, buffer.subarray(end));
        if (n === null) break;
        end += n;
        other = false;
        // After invalid bytes nothing is framed: the rest is dropped as it comes.
        const start = this.#frame(() => framer.frame(buffer.subarray(0, end), 0, emit)) ?? end;
        const pause = this.#handlers.pause();
        if (pause !== undefined) await pause;
        const pushed = other ? undefined : this.#handlers.pushed();
        const finished = this.#handlers.finished();
        while (held.length > 0 && held[0]!.pushed <= finished) {
          const free = held.shift()!.buffer;
          if (spare.length < SPARE_READ_BUFFERS && free.length <= MAX_KEPT_BUFFER) spare.push(free);
        }
        // The incomplete PDU's bytes go to the front, with room for all of it.
        const size = roomFor(framer.needed, end - start);
        if (
          pushed !== undefined && pushed <= finished && size <= buffer.length &&
          buffer.length <= MAX_KEPT_BUFFER
        ) {
          buffer.copyWithin(0, start, end);
        } else {
          if (pushed !== undefined) held.push({ buffer, pushed });
          let next = spare.pop();
          if (next === undefined || next.length < size) next = new Uint8Array(size);
          next.set(buffer.subarray(start, end));
          buffer = next;
        }
        end -= start;
      }
    } catch (error) {
      cause = error;
    }
    this.#end(cause);
  }

  /** Frames received bytes; returns a promise to wait for before reading on, if any. */
  #received(framer: PduFramer, chunk: Uint8Array): Promise<void> | undefined {
    this.#frame(() => framer.push(chunk, this.#emit));
    return this.#handlers.pause();
  }

  /**
   * Runs `frame` while the bytes received so far were valid PDUs, and
   * returns what it returns: after invalid bytes the stream cannot be
   * framed again, so they are reported once and nothing more is framed
   * (`undefined` then).
   */
  #frame<T>(frame: () => T): T | undefined {
    if (!this.#framing) return undefined;
    try {
      return frame();
    } catch (error) {
      if (!(error instanceof PduDecodeError)) throw error;
      this.#framing = false;
      this.#handlers.invalid(error);
      return undefined;
    }
  }

  /**
   * One read of the socket into `buffer`: the bytes read, or `null` at its
   * end or once the connection is closing (closing the socket fails the
   * read under way: that is no error).
   */
  async #readInto(socket: Socket, buffer: Uint8Array): Promise<number | null> {
    let n: number | null;
    try {
      n = await socket.read(buffer);
    } catch (error) {
      if (this.#closing !== undefined) return null;
      throw error;
    }
    return this.#closing !== undefined ? null : n;
  }

  readonly #emit = (pdu: Pdu): void => this.#handlers.pdu(pdu);
}
