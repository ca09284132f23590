// A small sequential DCT JPEG writer (ITU-T T.81 Annex F encoding), for
// the tests only: dcmcjpeg writes no restart intervals, no 4:2:0 and no
// one-component-per-scan streams, and those are what the decoder's
// restart, upsampling and multi-scan paths need. Forward DCT in floating
// point (A.3.3), fixed Huffman tables covering every symbol a 12-bit
// stream can use, restart markers every `restartInterval` MCUs (B.2.4.4).
import { Dataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { ZIGZAG } from "../codecs/_jpeg_tables.ts";

/** One component: its identifier, sampling factors and its own-size samples. */
export interface WriterComponent {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  /** ceil(X * h / Hmax) by ceil(Y * v / Vmax) samples, row by row. */
  readonly samples: Uint16Array;
}

/** What to write. */
export interface WriterOptions {
  readonly width: number;
  readonly height: number;
  /** 8 or 12. */
  readonly precision: number;
  readonly components: readonly WriterComponent[];
  /** MCUs per restart interval; 0 for none. */
  readonly restartInterval?: number;
  /** One scan per component instead of one interleaved scan. */
  readonly scanPerComponent?: boolean;
  /** Quantizer step for every coefficient (a 16-bit DQT when over 255). */
  readonly quantizer?: number;
}

/** A Huffman table as BITS/HUFFVAL (B.2.4.2) and the code of each symbol (Annex C). */
interface Table {
  readonly counts: number[];
  readonly values: number[];
  readonly code: Map<number, [number, number]>;
}

/** Symbols in order of the code length they get: a few short, most of middle length, some of 16 bits. */
function table(symbols: number[], lengths: (i: number) => number): Table {
  const counts = new Array(16).fill(0);
  const sorted = symbols.map((s, i) => [s, lengths(i)] as const).sort((a, b) => a[1] - b[1]);
  for (const [, l] of sorted) counts[l - 1]++;
  const code = new Map<number, [number, number]>();
  let next = 0;
  let at = 0;
  for (let l = 1; l <= 16; l++) {
    for (let i = 0; i < counts[l - 1]; i++) code.set(sorted[at++]![0], [next++, l]);
    next <<= 1;
  }
  return { counts, values: sorted.map(([s]) => s), code };
}

const DC_TABLE = table(
  Array.from({ length: 16 }, (_, i) => i),
  (i) => (i < 6 ? 3 : i < 12 ? 6 : 10),
);
const AC_SYMBOLS = [0x00, 0xf0];
for (let r = 0; r < 16; r++) for (let s = 1; s <= 14; s++) AC_SYMBOLS.push((r << 4) | s);
const AC_TABLE = table(AC_SYMBOLS, (i) => (i < 3 ? 3 : i < 23 ? 7 : i < 200 ? 12 : 16));

class BitWriter {
  bytes: number[] = [];
  acc = 0;
  bits = 0;
  put(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.bits === 8) {
        this.bytes.push(this.acc);
        if (this.acc === 0xff) this.bytes.push(0); // F.1.2.3 byte stuffing
        this.acc = 0;
        this.bits = 0;
      }
    }
  }
  /** Pads the last byte with 1-bits (F.1.2.3). */
  flush(): void {
    while (this.bits !== 0) this.put(1, 1);
  }
}

function category(value: number): number {
  let a = Math.abs(value);
  let s = 0;
  while (a > 0) {
    s++;
    a >>= 1;
  }
  return s;
}

function putValue(w: BitWriter, value: number, s: number): void {
  if (s > 0) w.put(value < 0 ? value + (1 << s) - 1 : value, s);
}

function putSymbol(w: BitWriter, t: Table, symbol: number): void {
  const c = t.code.get(symbol);
  if (!c) throw new Error(`no code for symbol ${symbol.toString(16)}`);
  w.put(c[0], c[1]);
}

/** The quantized coefficients (zig-zag order) of one block, edge samples replicated. */
function forwardDct(
  c: WriterComponent,
  cw: number,
  ch: number,
  by: number,
  bx: number,
  shift: number,
  q: number,
): Int32Array {
  const f = new Float64Array(64);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const sy = Math.min(by * 8 + y, ch - 1);
      const sx = Math.min(bx * 8 + x, cw - 1);
      f[y * 8 + x] = c.samples[sy * cw + sx]! - shift;
    }
  }
  const out = new Int32Array(64);
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          sum += f[y * 8 + x]! * Math.cos(((2 * x + 1) * u * Math.PI) / 16) *
            Math.cos(((2 * y + 1) * v * Math.PI) / 16);
        }
      }
      const cu = u === 0 ? Math.SQRT1_2 : 1;
      const cv = v === 0 ? Math.SQRT1_2 : 1;
      out[ZIGZAG.indexOf(v * 8 + u)] = Math.round((sum * cu * cv) / 4 / q);
    }
  }
  return out;
}

function segment(marker: number, body: number[]): number[] {
  return [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
}

/** Writes the stream, SOI to EOI. */
export function writeJpeg(options: WriterOptions): Uint8Array {
  const { width, height, precision, components } = options;
  const q = options.quantizer ?? 2;
  const restart = options.restartInterval ?? 0;
  const hMax = Math.max(...components.map((c) => c.h));
  const vMax = Math.max(...components.map((c) => c.v));
  const out: number[] = [0xff, 0xd8];
  // DQT (B.2.4.1): one table, 8- or 16-bit.
  out.push(
    ...segment(
      0xdb,
      q > 255 ? [0x10, ...Array(64).fill([q >> 8, q & 255]).flat()] : [0, ...Array(64).fill(q)],
    ),
  );
  // SOF1 (B.2.2).
  out.push(...segment(0xc1, [
    precision,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    components.length,
    ...components.flatMap((c) => [c.id, (c.h << 4) | c.v, 0]),
  ]));
  for (const [tc, t] of [[0, DC_TABLE], [1, AC_TABLE]] as const) {
    out.push(...segment(0xc4, [tc << 4, ...t.counts, ...t.values]));
  }
  if (restart > 0) out.push(...segment(0xdd, [restart >> 8, restart & 255]));
  const scans = options.scanPerComponent ? components.map((c) => [c]) : [components];
  const shift = 1 << (precision - 1);
  for (const scan of scans) {
    out.push(...segment(0xda, [scan.length, ...scan.flatMap((c) => [c.id, 0x00]), 0, 63, 0]));
    const w = new BitWriter();
    const predictors = scan.map(() => 0);
    const dims = scan.map((c) => ({
      cw: Math.ceil((width * c.h) / hMax),
      ch: Math.ceil((height * c.v) / vMax),
    }));
    const single = scan.length === 1;
    const mcusWide = single ? Math.ceil(dims[0]!.cw / 8) : Math.ceil(width / (8 * hMax));
    const mcusHigh = single ? Math.ceil(dims[0]!.ch / 8) : Math.ceil(height / (8 * vMax));
    let rst = 0;
    for (let mcu = 0; mcu < mcusWide * mcusHigh; mcu++) {
      if (restart > 0 && mcu > 0 && mcu % restart === 0) {
        w.flush();
        w.bytes.push(0xff, 0xd0 + rst);
        rst = (rst + 1) & 7;
        predictors.fill(0);
      }
      const my = Math.floor(mcu / mcusWide);
      const mx = mcu % mcusWide;
      scan.forEach((c, k) => {
        const bh = single ? 1 : c.h;
        const bv = single ? 1 : c.v;
        for (let v = 0; v < bv; v++) {
          for (let h = 0; h < bh; h++) {
            const block = forwardDct(
              c,
              dims[k]!.cw,
              dims[k]!.ch,
              my * bv + v,
              mx * bh + h,
              shift,
              q,
            );
            const diff = block[0]! - predictors[k]!;
            predictors[k] = block[0]!;
            const s = category(diff);
            putSymbol(w, DC_TABLE, s);
            putValue(w, diff, s);
            let run = 0;
            for (let i = 1; i < 64; i++) {
              const a = block[i]!;
              if (a === 0) {
                run++;
                continue;
              }
              while (run > 15) {
                putSymbol(w, AC_TABLE, 0xf0);
                run -= 16;
              }
              const sa = category(a);
              putSymbol(w, AC_TABLE, (run << 4) | sa);
              putValue(w, a, sa);
              run = 0;
            }
            if (run > 0) putSymbol(w, AC_TABLE, 0x00);
          }
        }
      });
    }
    w.flush();
    out.push(...w.bytes);
  }
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}

/** A smooth picture with some noise, deterministic: samples of `precision` bits. */
export function testPicture(
  width: number,
  height: number,
  precision: number,
  seed: number,
): Uint16Array {
  const max = (1 << precision) - 1;
  const out = new Uint16Array(width * height);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (state * 1103515245 + 12345) >>> 0;
      const noise = ((state >>> 16) % 200) - 100;
      const base = (Math.sin((x + seed) / 7) * 0.4 + Math.cos((y * (seed + 1)) / 11) * 0.4 + 0.5) *
        max;
      out[y * width + x] = Math.max(0, Math.min(max, Math.round(base + (noise * max) / 4096)));
    }
  }
  return out;
}

/** What {@linkcode writtenImage} makes. */
export interface WrittenImageSpec {
  readonly width: number;
  readonly height: number;
  /** [H, V] of each component: one for MONOCHROME2, three for YBR_FULL. */
  readonly sampling: readonly (readonly [number, number])[];
  readonly precision?: number;
  readonly restartInterval?: number;
  readonly scanPerComponent?: boolean;
  readonly quantizer?: number;
}

/** A written stream wrapped in a JPEG Extended data set (one fragment, padded to even length). */
export function writtenImage(
  spec: WrittenImageSpec,
): { dataset: Dataset; transferSyntax: string; stream: Uint8Array } {
  const precision = spec.precision ?? 12;
  const hMax = Math.max(...spec.sampling.map(([h]) => h));
  const vMax = Math.max(...spec.sampling.map(([, v]) => v));
  const components = spec.sampling.map(([h, v], i) => {
    const cw = Math.ceil((spec.width * h) / hMax);
    const ch = Math.ceil((spec.height * v) / vMax);
    return { id: i + 1, h, v, samples: testPicture(cw, ch, precision, 3 + i * 5) };
  });
  const stream = writeJpeg({ ...spec, precision, components });
  const fragment = new Uint8Array(stream.length + (stream.length & 1));
  fragment.set(stream);
  const samples = components.length;
  const dataset = new Dataset()
    .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage).set(Tag.SOPInstanceUID, "2.25.12")
    .set(Tag.SamplesPerPixel, samples)
    .set(Tag.PhotometricInterpretation, samples === 1 ? "MONOCHROME2" : "YBR_FULL")
    .set(Tag.Rows, spec.height).set(Tag.Columns, spec.width)
    .set(Tag.BitsAllocated, precision > 8 ? 16 : 8).set(Tag.BitsStored, precision)
    .set(Tag.HighBit, precision - 1).set(Tag.PixelRepresentation, 0);
  if (samples > 1) dataset.set(Tag.PlanarConfiguration, 0);
  dataset.setElement({
    tag: Tag.PixelData,
    vr: "OB",
    kind: "fragments",
    offsetTable: new Uint8Array(0),
    fragments: [fragment],
  });
  return { dataset, transferSyntax: Uid.JPEGExtended12Bit, stream };
}
