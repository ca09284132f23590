/**
 * Bytes that arrive in chunks: {@linkcode ByteQueue}, the one queue every
 * layer that gathers or frames chunks uses (the PDU framer, DIMSE
 * reassembly, Part 10 reading), its pull adapter
 * {@linkcode StreamByteQueue}, and {@linkcode concatBytes}.
 *
 * @module
 */

/**
 * Joins chunks into one array; a single chunk is returned as it is, not
 * copied. `length`, when known, saves summing the chunks.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./mod.ts";
 * console.log(concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])])); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(
  chunks: readonly Uint8Array[],
  length: number = chunks.reduce((n, c) => n + c.length, 0),
): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Put in the slots of consumed chunks, so the queue does not keep them alive. */
const CONSUMED = new Uint8Array(0);

/**
 * A first-in first-out queue of bytes that arrive in chunks, read as one
 * sequence: push chunks as they arrive, look at the bytes at the front,
 * consume them.
 *
 * Bytes are copied only when a caller asks for a contiguous view of bytes
 * that span chunks: {@linkcode ByteQueue.peek} of bytes within one chunk is
 * a view into it (the chunk itself when it is all of it), and the copy made
 * for bytes that span chunks replaces them, so the same bytes are never
 * copied twice. {@linkcode ByteQueue.byteAt} and
 * {@linkcode ByteQueue.uint32At} read across chunk boundaries without
 * copying, for a header whose length says how many bytes to wait for. The
 * queue keeps the pushed chunks, not copies: do not reuse a chunk's buffer
 * after pushing it.
 *
 * @example Frame length-prefixed records from chunks cut anywhere
 * ```ts
 * import { ByteQueue } from "./mod.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const queue = new ByteQueue();
 * queue.push(new Uint8Array([0, 0, 0]));
 * queue.push(new Uint8Array([2, 7, 8, 0]));
 * const records: Uint8Array[] = [];
 * while (queue.length >= 4 && queue.length >= 4 + queue.uint32At(0)) {
 *   const length = queue.uint32At(0);
 *   queue.consume(4);
 *   records.push(queue.take(length));
 * }
 * deepEqual(records, [new Uint8Array([7, 8])]);
 * deepEqual(queue.length, 1);
 * ```
 */
export class ByteQueue {
  /** The chunks; those before `#first` are consumed. */
  #chunks: Uint8Array[] = [];
  /** Index of the first chunk with unconsumed bytes. */
  #first = 0;
  /** Bytes of that chunk already consumed. */
  #head = 0;
  #length = 0;
  #consumed = 0;

  /** Bytes in the queue. */
  get length(): number {
    return this.#length;
  }

  /**
   * Bytes consumed since the queue was created: the position of its first
   * byte in the whole sequence, for error offsets.
   */
  get consumed(): number {
    return this.#consumed;
  }

  /** Appends a chunk (kept, not copied); an empty one is ignored. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /**
   * The byte at `offset` from the front.
   *
   * @throws {RangeError} when the queue holds no byte at `offset`.
   */
  byteAt(offset: number): number {
    if (!(offset >= 0 && offset < this.#length)) throw this.#outOfRange(`read offset ${offset}`);
    const chunks = this.#chunks;
    let i = this.#first;
    let at = this.#head + offset;
    while (at >= chunks[i]!.length) at -= chunks[i++]!.length;
    return chunks[i]![at]!;
  }

  /**
   * The unsigned 32-bit integer at `offset` from the front, big endian
   * (network byte order, as in PDU headers) unless `littleEndian`; its four
   * bytes may span chunks.
   *
   * @throws {RangeError} when the queue holds fewer than `offset + 4` bytes.
   */
  uint32At(offset: number, littleEndian = false): number {
    // Each method has a small fast path for bytes within the first chunk,
    // small enough to be inlined; the general case is a method of its own.
    const chunk = this.#chunks[this.#first];
    const at = this.#head + offset;
    if (chunk === undefined || !(offset >= 0 && at + 4 <= chunk.length)) {
      return this.#uint32Across(offset, littleEndian);
    }
    return littleEndian
      ? (chunk[at + 3]! * 0x1000000) + ((chunk[at + 2]! << 16) | (chunk[at + 1]! << 8) | chunk[at]!)
      : (chunk[at]! * 0x1000000) +
        ((chunk[at + 1]! << 16) | (chunk[at + 2]! << 8) | chunk[at + 3]!);
  }

  #uint32Across(offset: number, littleEndian: boolean): number {
    if (!(offset >= 0 && offset + 4 <= this.#length)) {
      throw this.#outOfRange(`read 4 bytes at offset ${offset}`);
    }
    const b0 = this.byteAt(offset);
    const b1 = this.byteAt(offset + 1);
    const b2 = this.byteAt(offset + 2);
    const b3 = this.byteAt(offset + 3);
    return littleEndian
      ? (b3 * 0x1000000) + ((b2 << 16) | (b1 << 8) | b0)
      : (b0 * 0x1000000) + ((b1 << 16) | (b2 << 8) | b3);
  }

  /**
   * The first `count` bytes (all of them by default) as one array, consuming
   * nothing: a view into a chunk when they are within one, otherwise a copy,
   * which then takes the place of the chunks it covers.
   *
   * @throws {RangeError} when the queue holds fewer than `count` bytes.
   */
  peek(count: number = this.#length): Uint8Array {
    const first = this.#chunks[this.#first];
    const head = this.#head;
    if (first === undefined || !(count >= 0 && head + count <= first.length)) {
      return this.#join(count);
    }
    return head === 0 && count === first.length ? first : first.subarray(head, head + count);
  }

  /** {@linkcode ByteQueue.peek} of bytes that span chunks (or of none). */
  #join(count: number): Uint8Array {
    if (!(count >= 0 && count <= this.#length)) throw this.#outOfRange(`peek ${count} bytes`);
    if (count === 0) return CONSUMED;
    const chunks = this.#chunks;
    const joined = new Uint8Array(count);
    let filled = 0;
    let i = this.#first;
    let start = this.#head;
    while (filled < count) {
      const chunk = chunks[i]!;
      const part = Math.min(chunk.length - start, count - filled);
      joined.set(chunk.subarray(start, start + part), filled);
      filled += part;
      if (start + part < chunk.length) {
        chunks[i] = chunk.subarray(start + part);
        break;
      }
      chunks[i++] = CONSUMED;
      start = 0;
    }
    // Chunks first..i-1 were covered whole (at least the first is, as the
    // bytes span chunks): the copy goes in the last of their slots.
    chunks[i - 1] = joined;
    this.#first = i - 1;
    this.#head = 0;
    return joined;
  }

  /**
   * Calls `read(bytes, offset)` and returns what it returns, consuming
   * nothing: `bytes` from `offset` on starts with the first `count` bytes.
   * When they are within one chunk, `bytes` is that chunk itself (no copy,
   * not even a view), and what follows them in it are the queue's next
   * bytes, so a decoder that takes an offset may read further; otherwise it
   * is the copy {@linkcode ByteQueue.peek} makes, of exactly `count` bytes.
   *
   * @throws {RangeError} when the queue holds fewer than `count` bytes.
   */
  peekWith<T>(count: number, read: (bytes: Uint8Array, offset: number) => T): T {
    const first = this.#chunks[this.#first];
    const head = this.#head;
    if (first === undefined || !(count >= 0 && head + count <= first.length)) {
      return read(this.#join(count), 0);
    }
    return read(first, head);
  }

  /**
   * Drops the first `count` bytes.
   *
   * @throws {RangeError} when the queue holds fewer than `count` bytes.
   */
  consume(count: number): void {
    const first = this.#chunks[this.#first];
    const head = this.#head + count;
    if (first === undefined || !(count >= 0 && head < first.length)) return this.#drop(count);
    this.#head = head;
    this.#length -= count;
    this.#consumed += count;
  }

  /** {@linkcode ByteQueue.consume} up to or past the end of the first chunk. */
  #drop(count: number): void {
    if (!(count >= 0 && count <= this.#length)) throw this.#outOfRange(`consume ${count} bytes`);
    this.#length -= count;
    this.#consumed += count;
    const chunks = this.#chunks;
    let i = this.#first;
    let head = this.#head + count;
    while (i < chunks.length && head >= chunks[i]!.length) {
      head -= chunks[i]!.length;
      chunks[i++] = CONSUMED;
    }
    if (i === chunks.length) {
      chunks.length = 0;
      i = 0;
    } else if (i >= 32 && i * 2 >= chunks.length) {
      // Drop the consumed slots now and then: linear time overall.
      chunks.splice(0, i);
      i = 0;
    }
    this.#first = i;
    this.#head = head;
  }

  /**
   * Removes the first `count` bytes and returns them as one array, as
   * {@linkcode ByteQueue.peek} gives them: copied only when they span chunks.
   *
   * @throws {RangeError} when the queue holds fewer than `count` bytes.
   */
  take(count: number): Uint8Array {
    const bytes = this.peek(count);
    this.consume(count);
    return bytes;
  }

  /** Removes every byte and returns the chunks that held them (views, not copies). */
  drain(): Uint8Array[] {
    const chunks = this.#chunks.slice(this.#first);
    if (chunks.length > 0 && this.#head > 0) chunks[0] = chunks[0]!.subarray(this.#head);
    this.#consumed += this.#length;
    this.#chunks = [];
    this.#first = 0;
    this.#head = 0;
    this.#length = 0;
    return chunks;
  }

  #outOfRange(what: string): RangeError {
    return new RangeError(`Cannot ${what}: the queue holds ${this.#length} bytes`);
  }
}

/**
 * A {@linkcode ByteQueue} that fills itself from a stream reader when asked,
 * for parsers that wait for "at least n bytes" (pull) rather than being
 * handed each chunk (push).
 *
 * @example Read a 4-byte length, then that many bytes
 * ```ts
 * import { StreamByteQueue } from "./mod.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const source = ReadableStream.from([new Uint8Array([0, 0]), new Uint8Array([0, 1, 42])]);
 * const queue = new StreamByteQueue(source.getReader());
 * await queue.fill(4);
 * const length = queue.uint32At(0);
 * queue.consume(4);
 * await queue.fill(length);
 * deepEqual(queue.take(length), new Uint8Array([42]));
 * ```
 */
export class StreamByteQueue extends ByteQueue {
  /** The reader the bytes come from. */
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  #done = false;

  /** Creates an empty queue that reads from `reader` when filled. */
  constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    super();
    this.reader = reader;
  }

  /** Whether the stream has ended: no more bytes will come. */
  get done(): boolean {
    return this.#done;
  }

  /** Reads until at least `count` bytes are queued or the stream ends; returns whether they are. */
  async fill(count: number): Promise<boolean> {
    while (this.length < count && !this.#done) {
      const { value, done } = await this.reader.read();
      if (done) this.#done = true;
      else this.push(value);
    }
    return this.length >= count;
  }

  /**
   * The queued bytes and the rest of the stream, as a stream (the queue is
   * left empty). Cancelling it cancels the reader.
   */
  rest(): ReadableStream<Uint8Array> {
    const pending = this.drain();
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
