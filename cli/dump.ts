/**
 * `dcm dump FILE [--json] [--meta] [--max-read BYTES]`: a dcmdump-like
 * listing of a Part 10 file, or with `--json` exactly one DICOM JSON object
 * (PS3.18 Annex F). Values longer than `--max-read` (64 KiB) are not read:
 * they are skipped with a seek and shown by their length (in JSON, as a
 * BulkDataURI into the file), so the header of a multi-gigabyte file is
 * listed at once, in little memory.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { type DataElement, type Dataset, type JsonDataset, toDicomJson } from "../dataset/mod.ts";
import { keywordOf } from "../dictionary/mod.ts";
import { defineCommand, UsageError } from "./_args.ts";
import { fileError } from "./_file_error.ts";
import { readPart10File } from "./_part10_file.ts";
import { type DumpRead, readForDump, type UnreadElement } from "./_dump_reader.ts";

/** Values longer than this are not read unless `--max-read` says otherwise. */
const DEFAULT_MAX_READ = 65536;

const MAX_VALUE = 66;

/** VRs whose value is bytes: shown as hex, VM 1 (as dcmdump does). */
const BINARY: readonly string[] = ["OB", "OW", "OD", "OF", "OL", "OV", "UN"];

function hex4(n: number): string {
  return n.toString(16).padStart(4, "0");
}

function tagText(tag: number): string {
  return `(${hex4(tag >>> 16)},${hex4(tag & 0xffff)})`;
}

function valueText(ds: Dataset, el: DataElement): string {
  switch (el.kind) {
    case "sequence":
      return `(Sequence with ${
        el.undefinedLength ? "undefined" : "explicit"
      } length #=${el.items.length})`;
    case "fragments":
      return `(PixelSequence #=${el.fragments.length + 1})`;
  }
  if (BINARY.includes(el.vr)) {
    const bytes = el.kind === "bytes" ? el.bytes : new Uint8Array(0);
    const shown = [...bytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("\\");
    return bytes.length > 16 ? `${shown}...` : shown || "(no value available)";
  }
  let strings: string[];
  try {
    strings = ds.strings(el.tag);
  } catch (e) {
    return `(cannot decode: ${(e as Error).message})`;
  }
  if (strings.length === 0) return "(no value available)";
  const text = ["US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"].includes(el.vr)
    ? strings.join("\\")
    : el.vr === "AT"
    ? ds.numbers(el.tag).map(tagText).join("\\")
    : `[${strings.join("\\")}]`;
  return text.length > MAX_VALUE ? text.slice(0, MAX_VALUE - 3) + "..." : text;
}

function lengthOf(el: DataElement): string {
  if (el.kind === "bytes") return String(el.bytes.length);
  if (el.kind === "fragments" || (el.kind === "sequence" && el.undefinedLength)) return "u/l";
  return "-";
}

function keywordText(tag: number): string {
  return keywordOf(tag) ?? ((tag >>> 16) & 1 ? "PrivateTag" : "UnknownTag");
}

/** A dcmdump line: `head`, padded, then `# length, VM keyword`. */
function line(indent: string, head: string, length: string, vm: number, tag: number): string {
  return `${(indent + head).padEnd(indent.length + 56)} # ${length.padStart(4)},${
    String(vm).padStart(2)
  } ${keywordText(tag)}`;
}

function* fragmentLines(indent: string, lengths: readonly number[]): Generator<string> {
  const [offsetTable = 0, ...fragments] = lengths;
  yield `${indent}  (fffe,e000) pi offset table, ${offsetTable} bytes`;
  for (const [i, n] of fragments.entries()) {
    yield `${indent}  (fffe,e000) pi fragment #${i + 1}, ${n} bytes`;
  }
}

function* elementLines(ds: Dataset, el: DataElement, indent: string): Generator<string> {
  const vm = el.kind === "sequence" || el.kind === "fragments"
    ? 1
    : el.kind === "values"
    ? el.values.length
    : BINARY.includes(el.vr)
    ? Math.min(el.bytes.length, 1)
    : Math.max(ds.strings(el.tag).length, el.bytes.length > 0 ? 1 : 0);
  yield line(indent, `${tagText(el.tag)} ${el.vr} ${valueText(ds, el)}`, lengthOf(el), vm, el.tag);
  if (el.kind === "sequence") {
    for (const [i, item] of el.items.entries()) {
      yield `${indent}  (fffe,e000) na (Item #${i + 1})`;
      yield* lines(item, indent + "    ");
    }
  } else if (el.kind === "fragments") {
    yield* fragmentLines(indent, [el.offsetTable, ...el.fragments].map((f) => f.length));
  }
}

function* unreadLines(el: UnreadElement): Generator<string> {
  const head = `${tagText(el.tag)} ${el.vr}`;
  if (el.fragments === undefined) {
    yield line("", `${head} (not loaded)`, String(el.length), 1, el.tag);
    return;
  }
  yield line("", `${head} (PixelSequence #=${el.fragments.length}, not loaded)`, "u/l", 1, el.tag);
  yield* fragmentLines("", el.fragments);
}

function* lines(ds: Dataset, indent: string): Generator<string> {
  for (const el of ds) yield* elementLines(ds, el, indent);
}

/** The top-level elements read and not read, in tag order. */
function* entries(read: DumpRead): Generator<DataElement | UnreadElement> {
  const unread = [...read.unread];
  for (const el of read.dataset) {
    while (unread.length > 0 && unread[0]!.tag < el.tag) yield unread.shift()!;
    yield el;
  }
  yield* unread;
}

function hex8(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(8, "0");
}

/** DICOM JSON with a BulkDataURI into the file for each value not read. */
function json(read: DumpRead, path: string, meta: boolean): JsonDataset {
  const known = toDicomJson(read.dataset);
  const url = pathToFileURL(path).href;
  const out: JsonDataset = meta ? toDicomJson(read.meta) : {};
  for (const el of entries(read)) {
    const key = hex8(el.tag);
    if (el.kind !== "unread") {
      if (known[key]) out[key] = known[key];
      continue;
    }
    // In a deflated data set no file offset holds the value: it is left out.
    out[key] = read.deflated
      ? { vr: el.vr }
      : { vr: el.vr, BulkDataURI: `${url}?offset=${el.offset}&length=${el.length}` };
  }
  return out;
}

/** `dcm dump`. */
export const dump = defineCommand({
  name: "dump",
  synopsis: "FILE",
  summary: "List a DICOM file's elements like dcmdump, or print it as DICOM JSON.",
  positionals: [1, 1],
  options: {
    json: {
      type: "boolean",
      default: false,
      description: "print one DICOM JSON object (PS3.18 Annex F) instead",
    },
    meta: {
      type: "boolean",
      default: false,
      description: "with --json, include the File Meta Information (group 0002)",
    },
    frames: {
      type: "boolean",
      default: false,
      description: "also decode every frame of Pixel Data (any supported transfer syntax) and " +
        "print one line per frame: size, samples, type, photometric interpretation, min/max/mean",
    },
    "max-read": {
      type: "string",
      default: String(DEFAULT_MAX_READ),
      value: "BYTES",
      description: "longer values are not read, only listed by length (JSON: BulkDataURI)",
    },
  },
  notes: [
    "A value not read is skipped with a seek, so a file of any size is listed at once. In --json it",
    'is {"vr":..., "BulkDataURI":"file:///FILE?offset=O&length=L"}: the bytes of its value field',
    "(for encapsulated Pixel Data: its items and delimiter). A deflated data set is read whole.",
  ],
}, async (values, positionals) => {
  const path = positionals[0]!;
  const maxRead = Number(values["max-read"]);
  if (!Number.isInteger(maxRead) || maxRead < 0) {
    throw new UsageError(`--max-read must be a number of bytes, not "${values["max-read"]}"`);
  }
  let file: Deno.FsFile;
  let size: number;
  try {
    file = await Deno.open(path);
    size = (await file.stat()).size;
  } catch (e) {
    throw fileError(path, e);
  }
  if (values.frames && values.json) throw new UsageError("--frames lists text: not with --json");
  const warnings: string[] = [];
  let read: DumpRead;
  try {
    read = await readForDump(file, size, { maxRead, onWarning: (m) => warnings.push(m) });
  } catch (e) {
    throw fileError(path, e);
  } finally {
    file.close();
  }
  for (const w of warnings) console.error(`warning: ${w}`);
  if (values.json) {
    if (read.deflated && read.unread.length > 0) {
      console.error(
        `warning: ${read.unread.length} value(s) longer than --max-read left out: ` +
          "a deflated data set has no file offset for a BulkDataURI (raise --max-read to include them)",
      );
    }
    console.log(JSON.stringify(json(read, path, values.meta)));
    return 0;
  }
  const out: string[] = [];
  if (read.meta.size > 0) {
    out.push(
      "",
      "# Dicom-File-Format",
      "",
      "# Dicom-Meta-Information-Header",
      `# Used TransferSyntax: Little Endian Explicit`,
    );
    out.push(...lines(read.meta, ""));
  }
  out.push("", "# Dicom-Data-Set", `# Used TransferSyntax: ${read.transferSyntax}`);
  for (const el of entries(read)) {
    out.push(...(el.kind === "unread" ? unreadLines(el) : elementLines(read.dataset, el, "")));
  }
  console.log(out.join("\n"));
  if (values.frames) console.log((await frameLines(path)).join("\n"));
  return 0;
});

/** `--frames`: each frame decoded (codecs loaded here only) and summed up in a line. */
async function frameLines(path: string): Promise<string[]> {
  const file = await readPart10File(path);
  const { readFrame, pixelInfo } = await import("../codecs/mod.ts");
  const count = pixelInfo(file.dataset).numberOfFrames;
  const out = ["", `# Frames: ${count}`];
  for (let i = 0; i < count; i++) {
    const f = await readFrame(file, i);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of f.pixels) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    out.push(
      `# Frame ${i + 1}: ${f.columns}x${f.rows}, ${f.samplesPerPixel} sample(s) of ` +
        `${f.bitsStored}/${f.bitsAllocated} bits (${f.pixels.constructor.name}), ` +
        `${f.photometricInterpretation}: min ${min} max ${max} mean ${
          (sum / f.pixels.length).toFixed(1)
        }`,
    );
  }
  return out;
}
