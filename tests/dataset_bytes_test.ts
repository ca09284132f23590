import { assert, assertEquals, assertStrictEquals, assertThrows } from "./_assert.ts";
import { ByteQueue, StreamByteQueue } from "../dataset/mod.ts";

const SEQUENCE = new Uint8Array([0x01, 0x82, 0x03, 0xf4, 0x05, 0x06, 0xff, 0x08, 0x09, 0xfa, 0x0b]);

/** Every way of cutting `bytes` into non-empty chunks, 2^(n-1) of them. */
function* splits(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let cuts = 0; cuts < 1 << (bytes.length - 1); cuts++) {
    const chunks: Uint8Array[] = [];
    let start = 0;
    for (let at = 1; at < bytes.length; at++) {
      if (cuts & (1 << (at - 1))) {
        chunks.push(bytes.slice(start, at));
        start = at;
      }
    }
    chunks.push(bytes.slice(start));
    yield chunks;
  }
}

function queueOf(chunks: Uint8Array[]): ByteQueue {
  const queue = new ByteQueue();
  for (const chunk of chunks) queue.push(chunk);
  return queue;
}

const view = new DataView(SEQUENCE.buffer);

Deno.test("ByteQueue gives the same bytes however the sequence is split into chunks", () => {
  for (const chunks of splits(SEQUENCE)) {
    const label = chunks.map((c) => c.length).join("+");
    for (let consumed = 0; consumed <= SEQUENCE.length; consumed++) {
      const rest = SEQUENCE.length - consumed;
      for (let count = 0; count <= rest; count++) {
        const queue = queueOf(chunks);
        queue.consume(consumed);
        assertEquals(queue.length, rest, label);
        assertEquals(queue.consumed, consumed, label);
        assertEquals(queue.peek(count), SEQUENCE.subarray(consumed, consumed + count), label);
        assertEquals(
          queue.peekWith(count, (bytes, offset) => bytes.slice(offset, offset + count)),
          SEQUENCE.subarray(consumed, consumed + count),
          label,
        );
        // A copy made for one peek leaves every byte where it was.
        for (let i = 0; i < rest; i++) assertEquals(queue.byteAt(i), SEQUENCE[consumed + i], label);
        assertEquals(queue.take(count), SEQUENCE.subarray(consumed, consumed + count), label);
        assertEquals(queue.peek(), SEQUENCE.subarray(consumed + count), label);
      }
    }
  }
});

Deno.test("ByteQueue gives the same bytes when chunks arrive between reads", () => {
  for (const chunks of splits(SEQUENCE)) {
    const label = chunks.map((c) => c.length).join("+");
    const queue = new ByteQueue();
    let pushed = 0;
    for (const chunk of chunks) {
      queue.push(chunk);
      pushed += chunk.length;
      assertEquals(queue.peek(), SEQUENCE.subarray(queue.consumed, pushed), label);
      queue.consume(Math.floor(queue.length / 3));
    }
    const expected = SEQUENCE.subarray(queue.consumed);
    assertEquals(queue.take(queue.length), expected, label);
  }
});

Deno.test("ByteQueue reads a uint32 at any offset, across chunk boundaries, both byte orders", () => {
  for (const chunks of splits(SEQUENCE)) {
    const label = chunks.map((c) => c.length).join("+");
    for (let consumed = 0; consumed <= SEQUENCE.length - 4; consumed++) {
      const queue = queueOf(chunks);
      queue.consume(consumed);
      for (let at = 0; at + 4 <= queue.length; at++) {
        assertEquals(queue.uint32At(at), view.getUint32(consumed + at), label);
        assertEquals(queue.uint32At(at, true), view.getUint32(consumed + at, true), label);
      }
    }
  }
});

Deno.test("ByteQueue.uint32At() reads values above 2^31 as unsigned", () => {
  const queue = queueOf([
    new Uint8Array([0xff]),
    new Uint8Array([0xff, 0xff]),
    new Uint8Array([0xfe]),
  ]);
  assertStrictEquals(queue.uint32At(0), 0xfffffffe);
  assertStrictEquals(queue.uint32At(0, true), 0xfeffffff);
});

Deno.test("ByteQueue.consume() drops bytes past chunk boundaries", () => {
  const queue = queueOf([new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5, 6])]);
  queue.consume(4);
  assertEquals(queue.length, 2);
  assertEquals(queue.consumed, 4);
  assertEquals(queue.peek(), new Uint8Array([5, 6]));
  queue.consume(2);
  assertEquals(queue.length, 0);
  queue.push(new Uint8Array([7]));
  assertEquals(queue.peek(), new Uint8Array([7]));
  assertEquals(queue.consumed, 6);
});

Deno.test("ByteQueue.peek() of bytes within one chunk is a view, not a copy", () => {
  const chunk = new Uint8Array([1, 2, 3, 4]);
  const queue = queueOf([chunk, new Uint8Array([5])]);
  assertStrictEquals(queue.peek(4), chunk);
  queue.consume(1);
  const inside = queue.peek(2);
  assertStrictEquals(inside.buffer, chunk.buffer);
  assertEquals(inside, new Uint8Array([2, 3]));
  // peekWith() hands over the chunk itself, which holds the next bytes too.
  queue.peekWith(1, (bytes, offset) => {
    assertStrictEquals(bytes, chunk);
    assertEquals(offset, 1);
  });
  // Bytes that span chunks: a copy of exactly those.
  queue.peekWith(4, (bytes, offset) => {
    assertEquals(bytes, new Uint8Array([2, 3, 4, 5]));
    assertEquals(offset, 0);
  });
});

Deno.test("ByteQueue.peek() copies bytes that span chunks once", () => {
  const queue = queueOf([new Uint8Array([1, 2]), new Uint8Array([3, 4]), new Uint8Array([5])]);
  const joined = queue.peek(3);
  assertEquals(joined, new Uint8Array([1, 2, 3]));
  assertStrictEquals(queue.peek(3), joined);
  assertStrictEquals(queue.peek(2).buffer, joined.buffer);
  assertEquals(queue.peek(), new Uint8Array([1, 2, 3, 4, 5]));
});

Deno.test("ByteQueue.drain() empties the queue into the chunks that held its bytes", () => {
  const first = new Uint8Array([1, 2, 3]);
  const queue = queueOf([first, new Uint8Array([4])]);
  queue.consume(1);
  const chunks = queue.drain();
  assertEquals(chunks, [new Uint8Array([2, 3]), new Uint8Array([4])]);
  assertStrictEquals(chunks[0]!.buffer, first.buffer);
  assertEquals(queue.length, 0);
  assertEquals(queue.consumed, 4);
});

Deno.test("ByteQueue ignores empty chunks", () => {
  const queue = queueOf([new Uint8Array(), new Uint8Array([1]), new Uint8Array()]);
  assertEquals(queue.drain(), [new Uint8Array([1])]);
});

Deno.test("ByteQueue throws a RangeError for bytes it does not hold", () => {
  const queue = queueOf([new Uint8Array([1, 2, 3])]);
  assertThrows(() => queue.peek(4), RangeError, "Cannot peek 4 bytes: the queue holds 3 bytes");
  assertThrows(() => queue.consume(4), RangeError);
  assertThrows(() => queue.take(-1), RangeError);
  assertThrows(() => queue.byteAt(3), RangeError);
  assertThrows(() => queue.uint32At(0), RangeError);
  assertEquals(queue.length, 3);
});

Deno.test("ByteQueue handles 200,000 1-byte chunks in linear time", () => {
  const queue = new ByteQueue();
  const n = 200_000;
  for (let i = 0; i < n; i++) queue.push(new Uint8Array([i & 0xff]));
  let sum = 0;
  while (queue.length >= 7) {
    sum += queue.uint32At(3);
    sum += queue.take(7)[6]!;
  }
  assert(sum > 0);
  assertEquals(queue.length, n % 7);
});

Deno.test("StreamByteQueue fills from its reader on demand and hands the rest over", async () => {
  const source = ReadableStream.from([
    new Uint8Array([1, 2]),
    new Uint8Array([3]),
    new Uint8Array([4, 5]),
  ]);
  const queue = new StreamByteQueue(source.getReader());
  assertEquals(await queue.fill(3), true);
  assertEquals(queue.length, 3);
  assertEquals(queue.done, false);
  queue.consume(1);
  const rest = queue.rest();
  assertEquals(queue.length, 0);
  assertEquals(
    new Uint8Array(await new Response(rest).arrayBuffer()),
    new Uint8Array([2, 3, 4, 5]),
  );
});

Deno.test("StreamByteQueue.fill() says when the stream ends short", async () => {
  const queue = new StreamByteQueue(ReadableStream.from([new Uint8Array([1, 2])]).getReader());
  assertEquals(await queue.fill(3), false);
  assertEquals(queue.done, true);
  assertEquals(queue.take(2), new Uint8Array([1, 2]));
});
