/**
 * Parse throughput of our codec against dcmjs, measured in the same run:
 *
 * 1. the pydicom corpus (every file both can read), in MB/s and data sets/s,
 *    ours once lazily (values decoded on access, our normal mode) and once
 *    decoding every text value (what dcmjs always does);
 * 2. a generated ~100 MB multi-frame file;
 * 3. the header of a generated 1 GiB file read from disk with `stopBefore:
 *    PixelData`, in a child process so that its RSS is its own.
 *
 * Run: `deno task bench` (or `deno run -A bench/parse.ts`).
 * @module
 */
import { Dataset, decodePart10, encodePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";

const CORPUS = new URL("../tests/data/pydicom/test_files/", import.meta.url).pathname;
const quiet = { log: console.log, warn: console.warn, error: console.error };

// dcmjs logs through loggers that bind the console's methods when it loads:
// loaded while those are silenced, its complaints about the corpus's odd
// files (which are not ours to report) stay silent.
const noisy = { ...console };
for (const m of ["trace", "debug", "info", "warn", "error", "log"] as const) console[m] = () => {};
const { default: dcmjs } = await import("npm:dcmjs@0.33");
Object.assign(console, noisy);

function silence<T>(fn: () => T): T {
  console.log = console.warn = console.error = () => {};
  try {
    return fn();
  } finally {
    Object.assign(console, quiet);
  }
}

function dcmjsParse(bytes: Uint8Array): unknown {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return dcmjs.data.DicomMessage.readFile(buffer as ArrayBuffer, { ignoreErrors: true });
}

const BULK = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);

/** Decodes every value the way dcmjs does: text and numbers, but not bulk data. */
function touchAll(ds: Dataset): void {
  for (const el of ds) {
    if (el.kind === "sequence") el.items.forEach(touchAll);
    else if (el.kind === "bytes" && !BULK.has(el.vr)) ds.strings(el.tag);
  }
}

/** Runs `fn` over `inputs` repeatedly for about `ms`; returns seconds per pass. */
function time(inputs: Uint8Array[], fn: (b: Uint8Array) => unknown, ms = 1500): number {
  for (const b of inputs) fn(b); // warm-up
  let passes = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (const b of inputs) fn(b);
    passes++;
  }
  return (performance.now() - start) / 1000 / passes;
}

async function corpus(): Promise<Uint8Array[]> {
  const files: Uint8Array[] = [];
  for await (const e of Deno.readDir(CORPUS)) {
    if (!e.isFile || !e.name.endsWith(".dcm")) continue;
    const bytes = await Deno.readFile(CORPUS + e.name);
    try {
      decodePart10(bytes);
      silence(() => dcmjsParse(bytes));
      files.push(bytes);
    } catch {
      // Deflated, truncated or otherwise unreadable by one side: not comparable.
    }
  }
  return files;
}

function multiframe(frames: number): Uint8Array {
  const rows = 512, cols = 512;
  const ds = new Dataset()
    .set(Tag.SOPClassUID, Uid.EnhancedCTImageStorage)
    .set(Tag.SOPInstanceUID, "2.25.1")
    .set(Tag.PatientName, "Bench^Multiframe")
    .set(Tag.Rows, rows).set(Tag.Columns, cols)
    .set(Tag.BitsAllocated, 16).set(Tag.BitsStored, 16).set(Tag.HighBit, 15)
    .set(Tag.SamplesPerPixel, 1).set(Tag.PixelRepresentation, 0)
    .set(Tag.PhotometricInterpretation, "MONOCHROME2")
    .set(Tag.NumberOfFrames, frames)
    .set(Tag.PixelData, new Uint8Array(rows * cols * 2 * frames), "OW");
  return encodePart10(ds);
}

function row(name: string, ours: number, theirs: number, unit: string): string {
  return `${name.padEnd(44)} ours ${ours.toFixed(1).padStart(9)} ${unit}   dcmjs ${
    theirs.toFixed(1).padStart(9)
  } ${unit}   ratio ${(ours / theirs).toFixed(2)}x`;
}

async function main(): Promise<void> {
  const files = await corpus();
  const mb = files.reduce((n, f) => n + f.length, 0) / 1e6;
  const lazy = time(files, (b) => decodePart10(b));
  const eager = time(files, (b) => touchAll(decodePart10(b).dataset));
  const theirs = silence(() => time(files, dcmjsParse));
  console.log(`corpus: ${files.length} files, ${mb.toFixed(2)} MB`);
  console.log(row("corpus, MB/s (ours lazy)", mb / lazy, mb / theirs, "MB/s"));
  console.log(
    row("corpus, data sets/s (ours lazy)", files.length / lazy, files.length / theirs, "ds/s"),
  );
  console.log(row("corpus, MB/s (ours decoding every value)", mb / eager, mb / theirs, "MB/s"));

  const big = multiframe(200);
  const bigMb = big.length / 1e6;
  const oursBig = time([big], (b) => decodePart10(b), 3000);
  const theirsBig = time([big], dcmjsParse, 3000);
  console.log(
    row(`multi-frame ${bigMb.toFixed(0)} MB, parses/s`, 1 / oursBig, 1 / theirsBig, "/s"),
  );

  // A 1 GiB file on disk: header, then 1 GiB of pixel data written in chunks.
  const path = await Deno.makeTempFile({ suffix: ".dcm" });
  try {
    const frames = 2048; // 512 * 512 * 2 bytes * 2048 = 1 GiB
    const head = new Dataset()
      .set(Tag.SOPClassUID, Uid.EnhancedCTImageStorage).set(Tag.SOPInstanceUID, "2.25.2")
      .set(Tag.Rows, 512).set(Tag.Columns, 512).set(Tag.NumberOfFrames, frames);
    const prefix = encodePart10(head);
    const pixelHeader = new Uint8Array([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 0, 0, 0, 0]);
    new DataView(pixelHeader.buffer).setUint32(8, 512 * 512 * 2 * frames, true);
    using out = await Deno.open(path, { write: true, truncate: true });
    await out.write(prefix);
    await out.write(pixelHeader);
    await out.truncate(prefix.length + pixelHeader.length + 512 * 512 * 2 * frames);
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("_header_child.ts", import.meta.url).pathname, path],
    }).output();
    const r = JSON.parse(new TextDecoder().decode(child.stdout));
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    console.log(
      `header of a 1 GiB file from disk: ${r.ms.toFixed(1)} ms, RSS ${mib(r.rss)} MiB ` +
        `(a bare Deno process: ${mib(r.baseRss)} MiB; targets < 100 ms, < 50 MB)`,
    );
  } finally {
    await Deno.remove(path);
  }
}

if (import.meta.main) await main();
