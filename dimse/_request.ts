/**
 * One request we sent and what came back for it: the handle
 * {@linkcode DimseChannel.request} returns ({@linkcode OutgoingRequest}).
 * It owns its Message ID from its creation and cancels by it, so nothing is
 * read from a counter another request may have moved on.
 *
 * @module
 */
import type { CommandType } from "./command.ts";
import type { RequestCommand, RequestType } from "./command_sets.ts";
import { DimseTimeoutError } from "./errors.ts";
import type { DimseResponse, OutgoingRequest } from "./messages.ts";
import { statusCategory } from "./status.ts";
import type { _Deadlines } from "./_deadlines.ts";

/**
 * Responses with a data set (C-FIND matches, each up to the channel's
 * `maxResponseDatasetLength`) a request handle holds before the channel
 * stops reading the association until one is taken: a peer streaming
 * pending responses faster than they are used is slowed down, not buffered.
 */
export const RESPONSE_QUEUE_LENGTH = 16;

/** The requests C-CANCEL-RQ applies to (PS3.7 §9.3.2.3, §9.3.3.3, §9.3.4.3). */
const CANCELLABLE: ReadonlySet<CommandType> = new Set(["C-FIND-RQ", "C-GET-RQ", "C-MOVE-RQ"]);

/** What a request needs of its channel. */
export interface RequestLink {
  /** Sends C-CANCEL-RQ for `messageId` on the request's context. */
  sendCancel(messageId: number): Promise<void>;
  /** Aborts the association: a response did not come in time. */
  abort(): Promise<void>;
  /** Forgets the request: its final response came, or it failed. */
  forget(messageId: number): void;
  /** Milliseconds to wait for each response; 0 waits forever. */
  readonly timeout: number;
  /** Where the timeout is kept; without it, a timer per wait. */
  readonly deadlines?: _Deadlines;
}

/**
 * A request the channel is waiting on: the channel pushes its responses as
 * they arrive (whether or not anybody iterates yet) and fails it when the
 * association ends; iterating yields them in order up to the final one.
 */
export class PendingRequest<T extends RequestType> implements OutgoingRequest<T> {
  readonly messageId: number;
  readonly presentationContextId: number;
  readonly command: RequestCommand<T>;
  readonly #link: RequestLink;
  readonly #queue: DimseResponse<T>[] = [];
  /** The final (non-pending) response has arrived. */
  #final = false;
  /** Why no more responses will come, when that is not the final response. */
  #failure: unknown;
  #failed = false;
  #wake: (() => void) | undefined;
  #cancel: Promise<void> | undefined;
  /** Responses with a data set in the queue. */
  #held = 0;
  /** The channel waits on it while the queue is full. */
  #space: PromiseWithResolvers<void> | undefined;
  /** The request was sent (it may wait for the Asynchronous Operations Window first). */
  #started = false;

  constructor(presentationContextId: number, command: RequestCommand<T>, link: RequestLink) {
    this.presentationContextId = presentationContextId;
    this.command = command;
    this.messageId = command.messageId;
    this.#link = link;
  }

  /** Whether its final response came or it failed: nothing more will come. */
  get done(): boolean {
    return this.#final || this.#failed;
  }

  /** Marks the request sent: its DIMSE timeout runs from now on. */
  started(): void {
    this.#started = true;
    this.#wake?.();
  }

  /**
   * Takes a response the channel routed here by its Message ID Being
   * Responded To. Returns a promise when the queue is full
   * ({@linkcode RESPONSE_QUEUE_LENGTH}): the channel reads on once it settles.
   */
  push(response: DimseResponse<T>): Promise<void> | undefined {
    if (this.#final || this.#failed) return;
    this.#queue.push(response);
    if (response.dataset !== undefined) this.#held++;
    if (statusCategory(response.command.status) !== "pending") {
      this.#final = true;
      this.#link.forget(this.messageId);
    }
    this.#wake?.();
    if (this.#held < RESPONSE_QUEUE_LENGTH || this.#final) return;
    this.#space ??= Promise.withResolvers<void>();
    return this.#space.promise;
  }

  /** Takes the next response from the queue, making room for the channel. */
  #take(): DimseResponse<T> | undefined {
    const response = this.#queue.shift();
    if (response?.dataset !== undefined) this.#held--;
    if (this.#held < RESPONSE_QUEUE_LENGTH) this.#letIn();
    return response;
  }

  #letIn(): void {
    this.#space?.resolve();
    this.#space = undefined;
  }

  /** Ends the request without its final response; the first reason stays. */
  fail(error: unknown): void {
    if (this.#final || this.#failed) return;
    // A timeout recorded first stays the reason (the abort it causes fails every request).
    this.#failed = true;
    this.#failure = error;
    this.#link.forget(this.messageId);
    this.#letIn();
    this.#wake?.();
  }

  cancel(): Promise<void> {
    if (!CANCELLABLE.has(this.command.type)) {
      return Promise.reject(
        new TypeError(
          `Cannot cancel ${this.command.type}: C-CANCEL applies to C-FIND, C-GET and C-MOVE`,
        ),
      );
    }
    // PS3.7 §9.1.2.1: a cancel is only meaningful while responses are pending.
    if (this.#final || this.#failed) return Promise.resolve();
    return this.#cancel ??= this.#link.sendCancel(this.messageId);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DimseResponse<T>, void, undefined> {
    for (;;) {
      const response = this.#take();
      if (response !== undefined) {
        yield response;
        if (statusCategory(response.command.status) !== "pending") return;
        continue;
      }
      if (this.#final) return; // the final response was taken by an earlier iteration
      if (this.#failed) throw this.#failure;
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#wake = resolve;
      const timeout = this.#link.timeout;
      // A request waiting for the window has no response to wait for yet.
      let expired = false;
      const expire = () => {
        expired = true;
        resolve();
      };
      const deadlines = this.#link.deadlines;
      let stop: (() => void) | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (timeout > 0 && this.#started) {
        if (deadlines) stop = deadlines.add(timeout, expire);
        else timer = setTimeout(expire, timeout);
      }
      try {
        await promise;
      } finally {
        stop?.();
        clearTimeout(timer);
        this.#wake = undefined;
      }
      if (expired && this.#queue.length === 0 && !this.#final && !this.#failed) {
        // The association cannot be resynchronised: abort it (PS3.7 leaves the timeout to us).
        this.fail(
          new DimseTimeoutError(`No response to ${this.command.type} within ${timeout} ms`),
        );
        await this.#link.abort();
      }
    }
  }
}
