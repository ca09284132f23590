/**
 * Slots for work outstanding at once, and those waiting for one, in the
 * order they asked. `dimse/`'s channel keeps two for the Asynchronous
 * Operations Window (PS3.7 D.3.3.3): the requests it performs and those it
 * invokes; `service/users.ts` bounds the password hashes computed at once.
 * Pure: no timers, no I/O.
 *
 * @module
 */

/** Slots for operations outstanding at once; 0 is no limit. */
export class OperationSlots {
  readonly #limit: number;
  #used = 0;
  readonly #waiting: ((admitted: boolean) => void)[] = [];
  #closed = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** How many slots are taken. */
  get used(): number {
    return this.#used;
  }

  /** How many wait for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether a slot is free now (a request would not wait). */
  get free(): boolean {
    return !this.#closed && this.#waiting.length === 0 &&
      (this.#limit === 0 || this.#used < this.#limit);
  }

  /**
   * Takes a slot: `true` once one is free (in the order asked), `false` if
   * the slots were closed (the association ended) first.
   */
  acquire(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.free) {
      this.#used++;
      return Promise.resolve(true);
    }
    const { promise, resolve } = Promise.withResolvers<boolean>();
    this.#waiting.push(resolve);
    return promise;
  }

  /** Takes a slot if one is free now (as {@linkcode acquire} would at once); `false` otherwise. */
  tryAcquire(): boolean {
    if (!this.free) return false;
    this.#used++;
    return true;
  }

  /** Gives a slot back; the first waiting takes it. */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined && !this.#closed) next(true);
    else this.#used--;
  }

  /** Ends the wait of everyone waiting with `false`; no slot is given any more. */
  close(): void {
    this.#closed = true;
    for (const resolve of this.#waiting.splice(0)) resolve(false);
  }
}
