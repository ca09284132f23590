// A progress bar on a terminal, plain lines otherwise (for logs and pipes).

/** Reports progress of `total` steps to stderr. */
export class Progress {
  #total: number;
  readonly #label: string;
  readonly #tty: boolean;
  readonly #start = performance.now();
  #last = 0;

  constructor(label: string, total: number, tty = Deno.stderr.isTerminal()) {
    this.#label = label;
    this.#total = total;
    this.#tty = tty;
  }

  /** Shows `done` of the total, with an optional note; `total` replaces the total when it turned out another. */
  update(done: number, note = "", total = this.#total): void {
    this.#total = total;
    if (!this.#tty) return;
    const now = performance.now();
    if (now - this.#last < 50 && done < this.#total) return;
    this.#last = now;
    const width = 30;
    const filled = this.#total > 0 ? Math.round((done / this.#total) * width) : width;
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const line = `\r${this.#label} [${bar}] ${done}/${this.#total} ${note}`.slice(0, 120);
    Deno.stderr.writeSync(new TextEncoder().encode(line.padEnd(100)));
  }

  /** Ends the bar line. */
  done(): void {
    if (this.#tty) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }

  /** Seconds since the start. */
  get seconds(): number {
    return (performance.now() - this.#start) / 1000;
  }
}
