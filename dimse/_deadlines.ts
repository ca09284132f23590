/**
 * Many timeouts on one timer: the DIMSE timeout of each request a channel
 * waits on (PS3.7 leaves it to implementations). A `setTimeout` and
 * `clearTimeout` per response cost more than a small C-STORE's own work;
 * here a wait costs a set entry, and the one timer is re-armed only when it
 * fires (about once per timeout while requests keep coming) or when a wait
 * ends sooner than it would fire. The timer keeps the process alive only
 * while a wait is on (as a timer per wait did).
 *
 * @module
 */

interface Wait {
  readonly deadline: number;
  readonly expire: () => void;
}

/** One timer for the timeouts of many waits. */
export class _Deadlines {
  readonly #waits = new Set<Wait>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires. */
  #at = Infinity;
  readonly #now: () => number;

  /** @param now The clock (ms), for tests. */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Calls `expire` in `ms` milliseconds unless the returned function is called first. */
  add(ms: number, expire: () => void): () => void {
    const wait = { deadline: this.#now() + ms, expire };
    if (this.#waits.size === 0 && this.#timer !== undefined) Deno.refTimer(this.#timer);
    this.#waits.add(wait);
    if (wait.deadline < this.#at) this.#arm(wait.deadline);
    return () => {
      if (!this.#waits.delete(wait) || this.#waits.size > 0) return;
      if (this.#timer !== undefined) Deno.unrefTimer(this.#timer);
    };
  }

  /** Stops the timer and forgets every wait. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
    this.#waits.clear();
  }

  #arm(deadline: number): void {
    clearTimeout(this.#timer);
    this.#at = deadline;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, deadline - this.#now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#at = Infinity;
    const now = this.#now();
    let next = Infinity;
    for (const wait of this.#waits) {
      if (wait.deadline <= now) {
        this.#waits.delete(wait);
        wait.expire();
      } else if (wait.deadline < next) {
        next = wait.deadline;
      }
    }
    if (next < Infinity && next < this.#at) this.#arm(next);
  }
}
