/**
 * What the benchmarks share: running DCMTK's tools, folders, and the
 * alternating comparison that reports median ratios (single runs on a
 * shared machine vary by ±20%).
 *
 * @module
 */
import { DCMTK_ENV } from "../tests/_qr_fixtures.ts";

/** Runs a DCMTK tool with `args`; returns its wall time in ms. */
export async function dcmtk(tool: string, args: string[]): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(tool, {
    args,
    env: DCMTK_ENV,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${tool} failed: ${new TextDecoder().decode(out.stderr).slice(0, 400)}`);
  }
  return performance.now() - start;
}

/** Bytes of the files under `dir`, hidden ones left out. */
export async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    const p = `${dir}/${e.name}`;
    n += e.isDirectory ? await dirBytes(p) : (await Deno.stat(p)).size;
  }
  return n;
}

/** An empty folder at `path`. */
export async function freshDir(path: string): Promise<string> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
  await Deno.mkdir(path, { recursive: true });
  return path;
}

/** The median of `values`. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Runs both sides `rounds` times, alternating who goes first, and prints
 * the medians and the median ratio of ours to theirs (higher is better for us).
 */
export async function compare(
  label: string,
  unit: string,
  ours: () => Promise<number>,
  theirs: () => Promise<number>,
  rounds = 5,
): Promise<void> {
  const o: number[] = [];
  const t: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const [a, b] = round % 2 === 0
      ? [await ours(), await theirs()]
      : [await theirs(), await ours()].reverse() as [number, number];
    o.push(a);
    t.push(b);
    ratios.push(a / b);
  }
  console.log(
    `${label.padEnd(36)} ours ${median(o).toFixed(1).padStart(8)} ${unit}   DCMTK ${
      median(t).toFixed(1).padStart(8)
    } ${unit}   median ratio ${median(ratios).toFixed(2)}x  (rounds: ${
      ratios.map((r) => r.toFixed(2)).join(", ")
    })`,
  );
}

/** The study-level query both benchmarks repeat: every study, three return keys. */
export const FIND_KEYS: readonly string[] = [
  "QueryRetrieveLevel=STUDY",
  "PatientID=*",
  "StudyInstanceUID",
  "StudyDate",
  "PatientName",
];

/** `findscu --repeat N` with {@linkcode FIND_KEYS} against `peer` (`-aec AE host port`); ms. */
export function findscu(peer: readonly string[], repeat: number): Promise<number> {
  return dcmtk("findscu", [
    "-S",
    "--repeat",
    String(repeat),
    ...FIND_KEYS.flatMap((k) => ["-k", k]),
    ...peer,
  ]);
}

/** One run of a DCMTK retrieve tool per patient (PATIENT level), against `peer`; total ms. */
async function perPatient(
  tool: string,
  args: readonly string[],
  peer: readonly string[],
  patients: readonly string[],
): Promise<number> {
  let ms = 0;
  for (const id of patients) {
    ms += await dcmtk(tool, [
      "-P",
      ...args,
      "-k",
      "QueryRetrieveLevel=PATIENT",
      "-k",
      `PatientID=${id}`,
      ...peer,
    ]);
  }
  return ms;
}

/** One `movescu` per patient to `destination`, against `peer`; total ms. */
export function movescuPatients(
  peer: readonly string[],
  patients: readonly string[],
  destination: string,
  callingAeTitle?: string,
): Promise<number> {
  const us = callingAeTitle ? ["-aet", callingAeTitle] : [];
  return perPatient("movescu", [...us, "-aem", destination], peer, patients);
}

/** One `getscu` per patient into `dir`, against `peer`; total ms. */
export function getscuPatients(
  peer: readonly string[],
  patients: readonly string[],
  dir: string,
): Promise<number> {
  return perPatient("getscu", ["-od", dir], peer, patients);
}
