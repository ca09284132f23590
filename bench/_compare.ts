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

/**
 * Runs every side `rounds` times, each round starting with the next side,
 * after one unmeasured run each (a long-running server has compiled its hot
 * paths); prints the medians and the median ratios of each side to the
 * second (the peer) and, with a third side (a baseline), of the first to it.
 * Higher is better.
 */
export async function compareSides(
  label: string,
  unit: string,
  sides: readonly Side[],
  rounds = 5,
): Promise<void> {
  const [first, peer, third] = sides.map(([side]) => side);
  const { values, ratios } = await alternateSides(
    sides,
    rounds,
    ratioPairs(first!, peer!, third),
    (a, b) => a / b,
  );
  console.log(
    `${label}: ${
      [...values].map(([side, v]) => `${side} ${median(v).toFixed(1)}`).join(", ")
    } ${unit}`,
  );
  printRatios(ratios, "  ", 22);
}

/** A measurement's side: its name and one run, giving a number. */
export type Side = readonly [string, () => Promise<number>];

/**
 * The ratios {@linkcode alternateSides} takes for `ours` against `peer` and,
 * with a `baseline`, of the baseline against the peer and ours against it.
 */
export function ratioPairs(
  ours: string,
  peer: string,
  baseline?: string,
): (readonly [string, string, string])[] {
  return [
    [`${ours} / ${peer}`, ours, peer],
    ...baseline === undefined ? [] : [
      [`${baseline} / ${peer}`, baseline, peer] as const,
      [`${ours} / ${baseline}`, ours, baseline] as const,
    ],
  ];
}

/**
 * Runs every side once unmeasured (a long-running server has compiled its
 * hot paths), then `rounds` rounds, each starting with the next side.
 * Returns each side's values and, per round, `ratio(a, b)` of each pair
 * `[key, a, b]` (by default b / a: the speed of a over b, for times).
 */
export async function alternateSides(
  sides: readonly Side[],
  rounds: number,
  pairs: readonly (readonly [string, string, string])[],
  ratio: (a: number, b: number) => number = (a, b) => b / a,
): Promise<{ values: Map<string, number[]>; ratios: Map<string, number[]> }> {
  for (const [, run] of sides) await run();
  const values = new Map<string, number[]>(sides.map(([side]) => [side, []]));
  const ratios = new Map<string, number[]>(pairs.map(([key]) => [key, []]));
  for (let round = 0; round < rounds; round++) {
    const got = new Map<string, number>();
    for (let i = 0; i < sides.length; i++) {
      const [side, run] = sides[(i + round) % sides.length]!;
      got.set(side, await run());
    }
    for (const [side, v] of got) values.get(side)!.push(v);
    for (const [key, a, b] of pairs) ratios.get(key)!.push(ratio(got.get(a)!, got.get(b)!));
  }
  return { values, ratios };
}

/** Prints each ratio's median and its rounds, one line each. */
export function printRatios(ratios: Map<string, number[]>, indent: string, width: number): void {
  for (const [key, r] of ratios) {
    console.log(
      `${indent}${key.padEnd(width)} ${median(r).toFixed(2)}x  (rounds: ${
        r.map((x) => x.toFixed(2)).join(", ")
      })`,
    );
  }
}

/** The study-level query both benchmarks repeat: every study, three return keys. */
export const FIND_KEYS: readonly string[] = [
  "QueryRetrieveLevel=STUDY",
  "PatientID=*",
  "StudyInstanceUID",
  "StudyDate",
  "PatientName",
];

/** `findscu --repeat N` with `keys` ({@linkcode FIND_KEYS} by default) against `peer` (`-aec AE host port`); ms. */
export function findscu(
  peer: readonly string[],
  repeat: number,
  keys: readonly string[] = FIND_KEYS,
): Promise<number> {
  return dcmtk("findscu", [
    // Without printing each response (INFO) to the stderr this process
    // reads: ~13 KB per 20-match query, read on the event loop that an
    // in-process server shares, slowed it and findscu with it.
    "-ll",
    "warn",
    "-S",
    "--repeat",
    String(repeat),
    ...keys.flatMap((k) => ["-k", k]),
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
