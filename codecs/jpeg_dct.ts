/**
 * Sequential DCT JPEG with Huffman coding (ITU-T T.81 | ISO/IEC 10918-1,
 * processes 1, 2 and 4: SOF0 and SOF1, 8- or 12-bit samples), decoded
 * here in TypeScript. It is what DICOM's JPEG Extended (1.2.840.10008.1.2.4.51,
 * PS3.5 A.4.1) needs for 12-bit samples, which no maintained WebAssembly
 * build on npm decodes. Progressive (SOF2), lossless (SOF3), hierarchical
 * and arithmetic-coded processes are refused. Pure: bytes in, samples out.
 *
 * What the decoder does after the IDCT follows IJG libjpeg, as DCMTK's
 * dcmdjpeg uses it, so that the two agree: "fancy" triangle upsampling of
 * 2x1 and 2x2 subsampled chroma, the JFIF YCbCr to RGB equations with
 * 16-bit fixed-point rounding, and the same guess of when three components
 * are YCbCr (JFIF APP0, Adobe APP14, component identifiers).
 *
 * @module
 */
import { CodecError } from "./errors.ts";
import { ZIGZAG } from "./_jpeg_tables.ts";

/** The frame geometry a stream must have (from the data set). */
export interface JpegDctGeometry {
  /** Rows (0028,0010): the frame's Y. */
  readonly rows: number;
  /** Columns (0028,0011): the frame's X. */
  readonly columns: number;
  /** Samples per Pixel (0028,0002): the frame's Nf. */
  readonly samplesPerPixel: number;
}

/** Options of {@linkcode decodeJpegDct}. */
export interface JpegDctOptions {
  /**
   * Whether three components are converted from YCbCr to RGB: `true` or
   * `false` forces it, `undefined` decides as libjpeg does (T.872 / JFIF:
   * a JFIF marker, else the Adobe marker's transform flag, else component
   * identifiers other than "R", "G", "B").
   *
   * @default {undefined}
   */
  readonly colorTransform?: boolean;
}

/** A decoded sequential DCT frame. */
export interface JpegDctImage {
  /** Sample precision P of the frame header: 8 or 12. */
  readonly precision: number;
  /** Samples, interleaved (one pixel's components together), row by row. */
  readonly samples: Uint16Array;
  /** Whether three YCbCr components were converted to RGB. */
  readonly colorTransformed: boolean;
}

// T.81 B.1.1.3: the markers this decoder meets.
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const DQT = 0xdb;
const DNL = 0xdc;
const DRI = 0xdd;
const DHT = 0xc4;
const RST0 = 0xd0;

/**
 * T.81 A.3.3: f(x,y) = 1/4 sum C(u)C(v) F(u,v) cos((2x+1)u pi/16) cos((2y+1)v pi/16),
 * separable: IDCT_BASIS[x * 8 + u] = C(u)/2 cos((2x+1)u pi/16).
 */
const IDCT_BASIS = (() => {
  const basis = new Float64Array(64);
  for (let x = 0; x < 8; x++) {
    for (let u = 0; u < 8; u++) {
      const c = u === 0 ? Math.SQRT1_2 : 1;
      basis[x * 8 + u] = (c / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
    }
  }
  return basis;
})();

/** Scratch for one column of the IDCT (decoding is synchronous: one user at a time). */
const COLUMN = new Float64Array(8);

/** T.81 C / F.2.2.3: a Huffman table as the decoder uses it. */
interface HuffmanTable {
  /** For codes of up to LOOKUP_BITS bits: (length << 8 | value) at every code-prefixed index, 0 for none. */
  readonly lookup: Uint16Array;
  /** MAXCODE(L), MINCODE(L), VALPTR(L) for L = 1..16 (F.2.2.3). */
  readonly maxCode: Int32Array;
  readonly minCode: Int32Array;
  readonly valPtr: Int32Array;
  readonly values: Uint8Array;
}

const LOOKUP_BITS = 9;

interface FrameComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
  /** Samples decoded, MCU-padded: blocksWide * 8 by blocksHigh * 8. */
  plane: Uint16Array;
  readonly stride: number;
  /** The component's own size (T.81 A.1.1): ceil(X * h / Hmax) by ceil(Y * v / Vmax). */
  readonly width: number;
  readonly height: number;
  /** Blocks across and down that hold its samples, without MCU padding (A.2.2). */
  readonly blocksWide: number;
  readonly blocksHigh: number;
  scanned: boolean;
  dcTable: HuffmanTable | undefined;
  acTable: HuffmanTable | undefined;
  predictor: number;
}

interface Frame {
  readonly precision: number;
  readonly x: number;
  readonly y: number;
  readonly components: FrameComponent[];
  readonly hMax: number;
  readonly vMax: number;
  readonly mcusWide: number;
  readonly mcusHigh: number;
}

function fail(message: string): never {
  throw new CodecError(`Cannot decode JPEG: ${message}`);
}

function markerName(marker: number): string {
  return `FF${marker.toString(16).toUpperCase().padStart(2, "0")}`;
}

/**
 * Decodes a sequential DCT JPEG stream with Huffman coding (T.81 Annex F,
 * processes 1, 2 and 4; SOF0 or SOF1, 8- or 12-bit samples) whose frame
 * must have the given geometry: any sampling factors from 1 to 4, 1 to 4
 * components, in one interleaved scan or several, with or without restart
 * intervals. The stream must hold an EOI; nothing larger than the geometry
 * (rounded up to whole MCUs) is ever allocated.
 *
 * @example Decode a one-block 12-bit stream
 * ```ts
 * import { decodeJpegDct } from "./jpeg_dct.ts";
 *
 * const segment = (marker: number, body: number[]) => [0xff, marker, 0, body.length + 2, ...body];
 * const stream = new Uint8Array([
 *   0xff, 0xd8, // SOI
 *   ...segment(0xdb, [0, ...Array(64).fill(1)]), // DQT: table 0, every step 1
 *   ...segment(0xc1, [12, 0, 8, 0, 8, 1, 1, 0x11, 0]), // SOF1: 12-bit, 8x8, one component
 *   ...segment(0xc4, [0x00, 1, ...Array(15).fill(0), 0]), // DHT: DC 0, code "0" = category 0
 *   ...segment(0xc4, [0x10, 1, ...Array(15).fill(0), 0]), // DHT: AC 0, code "0" = EOB
 *   ...segment(0xda, [1, 1, 0x00, 0, 63, 0]), // SOS
 *   0x3f, // DC difference 0, EOB, then 1-bits
 *   0xff, 0xd9, // EOI
 * ]);
 * const image = decodeJpegDct(stream, { rows: 8, columns: 8, samplesPerPixel: 1 });
 * console.log(image.samples.length, image.samples[0]); // 64 2048
 * ```
 *
 * @param bytes The stream, from SOI to EOI.
 * @param geometry The rows, columns and samples per pixel its frame header must declare.
 * @param options When to convert YCbCr to RGB.
 * @returns The samples, interleaved, `rows * columns * samplesPerPixel` of them.
 * @throws {CodecError} for a stream that is not sequential Huffman DCT, has another geometry,
 * misses a table, holds a bad Huffman code, or ends before its last MCU or its EOI.
 */
export function decodeJpegDct(
  bytes: Uint8Array,
  geometry: JpegDctGeometry,
  options: JpegDctOptions = {},
): JpegDctImage {
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== SOI) fail("no SOI at its start");
  const quantization: (Uint16Array | undefined)[] = [undefined, undefined, undefined, undefined];
  const dcTables: (HuffmanTable | undefined)[] = [undefined, undefined, undefined, undefined];
  const acTables: (HuffmanTable | undefined)[] = [undefined, undefined, undefined, undefined];
  let frame: Frame | undefined;
  let restartInterval = 0;
  let jfif = false;
  let adobeTransform: number | undefined;
  let pos = 2;
  let afterScan = false;
  for (;;) {
    // B.1.1.2: a marker is FF then a code; FF fill bytes may precede it.
    if (pos >= bytes.length) fail("the stream ends before its EOI");
    if (bytes[pos] !== 0xff) {
      // libjpeg, too, skips stray bytes after a scan's entropy-coded data.
      if (!afterScan) fail(`byte ${pos} is ${bytes[pos]}, not a marker`);
      pos++;
      continue;
    }
    while (pos < bytes.length && bytes[pos] === 0xff) pos++;
    if (pos >= bytes.length) fail("the stream ends before its EOI");
    const marker = bytes[pos++]!;
    if (marker === 0) {
      if (!afterScan) fail(`byte ${pos - 2} is a stuffed FF00 outside a scan`);
      continue;
    }
    // RSTn after a scan's last MCU (some writers end every interval with one),
    // and TEM, have no length (B.1.1.3): skipped, as libjpeg does.
    if ((marker >= RST0 && marker < RST0 + 8) || marker === 0x01) continue;
    afterScan = false;
    if (marker === EOI) break;
    if (marker === SOI) fail("a second SOI");
    if (pos + 2 > bytes.length) fail(`the ${markerName(marker)} segment is cut`);
    const length = (bytes[pos]! << 8) | bytes[pos + 1]!;
    if (length < 2 || pos + length > bytes.length) {
      fail(
        `the ${markerName(marker)} segment at ${
          pos - 2
        } says ${length} bytes, past the stream's end`,
      );
    }
    const segment = bytes.subarray(pos + 2, pos + length);
    pos += length;
    switch (marker) {
      case 0xc0:
      case 0xc1:
        if (frame) fail("a second frame header (SOFn)");
        frame = readFrameHeader(segment, geometry);
        break;
      case DQT:
        readQuantizationTables(segment, quantization);
        break;
      case DHT:
        readHuffmanTables(segment, dcTables, acTables);
        break;
      case DRI:
        // B.2.4.4: Lr = 4, Ri.
        if (segment.length !== 2) fail(`the DRI segment has ${segment.length + 2} bytes, not 4`);
        restartInterval = (segment[0]! << 8) | segment[1]!;
        break;
      case SOS: {
        if (!frame) fail("a scan (SOS) before the frame header (SOFn)");
        pos = decodeScan(bytes, pos, segment, frame, {
          quantization,
          dcTables,
          acTables,
          restartInterval,
        });
        afterScan = true;
        break;
      }
      case DNL:
        fail("a DNL marker: a frame whose height follows its first scan is not supported");
        break;
      case 0xe0: // APP0: JFIF (JFIF 1.02 section 4)
        if (segment.length >= 5 && String.fromCharCode(...segment.subarray(0, 5)) === "JFIF\0") {
          jfif = true;
        }
        break;
      case 0xee: // APP14: Adobe, transform flag at byte 11 (T.872 6.5.3)
        if (segment.length >= 12 && String.fromCharCode(...segment.subarray(0, 5)) === "Adobe") {
          adobeTransform = segment[11];
        }
        break;
      default:
        if (marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce) {
          fail(`${markerName(marker)}: progressive DCT is not decoded here (sequential only)`);
        }
        if (marker === 0xc3 || marker === 0xc7 || marker === 0xcb || marker === 0xcf) {
          fail(`${markerName(marker)}: lossless JPEG is not decoded here (DCT only)`);
        }
        if (marker >= 0xc5 && marker <= 0xcf && marker !== 0xc8 && marker !== 0xcc) {
          fail(`${markerName(marker)}: hierarchical or arithmetic-coded JPEG is not supported`);
        }
        if (marker === 0xcc) fail("FFCC (DAC): arithmetic coding is not supported");
        if (marker === 0xde || marker === 0xdf) {
          fail(`${markerName(marker)}: hierarchical JPEG is not supported`);
        }
        // APPn, COM, JPGn and reserved markers with a length: skipped (B.2.4.5, B.2.4.6).
        break;
    }
  }
  if (!frame) fail("no frame header (SOF0 or SOF1) before EOI");
  for (const c of frame.components) {
    if (!c.scanned) fail(`component ${c.id} is in no scan before EOI`);
  }
  let transform = false;
  if (frame.components.length === 3) {
    if (options.colorTransform !== undefined) transform = options.colorTransform;
    else if (jfif) transform = true;
    else if (adobeTransform !== undefined) transform = adobeTransform !== 0;
    else {
      const [a, b, c] = frame.components.map((k) => k.id);
      transform = !(a === 0x52 && b === 0x47 && c === 0x42); // "R", "G", "B"
    }
  }
  return {
    precision: frame.precision,
    samples: outputSamples(frame, transform),
    colorTransformed: transform,
  };
}

/** B.2.2: P, Y, X, Nf, then Ci Hi Vi Tqi for each component. */
function readFrameHeader(segment: Uint8Array, geometry: JpegDctGeometry): Frame {
  if (segment.length < 6) fail("the frame header is cut");
  const precision = segment[0]!;
  const y = (segment[1]! << 8) | segment[2]!;
  const x = (segment[3]! << 8) | segment[4]!;
  const count = segment[5]!;
  if (precision !== 8 && precision !== 12) {
    fail(`sample precision ${precision} (DCT allows 8 or 12, T.81 B.2.2)`);
  }
  if (y === 0) fail("the frame header's height is 0 (DNL) and that is not supported");
  if (x !== geometry.columns || y !== geometry.rows || count !== geometry.samplesPerPixel) {
    fail(
      `the frame header says ${x}x${y} with ${count} components, the data set says ` +
        `${geometry.columns}x${geometry.rows} with ${geometry.samplesPerPixel} samples`,
    );
  }
  if (count < 1 || count > 4) fail(`${count} components (1 to 4 are supported)`);
  if (segment.length !== 6 + 3 * count) {
    fail(
      `the frame header has ${segment.length + 2} bytes, ${count} components need ${8 + 3 * count}`,
    );
  }
  const specs: { id: number; h: number; v: number; tq: number }[] = [];
  for (let i = 0; i < count; i++) {
    const at = 6 + 3 * i;
    const id = segment[at]!;
    const h = segment[at + 1]! >> 4;
    const v = segment[at + 1]! & 15;
    const tq = segment[at + 2]!;
    if (h < 1 || h > 4 || v < 1 || v > 4) fail(`component ${id} has sampling factors ${h}x${v}`);
    if (tq > 3) fail(`component ${id} names quantization table ${tq}`);
    if (specs.some((s) => s.id === id)) fail(`component identifier ${id} appears twice`);
    specs.push({ id, h, v, tq });
  }
  const hMax = Math.max(...specs.map((s) => s.h));
  const vMax = Math.max(...specs.map((s) => s.v));
  // A.2.4: an interleaved MCU is Hmax*8 by Vmax*8 samples of the image.
  const mcusWide = Math.ceil(x / (8 * hMax));
  const mcusHigh = Math.ceil(y / (8 * vMax));
  const components = specs.map((s): FrameComponent => {
    const stride = mcusWide * s.h * 8;
    return {
      ...s,
      plane: new Uint16Array(0), // allocated when its first scan starts
      stride,
      width: Math.ceil((x * s.h) / hMax),
      height: Math.ceil((y * s.v) / vMax),
      blocksWide: Math.ceil(Math.ceil((x * s.h) / hMax) / 8),
      blocksHigh: Math.ceil(Math.ceil((y * s.v) / vMax) / 8),
      scanned: false,
      dcTable: undefined,
      acTable: undefined,
      predictor: 0,
    };
  });
  return { precision, x, y, components, hMax, vMax, mcusWide, mcusHigh };
}

/** B.2.4.1: Pq Tq, then 64 values of 8 (Pq 0) or 16 (Pq 1) bits in zig-zag order. */
function readQuantizationTables(segment: Uint8Array, tables: (Uint16Array | undefined)[]): void {
  let at = 0;
  while (at < segment.length) {
    const pq = segment[at]! >> 4;
    const tq = segment[at]! & 15;
    at++;
    if (pq > 1 || tq > 3) fail(`a DQT table with precision ${pq} and destination ${tq}`);
    const size = pq === 0 ? 64 : 128;
    if (at + size > segment.length) fail("a DQT table is cut");
    const table = new Uint16Array(64);
    for (let k = 0; k < 64; k++) {
      table[ZIGZAG[k]!] = pq === 0
        ? segment[at + k]!
        : (segment[at + 2 * k]! << 8) | segment[at + 2 * k + 1]!;
    }
    tables[tq] = table;
    at += size;
  }
}

/** B.2.4.2: Tc Th, the 16 counts L1..L16, then the values (HUFFVAL). */
function readHuffmanTables(
  segment: Uint8Array,
  dcTables: (HuffmanTable | undefined)[],
  acTables: (HuffmanTable | undefined)[],
): void {
  let at = 0;
  while (at < segment.length) {
    if (at + 17 > segment.length) fail("a DHT table is cut");
    const tc = segment[at]! >> 4;
    const th = segment[at]! & 15;
    if (tc > 1 || th > 3) fail(`a DHT table with class ${tc} and destination ${th}`);
    const counts = segment.subarray(at + 1, at + 17);
    let total = 0;
    for (const n of counts) total += n;
    if (total > 256 || at + 17 + total > segment.length) {
      fail("a DHT table is cut or holds over 256 codes");
    }
    const table = buildHuffmanTable(counts, segment.slice(at + 17, at + 17 + total));
    (tc === 0 ? dcTables : acTables)[th] = table;
    at += 17 + total;
  }
}

/** Annex C (Figures C.1, C.2) and F.2.2.3 (Figure F.15): code lengths to codes to decoder tables. */
function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const minCode = new Int32Array(17);
  const valPtr = new Int32Array(17);
  const lookup = new Uint16Array(1 << LOOKUP_BITS);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1]!;
    if (n > 0) {
      valPtr[length] = k;
      minCode[length] = code;
      for (let i = 0; i < n; i++, k++, code++) {
        if (length <= LOOKUP_BITS) {
          const shift = LOOKUP_BITS - length;
          const first = code << shift;
          lookup.fill((length << 8) | values[k]!, first, first + (1 << shift));
        }
      }
      maxCode[length] = code - 1;
    }
    // C.2: a code of `length` bits must fit in `length` bits.
    if (code > 1 << length) fail("a DHT table has more codes than its code lengths allow");
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff; // not used: the decoder stops at 16 bits
  return { lookup, maxCode, minCode, valPtr, values };
}

interface Tables {
  readonly quantization: (Uint16Array | undefined)[];
  readonly dcTables: (HuffmanTable | undefined)[];
  readonly acTables: (HuffmanTable | undefined)[];
  readonly restartInterval: number;
}

/**
 * The entropy-coded segment's bits (F.2.2.5): FF00 is a stuffed FF; at a
 * marker the reader gives 0-bits, and consuming any of those is an error
 * (the data ended before the scan's last MCU).
 */
class BitReader {
  pos: number;
  acc = 0;
  bits = 0;
  padding = 0;
  atMarker = false;
  constructor(readonly data: Uint8Array, start: number) {
    this.pos = start;
  }

  /** Tops the accumulator up to at least 17 bits. */
  fill(): void {
    const data = this.data;
    while (this.bits <= 16) {
      let byte = 0;
      let real = false;
      if (!this.atMarker && this.pos < data.length) {
        byte = data[this.pos]!;
        if (byte !== 0xff) {
          this.pos++;
          real = true;
        } else if (this.pos + 1 < data.length && data[this.pos + 1] === 0) {
          this.pos += 2; // FF00: a stuffed FF (F.1.2.3)
          real = true;
        } else {
          this.atMarker = true;
          byte = 0;
        }
      }
      if (!real) this.padding += 8;
      this.acc = (this.acc << 8) | byte;
      this.bits += 8;
    }
  }

  /** Removes n bits that fill() made available; throws if any of them are padding. */
  consume(n: number): void {
    if (n > this.bits - this.padding) {
      fail(
        this.atMarker
          ? `the entropy-coded data ends (at a marker, byte ${this.pos}) before the scan's last MCU`
          : "the stream ends inside a scan",
      );
    }
    this.bits -= n;
    this.acc &= (1 << this.bits) - 1;
  }

  /** F.2.2.4 RECEIVE and F.2.2.1 EXTEND (Figure F.12): s bits as a signed value. */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    if (s > 16) fail(`a coefficient magnitude category of ${s}`);
    this.fill();
    const v = (this.acc >>> (this.bits - s)) & ((1 << s) - 1);
    this.consume(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** F.2.2.3 DECODE (Figure F.16), with a LOOKUP_BITS-bit table for the short codes. */
  decode(table: HuffmanTable): number {
    this.fill();
    const entry = table
      .lookup[(this.acc >>> (this.bits - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)]!;
    if (entry !== 0) {
      this.consume(entry >> 8);
      return entry & 0xff;
    }
    for (let length = LOOKUP_BITS + 1; length <= 16; length++) {
      const code = (this.acc >>> (this.bits - length)) & ((1 << length) - 1);
      if (code <= table.maxCode[length]!) {
        this.consume(length);
        return table.values[table.valPtr[length]! + code - table.minCode[length]!]!;
      }
    }
    if (this.padding > 0) this.consume(this.bits); // the data ran out: say so
    fail(`a bad Huffman code near byte ${this.pos}`);
  }

  /** F.2.2.5 / B.1.1.5: at a restart, drop the bits left and expect RSTn. */
  restart(expected: number): void {
    this.acc = 0;
    this.bits = 0;
    this.padding = 0;
    this.atMarker = false;
    let pos = this.pos;
    // Find the marker (a decoder of damaged data skips what lies before it).
    while (
      pos + 1 < this.data.length &&
      !(this.data[pos] === 0xff && this.data[pos + 1] !== 0 && this.data[pos + 1] !== 0xff)
    ) pos++;
    const marker = this.data[pos + 1];
    if (pos + 1 >= this.data.length || marker !== RST0 + expected) {
      fail(
        `RST${expected} expected after a restart interval, found ${
          marker === undefined || pos + 1 >= this.data.length
            ? "the end of the stream"
            : markerName(marker)
        } at byte ${pos}`,
      );
    }
    this.pos = pos + 2;
  }
}

/**
 * B.2.3 scan header, then the scan's MCUs (F.2.2, Figure F.2; A.2 for the
 * MCU order). Returns the position after its entropy-coded data.
 */
function decodeScan(
  bytes: Uint8Array,
  start: number,
  header: Uint8Array,
  frame: Frame,
  tables: Tables,
): number {
  const count = header[0] ?? 0;
  if (count < 1 || count > 4 || header.length !== 4 + 2 * count) {
    fail(`a scan header (SOS) of ${header.length + 2} bytes for ${count} components`);
  }
  const scan: FrameComponent[] = [];
  for (let i = 0; i < count; i++) {
    const id = header[1 + 2 * i]!;
    const component = frame.components.find((c) => c.id === id);
    if (!component) fail(`the scan names component ${id}, which the frame does not have`);
    if (scan.includes(component)) fail(`the scan names component ${id} twice`);
    const td = header[2 + 2 * i]! >> 4;
    const ta = header[2 + 2 * i]! & 15;
    component.dcTable = tables.dcTables[td];
    component.acTable = tables.acTables[ta];
    if (!component.dcTable) {
      fail(`component ${id} uses DC Huffman table ${td}, which no DHT defined`);
    }
    if (!component.acTable) {
      fail(`component ${id} uses AC Huffman table ${ta}, which no DHT defined`);
    }
    if (!tables.quantization[component.tq]) {
      fail(`component ${id} uses quantization table ${component.tq}, which no DQT defined`);
    }
    scan.push(component);
  }
  // B.2.3: Ss, Se, Ah, Al are 0, 63, 0, 0 in a sequential scan; like
  // libjpeg, other values (some old writers') are ignored.
  if (count > 1 && scan.reduce((n, c) => n + c.h * c.v, 0) > 10) {
    fail("an interleaved scan's MCU holds more than 10 blocks (B.2.3)");
  }
  for (const c of scan) {
    c.predictor = 0;
    if (c.plane.length === 0) c.plane = new Uint16Array(c.stride * frame.mcusHigh * c.v * 8);
    c.scanned = true;
  }
  const reader = new BitReader(bytes, start);
  const block = new Int32Array(64);
  const workspace = new Float64Array(64);
  const levelShift = 1 << (frame.precision - 1);
  const maxSample = (1 << frame.precision) - 1;
  const single = count === 1;
  // A.2.2: a one-component scan is its blocks in raster order; A.2.3: an
  // interleaved MCU is each component's Hi x Vi blocks.
  const mcusWide = single ? scan[0]!.blocksWide : frame.mcusWide;
  const mcus = single ? scan[0]!.blocksWide * scan[0]!.blocksHigh : frame.mcusWide * frame.mcusHigh;
  let expected = 0;
  for (let mcu = 0; mcu < mcus; mcu++) {
    if (tables.restartInterval > 0 && mcu > 0 && mcu % tables.restartInterval === 0) {
      reader.restart(expected);
      expected = (expected + 1) & 7;
      for (const c of scan) c.predictor = 0; // F.2.1.3.1
    }
    const mcuRow = Math.floor(mcu / mcusWide);
    const mcuCol = mcu - mcuRow * mcusWide;
    for (const c of scan) {
      const quantization = tables.quantization[c.tq]!;
      const bh = single ? 1 : c.h;
      const bv = single ? 1 : c.v;
      for (let v = 0; v < bv; v++) {
        for (let h = 0; h < bh; h++) {
          const coded = decodeBlock(reader, c, quantization, block);
          const row = (mcuRow * bv + v) * 8;
          const col = (mcuCol * bh + h) * 8;
          inverseDct(
            block,
            coded,
            workspace,
            c.plane,
            row * c.stride + col,
            c.stride,
            levelShift,
            maxSample,
          );
        }
      }
    }
  }
  // The bits left in the last byte are padding (F.1.2.3); the next marker follows.
  return reader.pos;
}

/** F.2.2.1 (DC, Figure F.12 with the predictor) and F.2.2.2 (AC, Figure F.13), dequantized (A.3.4). */
/** Returns whether any AC coefficient was coded. */
function decodeBlock(
  reader: BitReader,
  c: FrameComponent,
  quantization: Uint16Array,
  block: Int32Array,
): boolean {
  block.fill(0);
  let coded = false;
  const t = reader.decode(c.dcTable!);
  if (t > 15) fail(`a DC difference category of ${t}`);
  c.predictor += reader.receiveExtend(t);
  block[0] = c.predictor * quantization[0]!;
  const ac = c.acTable!;
  for (let k = 1; k < 64;) {
    const rs = reader.decode(ac);
    const r = rs >> 4;
    const s = rs & 15;
    if (s === 0) {
      if (r !== 15) break; // EOB
      k += 16; // ZRL
      continue;
    }
    k += r;
    if (k > 63) fail("an AC coefficient run goes past the block's 64th coefficient");
    const z = ZIGZAG[k]!;
    block[z] = reader.receiveExtend(s) * quantization[z]!;
    coded = true;
    k++;
  }
  return coded;
}

/**
 * A.3.3 IDCT (separable, in floating point), then the level shift of A.3.1
 * and clamping; a block without AC coefficients (`coded` false) is flat.
 */
function inverseDct(
  block: Int32Array,
  coded: boolean,
  workspace: Float64Array,
  out: Uint16Array,
  at: number,
  stride: number,
  levelShift: number,
  maxSample: number,
): void {
  if (!coded) {
    const value = Math.min(maxSample, Math.max(0, Math.round(block[0]! / 8 + levelShift)));
    for (let y = 0; y < 8; y++) out.fill(value, at + y * stride, at + y * stride + 8);
    return;
  }
  // Rows: workspace[v * 8 + x] = sum_u basis(x, u) F(v, u); most rows of
  // a quantized block are zero or only their first coefficient.
  for (let v = 0; v < 8; v++) {
    const r = v * 8;
    let last = 7;
    while (last > 0 && block[r + last] === 0) last--;
    if (last === 0) workspace.fill(IDCT_BASIS[0]! * block[r]!, r, r + 8);
    else idct8(block, r, 1, workspace, r, 1);
  }
  // Columns: f(y, x) = sum_v basis(y, v) workspace[v * 8 + x].
  const column = COLUMN;
  for (let x = 0; x < 8; x++) {
    idct8(workspace, x, 8, column, 0, 1);
    for (let y = 0; y < 8; y++) {
      const value = Math.round(column[y]! + levelShift);
      out[at + y * stride + x] = value < 0 ? 0 : value > maxSample ? maxSample : value;
    }
  }
}

/**
 * One 8-point IDCT of A.3.3 with its symmetry: basis(7 - x, u) is
 * (-1)^u basis(x, u), so the even and odd coefficients' sums give
 * f(x) = even + odd and f(7 - x) = even - odd.
 */
function idct8(
  input: Int32Array | Float64Array,
  from: number,
  step: number,
  output: Float64Array,
  to: number,
  outStep: number,
): void {
  const f0 = input[from]!;
  const f1 = input[from + step]!;
  const f2 = input[from + 2 * step]!;
  const f3 = input[from + 3 * step]!;
  const f4 = input[from + 4 * step]!;
  const f5 = input[from + 5 * step]!;
  const f6 = input[from + 6 * step]!;
  const f7 = input[from + 7 * step]!;
  const b = IDCT_BASIS;
  for (let x = 0; x < 4; x++) {
    const k = x * 8;
    const even = b[k]! * f0 + b[k + 2]! * f2 + b[k + 4]! * f4 + b[k + 6]! * f6;
    const odd = b[k + 1]! * f1 + b[k + 3]! * f3 + b[k + 5]! * f5 + b[k + 7]! * f7;
    output[to + x * outStep] = even + odd;
    output[to + (7 - x) * outStep] = even - odd;
  }
}

/** Each component upsampled to the frame's size, converted, interleaved. */
function outputSamples(frame: Frame, transform: boolean): Uint16Array {
  const { x: width, y: height } = frame;
  const n = frame.components.length;
  const planes = frame.components.map((c) => upsample(c, frame));
  const out = new Uint16Array(width * height * n);
  if (transform) {
    ycbcrToRgb(planes[0]!, planes[1]!, planes[2]!, out, frame.precision);
    return out;
  }
  for (let k = 0; k < n; k++) {
    const plane = planes[k]!;
    for (let p = 0, o = k; p < plane.length; p++, o += n) out[o] = plane[p]!;
  }
  return out;
}

/**
 * A component at the frame's size (A.1.1 sampling factors). As libjpeg does
 * by default: 2x1 and 2x2 subsampling with its triangle ("fancy") filter,
 * 3/4 of the nearer sample and 1/4 of the farther, the edges replicated;
 * other integral ratios by replication; fractional ratios by the nearest sample.
 */
function upsample(c: FrameComponent, frame: Frame): Uint16Array {
  const { x: width, y: height } = frame;
  const out = new Uint16Array(width * height);
  const hRatio = frame.hMax / c.h;
  const vRatio = frame.vMax / c.v;
  const src = c.plane;
  const stride = c.stride;
  const cw = c.width;
  const ch = c.height;
  if (hRatio === 2 && (vRatio === 1 || vRatio === 2) && cw > 2) {
    const sums = new Int32Array(cw);
    for (let y = 0; y < height; y++) {
      const sy = vRatio === 2 ? y >> 1 : y;
      const near = sy * stride;
      if (vRatio === 2) {
        const farRow = y & 1 ? Math.min(sy + 1, ch - 1) : Math.max(sy - 1, 0);
        const far = farRow * stride;
        for (let i = 0; i < cw; i++) sums[i] = 3 * src[near + i]! + src[far + i]!;
      } else {
        for (let i = 0; i < cw; i++) sums[i] = src[near + i]!;
      }
      const row = y * width;
      const shift = vRatio === 2 ? 4 : 2;
      const biasLeft = vRatio === 2 ? 8 : 1;
      const biasRight = vRatio === 2 ? 7 : 2;
      for (let i = 0; i < cw; i++) {
        const here = 3 * sums[i]!;
        const left = sums[i > 0 ? i - 1 : 0]!;
        const right = sums[i + 1 < cw ? i + 1 : cw - 1]!;
        const o = 2 * i;
        if (o < width) out[row + o] = (here + left + biasLeft) >> shift;
        if (o + 1 < width) out[row + o + 1] = (here + right + biasRight) >> shift;
      }
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.floor((y * c.v) / frame.vMax), ch - 1);
    const from = sy * stride;
    const row = y * width;
    if (hRatio === 1) {
      out.set(src.subarray(from, from + width), row);
      continue;
    }
    for (let x = 0; x < width; x++) {
      out[row + x] = src[from + Math.min(Math.floor((x * c.h) / frame.hMax), cw - 1)]!;
    }
  }
  return out;
}

/**
 * JFIF 1.02 section 7 (T.871 7): R = Y + 1.402 (Cr - c), G = Y - 0.34414
 * (Cb - c) - 0.71414 (Cr - c), B = Y + 1.772 (Cb - c), c = 2^(P-1), in
 * 16-bit fixed point rounded as libjpeg rounds, clamped to 0..2^P-1.
 */
function ycbcrToRgb(
  y: Uint16Array,
  cb: Uint16Array,
  cr: Uint16Array,
  out: Uint16Array,
  precision: number,
): void {
  const size = 1 << precision;
  const center = size >> 1;
  const max = size - 1;
  const half = 1 << 15;
  const fix = (f: number) => Math.round(f * 65536);
  const crR = new Int32Array(size);
  const cbB = new Int32Array(size);
  const crG = new Int32Array(size);
  const cbG = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const d = i - center;
    crR[i] = (fix(1.402) * d + half) >> 16;
    cbB[i] = (fix(1.772) * d + half) >> 16;
    crG[i] = -fix(0.71414) * d;
    cbG[i] = -fix(0.34414) * d + half;
  }
  const clamp = (v: number) => (v < 0 ? 0 : v > max ? max : v);
  for (let p = 0, o = 0; p < y.length; p++, o += 3) {
    const l = y[p]!;
    const b = cb[p]!;
    const r = cr[p]!;
    out[o] = clamp(l + crR[r]!);
    out[o + 1] = clamp(l + ((cbG[b]! + crG[r]!) >> 16));
    out[o + 2] = clamp(l + cbB[b]!);
  }
}
