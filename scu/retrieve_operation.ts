/**
 * The progress and result of a C-MOVE or C-GET (PS3.4 §C.4.2, §C.4.3): an
 * async iterable of sub-operation counts that is also awaitable for the
 * final result.
 *
 * @module
 */

/** Sub-operation counts from a pending or final C-MOVE/C-GET response. */
export interface RetrieveProgress {
  /** The response status (FF00 pending, then the final one). */
  readonly status: number;
  /** Number of Remaining Sub-operations, when the peer sent it. */
  readonly remaining: number | undefined;
  /** Number of Completed Sub-operations. */
  readonly completed: number;
  /** Number of Failed Sub-operations. */
  readonly failed: number;
  /** Number of Warning Sub-operations. */
  readonly warning: number;
}

/** The outcome of a C-MOVE or C-GET. */
export interface RetrieveResult extends RetrieveProgress {
  /** Failed SOP Instance UID List (0008,0058) of the final response. */
  readonly failedSopInstanceUids: readonly string[];
  /** For C-GET, and retrieve() through C-MOVE: objects received, by SOP Instance UID. */
  readonly received: readonly string[];
  /** Whether C-MOVE or C-GET was used. */
  readonly method: "C-MOVE" | "C-GET";
}

/**
 * A running retrieve: `for await` over it for progress, `await` it for the
 * result (which throws {@linkcode DimseStatusError} on a failure status).
 */
export class RetrieveOperation
  implements AsyncIterable<RetrieveProgress>, PromiseLike<RetrieveResult> {
  readonly #queue: RetrieveProgress[] = [];
  #wake: (() => void) | undefined;
  #done = false;
  readonly #result: Promise<RetrieveResult>;

  /** Runs `body`, which reports progress through the callback it gets. */
  constructor(body: (progress: (p: RetrieveProgress) => void) => Promise<RetrieveResult>) {
    this.#result = body((p) => {
      this.#queue.push(p);
      this.#wake?.();
    }).finally(() => {
      this.#done = true;
      this.#wake?.();
    });
    this.#result.catch(() => {}); // surfaced through then() and the iterator
  }

  /** Yields each progress report as it arrives; throws the operation's error at the end. */
  async *[Symbol.asyncIterator](): AsyncIterator<RetrieveProgress> {
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#done) {
        await this.#result;
        return;
      }
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#wake = resolve;
      await promise;
      this.#wake = undefined;
    }
  }

  /** The final result. */
  then<A = RetrieveResult, B = never>(
    onFulfilled?: ((value: RetrieveResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return this.#result.then(onFulfilled, onRejected);
  }
}
