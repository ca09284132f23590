/**
 * When a Storage SCP may call the file system synchronously. A synchronous
 * write and rename of a small object cost a fraction of their asynchronous
 * forms (each asynchronous call is two thread hops through Deno's blocking
 * pool; issue 13), but they block the event loop, and every association
 * with it, for as long as the disk takes. So they are used only for small
 * objects and only while the disk answers quickly: one call slower than
 * `stallMs` turns them off for `backoffMs`, during which the asynchronous
 * calls are used. A stalled disk thus blocks the event loop for at most one
 * call per `backoffMs`.
 *
 * @module
 */

/** Options of {@linkcode _SyncBudget}. */
export interface _SyncBudgetOptions {
  /** A synchronous call slower than this (ms) is a stall. @default {50} */
  stallMs?: number;
  /** How long (ms) after a stall only asynchronous calls are made. @default {5000} */
  backoffMs?: number;
  /** The clock (ms), for tests. @default {performance.now} */
  now?: () => number;
}

/** Decides, per folder, whether small objects are written with synchronous calls. */
export class _SyncBudget {
  readonly #stallMs: number;
  readonly #backoffMs: number;
  readonly #now: () => number;
  #until = -Infinity;

  constructor(options: _SyncBudgetOptions = {}) {
    this.#stallMs = options.stallMs ?? 50;
    this.#backoffMs = options.backoffMs ?? 5000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether synchronous calls may be made now (no stall within `backoffMs`). */
  get allowed(): boolean {
    return this.#now() >= this.#until;
  }

  /** Runs `call` synchronously and times it: a stall turns synchronous calls off for a while. */
  run<T>(call: () => T): T {
    const start = this.#now();
    try {
      return call();
    } finally {
      const end = this.#now();
      if (end - start > this.#stallMs) this.#until = end + this.#backoffMs;
    }
  }
}
