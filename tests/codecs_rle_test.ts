// RLE Lossless (PS3.5 Annex G), decoded and encoded by our own code: the
// byte-level cases of G.3.1 (PackBits) and G.5 (header, segment order),
// written from the standard's text, and bad frames. DCMTK's dcmdrle/dcmcrle
// agree with it in codecs_dcmtk_test.ts.
import { CodecError, decodeRleFrame, encodeRleFrame } from "../codecs/mod.ts";
import { assertEquals, assertThrows } from "./_assert.ts";

/** A frame: the 64-byte header of G.5 (segment count, offsets), then the segments. */
function frame(...segments: number[][]): Uint8Array {
  const length = 64 + segments.reduce((n, s) => n + s.length, 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    out.set(s, offset);
    offset += s.length;
  });
  return out;
}

const MONO8 = { rows: 1, columns: 8, samplesPerPixel: 1, bitsAllocated: 8 };

Deno.test("decodeRleFrame() reads literal runs (n+1 bytes), replicate runs (1-n copies) and skips -128 (G.3.1)", () => {
  // 2 literals (n=1), 0x80 no-op, 4 copies of 9 (n=-3), 2 literals (n=1)
  const f = frame([0x01, 5, 6, 0x80, 0xfd, 9, 0x01, 7, 8]);
  assertEquals([...decodeRleFrame(f, MONO8)], [5, 6, 9, 9, 9, 9, 7, 8]);
});

Deno.test("decodeRleFrame() puts the first segment of a 16-bit sample in its most significant byte (G.2)", () => {
  const geometry = { rows: 1, columns: 2, samplesPerPixel: 1, bitsAllocated: 16 };
  const f = frame([0x01, 0x12, 0x34], [0x01, 0x56, 0x78]);
  const pixels = decodeRleFrame(f, geometry);
  assertEquals([...new Uint16Array(pixels.buffer)], [0x1256, 0x3478]);
});

Deno.test("decodeRleFrame() interleaves the segments of three samples (Planar Configuration 0 out)", () => {
  const geometry = { rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8 };
  const f = frame([0xff, 1], [0xff, 2], [0x01, 3, 4]);
  assertEquals([...decodeRleFrame(f, geometry)], [1, 2, 3, 1, 2, 4]);
});

Deno.test("decodeRleFrame() ignores what a segment holds beyond its plane (padding)", () => {
  const f = frame([0xf9, 1, 0x00, 0x00]); // 8 copies of 1, then a literal the plane has no room for
  assertEquals([...decodeRleFrame(f, MONO8)], [1, 1, 1, 1, 1, 1, 1, 1]);
});

Deno.test("decodeRleFrame() refuses a header whose segment count does not fit the image", () => {
  const f = frame([0xf9, 1], [0xf9, 1]);
  assertThrows(() => decodeRleFrame(f, MONO8), CodecError);
  assertThrows(
    () => decodeRleFrame(f, MONO8),
    /declares 2 segments, the image needs 1/,
  );
});

Deno.test("decodeRleFrame() refuses a frame shorter than its header, or an offset past its end", () => {
  assertThrows(() => decodeRleFrame(new Uint8Array(63), MONO8), /shorter than its 64-byte header/);
  const f = frame([0xf9, 1]);
  new DataView(f.buffer).setUint32(4, 4000, true);
  assertThrows(() => decodeRleFrame(f, MONO8), /segment 1 at 4000\.\.\S+ lies outside/);
});

Deno.test("decodeRleFrame() refuses a segment that ends before its plane is full, at every cut", () => {
  const whole = frame([0x07, 1, 2, 3, 4, 5, 6, 7, 8]);
  for (let cut = 64; cut < whole.length; cut++) {
    assertThrows(() => decodeRleFrame(whole.subarray(0, cut), MONO8), CodecError, `cut at ${cut}`);
  }
  assertEquals(decodeRleFrame(whole, MONO8).length, 8);
});

Deno.test("decodeRleFrame() refuses Bits Allocated other than 8, 16 and 32", () => {
  assertThrows(
    () => decodeRleFrame(frame([0]), { ...MONO8, bitsAllocated: 12 }),
    /Bits Allocated 8, 16 or 32, not 12/,
  );
});

Deno.test("encodeRleFrame() writes even segments, rows apart, that decodeRleFrame() reads back", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16;
  for (const [samplesPerPixel, bitsAllocated] of [[1, 8], [3, 8], [1, 16], [3, 16], [1, 32]]) {
    const geometry = {
      rows: 7,
      columns: 300,
      samplesPerPixel: samplesPerPixel!,
      bitsAllocated: bitsAllocated!,
    };
    const size = 7 * 300 * samplesPerPixel! * (bitsAllocated! / 8);
    // Runs and noise, so that both kinds of run and the 128-byte limits occur.
    const pixels = new Uint8Array(size).map((_, i) => (i % 700 < 400 ? 42 : random() & 0xff));
    const f = encodeRleFrame(pixels, geometry);
    const view = new DataView(f.buffer);
    const count = view.getUint32(0, true);
    assertEquals(count, samplesPerPixel! * bitsAllocated! / 8);
    for (let s = 0; s < count; s++) assertEquals(view.getUint32(4 + 4 * s, true) % 2, 0);
    assertEquals(f.length % 2, 0);
    assertEquals(decodeRleFrame(f, geometry), pixels);
  }
});

Deno.test("encodeRleFrame() never lets a run cross a row (G.3.1): each row is coded on its own", () => {
  // 4 rows of 3 equal bytes: a run crossing rows would be one run of 12.
  const geometry = { rows: 4, columns: 3, samplesPerPixel: 1, bitsAllocated: 8 };
  const f = encodeRleFrame(new Uint8Array(12).fill(5), geometry);
  assertEquals([...f.subarray(64)], [0xfe, 5, 0xfe, 5, 0xfe, 5, 0xfe, 5]);
});
