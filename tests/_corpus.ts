/**
 * The pydicom test corpus and DCMTK's reading of it, for the data set codec's
 * reference tests: which files there are, what `dcmdump` and `dcm2json` make
 * of each, and comparisons of DICOM JSON objects (PS3.18 Annex F) and of
 * decoded data sets.
 *
 * @module
 */
import {
  type DataElement,
  type Dataset,
  isTextVr,
  type JsonAttribute,
  type JsonDataset,
} from "../dataset/mod.ts";
import { formatTag } from "../dictionary/mod.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { sameBytes } from "./_storage_corpus.ts";

/** Extensions and names in the corpus that are not DICOM files. */
const NOT_DICOM = /(\.(txt|json|dump|gz|icc|md)|\/README[^/]*)$/;

/** Every candidate DICOM file of the corpus, as paths relative to {@linkcode PYDICOM_DATA}, sorted. */
export async function corpusFiles(): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(PYDICOM_DATA + dir)) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && !NOT_DICOM.test("/" + path)) out.push(path);
    }
  }
  await walk("");
  return out.sort();
}

/** Runs `fn` over `items`, `size` at a time, keeping the order of results. */
export async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(...await Promise.all(items.slice(i, i + size).map(fn)));
  }
  return out;
}

/** What a DCMTK tool did. */
export interface ToolRun {
  /** The exit code. */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

/** Runs a DCMTK tool, whatever its exit code. */
export async function runTool(name: string, args: string[]): Promise<ToolRun> {
  const out = await new Deno.Command(name, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** The warning, error and fatal lines a DCMTK tool logged. */
export function complaints(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^[WEF]: /.test(l));
}

/** DCMTK's reading of one corpus file. */
export interface Reference {
  /** The file, relative to {@linkcode PYDICOM_DATA}. */
  name: string;
  /** Whether `dcmdump` read it (exit 0). */
  readable: boolean;
  /** `dcm2json +m` of the file, or of a copy that DCMTK could convert (see the flags). */
  json: JsonDataset | undefined;
  /**
   * The items of top-level encapsulated Pixel Data as `dcmdump +W` writes
   * them (Basic Offset Table first), when the file has encapsulated pixel data.
   */
  items: Uint8Array[] | undefined;
  /** Pixel Data (7FE0,0010) was erased from the copy: dcm2json cannot write encapsulated data. */
  pixelDataErased: boolean;
  /**
   * Every (0008,0005) of the copy was set to ISO_IR 100: DCMTK's iconv cannot
   * convert ISO 2022 code extensions, so text is compared as its Latin-1 bytes.
   */
  charsetAsLatin1: boolean;
}

/**
 * Reads a corpus file with DCMTK: `dcmdump +W` for readability and the
 * encapsulated items, then `dcm2json +m`. When dcm2json refuses the file
 * (encapsulated pixel data, or a character set its iconv lacks), a copy made
 * with DCMTK's own `dcmodify` that avoids the obstacle is converted instead.
 * Temporary files go under `tmp`.
 */
export async function dcmtkReference(name: string, tmp: string): Promise<Reference> {
  const path = PYDICOM_DATA + name;
  const dir = await Deno.makeTempDir({ dir: tmp });
  // +L: values in full, or dcmdump shortens the names of long .raw paths.
  const dump = await runTool("dcmdump", ["-q", "+L", "+W", dir, path]);
  const ref: Reference = {
    name,
    readable: dump.code === 0,
    json: undefined,
    items: undefined,
    pixelDataErased: false,
    charsetAsLatin1: false,
  };
  if (!ref.readable) return ref;
  // Top-level "(fffe,e000) pi =dir/file.N.raw" lines are the pixel items, in order.
  const raws = [...dump.stdout.matchAll(/^ {2}\(fffe,e000\) pi =(\S+\.raw)/gm)].map((m) => m[1]!);
  if (raws.length > 0) ref.items = await Promise.all(raws.map((f) => Deno.readFile(f)));

  let source = path;
  for (let attempt = 0; attempt < 3; attempt++) {
    const run = await runTool("dcm2json", ["-fc", "+m", source]);
    if (run.code === 0) {
      ref.json = JSON.parse(run.stdout);
      break;
    }
    const modify: string[] = [];
    if (!ref.pixelDataErased && /compressed pixel data/.test(run.stderr)) {
      ref.pixelDataErased = true;
      modify.push("-e", "(7fe0,0010)");
    }
    if (!ref.charsetAsLatin1 && /character encoding/.test(run.stderr)) {
      ref.charsetAsLatin1 = true;
      modify.push("-ma", "(0008,0005)=ISO_IR 100");
    }
    if (modify.length === 0) throw new Error(`dcm2json ${name} failed: ${run.stderr}`);
    if (source === path) {
      source = `${dir}/copy.dcm`;
      await Deno.copyFile(path, source);
    }
    const edit = await runTool("dcmodify", ["-nb", "-imt", ...modify, source]);
    if (edit.code !== 0) throw new Error(`dcmodify ${name} failed: ${edit.stderr}`);
  }
  return ref;
}

/** Options of {@linkcode compareDicomJson}. */
export interface CompareJsonOptions {
  /** Tags (8 hex digits) whose value is not compared at any level, only presence and VR. */
  ignoreValue?: ReadonlySet<string>;
  /** Tags (8 hex digits) left out of the comparison at the top level. */
  ignoreTopLevel?: ReadonlySet<string>;
}

function bytesOf(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * A PN value for comparison: component groups without trailing empty
 * components, since "Doe^John^^^" and "Doe^John" are the same name (PS3.5
 * §6.2.1.1), and without trailing empty groups.
 */
function personName(v: unknown): string {
  if (v === null || v === undefined) return "";
  const groups = typeof v === "string" ? v.split("=") : [
    (v as Record<string, string>)["Alphabetic"] ?? "",
    (v as Record<string, string>)["Ideographic"] ?? "",
    (v as Record<string, string>)["Phonetic"] ?? "",
  ];
  return groups.map((g) => g.replace(/\^+$/, "")).join("=").replace(/=+$/, "");
}

/**
 * Numbers as DCMTK and we write them: equal as doubles; FL as floats; FD
 * within 2 ulp, as DCMTK prints 17 digits that are not always correctly
 * rounded (0.026228787661969974 for 0.02622878766196998).
 */
function sameNumber(vr: string, a: number, b: number): boolean {
  if (a === b) return true;
  if (vr === "FL" || vr === "OF") return Math.fround(a) === Math.fround(b);
  if (vr === "FD" || vr === "OD") return Math.abs(a - b) <= 2 * Number.EPSILON * Math.abs(a);
  return false;
}

function sameValue(vr: string, a: unknown, b: unknown): boolean {
  if (vr === "PN") return personName(a) === personName(b);
  const na = a === null || a === "" ? null : a;
  const nb = b === null || b === "" ? null : b;
  if (typeof na === "number" || typeof nb === "number") {
    return na !== null && nb !== null && sameNumber(vr, Number(na), Number(nb));
  }
  return na === nb;
}

/**
 * Compares our DICOM JSON with DCMTK's semantically: the same tags at every
 * level (sequences included), the same VR, the same values once number
 * formatting, empty values (absent `Value`, `null`, `""`) and empty PN
 * components are normalised, and byte-equal binary values. Group lengths
 * (gggg,0000) are left out, as dcm2json leaves them out. Returns one line per
 * difference, with the path of the attribute.
 */
export function compareDicomJson(
  ours: JsonDataset,
  theirs: JsonDataset,
  options: CompareJsonOptions = {},
  path = "",
): string[] {
  const diffs: string[] = [];
  const keys = new Set([...Object.keys(ours), ...Object.keys(theirs)]);
  for (const key of [...keys].sort()) {
    if (key.endsWith("0000")) continue;
    if (path === "" && options.ignoreTopLevel?.has(key)) continue;
    const at = `${path}(${key.slice(0, 4)},${key.slice(4)})`;
    const a = ours[key];
    const b = theirs[key];
    if (a === undefined || b === undefined) {
      diffs.push(`${at}: only in ${a === undefined ? "DCMTK's" : "our"} reading`);
      continue;
    }
    if (a.vr !== b.vr) {
      diffs.push(`${at}: VR ${a.vr}, DCMTK ${b.vr}`);
      continue;
    }
    if (options.ignoreValue?.has(key)) continue;
    diffs.push(...compareAttribute(at, a, b, options));
  }
  return diffs;
}

function compareAttribute(
  at: string,
  a: JsonAttribute,
  b: JsonAttribute,
  options: CompareJsonOptions,
): string[] {
  if (a.InlineBinary !== undefined || b.InlineBinary !== undefined) {
    if (a.InlineBinary === undefined || b.InlineBinary === undefined) {
      return [
        `${at}: InlineBinary only in ${a.InlineBinary === undefined ? "DCMTK's" : "our"} reading`,
      ];
    }
    // DCMTK pads an odd-length value with NUL as it reads it; we keep the bytes as read.
    return samePadded(bytesOf(a.InlineBinary), bytesOf(b.InlineBinary))
      ? []
      : [`${at}: InlineBinary differs`];
  }
  const va = a.Value ?? [];
  const vb = b.Value ?? [];
  if (a.vr === "SQ") {
    if (va.length !== vb.length) return [`${at}: ${va.length} items, DCMTK ${vb.length}`];
    return va.flatMap((item, i) =>
      compareDicomJson(item as JsonDataset, vb[i] as JsonDataset, options, `${at}[${i}]`)
    );
  }
  const empty = (v: unknown[]) =>
    v.every((x) => x === null || x === "" || (a.vr === "PN" && personName(x) === ""));
  if (empty(va) && empty(vb)) return [];
  if (va.length !== vb.length || va.some((x, i) => !sameValue(a.vr, x, vb[i]))) {
    return [
      `${at}: ${JSON.stringify(va).slice(0, 200)}, DCMTK ${JSON.stringify(vb).slice(0, 200)}`,
    ];
  }
  return [];
}

/** Options of {@linkcode compareDatasets}. */
export interface CompareDatasetsOptions {
  /**
   * The second data set went through Implicit VR: VRs may differ (Implicit VR
   * data takes them from the dictionary, PS3.5 §7.1.3), values may not.
   */
  implicit?: boolean;
  /**
   * The second data set went through DICOM JSON, where DS and IS are numbers,
   * text values are trimmed, -0 is 0, UN sequences are SQ and encapsulated
   * pixel data is binary (PS3.18 §F.2): text and floats are compared by value
   * where their bytes differ, encapsulated pixel data with its encapsulated
   * encoding.
   */
  viaJson?: boolean;
}

/** Whether `b` is `a`, or `a` of odd length padded by one byte as any writer must (PS3.5 §7.1). */
function samePadded(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length === b.length) return sameBytes(a, b);
  return (a.length & 1) === 1 && b.length === a.length + 1 && sameBytes(a, b.subarray(0, a.length));
}

/** The encapsulated encoding of fragments (PS3.5 §A.4): items, then a Sequence Delimitation Item. */
function encapsulate(parts: readonly Uint8Array[]): Uint8Array {
  const size = parts.reduce((n, p) => n + 8 + p.length + (p.length & 1), 8);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const p of parts) {
    view.setUint32(pos, 0xe000fffe, true);
    view.setUint32(pos + 4, p.length + (p.length & 1), true);
    out.set(p, pos + 8);
    pos += 8 + p.length + (p.length & 1);
  }
  view.setUint32(pos, 0xe0ddfffe, true);
  return out;
}

function sameNumbers(x: number[], y: number[]): boolean {
  return x.length === y.length && x.every((n, i) => n === y[i]);
}

function sameText(vr: string, x: string[], y: string[]): boolean {
  if (x.length !== y.length) return false;
  return x.every((s, i) => {
    const t = y[i]!;
    if (vr === "DS" || vr === "IS") return s.trim() === t.trim() || Number(s) === Number(t);
    if (vr === "PN") return personName(s) === personName(t);
    return s === t;
  });
}

/**
 * Compares two decoded data sets element by element: the same tags at every
 * level (data set group lengths aside, which the encoder leaves out), the same
 * VR, the same value bytes (odd lengths padded), items and fragments. Returns
 * one line per difference.
 */
export function compareDatasets(
  a: Dataset,
  b: Dataset,
  options: CompareDatasetsOptions = {},
  path = "",
): string[] {
  const diffs: string[] = [];
  const isGroupLength = (t: number) => (t & 0xffff) === 0 && t >>> 16 > 2;
  const tags = new Set([...a.tags(), ...b.tags()].filter((t) => !isGroupLength(t)));
  for (const tag of [...tags].sort((x, y) => x - y)) {
    const at = path + formatTag(tag);
    const x = a.get(tag);
    const y = b.get(tag);
    if (x === undefined || y === undefined) {
      diffs.push(`${at}: only in the ${x === undefined ? "second" : "first"} data set`);
      continue;
    }
    diffs.push(...compareElements(at, a, x, b, y, options));
  }
  return diffs;
}

function compareElements(
  at: string,
  a: Dataset,
  x: DataElement,
  b: Dataset,
  y: DataElement,
  options: CompareDatasetsOptions,
): string[] {
  const unSequenceAsSq = options.viaJson && x.kind === "sequence" && x.vr === "UN" && y.vr === "SQ";
  if (x.vr !== y.vr && !options.implicit && !unSequenceAsSq) {
    return [`${at}: VR ${x.vr}, then ${y.vr}`];
  }
  if (x.kind === "fragments" && y.kind === "bytes" && options.viaJson) {
    return sameBytes(encapsulate([x.offsetTable, ...x.fragments]), y.bytes)
      ? []
      : [`${at}: encapsulated pixel data differs`];
  }
  if (x.kind !== y.kind) return [`${at}: ${x.kind}, then ${y.kind}`];
  if (x.kind === "sequence" && y.kind === "sequence") {
    if (x.items.length !== y.items.length) {
      return [`${at}: ${x.items.length} items, then ${y.items.length}`];
    }
    return x.items.flatMap((item, i) => compareDatasets(item, y.items[i]!, options, `${at}[${i}]`));
  }
  if (x.kind === "fragments" && y.kind === "fragments") {
    const xs = [x.offsetTable, ...x.fragments];
    const ys = [y.offsetTable, ...y.fragments];
    const same = xs.length === ys.length && xs.every((f, i) => samePadded(f, ys[i]!));
    return same ? [] : [`${at}: fragments differ`];
  }
  if (x.kind === "bytes" && y.kind === "bytes" && !samePadded(x.bytes, y.bytes)) {
    if (options.viaJson && isTextVr(x.vr) && sameText(x.vr, a.strings(x.tag), b.strings(y.tag))) {
      return [];
    }
    // A float of -0 is 0 in JSON text.
    const floats = x.vr === "FL" || x.vr === "FD";
    if (options.viaJson && floats && sameNumbers(a.numbers(x.tag), b.numbers(y.tag))) return [];
    return [`${at}: ${x.bytes.length} bytes, then ${y.bytes.length}`];
  }
  return [];
}

/** A stream that delivers `bytes` in chunks of `size`, copied, as a file or socket would. */
export function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream({
    pull(controller) {
      if (pos >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(pos, pos + size));
      pos += size;
    },
  });
}
