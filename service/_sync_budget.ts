/**
 * When a Storage SCP may call the file system synchronously. A synchronous
 * write and rename of a small object cost a fraction of their asynchronous
 * forms (each asynchronous call is two thread hops through Deno's blocking
 * pool; issue 13), but they block the event loop, and every association
 * with it, for as long as the disk takes. So they are used only while the
 * disk answers quickly: one call slower than `stallMs`, or slow calls (each
 * over `slowMs`) adding up to more than `shareMs` within one `windowMs`,
 * turn them off for `backoffMs`, during which the asynchronous calls are
 * used. A stalled or slow disk thus blocks the event loop for at most one
 * call, or `shareMs` in a window, per `backoffMs`; quick calls (a page-cache
 * copy) never count.
 *
 * @module
 */

/** Options of {@linkcode _SyncBudget}. */
export interface _SyncBudgetOptions {
  /** A synchronous call slower than this (ms) is a stall. @default {50} */
  stallMs?: number;
  /** A synchronous call slower than this (ms) counts toward `shareMs`. @default {5} */
  slowMs?: number;
  /** The most time (ms) slow synchronous calls may block within one window. @default {100} */
  shareMs?: number;
  /** The window (ms) over which `shareMs` is counted. @default {1000} */
  windowMs?: number;
  /** How long (ms) after a stall only asynchronous calls are made. @default {5000} */
  backoffMs?: number;
  /** The clock (ms), for tests. @default {performance.now} */
  now?: () => number;
}

/** Decides, per folder, whether objects are written with synchronous calls. */
export class _SyncBudget {
  readonly #stallMs: number;
  readonly #slowMs: number;
  readonly #shareMs: number;
  readonly #windowMs: number;
  readonly #backoffMs: number;
  readonly #now: () => number;
  #until = -Infinity;
  #windowStart = -Infinity;
  #blocked = 0;

  constructor(options: _SyncBudgetOptions = {}) {
    this.#stallMs = options.stallMs ?? 50;
    this.#slowMs = options.slowMs ?? 5;
    this.#shareMs = options.shareMs ?? 100;
    this.#windowMs = options.windowMs ?? 1000;
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
      if (end - this.#windowStart >= this.#windowMs) {
        this.#windowStart = start;
        this.#blocked = 0;
      }
      if (end - start > this.#slowMs) this.#blocked += end - start;
      if (end - start > this.#stallMs || this.#blocked > this.#shareMs) {
        this.#until = end + this.#backoffMs;
        this.#blocked = 0;
      }
    }
  }
}
