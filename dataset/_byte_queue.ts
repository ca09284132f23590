// A queue of chunks read from a ReadableStream, giving contiguous views of the
// unconsumed bytes. Concatenates only when a caller needs bytes that span
// chunks.
import { concatBytes } from "./bytes.ts";

export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #done = false;
  /** Bytes consumed so far: the offset of the queue's first byte in the whole stream. */
  consumed = 0;

  constructor(readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  get buffered(): number {
    return this.#buffered;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Reads until at least `n` bytes are buffered or the stream ends; returns whether `n` are there. */
  async fill(n: number): Promise<boolean> {
    while (this.#buffered < n && !this.#done) {
      const { value, done } = await this.reader.read();
      if (done) this.#done = true;
      else if (value.length > 0) {
        this.#chunks.push(value);
        this.#buffered += value.length;
      }
    }
    return this.#buffered >= n;
  }

  /** A contiguous view of all buffered bytes. */
  peek(): Uint8Array {
    if (this.#chunks.length === 0) return new Uint8Array(0);
    if (this.#chunks.length > 1) this.#chunks = [concatBytes(this.#chunks, this.#buffered)];
    return this.#chunks[0]!;
  }

  /** Drops `n` bytes from the front. */
  consume(n: number): void {
    this.consumed += n;
    this.#buffered -= n;
    while (n > 0) {
      const first = this.#chunks[0]!;
      if (first.length <= n) {
        this.#chunks.shift();
        n -= first.length;
      } else {
        this.#chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  /** The unconsumed bytes and the rest of the stream, as a stream. */
  rest(): ReadableStream<Uint8Array> {
    const pending = this.#chunks;
    this.#chunks = [];
    this.#buffered = 0;
    const reader = this.reader;
    const done = this.#done;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = pending.shift();
        if (next) return controller.enqueue(next);
        if (done) return controller.close();
        const r = await reader.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }
}
