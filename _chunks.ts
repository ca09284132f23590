/**
 * The buffers a request's data set arrives in (issue 13: memory). The
 * association reuses its read buffer, so the channel copies each data set
 * fragment out of it, into chunks of {@linkcode CHUNK_SIZE} bytes taken
 * from here. The one reader of a channel's data set stream that knows when
 * it is done with a chunk (the Storage SCP's file writer, once the chunk is
 * written) gives it back, and the next data set arrives in it: a 100 MB
 * object then costs a few chunks, not 100 MB of buffers for the garbage
 * collector to find. A chunk nobody gives back is an ordinary array.
 *
 * Internal: only a reader that holds the channel's own stream (see
 * {@linkcode _isChannelStream}; a tee of it shares its chunks) may give
 * chunks back, and only once nothing refers to them any more.
 *
 * @module
 */

/** Bytes of a pooled chunk: four fill the data set stream's default queue of 1 MiB. */
export const CHUNK_SIZE = 256 << 10;

/** Chunks kept for reuse at most (4 MiB): more are left to the garbage collector. */
const MAX_FREE = 16;

/** Chunks ready to be filled. */
const free: ArrayBuffer[] = [];

/** The buffers of chunks handed out and not given back. */
const lent = new WeakSet<ArrayBuffer>();

/** The data set streams made by a channel, read by no one else until locked. */
const channelStreams = new WeakSet<ReadableStream<Uint8Array>>();

/** Chunks made so far (for tests: a chunk given back is taken again, not made). */
let created = 0;

/** How many chunks were made, and how many wait to be taken again. */
export function _chunkStats(): { created: number; free: number } {
  return { created, free: free.length };
}

/** An empty chunk of {@linkcode CHUNK_SIZE} bytes, from the pool when one is free. */
export function _takeChunk(): Uint8Array {
  let buffer = free.pop();
  if (buffer === undefined) {
    buffer = new ArrayBuffer(CHUNK_SIZE);
    created++;
  }
  lent.add(buffer);
  return new Uint8Array(buffer);
}

/**
 * Gives back a chunk from {@linkcode _takeChunk} (any view of it): its
 * bytes may be overwritten from now on. Anything else, or a chunk given
 * back already, is ignored.
 */
export function _recycleChunk(chunk: Uint8Array): void {
  const buffer = chunk.buffer as ArrayBuffer;
  if (!lent.has(buffer)) return;
  lent.delete(buffer);
  if (free.length < MAX_FREE) free.push(buffer);
}

/** Marks a stream as a channel's data set stream (see {@linkcode _isChannelStream}). */
export function _markChannelStream(stream: ReadableStream<Uint8Array>): void {
  channelStreams.add(stream);
}

/**
 * Whether `stream` is a channel's own data set stream: once a reader holds
 * its lock, it is the only one that sees its chunks, and may give them back.
 */
export function _isChannelStream(stream: ReadableStream<Uint8Array>): boolean {
  return channelStreams.has(stream);
}
