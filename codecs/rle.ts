/**
 * RLE Lossless (PS3.5 Annex G), decoding and encoding, written here: a
 * frame is a 64-byte header of segment offsets and up to 15 segments, each
 * one byte plane of the frame compressed with the PackBits scheme. Pure.
 *
 * @module
 */
import { CodecError } from "./errors.ts";

/** The geometry of one frame, as its image pixel module gives it (PS3.3 C.7.6.3). */
export interface FrameGeometry {
  /** Rows (0028,0010). */
  readonly rows: number;
  /** Columns (0028,0011). */
  readonly columns: number;
  /** Samples per Pixel (0028,0002). */
  readonly samplesPerPixel: number;
  /** Bits Allocated (0028,0100): 8, 16 or 32 here. */
  readonly bitsAllocated: number;
}

/** PS3.5 G.5: the header is 16 unsigned 32-bit little endian values. */
const HEADER_LENGTH = 64;
/** PS3.5 G.5: at most 15 segments. */
const MAX_SEGMENTS = 15;

function bytesPerSample(geometry: FrameGeometry): number {
  const { bitsAllocated } = geometry;
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) {
    throw new CodecError(`RLE Lossless needs Bits Allocated 8, 16 or 32, not ${bitsAllocated}`);
  }
  return bitsAllocated >> 3;
}

/**
 * Decodes one RLE Lossless frame (PS3.5 G.3, G.5) to native pixel bytes:
 * samples interleaved (Planar Configuration 0), little endian. Allocates
 * only what the geometry says; segment bytes beyond a plane's size (padding
 * some writers leave) are ignored.
 *
 * @example Decode a one-segment 2x2 frame
 * ```ts
 * import { decodeRleFrame } from "./rle.ts";
 *
 * const frame = new Uint8Array(64 + 4);
 * const view = new DataView(frame.buffer);
 * view.setUint32(0, 1, true); // one segment
 * view.setUint32(4, 64, true); // at offset 64
 * frame.set([0xfd, 7, 0x80, 0], 64); // byte 7 four times (-3 + 1 = 4), a no-op, padding
 * const pixels = decodeRleFrame(frame, { rows: 2, columns: 2, samplesPerPixel: 1, bitsAllocated: 8 });
 * console.log([...pixels]); // [ 7, 7, 7, 7 ]
 * ```
 *
 * @param frame The frame's bytes (its fragments joined).
 * @param geometry Rows, columns, samples and bits allocated.
 * @returns The pixels, `rows * columns * samplesPerPixel * bitsAllocated / 8` bytes.
 * @throws {CodecError} for a header or segment that does not fit the geometry.
 */
export function decodeRleFrame(frame: Uint8Array, geometry: FrameGeometry): Uint8Array {
  const bytes = bytesPerSample(geometry);
  const pixels = geometry.rows * geometry.columns;
  const samples = geometry.samplesPerPixel;
  const segments = samples * bytes;
  if (frame.length < HEADER_LENGTH) {
    throw new CodecError(
      `Cannot decode RLE frame: ${frame.length} bytes, shorter than its ${HEADER_LENGTH}-byte header`,
    );
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const count = view.getUint32(0, true);
  if (count !== segments || count > MAX_SEGMENTS) {
    throw new CodecError(
      `Cannot decode RLE frame: its header declares ${count} segments, the image needs ${segments} ` +
        `(${samples} samples of ${bytes} bytes, PS3.5 G.2)`,
    );
  }
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(view.getUint32(4 + 4 * i, true));
  const out = new Uint8Array(pixels * segments);
  const stride = segments; // bytes per pixel
  // One byte plane at a time, with fill() and set() for the runs; then scattered.
  const plane = stride === 1 ? out : new Uint8Array(pixels);
  for (let s = 0; s < count; s++) {
    const start = offsets[s]!;
    const end = s + 1 < count ? offsets[s + 1]! : frame.length;
    if (start < HEADER_LENGTH || end > frame.length || end < start) {
      throw new CodecError(
        `Cannot decode RLE frame: segment ${s + 1} at ${start}..${end} lies outside the ` +
          `${frame.length}-byte frame`,
      );
    }
    // Segment order (PS3.5 G.2): per sample, its bytes from most to least
    // significant. Native little endian puts the least significant first.
    const sample = Math.floor(s / bytes);
    const significance = bytes - 1 - (s % bytes);
    const target = sample * bytes + significance;
    const got = unpackBits(frame, start, end, plane, pixels);
    if (got < pixels) {
      throw new CodecError(
        `Cannot decode RLE frame: segment ${
          s + 1
        } decodes to ${got} bytes, the image needs ${pixels}`,
      );
    }
    if (plane !== out) {
      for (let p = 0, at = target; p < pixels; p++, at += stride) out[at] = plane[p]!;
    }
  }
  return out;
}

/**
 * PackBits (PS3.5 G.3.1): a header byte n, then n+1 literal bytes (n 0..127),
 * or one byte repeated 1-n times (n -127..-1); -128 is a no-op. Writes at
 * most `limit` bytes of `out`; returns how many were written.
 */
function unpackBits(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  limit: number,
): number {
  let i = start;
  let o = 0;
  while (i < end && o < limit) {
    const n = input[i++]!;
    if (n < 0x80) {
      const run = Math.min(n + 1, end - i, limit - o);
      if (run > 16) out.set(input.subarray(i, i + run), o);
      else for (let k = 0; k < run; k++) out[o + k] = input[i + k]!;
      i += n + 1;
      o += run;
    } else if (n > 0x80) {
      if (i >= end) break;
      const run = Math.min(257 - n, limit - o);
      const value = input[i++]!;
      if (run > 16) out.fill(value, o, o + run);
      else for (let k = 0; k < run; k++) out[o + k] = value;
      o += run;
    }
  }
  return o;
}

/**
 * Encodes one frame with RLE Lossless (PS3.5 G.3, G.4, G.5): each row of
 * each byte plane compressed separately, every segment of even length.
 *
 * @example Encode, then decode again
 * ```ts
 * import { decodeRleFrame, encodeRleFrame } from "./rle.ts";
 *
 * const geometry = { rows: 2, columns: 3, samplesPerPixel: 1, bitsAllocated: 16 };
 * const pixels = new Uint8Array(new Uint16Array([1, 1, 1, 500, 600, 700]).buffer);
 * const frame = encodeRleFrame(pixels, geometry);
 * console.log(decodeRleFrame(frame, geometry).join() === pixels.join()); // true
 * ```
 *
 * @param pixels Native pixel bytes: samples interleaved, little endian.
 * @param geometry Rows, columns, samples and bits allocated.
 * @returns The frame, of even length.
 * @throws {CodecError} when the geometry needs more than 15 segments or `pixels` has the wrong size.
 */
export function encodeRleFrame(pixels: Uint8Array, geometry: FrameGeometry): Uint8Array {
  const bytes = bytesPerSample(geometry);
  const count = geometry.samplesPerPixel * bytes;
  const { rows, columns } = geometry;
  if (count > MAX_SEGMENTS) {
    throw new CodecError(`Cannot encode RLE: ${count} byte planes, more than 15 segments`);
  }
  if (pixels.length !== rows * columns * count) {
    throw new CodecError(
      `Cannot encode RLE: ${pixels.length} pixel bytes, the geometry needs ${
        rows * columns * count
      }`,
    );
  }
  // Worst case per row: one header byte per 128 literals.
  const rowMax = columns + Math.ceil(columns / 128);
  const planes: Uint8Array[] = [];
  const row = new Uint8Array(columns);
  const scratch = new Uint8Array(rows * rowMax + 1);
  for (let s = 0; s < count; s++) {
    const sample = Math.floor(s / bytes);
    const target = sample * bytes + (bytes - 1 - (s % bytes));
    let length = 0;
    for (let r = 0; r < rows; r++) {
      let at = r * columns * count + target;
      for (let c = 0; c < columns; c++, at += count) row[c] = pixels[at]!;
      length = packBits(row, scratch, length);
    }
    if (length & 1) scratch[length++] = 0x80; // a no-op pads the segment to even length
    planes.push(scratch.slice(0, length));
  }
  let size = HEADER_LENGTH;
  for (const p of planes) size += p.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, count, true);
  let offset = HEADER_LENGTH;
  for (const [i, p] of planes.entries()) {
    view.setUint32(4 + 4 * i, offset, true);
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** PackBits one row into `out` from `at`; returns the new end. */
function packBits(row: Uint8Array, out: Uint8Array, at: number): number {
  const n = row.length;
  let i = 0;
  while (i < n) {
    // A run of at least 3 equal bytes goes as a replicate run.
    let run = 1;
    while (i + run < n && run < 128 && row[i + run] === row[i]) run++;
    if (run >= 3) {
      out[at++] = 257 - run;
      out[at++] = row[i]!;
      i += run;
      continue;
    }
    // Literals up to the next run of 3 (or 128 bytes).
    const start = i;
    while (i < n && i - start < 128) {
      if (i + 2 < n && row[i] === row[i + 1] && row[i] === row[i + 2]) break;
      i++;
    }
    const length = i - start;
    out[at++] = length - 1;
    out.set(row.subarray(start, i), at);
    at += length;
  }
  return at;
}
