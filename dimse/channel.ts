/**
 * A DIMSE channel over one association (PS3.7 §7–§8): reassembles incoming
 * messages from PDVs, routes requests to handlers by command (each handler
 * typed for its own request type) and responses to the request they answer
 * by Message ID Being Responded To (an {@linkcode OutgoingRequest} handle,
 * `_request.ts`), and sends messages ({@linkcode _sendMessage}) one after
 * another, never interleaved.
 *
 * The channel is the one part of `dimse/` that is not a pure codec: it drives
 * an association, so it uses the event loop's timers for two things no codec
 * needs, the DIMSE timeout (PS3.7 leaves it to implementations; kept by each
 * request handle) and a turn of the event loop every few pending responses,
 * whose PDUs are held until then to go out in one write (see `#hold` and
 * `#handle`). The codecs beside it (`command.ts`, `status.ts`,
 * `fragment.ts`) touch neither timers nor I/O.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Association } from "../association/mod.ts";
import {
  ABORT_REASON,
  ABORT_SOURCE,
  type AbortReason,
  type PresentationDataValue,
} from "../pdu/mod.ts";
import { ByteQueue } from "../dataset/mod.ts";
import { CommandSetError, type CommandType, decodeCommand, isRequest } from "./command.ts";
import {
  type Command,
  type CommandFields,
  type RequestCommand,
  type RequestToSend,
  type RequestType,
  RESPONSE_TYPE,
} from "./command_sets.ts";
import { OperationsWindowExceededError, ResponseTooLargeError } from "./errors.ts";
import { STATUS, statusCategory } from "./status.ts";
import { _onePduValues, _sendMessage } from "./_send.ts";
import type {
  DimseResponse,
  IncomingRequest,
  OutgoingDataset,
  OutgoingRequest,
  RequestHandler,
  RequestHandlers,
  ResponseFields,
} from "./messages.ts";
import { PendingRequest } from "./_request.ts";
import { OperationSlots } from "../_slots.ts";
import { _Deadlines } from "./_deadlines.ts";
import { _markChannelStream, _takeChunk } from "../_chunks.ts";

/** The size of a queued chunk: its bytes (what `ByteLengthQueuingStrategy` counts). */
const byteLength = (chunk: Uint8Array): number => chunk.byteLength;

/**
 * Bytes waiting to be written on the association below which a pending
 * response is handed over without waiting for its write (see `#handle`).
 */
const PENDING_BYTES = 64 << 10;

/** Pending responses handed over without an event loop turn at most (see `#handle`). */
const PENDING_RESPONSES = 16;

/** What a response's command set and PDU headers count for, in bytes, against {@linkcode PENDING_BYTES}. */
const COMMAND_ESTIMATE = 128;

/** Default of {@linkcode DimseChannelOptions.maxResponseDatasetLength}: 64 MiB. */
export const DEFAULT_MAX_RESPONSE_DATASET_LENGTH: number = 64 << 20;

/** Default of {@linkcode DimseChannelOptions.maxQueuedRequests}. */
export const DEFAULT_MAX_QUEUED_REQUESTS: number = 64;

/** Default of {@linkcode DimseChannelOptions.dimseTimeout}, in milliseconds. */
export const DEFAULT_DIMSE_TIMEOUT: number = 60_000;

/** Default of {@linkcode DimseChannelOptions.maxCommandLength}. */
const DEFAULT_MAX_COMMAND_LENGTH = 65536;

/** Options of {@linkcode DimseChannel}. */
export interface DimseChannelOptions {
  /** Handlers by request type; a request without one is answered 0211 (unrecognized operation). */
  handlers?: RequestHandlers;
  /**
   * Largest command set accepted, in bytes.
   *
   * @default {65536}
   */
  maxCommandLength?: number;
  /**
   * How long to wait for each response to a request, in milliseconds (0: forever).
   * When it expires the association is aborted, since it cannot be resynchronised.
   *
   * @default {60000}
   */
  dimseTimeout?: number;
  /**
   * Bytes of an incoming data set buffered ahead of its reader before the
   * channel stops reading from the association.
   *
   * @default {1048576}
   */
  datasetHighWaterMark?: number;
  /**
   * Largest data set of a response (a C-FIND match, say) held in memory, in
   * bytes; a larger one aborts the association and fails its request with
   * {@linkcode ResponseTooLargeError}.
   *
   * @default {67108864}
   */
  maxResponseDatasetLength?: number;
  /**
   * Requests the peer may keep waiting beyond the Asynchronous Operations
   * Window (PS3.7 D.3.3.3): the channel performs at most the negotiated
   * number of the peer's requests at once (1 unless a window was
   * negotiated) and queues the rest in arrival order; one more than this
   * aborts the association ({@linkcode OperationsWindowExceededError}).
   *
   * @default {64}
   */
  maxQueuedRequests?: number;
  /** Receives problems that do not end the association (a response nobody waits for...). */
  onWarning?: (message: string) => void;
}

interface Assembly {
  contextId: number;
  /** The command set's fragments, then those of a response's data set. */
  bytes: ByteQueue;
  /** The command set, once read; `null` for a request already answered with a failure, whose data set is dropped as it arrives. */
  command?: Command | null;
  stream?: ReadableStreamDefaultController<Uint8Array>;
  streamClosed?: boolean;
  space?: PromiseWithResolvers<void>;
  /** A response's data set: gathered whole in `bytes`. */
  collect?: boolean;
  /** A request's data set: the chunk being filled for its reader, and its bytes filled. */
  chunk?: Uint8Array | undefined;
  filled: number;
}

/** What the channel routes responses to: a request's {@linkcode PendingRequest}. */
interface Waiter {
  /** A promise when its queue is full: the channel reads on once it settles. */
  push(response: DimseResponse): Promise<void> | undefined;
  fail(error: unknown): void;
}

/** Statuses a handler failure maps to, per service (PS3.4 B.2.3, C.4; PS3.7 §10.1). */
function failureStatus(type: CommandType): number {
  return type.startsWith("N-") ? STATUS.PROCESSING_FAILURE : STATUS.CANNOT_UNDERSTAND;
}

/**
 * DIMSE messaging over an established association. Create one per
 * association; it reads the association's P-DATA until it ends.
 *
 * @example Answer C-ECHO as an SCP
 * ```ts ignore
 * new DimseChannel(association, {
 *   handlers: { "C-ECHO-RQ": (_rq, ctx) => ctx.respond({ status: 0 }) },
 * });
 * ```
 */
export class DimseChannel {
  /** The association the channel runs on. */
  readonly association: Association;
  /** Settles when the association's P-DATA has ended and every handler has finished. */
  readonly closed: Promise<void>;
  readonly #options: DimseChannelOptions;
  readonly #waiters = new Map<number, Waiter>();
  readonly #inFlight = new Map<number, AbortController>();
  readonly #handlers = new Set<Promise<void>>();
  /** The peer's requests we perform at once (PS3.7 D.3.3.3). */
  readonly #performing: OperationSlots;
  /** Our requests outstanding at once (PS3.7 D.3.3.3). */
  readonly #invoking: OperationSlots;
  /** The DIMSE timeouts of the requests waiting for a response. */
  readonly #deadlines = new _Deadlines();
  #messageId = 0;
  /** Settles once the messages handed over in several parts (see `send`) have gone out. */
  #sendChain: Promise<void> = Promise.resolve();
  /** Messages handed to {@linkcode DimseChannel.send} in several parts, not yet sent. */
  #sending = 0;
  /** Bytes of pending responses handed over without waiting since one was waited for. */
  #unawaited = 0;
  /** Pending responses handed over without waiting since one was waited for. */
  #unawaitedCount = 0;
  /** Responses of one PDU held until the event loop turns (`#hold`). */
  #held: (readonly PresentationDataValue[])[] = [];
  /** Settles once the held PDUs are written. */
  #heldSent: PromiseWithResolvers<void> | undefined;
  /** The last message handed to {@linkcode DimseChannel.send}; it goes out after the others. */
  #lastSent: Promise<void> = Promise.resolve();
  #current: Assembly | undefined;
  #ended: unknown;

  /** Starts reading the association's P-DATA. */
  constructor(association: Association, options: DimseChannelOptions = {}) {
    this.association = association;
    this.#options = options;
    // PS3.7 D.3.3.3: the window is stated for the requestor. What it invokes
    // the acceptor performs, and what it performs the acceptor invokes.
    const window = association.asynchronousOperationsWindow;
    const requestor = association.role === "requestor";
    this.#performing = new OperationSlots(
      requestor ? window.maxOperationsPerformed : window.maxOperationsInvoked,
    );
    this.#invoking = new OperationSlots(
      requestor ? window.maxOperationsInvoked : window.maxOperationsPerformed,
    );
    this.closed = this.#run();
  }

  /**
   * Releases the association (A-RELEASE, PS3.8 §7.2) once the peer's
   * requests being handled here have been answered and every message handed
   * to {@linkcode DimseChannel.send} has gone out. `association.release()`
   * called directly sends the A-RELEASE-RQ at once, after which no response
   * may be sent (PS3.8 Table 9-10, Sta7): a handler that has just told the
   * caller its news (a storage commitment report, say) would lose its
   * response.
   *
   * @example Release after the peer's request has been answered
   * ```ts ignore
   * const channel = new DimseChannel(association, { handlers });
   * // ... the peer's N-EVENT-REPORT-RQ arrives and its handler resolves what we wait for
   * await channel.release(); // its N-EVENT-REPORT-RSP goes out first
   * ```
   *
   * @returns Resolves once released.
   * @throws {AssociationAbortedError} If the association was aborted instead.
   */
  async release(): Promise<void> {
    while (this.#handlers.size > 0) await Promise.allSettled([...this.#handlers]);
    await this.#sendChain;
    await this.#lastSent.catch(() => {});
    await this.association.release();
  }

  /** The next Message ID (PS3.7 §9.1.1.1.2): unique among outstanding requests, 1–65535. */
  nextMessageId(): number {
    do {
      this.#messageId = (this.#messageId % 0xffff) + 1;
    } while (this.#waiters.has(this.#messageId));
    return this.#messageId;
  }

  /**
   * Sends one message: the command set, then the data set if given. Messages
   * are sent one after another, never interleaved (PS3.7 §8.1).
   */
  send(presentationContextId: number, command: Command, dataset?: OutgoingDataset): Promise<void> {
    return this.#send(presentationContextId, command, dataset, false);
  }

  /**
   * {@linkcode DimseChannel.send}; with `hold`, a message of one PDU waits
   * for the handler to let the event loop turn (or for another message) and
   * goes out with the others held meanwhile, in one write.
   */
  #send(
    presentationContextId: number,
    command: Command,
    dataset: OutgoingDataset | undefined,
    hold: boolean,
  ): Promise<void> {
    // A message of one PDU (a response, most requests) is handed to the
    // association whole, at once, unless a message of several PDUs is still
    // being handed over: it cannot interleave, and PDUs handed over while a
    // write is under way go out together in the next write (issue 13).
    if (this.#sending === 0) {
      let values: PresentationDataValue[] | undefined;
      try {
        values = _onePduValues(this.association, presentationContextId, command, dataset);
      } catch (error) {
        return Promise.reject(error);
      }
      if (values !== undefined) {
        if (hold) return this.#lastSent = this.#hold(values);
        this.#releaseHeld();
        return this.#lastSent = this.association.sendPData(values);
      }
    }
    this.#releaseHeld();
    const start = () => _sendMessage(this.association, presentationContextId, command, dataset);
    const run = this.#sending === 0 ? start() : this.#sendChain.then(start);
    this.#sending++;
    this.#sendChain = run.then(this.#sent, this.#sent);
    return this.#lastSent = run;
  }

  /** Holds a response's PDU until the event loop turns; resolves once written. */
  #hold(values: readonly PresentationDataValue[]): Promise<void> {
    this.#held.push(values);
    if (this.#heldSent === undefined) {
      this.#heldSent = Promise.withResolvers<void>();
      setImmediate(this.#releaseHeld);
    }
    return this.#heldSent.promise;
  }

  /** Hands the held PDUs to the association, to go out together in one write. */
  readonly #releaseHeld = (): void => {
    const sent = this.#heldSent;
    if (sent === undefined) return;
    const pdus = this.#held;
    this.#held = [];
    this.#heldSent = undefined;
    this.association.sendPDataBatch(pdus).then(sent.resolve, sent.reject);
  };

  /** A message handed to {@linkcode DimseChannel.send} in several parts has gone out, or failed. */
  readonly #sent = (): void => void this.#sending--;

  /**
   * Sends a request and returns its handle: the Message ID is allocated
   * here, the request goes out as soon as the Asynchronous Operations Window
   * allows (PS3.7 D.3.3.3: at most the negotiated Maximum Number Operations
   * Invoked outstanding, 1 unless a window was negotiated; the others wait
   * in the order they were made, and their DIMSE timeout starts once they
   * are sent), after any message being sent, and the handle yields the responses as they arrive, ending after the final
   * (non-pending) one; `cancel()` sends C-CANCEL-RQ for it.
   *
   * @example A C-ECHO
   * ```ts ignore
   * const echo = channel.request(contextId, {
   *   type: "C-ECHO-RQ",
   *   hasDataset: false,
   *   affectedSopClassUid: "1.2.840.10008.1.1",
   * });
   * for await (const response of echo) console.log(echo.messageId, response.command.status);
   * ```
   */
  request<T extends RequestType>(
    presentationContextId: number,
    command: RequestToSend<T> & { readonly type: T },
    dataset?: OutgoingDataset,
  ): OutgoingRequest<T> {
    const messageId = this.nextMessageId();
    // A RequestToSend<T> with its Message ID is a RequestCommand<T>, which
    // TypeScript cannot see through the generic spread.
    const full = { ...command, messageId } as unknown as RequestCommand<T>;
    const slots = this.#invoking;
    const sent = Promise.withResolvers<boolean>();
    let held = false;
    const request = new PendingRequest<T>(presentationContextId, full, {
      // A request still waiting for the window is cancelled once it is sent.
      sendCancel: async (id) => {
        if (!await sent.promise) return;
        await this.send(presentationContextId, {
          type: "C-CANCEL-RQ",
          hasDataset: false,
          messageIdBeingRespondedTo: id,
        });
      },
      abort: () =>
        this.association.abort(ABORT_SOURCE.SERVICE_PROVIDER, ABORT_REASON.REASON_NOT_SPECIFIED),
      forget: (id) => {
        if (this.#waiters.get(id) === request) this.#waiters.delete(id);
        if (held) slots.release();
        held = false;
      },
      timeout: this.#options.dimseTimeout ?? DEFAULT_DIMSE_TIMEOUT,
      deadlines: this.#deadlines,
    });
    if (this.#ended !== undefined) {
      request.fail(this.#ended);
      return request;
    }
    this.#waiters.set(messageId, request);
    void slots.acquire().then((admitted) => {
      if (!admitted || request.done) {
        // The association ended (which failed the request) or it failed while it waited.
        if (admitted) slots.release();
        sent.resolve(false);
        return;
      }
      held = true;
      request.started();
      sent.resolve(true);
      // A failed send fails the request: its iteration throws the error.
      this.send(presentationContextId, full, dataset).catch((e) => request.fail(e));
    });
    return request;
  }

  async #run(): Promise<void> {
    let error: unknown;
    let released = false;
    try {
      // Each PDU is taken as it is framed, with no promise hop (issue 13):
      // the command and data set of a small C-STORE that arrive together
      // are both in before its handler runs.
      await new Promise<void>((resolve, reject) => {
        let failed = false;
        const fail = (e: unknown) => {
          failed = true; // The rest is dropped: the association is being aborted.
          reject(e);
        };
        this.association.receivePData({
          pData: (pdu) => {
            if (failed) return undefined;
            try {
              return this.#values(pdu.values, 0)?.catch(fail);
            } catch (e) {
              fail(e);
              return undefined;
            }
          },
          end: (e) => e === undefined ? resolve() : reject(e),
        });
      });
      error = new Error("The association was released");
      released = true;
    } catch (e) {
      error = e;
    } finally {
      this.#ended = error;
      this.#invoking.close();
      this.#deadlines.close();
      const cur = this.#current;
      if (cur?.stream && !cur.streamClosed) cur.stream.error(error);
      cur?.space?.resolve();
      this.#current = undefined;
      for (const w of this.#waiters.values()) w.fail(error);
      if (released) {
        // PS3.8 Sta8: after an A-RELEASE-RQ the acceptor still answers the
        // requests received before it, those waiting for the window too,
        // and the association layer sends A-RELEASE-RP once they are done.
        while (this.#handlers.size > 0) await Promise.allSettled([...this.#handlers]);
        this.#performing.close();
      } else {
        this.#performing.close();
        for (const c of this.#inFlight.values()) c.abort(error);
        await Promise.allSettled([...this.#handlers]);
      }
    }
  }

  /** Takes a PDU's PDVs from `from` on; a promise if one of them must be waited for. */
  #values(values: readonly PresentationDataValue[], from: number): Promise<void> | undefined {
    for (let i = from; i < values.length; i++) {
      const wait = this.#receive(values[i]!);
      if (wait !== undefined) {
        return i + 1 < values.length ? wait.then(() => this.#values(values, i + 1)) : wait;
      }
    }
    return undefined;
  }

  /**
   * Aborts the association as the service-provider for a PDV the channel
   * cannot take (PS3.8 §9.3.5.1 and Annex E; the reasons of Table 9-26):
   *
   * - `UNEXPECTED_PDU_PARAMETER` (5): a well-formed PDV where the message in
   *   progress allows none like it, by its message control header or its
   *   context: a data set fragment before its command set, a command fragment
   *   inside a data set, a PDV of another context in the middle of a message
   *   (Annex E.1: one context per message, fragments in order, messages never
   *   interleaved).
   * - `INVALID_PDU_PARAMETER_VALUE` (6): a value wrong in itself: a
   *   Presentation-context-ID that names no accepted context, a command set
   *   longer than `maxCommandLength` or one that cannot be decoded.
   */
  async #protocolError(message: string, reason: AbortReason): Promise<never> {
    this.#options.onWarning?.(message);
    await this.association.abort(ABORT_SOURCE.SERVICE_PROVIDER, reason);
    throw new CommandSetError(message);
  }

  /**
   * Takes one PDV; returns a promise when the PDVs after it must wait
   * (backpressure, a response handed to a full request handle, an abort
   * under way), nothing otherwise: a small message costs no promise hop.
   * Throws, or rejects, when the association cannot go on.
   */
  #receive(pdv: PresentationDataValue): Promise<void> | void {
    const ctx = this.association.context(pdv.presentationContextId);
    if (ctx === undefined) {
      return this.#protocolError(
        `A PDV used presentation context ${pdv.presentationContextId}, which was not accepted`,
        ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
      );
    }
    let cur = this.#current;
    if (cur !== undefined && cur.contextId !== pdv.presentationContextId) {
      return this.#protocolError(
        `A PDV for context ${pdv.presentationContextId} interleaved a message on context ${cur.contextId}`,
        ABORT_REASON.UNEXPECTED_PDU_PARAMETER,
      );
    }
    if (pdv.isCommand) {
      if (cur?.command !== undefined) {
        return this.#protocolError(
          "A command fragment arrived in the middle of a data set",
          ABORT_REASON.UNEXPECTED_PDU_PARAMETER,
        );
      }
      cur ??= this.#current = {
        contextId: pdv.presentationContextId,
        bytes: new ByteQueue(),
        filled: 0,
      };
      // The PDV's bytes are the association's read buffer, reused once this
      // returns (see PDataConsumer.pData): a command set that is all in this
      // PDV is decoded from them in place, fragments to be joined are copied.
      const whole = pdv.isLastFragment && cur.bytes.length === 0;
      cur.bytes.push(whole ? pdv.data : pdv.data.slice());
      const maxCommandLength = this.#options.maxCommandLength ?? DEFAULT_MAX_COMMAND_LENGTH;
      if (cur.bytes.length > maxCommandLength) {
        return this.#protocolError(
          `A command set exceeded ${maxCommandLength} bytes`,
          ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
        );
      }
      if (!pdv.isLastFragment) return;
      let command: Command;
      try {
        command = decodeCommand(cur.bytes.take(cur.bytes.length));
      } catch (e) {
        if (!(e instanceof CommandSetError)) throw e;
        return this.#badCommand(cur, e, ctx);
      }
      cur.command = command;
      if (!command.hasDataset) {
        this.#current = undefined;
        return this.#deliver(pdv.presentationContextId, command, undefined);
      }
      if (isRequest(command.type)) {
        const hwm = this.#options.datasetHighWaterMark ?? 1 << 20;
        const assembly = cur;
        // Whatever its reader did (locked it, errored it, left it), the rest
        // of the data set is dropped as it arrives from now on.
        // A message rather than an Error when the reason is built by the
        // caller: the Error (and its stack) is made only if the stream is
        // still open, not once per request (issue 13).
        const discard = (reason: Error | string) => {
          if (assembly.streamClosed) return;
          assembly.streamClosed = true;
          assembly.stream?.error(typeof reason === "string" ? new Error(reason) : reason);
          assembly.space?.resolve();
        };
        const stream = new ReadableStream<Uint8Array>({
          start: (c) => void (assembly.stream = c),
          pull: () => assembly.space?.resolve(),
          cancel: () => {
            assembly.streamClosed = true;
            assembly.space?.resolve();
          },
        }, { highWaterMark: hwm, size: byteLength }); // A ByteLengthQueuingStrategy, made once.
        _markChannelStream(stream);
        this.#deliver(pdv.presentationContextId, command, stream, discard);
      } else {
        cur.collect = true;
      }
      return;
    }
    if (cur?.command === undefined) {
      return this.#protocolError(
        "A data set fragment arrived before its command set",
        ABORT_REASON.UNEXPECTED_PDU_PARAMETER,
      );
    }
    if (cur.command === null) {
      // The data set of a request answered with a failure: nothing to keep.
    } else if (cur.collect) {
      cur.bytes.push(pdv.data.slice()); // Copied out of the reused read buffer.
      const max = this.#options.maxResponseDatasetLength ?? DEFAULT_MAX_RESPONSE_DATASET_LENGTH;
      if (cur.bytes.length > max) {
        const error = new ResponseTooLargeError(
          `A ${cur.command.type} data set exceeded ${max} bytes`,
        );
        this.#options.onWarning?.(error.message);
        return this.association.abort(ABORT_SOURCE.SERVICE_USER, ABORT_REASON.REASON_NOT_SPECIFIED)
          .then(() => Promise.reject(error));
      }
    } else if (cur.stream && !cur.streamClosed) {
      this.#gather(cur, pdv.data, pdv.isLastFragment);
      // Back-pressure: stop reading the association until the reader catches up.
      if ((cur.stream.desiredSize ?? 1) <= 0) {
        const assembly = cur;
        return this.#space(assembly).then(() => this.#fragmentTaken(assembly, pdv));
      }
    }
    return this.#fragmentTaken(cur, pdv);
  }

  /**
   * Copies a data set fragment out of the association's read buffer (reused
   * once the PDV is taken) into the chunks the reader gets: a data set in
   * one PDV (a small object) as a copy of its own size, a longer one in
   * pooled chunks of CHUNK_SIZE bytes (see _chunks.ts), each queued once
   * full and the last once the data set ends. Few large chunks also keep
   * the queue cheap whatever the PDVs (a peer may send 1-byte ones).
   */
  #gather(cur: Assembly, data: Uint8Array, last: boolean): void {
    const stream = cur.stream!;
    if (cur.chunk === undefined && last) {
      if (data.length > 0) stream.enqueue(data.slice());
      return;
    }
    for (let at = 0; at < data.length;) {
      cur.chunk ??= _takeChunk();
      const chunk = cur.chunk;
      const n = Math.min(chunk.length - cur.filled, data.length - at);
      chunk.set(data.subarray(at, at + n), cur.filled);
      cur.filled += n;
      at += n;
      if (cur.filled === chunk.length) {
        cur.chunk = undefined;
        cur.filled = 0;
        stream.enqueue(chunk);
      }
    }
    if (last && cur.chunk !== undefined) {
      stream.enqueue(cur.chunk.subarray(0, cur.filled));
      cur.chunk = undefined;
      cur.filled = 0;
    }
  }

  /** Waits until the reader of a request's data set has room for more, or is gone. */
  async #space(cur: Assembly): Promise<void> {
    while (
      (cur.stream!.desiredSize ?? 1) <= 0 && !cur.streamClosed && this.#ended === undefined
    ) {
      cur.space = Promise.withResolvers<void>();
      await cur.space.promise;
    }
  }

  /** A data set fragment was taken: after the last, the message is complete. */
  #fragmentTaken(cur: Assembly, pdv: PresentationDataValue): Promise<void> | void {
    if (!pdv.isLastFragment) return;
    this.#current = undefined;
    if (cur.command === null || cur.command === undefined) return;
    if (cur.collect) {
      return this.#deliver(cur.contextId, cur.command, cur.bytes.take(cur.bytes.length));
    }
    if (cur.stream && !cur.streamClosed) {
      cur.streamClosed = true;
      cur.stream.close();
    }
  }

  #badCommand(
    cur: Assembly,
    error: CommandSetError,
    ctx: { abstractSyntax: string },
  ): Promise<void> {
    const p = error.partial;
    const type = p.type;
    if (
      type !== undefined && type !== "C-CANCEL-RQ" && isRequest(type) && p.messageId !== undefined
    ) {
      // Answer a request we cannot accept with a failure instead of aborting (PS3.7 §C.5.4).
      this.#options.onWarning?.(error.message);
      cur.command = null;
      if (!p.hasDataset) this.#current = undefined;
      return this.send(cur.contextId, {
        type: RESPONSE_TYPE[type],
        hasDataset: false,
        messageIdBeingRespondedTo: p.messageId,
        status: type.startsWith("N-") ? STATUS.MISSING_ATTRIBUTE : STATUS.CANNOT_UNDERSTAND,
        errorComment: error.message.slice(0, 64),
        affectedSopClassUid: p.affectedSopClassUid ?? ctx.abstractSyntax,
      });
    }
    return this.#protocolError(error.message, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  }

  #deliver(
    contextId: number,
    command: Command,
    dataset: Uint8Array | ReadableStream<Uint8Array> | undefined,
    discard: (reason: Error | string) => void = () => {},
  ): Promise<void> | void {
    const ctx = this.association.context(contextId)!;
    const base = {
      presentationContextId: contextId,
      abstractSyntax: ctx.abstractSyntax,
      transferSyntax: ctx.transferSyntax!,
    };
    if (command.type === "C-CANCEL-RQ") {
      this.#inFlight.get(command.messageIdBeingRespondedTo)?.abort(
        new Error("Cancelled by C-CANCEL-RQ"),
      );
      return;
    }
    if (!isRequest(command.type)) {
      const response = command as Exclude<Command, RequestCommand | { type: "C-CANCEL-RQ" }>;
      const waiter = this.#waiters.get(response.messageIdBeingRespondedTo);
      if (waiter === undefined) {
        this.#options.onWarning?.(
          `${response.type} answers message ${response.messageIdBeingRespondedTo}, which nobody waits for`,
        );
        return;
      }
      const full = waiter.push({
        ...base,
        command: response,
        dataset: dataset as Uint8Array | undefined,
      });
      // Back-pressure: a full request handle stops the reading until a
      // response is taken (or the association ends).
      if (full !== undefined) return Promise.race([full, this.association.closed.then(() => {})]);
      return;
    }
    const request: IncomingRequest = {
      ...base,
      command: command as RequestCommand,
      dataset: dataset as ReadableStream<Uint8Array> | undefined,
    };
    const { messageId } = request.command;
    const slots = this.#performing;
    const maxQueued = this.#options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED_REQUESTS;
    if (!slots.free && slots.waiting >= maxQueued) {
      // PS3.7 D.3.3.3: a peer past the window it negotiated, by more than we queue.
      const error = new OperationsWindowExceededError(
        `${command.type} ${messageId} would be request ${slots.waiting + 1} waiting beyond ` +
          `the asynchronous operations window; at most ${maxQueued} may wait`,
      );
      this.#options.onWarning?.(error.message);
      discard(error);
      void this.association.abort(ABORT_SOURCE.SERVICE_USER, ABORT_REASON.REASON_NOT_SPECIFIED);
      throw error;
    }
    // Registered now, so that a C-CANCEL-RQ reaches a request still waiting.
    const controller = new AbortController();
    this.#inFlight.set(messageId, controller);
    const perform = async (admitted: boolean) => {
      try {
        if (admitted) await this.#handle(request, controller, discard);
      } finally {
        if (admitted) slots.release();
        if (this.#inFlight.get(messageId) === controller) this.#inFlight.delete(messageId);
        discard(`${command.type} ${messageId} ended before its data set did`);
      }
    };
    // With a slot free the handler starts now, not a promise hop later
    // (issue 13); its data set comes as it arrives.
    const task = slots.tryAcquire() ? perform(true) : slots.acquire().then(perform);
    this.#handlers.add(task);
    // A request being handled, or waiting its turn, is no idle association.
    this.association.busyWith(task);
    // #handle answers every failure itself; nothing may escape as an unhandled rejection.
    task.then(() => this.#handlers.delete(task), (e) => {
      this.#options.onWarning?.(`${command.type} handler task failed: ${e}`);
      this.#handlers.delete(task);
    });
  }

  /**
   * Runs a request's handler. `discard` drops the rest of the request's data
   * set: once the final response is sent, the request is over (PS3.7
   * §9.3.1.1; a C-STORE answered A900 or C000 before its data set ended,
   * PS3.4 B.2.3), and the association reads on to the next message.
   */
  async #handle<T extends RequestType>(
    request: IncomingRequest<T>,
    controller: AbortController,
    discard: (reason: Error | string) => void,
  ): Promise<void> {
    const command: RequestCommand<T> & CommandFields = request.command;
    const { messageId } = command;
    const type: RequestType = command.type;
    let final = false;
    let failed: { error: unknown } | undefined;
    const respond = async (fields: ResponseFields<T>, dataset?: OutgoingDataset) => {
      if (final) throw new Error(`${type} ${messageId} was already answered`);
      if (statusCategory(fields.status) !== "pending") {
        final = true;
        discard(`${type} ${messageId} was answered before its data set ended`);
      }
      const sopClass = command.affectedSopClassUid ?? command.requestedSopClassUid;
      // The response type of the request's (RESPONSE_TYPE), with the fields its handler gave.
      const response = {
        ...(sopClass && type.startsWith("C-") ? { affectedSopClassUid: sopClass } : {}),
        ...(command.affectedSopInstanceUid
          ? { affectedSopInstanceUid: command.affectedSopInstanceUid }
          : {}),
        ...fields,
        type: RESPONSE_TYPE[type],
        hasDataset: dataset !== undefined,
        messageIdBeingRespondedTo: messageId,
      } as Command;
      if (failed) throw failed.error;
      // Held until the handler lets the event loop turn: the responses it
      // makes meanwhile, the final one too, go out in one write. A final
      // response with none held (a C-STORE-RSP, the end of a C-MOVE) goes
      // at once: the peer is waiting for it.
      const hold = !final || this.#heldSent !== undefined;
      const sent = this.#send(request.presentationContextId, response, dataset, hold);
      if (final) return await sent;
      if (this.#sending === 0) {
        // A pending response of one PDU (held, see above) does not wait for
        // its write while less than PENDING_BYTES wait to be written:
        // responses made faster than they are written go out several in one
        // write (issue 13). A failed write fails the next response.
        sent.catch((error) => void (failed ??= { error }));
        if (this.association.bufferedAmount < PENDING_BYTES) {
          // The reader is let in (a C-CANCEL read) every PENDING_RESPONSES
          // responses, or PENDING_BYTES of them, handed over without waiting:
          // the writes of an in-memory transport, and some of a socket's,
          // complete without an event loop turn.
          this.#unawaited += COMMAND_ESTIMATE +
            (dataset instanceof Uint8Array ? dataset.length : 0);
          if (++this.#unawaitedCount < PENDING_RESPONSES && this.#unawaited < PENDING_BYTES) {
            return;
          }
        }
      }
      this.#unawaited = this.#unawaitedCount = 0;
      await sent;
      // A write can complete without an event loop turn: a handler streaming
      // pending responses would then keep the association's reader from
      // seeing a C-CANCEL until the socket buffer fills. Let it read.
      await new Promise((resolve) => setImmediate(resolve));
    };
    // What the channel itself answers has only the fields every response has.
    const answer = (status: number, errorComment?: string) =>
      respond({ status, ...(errorComment ? { errorComment } : {}) });
    try {
      const sopClass = command.affectedSopClassUid ?? command.requestedSopClassUid;
      // The request's type is T: its handler takes requests of type T.
      const handler: RequestHandler<T> | undefined = this.#options.handlers?.[command.type as T];
      if (sopClass !== undefined && sopClass !== request.abstractSyntax) {
        // PS3.7 §9.1: the SOP class must be the one negotiated for the context.
        await answer(
          STATUS.SOP_CLASS_NOT_SUPPORTED,
          `SOP class ${sopClass} is not the context's ${request.abstractSyntax}`.slice(0, 64),
        );
      } else if (handler === undefined) {
        await answer(STATUS.UNRECOGNIZED_OPERATION);
      } else {
        try {
          await handler(request, { channel: this, signal: controller.signal, respond });
          if (!final) await answer(failureStatus(type), "The handler sent no final response");
        } catch (e) {
          this.#options.onWarning?.(
            `${type} handler failed: ${e instanceof Error ? e.message : e}`,
          );
          if (!final && this.#ended === undefined) {
            await answer(
              failureStatus(type),
              String(e instanceof Error ? e.message : e).slice(0, 64),
            );
          }
        }
      }
    } catch (e) {
      this.#options.onWarning?.(
        `Cannot answer ${type}: ${e instanceof Error ? e.message : e}`,
      );
    } finally {
      // A data set the handler did not read is discarded, so the association
      // goes on; cancel() cannot do it when the handler left the stream locked.
      discard(`${type} ${messageId} was handled before its data set ended`);
    }
  }
}
