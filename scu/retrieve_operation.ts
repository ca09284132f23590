/**
 * The progress and result of a C-MOVE or C-GET (PS3.4 §C.4.2, §C.4.3): an
 * async iterable of sub-operation counts that is also awaitable for the
 * final result. Like `find()`, it is lazy: nothing is sent until it is
 * awaited or iterated.
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
 * What a {@linkcode RetrieveOperation} runs when first awaited or iterated:
 * it reports progress through `progress` and stops (C-CANCEL) when `signal`
 * aborts.
 */
export type RetrieveBody = (
  progress: (p: RetrieveProgress) => void,
  signal: AbortSignal,
) => Promise<RetrieveResult>;

/**
 * A retrieve that starts when first used: `for await` over it for progress,
 * `await` it for the result (which throws {@linkcode DimseStatusError} on a
 * failure status). Both can be used on one operation (iterate the progress,
 * then await the result); the work runs once. Until then nothing is sent,
 * so an operation nobody uses costs nothing, and its errors reach whoever
 * awaits or iterates it.
 *
 * Leaving a `for await` over it early cancels the operation (C-CANCEL, as
 * breaking out of `find()` does) and waits for it to end; awaiting it
 * afterwards gives the cancelled result.
 */
export class RetrieveOperation
  implements AsyncIterable<RetrieveProgress>, PromiseLike<RetrieveResult> {
  readonly #body: RetrieveBody;
  readonly #stop = new AbortController();
  readonly #queue: RetrieveProgress[] = [];
  #wake: (() => void) | undefined;
  #done = false;
  #result: Promise<RetrieveResult> | undefined;

  /** Keeps `body`, to run it once, when the operation is first awaited or iterated. */
  constructor(body: RetrieveBody) {
    this.#body = body;
  }

  /** Runs the body, the first time only. */
  #start(): Promise<RetrieveResult> {
    this.#result ??= Promise.resolve().then(() =>
      this.#body((p) => {
        this.#queue.push(p);
        this.#wake?.();
      }, this.#stop.signal)
    ).finally(() => {
      this.#done = true;
      this.#wake?.();
    });
    return this.#result;
  }

  /**
   * Starts the operation if it has not started, and yields each progress
   * report as it arrives; throws the operation's error at the end.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<RetrieveProgress> {
    const result = this.#start();
    let ended = false;
    try {
      for (;;) {
        const next = this.#queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.#done) {
          ended = true;
          await result;
          return;
        }
        const { promise, resolve } = Promise.withResolvers<void>();
        this.#wake = resolve;
        await promise;
        this.#wake = undefined;
      }
    } finally {
      if (!ended) {
        // Left early: stop the operation and wait for its end, so that no
        // work outlives its observer. The error this stop causes is ours,
        // not a failure to report; any other is.
        const reason = new DOMException("The progress iteration was left", "AbortError");
        this.#stop.abort(reason);
        await result.catch((e) => {
          if (e !== reason) throw e;
        });
      }
    }
  }

  /** Starts the operation if it has not started; settles with its final result. */
  then<A = RetrieveResult, B = never>(
    onFulfilled?: ((value: RetrieveResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return this.#start().then(onFulfilled, onRejected);
  }
}
