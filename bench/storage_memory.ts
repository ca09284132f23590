/**
 * `deno run -A bench/storage_memory.ts`: the Storage SCP's memory while it
 * receives (issue 13: "RSS <= 80 MB while receiving 100 MB objects; flat
 * over 10,000 objects").
 *
 * `dcm storescp` (a `StorageScp` with its default durability: each object
 * on the disk before its success) runs in a child process; DCMTK's
 * `storescu` sends it
 *
 * - `--large=N` (default 3) objects of 100 MB, one association: peak RSS
 *   (VmHWM) and RSS after each object;
 * - `--small=N` (default 10,000) objects of 2 KB, in batches of 1,000 (one
 *   `storescu` each): RSS after each batch and its peak, and whether the
 *   peaks of the later half of the batches stay within 10% of the earlier.
 *
 * `--fsync=deferred` measures without the write-ahead journal (which only
 * durable stores use), `--fsync=off` with it but without flushing.
 *
 * The child inherits the environment: `DENO_V8_FLAGS=--max-semi-space-size=1`
 * measures it with V8's young generation capped (issue 13: the growth over
 * the small objects is V8 growing its young generation under the
 * allocation rate, not live data: the heap in use stays at ~10 MB).
 *
 * RSS is read from /proc/PID/status (Linux only), sampled every 20 ms while
 * objects arrive. The files are generated into a temporary folder (set
 * TMPDIR to put it elsewhere) removed at the end.
 *
 * @module
 */
import { Dataset, encodePart10, generateUid } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { echo } from "../scu/mod.ts";
import { dcmtk } from "./_compare.ts";
import { StorescpProcess } from "../tests/_cli.ts";

const HOST = "127.0.0.1";
const arg = (name: string, fallback: number) =>
  Number(new RegExp(`--${name}=(\\d+)`).exec(Deno.args.join(" "))?.[1] ?? fallback);
const LARGE = arg("large", 3);
const SMALL = arg("small", 10_000);
/** `--fsync=each|deferred|off`: `dcm storescp --fsync` (`deferred` journals nothing). */
const FSYNC = /--fsync=(\w+)/.exec(Deno.args.join(" "))?.[1] ?? "each";
/** The target for the large objects. */
const TARGET_BYTES = 80e6;

interface Memory {
  rss: number;
  hwm: number;
}

function memory(pid: number): Memory {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
}

/** A CT image of `pixelBytes` bytes of pixel data, as a Part 10 file. */
function object(pixelBytes: number, patient: string): Uint8Array {
  const uid = generateUid();
  const side = pixelBytes >= 2 * 512 * 512 ? 512 : Math.floor(Math.sqrt(pixelBytes / 2));
  const frames = Math.ceil(pixelBytes / (2 * side * side));
  return encodePart10(
    new Dataset()
      .set(Tag.SOPClassUID, Uid.CTImageStorage)
      .set(Tag.SOPInstanceUID, uid)
      .set(Tag.PatientID, patient)
      .set(Tag.StudyInstanceUID, `${uid}.1`)
      .set(Tag.SeriesInstanceUID, `${uid}.2`)
      .set(Tag.Modality, "CT")
      .set(Tag.Rows, side)
      .set(Tag.Columns, side)
      .set(Tag.NumberOfFrames, frames)
      .set(Tag.BitsAllocated, 16)
      .set(Tag.BitsStored, 16)
      .set(Tag.HighBit, 15)
      .set(Tag.PixelRepresentation, 0)
      .set(Tag.SamplesPerPixel, 1)
      .set(Tag.PhotometricInterpretation, "MONOCHROME2")
      .set(Tag.PixelData, new Uint8Array(frames * side * side * 2).fill(7), "OW"),
  );
}

/** Samples `pid`'s memory every 20 ms while `work` runs; the highest RSS seen. */
async function sampled(pid: number, work: () => Promise<unknown>): Promise<number> {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, memory(pid).rss);
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, memory(pid).rss);
}

const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
const rows: { probe: string; rss: number; peak: number; note: string }[] = [];
const root = await Deno.makeTempDir({ prefix: "bench-storage-memory-" });
try {
  if (LARGE > 0) {
    await Deno.mkdir(`${root}/large`);
    const files: string[] = [];
    for (let i = 0; i < LARGE; i++) {
      const path = `${root}/large/${i}.dcm`;
      await Deno.writeFile(path, object(100e6, "LARGE"));
      files.push(path);
    }
    await Deno.mkdir(`${root}/in-large`);
    await using scp = new StorescpProcess(`${root}/in-large`, ["--fsync", FSYNC]);
    const port = await scp.listening();
    await echo(HOST, port);
    const idle = memory(scp.pid);
    rows.push({ probe: "idle, after one C-ECHO", rss: idle.rss, peak: idle.hwm, note: "" });
    // One association for all of them, then one per object (the peak may move).
    const highest = await sampled(
      scp.pid,
      () => dcmtk("storescu", ["-R", HOST, String(port), ...files]),
    );
    const after = memory(scp.pid);
    rows.push({
      probe: `${LARGE} objects of 100 MB, one association`,
      rss: after.rss,
      peak: Math.max(after.hwm, highest),
      note: `target <= ${mb(TARGET_BYTES)} while receiving: ${
        Math.max(after.hwm, highest) <= TARGET_BYTES ? "met" : "NOT met"
      }`,
    });
  }
  if (SMALL > 0) {
    await Deno.mkdir(`${root}/in-small`);
    await using scp = new StorescpProcess(`${root}/in-small`, ["--fsync", FSYNC]);
    const port = await scp.listening();
    await echo(HOST, port);
    const idle = memory(scp.pid);
    // A batch per 1,000 objects: RSS after each and its peak while it ran,
    // so that a trend shows apart from V8's sawtooth (its heap grows with
    // garbage, then shrinks after a full collection: live data stays ~10 MB).
    const marks = [
      ...new Set([
        ...Array.from({ length: Math.floor(SMALL / 1000) }, (_, i) => (i + 1) * 1000),
        SMALL,
      ]),
    ]
      .filter((n) => n > 0);
    let sent = 0;
    let first = 0;
    const peaks: number[] = [];
    for (const mark of marks) {
      const batch = `${root}/small-${mark}`;
      await Deno.mkdir(batch);
      for (let i = sent; i < mark; i++) {
        await Deno.writeFile(`${batch}/${i}.dcm`, object(2048, "SMALL"));
      }
      const peak = await sampled(
        scp.pid,
        () => dcmtk("storescu", ["-R", "+sd", HOST, String(port), batch]),
      );
      await Deno.remove(batch, { recursive: true });
      sent = mark;
      peaks.push(peak);
      const now = memory(scp.pid);
      if (first === 0) first = now.rss;
      rows.push({
        probe: `${mark} objects of 2 KB`,
        rss: now.rss,
        peak,
        note: mark === marks[0]
          ? `idle before: ${mb(idle.rss)}`
          : `RSS ${now.rss >= first ? "+" : ""}${mb(now.rss - first)} since ${marks[0]}`,
      });
    }
    // Flat: the peaks of the second half of the batches against the first half's.
    const half = Math.ceil(peaks.length / 2);
    if (peaks.length >= 2) {
      const early = Math.max(...peaks.slice(0, half));
      const late = Math.max(...peaks.slice(half));
      rows.push({
        probe: `highest peak, batches 1-${half} / ${half + 1}-${peaks.length}`,
        rss: early,
        peak: late,
        note: `flat over ${SMALL} objects (later peaks within 10% of the earlier): ${
          late <= early * 1.1 ? "met" : "NOT met"
        }`,
      });
    }
  }
} finally {
  await Deno.remove(root, { recursive: true });
}

console.log(`| Storage SCP (dcm storescp --fsync ${FSYNC}) | RSS after | peak RSS | |`);
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.probe} | ${mb(r.rss)} | ${mb(r.peak)} | ${r.note} |`);
console.log(JSON.stringify({ bench: "storage_memory", rows }));
