/**
 * Running the `dcm` command line from tests, as a user would: a process of
 * its own, its exit code and what it printed.
 *
 * @module
 */
import { HOST, withDeadline } from "./_storage_corpus.ts";

/** The command line's entry point. */
export const MAIN: string = new URL("../cli/main.ts", import.meta.url).pathname;

/** What a run of `dcm` printed, and its exit code. */
export interface CliRun {
  /** The exit code. */
  code: number;
  /** What it printed on stdout. */
  stdout: string;
  /** What it printed on stderr. */
  stderr: string;
}

/** Runs `dcm ...args` to its end, with no standard input. */
export function dcm(...args: string[]): Promise<CliRun> {
  return dcmWith({}, ...args);
}

/** How {@linkcode dcmWith} runs `dcm`. */
export interface DcmRunOptions {
  /** Environment variables to set besides ours. */
  env?: Record<string, string>;
  /** The standard input; none by default. */
  stdin?: string;
}

/** Runs `dcm ...args` to its end with environment variables and a standard input. */
export async function dcmWith(options: DcmRunOptions, ...args: string[]): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    ...(options.env && { env: options.env }),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Reads a text stream line by line, keeping every line. */
export class LineReader {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  #ended = false;
  #waiters: (() => void)[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      let rest = "";
      try {
        for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
          const parts = (rest + chunk).split("\n");
          rest = parts.pop()!;
          this.lines.push(...parts);
          this.#wake();
        }
        if (rest !== "") this.lines.push(rest);
      } finally {
        this.#ended = true;
        this.#wake();
      }
    })();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The first line matching `pattern`, as soon as it is there. */
  async find(pattern: RegExp): Promise<RegExpMatchArray> {
    for (;;) {
      for (const line of this.lines) {
        const m = line.match(pattern);
        if (m) return m;
      }
      if (this.#ended) throw new Error(`no line matches ${pattern}: ${this.lines.join(" | ")}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

/** A `dcm` server command (`storescp`, `qrscp`, `mwlscp`, `mppsscp`) running in a child process, stopped with SIGTERM. */
export class ServerProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #command: string;
  readonly stdout: LineReader;
  readonly stderr: LineReader;
  port = 0;

  constructor(
    command: "storescp" | "qrscp" | "mwlscp" | "mppsscp",
    dir: string,
    extra: string[] = [],
  ) {
    this.#command = command;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, command, "--host", HOST, "--port", "0", "--dir", dir, ...extra],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stdout = new LineReader(this.#child.stdout);
    this.stderr = new LineReader(this.#child.stderr);
  }

  /** Waits for "listening on HOST:PORT" on stderr and takes the port from it. */
  async listening(): Promise<number> {
    const m = await withDeadline(
      this.stderr.find(/listening on [\d.]+:(\d+)/),
      30_000,
      `dcm ${this.#command} to listen`,
    );
    this.port = Number(m[1]);
    return this.port;
  }

  /** The child's process ID (for /proc). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Sends SIGTERM and returns the exit code once the output is read. */
  async stop(): Promise<number> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    const { code } = await this.#child.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
    return code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** `dcm storescp` running in a child process, stopped with SIGTERM. */
export class StorescpProcess extends ServerProcess {
  constructor(dir: string, extra: string[] = []) {
    super("storescp", dir, extra);
  }
}
