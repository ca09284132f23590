// The sequential DCT decoder (codecs/jpeg_dct.ts) on bad input: cut,
// flipped, lying and refused streams are CodecErrors that name the
// problem, never a hang, a foreign throw or an allocation the geometry
// does not allow. The streams come from the test-side writer.
import { CodecError } from "../codecs/mod.ts";
import { decodeJpegDct } from "../codecs/jpeg_dct.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { testPicture, writeJpeg, writtenImage, type WrittenImageSpec } from "./_jpeg_writer.ts";

const GREY: WrittenImageSpec = { width: 16, height: 11, sampling: [[1, 1]], restartInterval: 1 };
const COLOUR: WrittenImageSpec = {
  width: 19,
  height: 16,
  sampling: [[2, 2], [1, 1], [1, 1]],
  restartInterval: 1,
};

function geometry(spec: WrittenImageSpec) {
  return { rows: spec.height, columns: spec.width, samplesPerPixel: spec.sampling.length };
}

/** The offset of the first marker `code` (FF code) in the stream. */
function markerAt(stream: Uint8Array, code: number): number {
  for (let i = 0; i + 1 < stream.length; i++) {
    if (stream[i] === 0xff && stream[i + 1] === code) return i;
  }
  throw new Error(`no marker FF${code.toString(16)}`);
}

/** The stream without the segment that starts at `at`. */
function withoutSegment(stream: Uint8Array, at: number): Uint8Array {
  const length = (stream[at + 2]! << 8) | stream[at + 3]!;
  const out = new Uint8Array(stream.length - 2 - length);
  out.set(stream.subarray(0, at));
  out.set(stream.subarray(at + 2 + length), at);
  return out;
}

function decodeError(stream: Uint8Array, spec: WrittenImageSpec): unknown {
  try {
    decodeJpegDct(stream, geometry(spec));
    return undefined;
  } catch (e) {
    return e;
  }
}

Deno.test("decodeJpegDct() decodes the writer's streams to the size of their geometry", () => {
  for (const spec of [GREY, COLOUR, { ...GREY, precision: 8 }]) {
    const { stream } = writtenImage(spec);
    const image = decodeJpegDct(stream, geometry(spec));
    assertEquals(image.samples.length, spec.width * spec.height * spec.sampling.length);
    assertEquals(image.precision, spec.precision ?? 12);
    assertEquals(image.colorTransformed, spec.sampling.length === 3);
  }
});

Deno.test("decodeJpegDct() gives 2 and 4 components, interleaved or a scan each, the samples each gives alone", () => {
  const width = 27;
  const height = 13;
  const planes = [0, 1, 2, 3].map((k) => testPicture(width, height, 12, 40 + k));
  const alone = planes.map((samples) =>
    decodeJpegDct(
      writeJpeg({ width, height, precision: 12, components: [{ id: 1, h: 1, v: 1, samples }] }),
      { rows: height, columns: width, samplesPerPixel: 1 },
    ).samples
  );
  for (const count of [2, 4]) {
    for (const scanPerComponent of [false, true]) {
      const components = planes.slice(0, count).map((samples, k) => ({
        id: k + 1,
        h: 1,
        v: 1,
        samples,
      }));
      const stream = writeJpeg({
        width,
        height,
        precision: 12,
        components,
        scanPerComponent,
        restartInterval: 4,
      });
      const image = decodeJpegDct(stream, { rows: height, columns: width, samplesPerPixel: count });
      assertEquals(image.colorTransformed, false);
      for (let k = 0; k < count; k++) {
        const component = image.samples.filter((_, i) => i % count === k);
        assertEquals(
          component,
          alone[k],
          `${count} components, scan each ${scanPerComponent}, #${k}`,
        );
      }
    }
  }
});

Deno.test("decodeJpegDct() of a stream cut at every offset is a CodecError", () => {
  for (const spec of [GREY, COLOUR]) {
    const { stream } = writtenImage(spec);
    for (let end = 0; end < stream.length; end++) {
      const error = decodeError(stream.subarray(0, end), spec);
      assert(error instanceof CodecError, `cut at ${end} of ${stream.length}: ${error}`);
    }
  }
});

Deno.test("decodeJpegDct() of a stream with any byte changed decodes or is a CodecError", () => {
  for (const spec of [GREY, COLOUR]) {
    const { stream } = writtenImage(spec);
    for (let at = 0; at < stream.length; at++) {
      for (const value of [0x00, 0xff, stream[at]! ^ 0x10]) {
        const broken = stream.slice();
        broken[at] = value;
        const error = decodeError(broken, spec);
        assert(
          error === undefined || error instanceof CodecError,
          `byte ${at} = ${value}: ${error}`,
        );
      }
    }
  }
});

Deno.test("decodeJpegDct() refuses a frame header that disagrees with Rows, Columns or Samples per Pixel, before it allocates", () => {
  const { stream } = writtenImage(GREY);
  const lying = stream.slice();
  const sof = markerAt(lying, 0xc1);
  lying.set([0xff, 0xff, 0xff, 0xff], sof + 5); // Y and X: 65535 x 65535
  assertThrows(
    () => decodeJpegDct(lying, geometry(GREY)),
    CodecError,
    "the frame header says 65535x65535 with 1 components, the data set says 16x11 with 1 samples",
  );
  assertThrows(
    () => decodeJpegDct(stream, { rows: 11, columns: 16, samplesPerPixel: 3 }),
    CodecError,
    "with 3 samples",
  );
  const precision = stream.slice();
  precision[sof + 4] = 16;
  assertThrows(() => decodeJpegDct(precision, geometry(GREY)), CodecError, "sample precision 16");
  const sampling = stream.slice();
  sampling[sof + 11] = 0x51;
  assertThrows(() => decodeJpegDct(sampling, geometry(GREY)), CodecError, "sampling factors 5x1");
  const height = stream.slice();
  height.set([0, 0], sof + 5);
  assertThrows(() => decodeJpegDct(height, geometry(GREY)), CodecError, "height is 0 (DNL)");
});

Deno.test("decodeJpegDct() refuses progressive, lossless, hierarchical and arithmetic-coded frames by name", () => {
  const { stream } = writtenImage(GREY);
  const sof = markerAt(stream, 0xc1);
  for (
    const [code, reason] of [
      [0xc2, "progressive"],
      [0xc3, "lossless"],
      [0xc5, "hierarchical or arithmetic"],
      [0xc9, "hierarchical or arithmetic"],
      [0xca, "progressive"],
      [0xcb, "lossless"],
    ] as const
  ) {
    const other = stream.slice();
    other[sof + 1] = code;
    assertThrows(() => decodeJpegDct(other, geometry(GREY)), CodecError, reason);
  }
});

Deno.test("decodeJpegDct() names a missing Huffman or quantization table", () => {
  const { stream } = writtenImage(GREY);
  assertThrows(
    () => decodeJpegDct(withoutSegment(stream, markerAt(stream, 0xc4)), geometry(GREY)),
    CodecError,
    "DC Huffman table 0, which no DHT defined",
  );
  assertThrows(
    () => decodeJpegDct(withoutSegment(stream, markerAt(stream, 0xdb)), geometry(GREY)),
    CodecError,
    "quantization table 0, which no DQT defined",
  );
  const noFrame = withoutSegment(stream, markerAt(stream, 0xc1));
  assertThrows(() => decodeJpegDct(noFrame, geometry(GREY)), CodecError, "before the frame header");
});

Deno.test("decodeJpegDct() names a bad Huffman code, a missing restart marker and garbage between segments", () => {
  const { stream } = writtenImage({ ...GREY, restartInterval: 0 });
  const scan = markerAt(stream, 0xda);
  const data = scan + 2 + ((stream[scan + 2]! << 8) | stream[scan + 3]!);
  // 16 1-bits are no code of the writer's DC table (C.2: all-ones is never a code).
  const bad = stream.slice();
  bad.set([0xfe, 0xfe, 0xfe], data);
  assertThrows(() => decodeJpegDct(bad, geometry(GREY)), CodecError, "bad Huffman code");

  const restarts = writtenImage(GREY).stream;
  const rst1 = markerAt(restarts, 0xd1);
  const wrong = restarts.slice();
  wrong[rst1 + 1] = 0xd3;
  assertThrows(() => decodeJpegDct(wrong, geometry(GREY)), CodecError, "RST1 expected");

  const garbage = new Uint8Array(stream.length + 3);
  garbage.set(stream.subarray(0, 2));
  garbage.set([1, 2, 3], 2);
  garbage.set(stream.subarray(2), 5);
  assertThrows(() => decodeJpegDct(garbage, geometry(GREY)), CodecError, "not a marker");

  // An RST after the last MCU, as some writers leave one, is no error.
  const trailing = new Uint8Array(restarts.length + 2);
  trailing.set(restarts.subarray(0, -2));
  trailing.set([0xff, 0xd7, 0xff, 0xd9], restarts.length - 2);
  assertEquals(
    decodeJpegDct(trailing, geometry(GREY)).samples,
    decodeJpegDct(restarts, geometry(GREY)).samples,
  );

  const noEnd = stream.subarray(0, stream.length - 2);
  assertThrows(() => decodeJpegDct(noEnd, geometry(GREY)), CodecError, "before its EOI");
});
