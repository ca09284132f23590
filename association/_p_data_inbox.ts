/**
 * Where an association's P-DATA indications go (PS3.8 §9.2, actions DT-2
 * and AR-6): to a `ReadableStream` (`Association.pData`) or straight to a
 * {@linkcode PDataConsumer} (`Association.receivePData()`), whichever is
 * asked for first; until then they wait here. A consumer takes each PDU
 * synchronously as it is framed, with no promise hop per PDU: the PDUs of
 * one read (a small C-STORE's command and data set) reach the DIMSE layer
 * before any handler runs.
 *
 * @module
 */
import type { PDataTfPdu } from "../pdu/mod.ts";

/**
 * Takes an association's P-DATA-TF PDUs as they arrive, instead of
 * {@linkcode Association.pData} (see {@linkcode Association.receivePData}).
 */
export interface PDataConsumer {
  /**
   * One P-DATA-TF PDU, in order. A promise returned stops reading from the
   * transport until it settles (backpressure), and the PDUs after this one
   * wait for it too; its rejection is the consumer's own business.
   *
   * The PDU's fragments are views into the association's read buffer,
   * which is read into again once this returns, or once the promise it
   * returns settles: copy what is kept beyond that.
   */
  pData(pdu: PDataTfPdu): Promise<void> | undefined;
  /**
   * No more PDUs will come, after the last one's promise settled:
   * `undefined` once the association is being released, the error it
   * ended with otherwise (an `AssociationAbortedError` once established;
   * PDUs not yet handed over are then dropped). Called once.
   */
  end(error: Error | undefined): void;
}

/** P-DATA indications buffered ahead of their reader before the transport is no longer read. */
const HIGH_WATER_MARK = 8;

/** The P-DATA indications of one association, on their way to their reader. */
export class _PDataInbox {
  #mode: "waiting" | "stream" | "consumer" = "waiting";
  /** PDUs not yet handed over (waiting for a reader, or for the consumer's last promise). */
  #queue: PDataTfPdu[] = [];
  /** How P-DATA ended, once it has: `error` undefined when released. */
  #end: { error: Error | undefined } | undefined;
  #endTold = false;
  #stream: ReadableStream<PDataTfPdu> | undefined;
  #controller: ReadableStreamDefaultController<PDataTfPdu> | undefined;
  /** The reader wants no more (cancelled the stream, or the consumer threw): drop. */
  #dropping = false;
  #consumer: PDataConsumer | undefined;
  /** The consumer's promise for the last PDU handed over, until it settles. */
  #busy: Promise<void> | undefined;
  #handing = false;
  /** P-DATA PDUs queued for the consumer so far, and those it is done with (see `pushed`). */
  #pushed = 0;
  #finished = 0;
  #space: PromiseWithResolvers<void> | undefined;

  /** The PDUs as a stream; once asked for, the only way they go. */
  get stream(): ReadableStream<PDataTfPdu> {
    if (this.#stream !== undefined) return this.#stream;
    if (this.#mode === "consumer") {
      throw new TypeError("The P-DATA of this association already goes to receivePData()");
    }
    this.#mode = "stream";
    this.#stream = new ReadableStream<PDataTfPdu>({
      start: (controller) => void (this.#controller = controller),
      pull: () => this.releaseSpace(),
      cancel: () => {
        // The user wants no more P-DATA: drop it from now on, never wait for space.
        this.#dropping = true;
        this.releaseSpace();
      },
    }, { highWaterMark: HIGH_WATER_MARK });
    for (const pdu of this.#queue.splice(0)) this.#controller!.enqueue(pdu);
    if (this.#end !== undefined) this.#finishStream(this.#end.error);
    return this.#stream;
  }

  /**
   * Hands the PDUs to `consumer` from now on (call {@linkcode deliver} to
   * hand over those waiting).
   *
   * @throws {TypeError} if the stream was asked for, or a consumer set, before.
   */
  consume(consumer: PDataConsumer): void {
    if (this.#mode !== "waiting") {
      throw new TypeError(`The P-DATA of this association is already read (${this.#mode})`);
    }
    this.#mode = "consumer";
    this.#consumer = consumer;
  }

  /** A P-DATA indication. A consumer gets it at the next {@linkcode deliver}. */
  push(pdu: PDataTfPdu): void {
    if (this.#dropping) return;
    if (this.#mode === "stream") {
      try {
        this.#controller!.enqueue(pdu);
      } catch { /* Closed or errored: drop. */ }
    } else if (this.#end === undefined) {
      this.#queue.push(pdu);
      this.#pushed++;
    }
  }

  /** No more P-DATA: released (`undefined`) or aborted. The first call counts. */
  end(error: Error | undefined): void {
    if (this.#end !== undefined) return;
    this.#end = { error };
    // As a stream's error() drops what is unread, an abort drops what waits.
    if (error !== undefined) this.#queue.length = 0;
    if (this.#mode === "stream") this.#finishStream(error);
    this.releaseSpace();
  }

  /**
   * Hands the waiting PDUs, then the end, to the consumer, up to the first
   * that returns a promise (the rest follow once it settles). Not
   * re-entrant: a consumer that causes another call is not called again
   * within its own call. Call it outside the state machine's run, so that
   * the consumer may send and abort.
   */
  deliver(): void {
    const consumer = this.#consumer;
    if (consumer === undefined || this.#handing || this.#busy !== undefined) return;
    this.#handing = true;
    try {
      while (this.#queue.length > 0 && this.#busy === undefined) {
        const pdu = this.#queue.shift()!;
        let wait: Promise<void> | undefined;
        if (!this.#dropping) {
          try {
            wait = consumer.pData(pdu);
          } catch {
            this.#dropping = true;
          }
        }
        if (wait !== undefined) this.#busy = wait.then(this.#settled, this.#settled);
        else this.#finished++;
      }
      // The transport may have been left unread while PDUs waited for a reader.
      if (this.#busy === undefined) this.releaseSpace();
      if (this.#end !== undefined && this.#busy === undefined && !this.#endTold) {
        this.#endTold = true;
        consumer.end(this.#end.error);
      }
    } finally {
      this.#handing = false;
    }
  }

  readonly #settled = (): void => {
    this.#busy = undefined;
    this.#finished++;
    this.releaseSpace();
    this.deliver();
  };

  /**
   * A promise to wait for before reading on from the transport, if the
   * reader is behind: the stream's queue is full, or as many PDUs wait for
   * the consumer to settle its last one (or for a reader at all). Only in
   * Sta6 (`established`): otherwise reading goes on, so that an A-ABORT or
   * A-RELEASE gets through.
   */
  pause(established: boolean): Promise<void> | undefined {
    if (!established || this.#dropping) return undefined;
    // As many PDUs wait for a busy consumer as for a stream's reader.
    const behind = this.#mode === "stream"
      ? (this.#controller!.desiredSize ?? 1) <= 0
      : this.#queue.length >= HIGH_WATER_MARK;
    if (!behind) return undefined;
    this.#space ??= Promise.withResolvers();
    return this.#space.promise;
  }

  /**
   * PDUs pushed so far, for a consumer, which copies what it keeps (see
   * {@linkcode PDataConsumer.pData}); `undefined` for a stream's reader,
   * who may keep them. Once {@linkcode finished} reaches this count, the
   * bytes of these PDUs may be overwritten.
   */
  get pushed(): number | undefined {
    return this.#mode === "consumer" ? this.#pushed : undefined;
  }

  /** PDUs the consumer is done with: taken (its promise settled, if any) or dropped, in order. */
  get finished(): number {
    return this.#finished;
  }

  /** Lets the transport be read again (the reader caught up, or the state changed). */
  releaseSpace(): void {
    this.#space?.resolve();
    this.#space = undefined;
  }

  #finishStream(error: Error | undefined): void {
    try {
      if (error === undefined) this.#controller!.close();
      else this.#controller!.error(error);
    } catch { /* Already closed. */ }
  }
}
