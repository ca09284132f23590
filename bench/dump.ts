/**
 * `dcm dump` of a ~1 GiB multi-frame file against DCMTK's `dcmdump -M`
 * (which does not load long values either): wall time and peak RSS of each
 * process, measured with GNU time, medians of alternating runs.
 *
 * The file is written for real (not sparse) to a temporary folder and
 * removed at the end.
 *
 * Run: `deno task bench` (or `deno run -A bench/dump.ts`).
 * @module
 */
import { Dataset, encodePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { median } from "./_compare.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const ROWS = 512, COLUMNS = 512, FRAMES = 2048; // 512 * 512 * 2 bytes * 2048 = 1 GiB

/** Writes a 1 GiB multi-frame Enhanced CT file at `path`. */
async function writeMultiframe(path: string): Promise<number> {
  const frameBytes = ROWS * COLUMNS * 2;
  const head = new Dataset()
    .set(Tag.SOPClassUID, Uid.EnhancedCTImageStorage).set(Tag.SOPInstanceUID, "2.25.3")
    .set(Tag.PatientName, "Bench^Dump").set(Tag.PatientID, "DUMP1")
    .set(Tag.Rows, ROWS).set(Tag.Columns, COLUMNS).set(Tag.NumberOfFrames, FRAMES)
    .set(Tag.BitsAllocated, 16).set(Tag.BitsStored, 16).set(Tag.HighBit, 15)
    .set(Tag.SamplesPerPixel, 1).set(Tag.PixelRepresentation, 0)
    .set(Tag.PhotometricInterpretation, "MONOCHROME2");
  const prefix = encodePart10(head);
  const pixelHeader = new Uint8Array([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 0, 0, 0, 0]);
  new DataView(pixelHeader.buffer).setUint32(8, frameBytes * FRAMES, true);
  using out = await Deno.open(path, { write: true, create: true, truncate: true });
  await out.write(prefix);
  await out.write(pixelHeader);
  // 16 frames (8 MiB) at a time, each a ramp so that the bytes are not all zero.
  const block = new Uint8Array(frameBytes * 16);
  for (let i = 0; i < block.length; i++) block[i] = i & 0xff;
  for (let f = 0; f < FRAMES; f += 16) {
    for (let done = 0; done < block.length;) done += await out.write(block.subarray(done));
  }
  return prefix.length + pixelHeader.length + frameBytes * FRAMES;
}

/** Wall time and peak RSS of one process. */
interface Measure {
  ms: number;
  mib: number;
}

/** Runs `command args` under GNU time; returns wall ms and peak RSS in MiB. */
async function measure(command: string, args: string[]): Promise<Measure> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %M", command, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) throw new Error(`${command} failed: ${text.slice(0, 400)}`);
  const [seconds, kib] = text.split("\n").at(-1)!.split(" ").map(Number) as [number, number];
  return { ms: seconds * 1000, mib: kib / 1024 };
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bench_dump_" });
  try {
    const path = `${dir}/multiframe.dcm`;
    const size = await writeMultiframe(path);
    const ours = () => measure(Deno.execPath(), ["run", "-A", MAIN, "dump", path]);
    const theirs = () => measure("dcmdump", ["-M", path]);
    const bare = () => measure(Deno.execPath(), ["eval", "0"]);
    await ours(); // Type-checks and caches the CLI's modules once, outside the runs.
    const runs: Record<"ours" | "theirs", Measure[]> = { ours: [], theirs: [] };
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        runs.ours.push(await ours());
        runs.theirs.push(await theirs());
      } else {
        runs.theirs.push(await theirs());
        runs.ours.push(await ours());
      }
    }
    const b = await bare();
    const row = (name: string, r: Measure[]) =>
      `${name.padEnd(34)} ${median(r.map((x) => x.ms)).toFixed(0).padStart(6)} ms   peak RSS ${
        median(r.map((x) => x.mib)).toFixed(1).padStart(6)
      } MiB`;
    console.log(
      `dump of a ${
        (size / 2 ** 30).toFixed(2)
      } GiB multi-frame file (${FRAMES} frames), median of ${rounds}:`,
    );
    console.log(row("dcm dump FILE", runs.ours));
    console.log(row("dcmdump -M FILE (DCMTK)", runs.theirs));
    console.log(row("(a bare `deno eval 0`)", [b]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
