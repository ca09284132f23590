/**
 * Seeded, structure-aware fuzz harness for the decoders (issue 11; first cut).
 *
 * `deno task fuzz --seed N --cases M --target pdu|command|dataset|part10|all`
 *
 * Each case mutates a valid seed (bit flips, byte insert/delete, 32-bit length
 * tweaks, truncation, splice) and feeds it to a public decoder. A `DicomError`
 * is the expected "clear error"; anything else, or a case over the time budget,
 * is a FINDING, saved to `fuzz/findings/`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DicomError } from "../errors.ts";
import { decodePdu } from "../pdu/mod.ts";
import { decodeDataset, decodePart10 } from "../dataset/mod.ts";
import { decodeCommand } from "../dimse/mod.ts";

/** mulberry32: a small seeded PRNG, so a seed and an index reproduce a case. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mutates `seed` with `rand`; `other` is spliced in by one of the mutators. */
export function mutate(seed: Uint8Array, other: Uint8Array, rand: () => number): Uint8Array {
  let b = seed.slice();
  const int = (n: number) => Math.floor(rand() * n);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = int(b.length + 1);
    switch (int(6)) {
      case 0: // bit flip
        if (b.length > 0) b[at % b.length]! ^= 1 << int(8);
        break;
      case 1: { // byte insert
        const n = new Uint8Array(b.length + 1);
        n.set(b.subarray(0, at));
        n[at] = int(256);
        n.set(b.subarray(at), at + 1);
        b = n;
        break;
      }
      case 2: // byte delete
        if (b.length > 0) b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + 1)]);
        break;
      case 3: { // a 32-bit length field: 0, odd, huge, off by one, undefined
        if (b.length < 4) break;
        const o = int(b.length - 3);
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const le = rand() < 0.5;
        const old = v.getUint32(o, le);
        const choices = [0, 1, 0x7fffffff, 0xffffffff, old + 1, old - 1, old | 1];
        v.setUint32(o, choices[int(choices.length)]! >>> 0, le);
        break;
      }
      case 4: // truncation
        b = b.subarray(0, at);
        break;
      default: { // splice of two seeds
        const from = int(other.length + 1);
        b = new Uint8Array([...b.subarray(0, at), ...other.subarray(from)]);
      }
    }
  }
  return b;
}

/** The outcome of one case. */
export type Outcome = "ok" | "dicom-error" | "finding";

/** A decoder under test. */
export type Target = "pdu" | "command" | "dataset" | "part10";

const DECODERS: Record<Target, (b: Uint8Array) => unknown> = {
  pdu: (b) => decodePdu(b),
  command: (b) => decodeCommand(b),
  dataset: (b) => decodeDataset(b),
  part10: (b) => decodePart10(b),
};

/** Runs one case and classifies it. */
export function runCase(target: Target, bytes: Uint8Array): { outcome: Outcome; error?: unknown } {
  try {
    DECODERS[target](bytes);
    return { outcome: "ok" };
  } catch (e) {
    return e instanceof DicomError ? { outcome: "dicom-error" } : { outcome: "finding", error: e };
  }
}

async function loadSeeds(target: Target): Promise<Uint8Array[]> {
  const root = new URL("../tests/", import.meta.url);
  const out: Uint8Array[] = [];
  const dir = target === "pdu"
    ? new URL("fixtures/pdu/", root)
    : new URL("data/pydicom/test_files/", root);
  for await (const e of walk(dir)) {
    const bytes = await Deno.readFile(e);
    // decodePart10() documents a TypeError for deflated files (use readPart10()).
    if (bytes.length > 200_000 || /deflate/i.test(e.pathname)) continue;
    if (target === "pdu") out.push(bytes);
    else if (target === "part10") out.push(bytes);
    else if (bytes.length > 132) out.push(bytes.subarray(132));
    if (out.length >= 40) break;
  }
  return out;
}

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* walk(u);
    else if (e.isFile && !e.name.endsWith(".md")) yield u;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "1" },
      cases: { type: "string", default: "10000" },
      target: { type: "string", default: "all" },
      budget: { type: "string", default: "1000" },
    },
  });
  const seed = Number(values.seed);
  const cases = Number(values.cases);
  const budget = Number(values.budget);
  const targets: Target[] = values.target === "all"
    ? ["pdu", "command", "dataset", "part10"]
    : [values.target as Target];
  await Deno.mkdir(new URL("findings/", import.meta.url), { recursive: true });
  for (const target of targets) {
    const seeds = await loadSeeds(target);
    const rand = prng(seed);
    const counts = { ok: 0, "dicom-error": 0, finding: 0 };
    const t0 = performance.now();
    for (let i = 0; i < cases; i++) {
      const a = seeds[Math.floor(rand() * seeds.length)]!;
      const o = seeds[Math.floor(rand() * seeds.length)]!;
      const bytes = mutate(a, o, rand);
      const s = performance.now();
      const r = runCase(target, bytes);
      const slow = performance.now() - s > budget;
      if (r.outcome === "finding" || slow) {
        counts.finding++;
        const name = `${target}_${seed}_${i}.bin`;
        await Deno.writeFile(new URL(`findings/${name}`, import.meta.url), bytes);
        console.log(`FINDING ${name}: ${slow ? "hang" : String(r.error)}`);
      } else counts[r.outcome]++;
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(`${target}: ${cases} cases, ${Math.round(cases / secs)}/s`, counts);
  }
}
