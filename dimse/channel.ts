/**
 * A DIMSE channel over one association (PS3.7 §7–§8): reassembles incoming
 * messages from PDVs, routes requests to handlers by command and responses
 * to the waiting request by Message ID Being Responded To, and sends
 * messages ({@linkcode _sendMessage}) one after another, never interleaved.
 *
 * The channel is the one part of `dimse/` that is not a pure codec: it drives
 * an association, so it uses the event loop's timers for two things no codec
 * needs, the DIMSE timeout (PS3.7 leaves it to implementations) and a turn
 * of the event loop between pending responses (see `#handle`). The codecs
 * beside it (`command.ts`, `status.ts`, `fragment.ts`) touch neither timers
 * nor I/O.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Association } from "../association/mod.ts";
import type { PresentationDataValue } from "../pdu/mod.ts";
import { ByteQueue } from "../dataset/mod.ts";
import {
  type Command,
  CommandSetError,
  type CommandType,
  decodeCommand,
  isRequest,
} from "./command.ts";
import { STATUS, statusCategory } from "./status.ts";
import { _sendMessage } from "./_send.ts";
import type {
  DimseResponse,
  IncomingRequest,
  OutgoingDataset,
  RequestHandler,
  RequestType,
  ResponseFields,
} from "./messages.ts";
import { DimseTimeoutError } from "./errors.ts";

/** Options of {@linkcode DimseChannel}. */
export interface DimseChannelOptions {
  /** Handlers by request type; a request without one is answered 0211 (unrecognized operation). */
  handlers?: Partial<Record<RequestType, RequestHandler>>;
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
  /** Receives problems that do not end the association (a response nobody waits for...). */
  onWarning?: (message: string) => void;
}

interface Assembly {
  contextId: number;
  /** The command set's fragments, then those of a response's data set. */
  bytes: ByteQueue;
  command?: Command;
  stream?: ReadableStreamDefaultController<Uint8Array>;
  streamClosed?: boolean;
  space?: PromiseWithResolvers<void>;
  /** A response's data set: gathered whole in `bytes`. */
  collect?: boolean;
  /** The data set of a request already answered with a failure: dropped as it arrives. */
  discard?: boolean;
}

interface Waiter {
  push(response: DimseResponse): void;
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
  #messageId = 0;
  #sendChain: Promise<void> = Promise.resolve();
  #current: Assembly | undefined;
  #ended: unknown;

  /** Starts reading the association's P-DATA. */
  constructor(association: Association, options: DimseChannelOptions = {}) {
    this.association = association;
    this.#options = options;
    this.closed = this.#run();
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
    const run = this.#sendChain.then(() =>
      _sendMessage(this.association, presentationContextId, command, dataset)
    );
    this.#sendChain = run.catch(() => {});
    return run;
  }

  /**
   * Sends a request and yields its responses as they arrive, ending after
   * the final (non-pending) one. The Message ID is assigned here.
   *
   * @throws {DimseTimeoutError} when a response takes longer than `dimseTimeout` (the association is aborted).
   * @throws {AssociationAbortedError} when the association ends first.
   */
  async *request(
    presentationContextId: number,
    command: Omit<Command, "messageId">,
    dataset?: OutgoingDataset,
  ): AsyncGenerator<DimseResponse, void, undefined> {
    if (this.#ended !== undefined) throw this.#ended;
    const messageId = this.nextMessageId();
    const queue: DimseResponse[] = [];
    let failure: unknown;
    let wake: (() => void) | undefined;
    this.#waiters.set(messageId, {
      push: (r) => {
        queue.push(r);
        wake?.();
      },
      fail: (e) => {
        // A timeout recorded first stays the reason (the abort it causes fails every waiter).
        failure ??= e;
        wake?.();
      },
    });
    const timeout = this.#options.dimseTimeout ?? 60_000;
    try {
      await this.send(presentationContextId, { ...command, messageId } as Command, dataset);
      for (;;) {
        while (queue.length === 0 && failure === undefined) {
          const { promise, resolve } = Promise.withResolvers<void>();
          wake = resolve;
          const timer = timeout > 0 ? setTimeout(resolve, timeout) : undefined;
          await promise;
          clearTimeout(timer);
          wake = undefined;
          if (queue.length === 0 && failure === undefined) {
            failure = new DimseTimeoutError(`No response to ${command.type} within ${timeout} ms`);
            await this.association.abort(2, 0);
          }
        }
        const response = queue.shift();
        if (response === undefined) throw failure;
        yield response;
        if (statusCategory(response.command.status ?? 0) !== "pending") return;
      }
    } finally {
      this.#waiters.delete(messageId);
    }
  }

  /** Sends C-CANCEL-RQ for one of our requests (PS3.7 §9.3.2.3). */
  cancel(presentationContextId: number, messageId: number): Promise<void> {
    return this.send(presentationContextId, {
      type: "C-CANCEL-RQ",
      hasDataset: false,
      messageIdBeingRespondedTo: messageId,
    });
  }

  /** The Message ID the last `request()` was sent with. */
  get lastMessageId(): number {
    return this.#messageId;
  }

  async #run(): Promise<void> {
    let error: unknown;
    try {
      for await (const pdu of this.association.pData) {
        for (const pdv of pdu.values) await this.#receive(pdv);
      }
      error = new Error("The association was released");
    } catch (e) {
      error = e;
    } finally {
      this.#ended = error;
      const cur = this.#current;
      if (cur?.stream && !cur.streamClosed) cur.stream.error(error);
      cur?.space?.resolve();
      this.#current = undefined;
      for (const w of this.#waiters.values()) w.fail(error);
      for (const c of this.#inFlight.values()) c.abort(error);
      await Promise.allSettled([...this.#handlers]);
    }
  }

  async #protocolError(message: string): Promise<never> {
    this.#options.onWarning?.(message);
    // PS3.8 §9.3.5: a PDV that breaks the message structure is an unexpected
    // PDU parameter: A-ABORT by the service-provider, reason 6.
    await this.association.abort(2, 6);
    throw new CommandSetError(message);
  }

  async #receive(pdv: PresentationDataValue): Promise<void> {
    const ctx = this.association.context(pdv.presentationContextId);
    if (ctx === undefined) {
      return this.#protocolError(
        `A PDV used presentation context ${pdv.presentationContextId}, which was not accepted`,
      );
    }
    let cur = this.#current;
    if (cur !== undefined && cur.contextId !== pdv.presentationContextId) {
      return this.#protocolError(
        `A PDV for context ${pdv.presentationContextId} interleaved a message on context ${cur.contextId}`,
      );
    }
    if (pdv.isCommand) {
      if (cur?.command !== undefined) {
        return this.#protocolError("A command fragment arrived in the middle of a data set");
      }
      cur ??= this.#current = { contextId: pdv.presentationContextId, bytes: new ByteQueue() };
      cur.bytes.push(pdv.data);
      if (cur.bytes.length > (this.#options.maxCommandLength ?? 65536)) {
        return this.#protocolError(
          `A command set exceeded ${this.#options.maxCommandLength ?? 65536} bytes`,
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
        const stream = new ReadableStream<Uint8Array>({
          start: (c) => void (cur!.stream = c),
          pull: () => cur!.space?.resolve(),
          cancel: () => {
            cur!.streamClosed = true;
            cur!.space?.resolve();
          },
        }, new ByteLengthQueuingStrategy({ highWaterMark: hwm }));
        this.#deliver(pdv.presentationContextId, command, stream);
      } else {
        cur.collect = true;
      }
      return;
    }
    if (cur?.command === undefined) {
      return this.#protocolError("A data set fragment arrived before its command set");
    }
    if (cur.discard) {
      // Nothing to keep.
    } else if (cur.collect) {
      cur.bytes.push(pdv.data);
    } else if (cur.stream && !cur.streamClosed) {
      cur.stream.enqueue(pdv.data);
      // Back-pressure: stop reading the association until the reader catches up.
      while ((cur.stream.desiredSize ?? 1) <= 0 && !cur.streamClosed && this.#ended === undefined) {
        cur.space = Promise.withResolvers<void>();
        await cur.space.promise;
      }
    }
    if (pdv.isLastFragment) {
      this.#current = undefined;
      if (cur.discard) return;
      if (cur.collect) {
        this.#deliver(cur.contextId, cur.command, cur.bytes.take(cur.bytes.length));
      } else if (cur.stream && !cur.streamClosed) {
        cur.streamClosed = true;
        cur.stream.close();
      }
    }
  }

  #badCommand(
    cur: Assembly,
    error: CommandSetError,
    ctx: { abstractSyntax: string },
  ): Promise<void> {
    const p = error.partial;
    if (p.type !== undefined && isRequest(p.type) && p.messageId !== undefined) {
      // Answer a request we cannot accept with a failure instead of aborting (PS3.7 §C.5.4).
      this.#options.onWarning?.(error.message);
      cur.command = { type: p.type, hasDataset: p.hasDataset ?? false, messageId: p.messageId };
      if (p.hasDataset) cur.discard = true;
      else this.#current = undefined;
      return this.send(cur.contextId, {
        type: p.type.replace("-RQ", "-RSP") as CommandType,
        hasDataset: false,
        messageIdBeingRespondedTo: p.messageId,
        status: p.type.startsWith("N-") ? STATUS.MISSING_ATTRIBUTE : STATUS.CANNOT_UNDERSTAND,
        errorComment: error.message.slice(0, 64),
        ...(p.affectedSopClassUid
          ? { affectedSopClassUid: p.affectedSopClassUid }
          : { affectedSopClassUid: ctx.abstractSyntax }),
      });
    }
    return this.#protocolError(error.message);
  }

  #deliver(
    contextId: number,
    command: Command,
    dataset: Uint8Array | ReadableStream<Uint8Array> | undefined,
  ): void {
    const ctx = this.association.context(contextId)!;
    const base = {
      presentationContextId: contextId,
      abstractSyntax: ctx.abstractSyntax,
      transferSyntax: ctx.transferSyntax!,
      command,
    };
    if (!isRequest(command.type)) {
      const waiter = this.#waiters.get(command.messageIdBeingRespondedTo ?? -1);
      if (waiter === undefined) {
        this.#options.onWarning?.(
          `${command.type} answers message ${command.messageIdBeingRespondedTo}, which nobody waits for`,
        );
        return;
      }
      waiter.push({ ...base, dataset: dataset as Uint8Array | undefined });
      return;
    }
    if (command.type === "C-CANCEL-RQ") {
      this.#inFlight.get(command.messageIdBeingRespondedTo ?? -1)?.abort(
        new Error("Cancelled by C-CANCEL-RQ"),
      );
      return;
    }
    const request: IncomingRequest = {
      ...base,
      dataset: dataset as ReadableStream<Uint8Array> | undefined,
    };
    const task = this.#handle(request);
    this.#handlers.add(task);
    // #handle answers every failure itself; nothing may escape as an unhandled rejection.
    task.catch((e) => this.#options.onWarning?.(`${command.type} handler task failed: ${e}`))
      .finally(() => this.#handlers.delete(task));
  }

  async #handle(request: IncomingRequest): Promise<void> {
    const { command } = request;
    const messageId = command.messageId!;
    const controller = new AbortController();
    this.#inFlight.set(messageId, controller);
    let final = false;
    const respond = async (fields: ResponseFields, dataset?: OutgoingDataset) => {
      if (final) throw new Error(`${command.type} ${messageId} was already answered`);
      if (statusCategory(fields.status) !== "pending") final = true;
      const sopClass = command.affectedSopClassUid ?? command.requestedSopClassUid;
      await this.send(request.presentationContextId, {
        ...(sopClass && command.type.startsWith("C-") ? { affectedSopClassUid: sopClass } : {}),
        ...(command.affectedSopInstanceUid
          ? { affectedSopInstanceUid: command.affectedSopInstanceUid }
          : {}),
        ...fields,
        type: command.type.replace("-RQ", "-RSP") as CommandType,
        hasDataset: dataset !== undefined,
        messageIdBeingRespondedTo: messageId,
      }, dataset);
      // A write can complete without an event loop turn: a handler streaming
      // pending responses would then keep the association's reader from
      // seeing a C-CANCEL until the socket buffer fills. Let it read.
      if (!final) await new Promise((resolve) => setImmediate(resolve));
    };
    try {
      const sopClass = command.affectedSopClassUid ?? command.requestedSopClassUid;
      const handler = this.#options.handlers?.[command.type as RequestType];
      if (sopClass !== undefined && sopClass !== request.abstractSyntax) {
        // PS3.7 §9.1: the SOP class must be the one negotiated for the context.
        await respond({
          status: STATUS.SOP_CLASS_NOT_SUPPORTED,
          errorComment: `SOP class ${sopClass} is not the context's ${request.abstractSyntax}`
            .slice(0, 64),
        });
      } else if (handler === undefined) {
        await respond({ status: STATUS.UNRECOGNIZED_OPERATION });
      } else {
        try {
          await handler(request, { channel: this, signal: controller.signal, respond });
          if (!final) {
            await respond({
              status: failureStatus(command.type),
              errorComment: "The handler sent no final response",
            });
          }
        } catch (e) {
          this.#options.onWarning?.(
            `${command.type} handler failed: ${e instanceof Error ? e.message : e}`,
          );
          if (!final && this.#ended === undefined) {
            await respond({
              status: failureStatus(command.type),
              errorComment: String(e instanceof Error ? e.message : e).slice(0, 64),
            });
          }
        }
      }
    } catch (e) {
      this.#options.onWarning?.(
        `Cannot answer ${command.type}: ${e instanceof Error ? e.message : e}`,
      );
    } finally {
      this.#inFlight.delete(messageId);
      // A data set the handler did not read is discarded, so the association goes on.
      await request.dataset?.cancel().catch(() => {});
    }
  }
}
