/**
 * `dcm dump FILE [--json] [--meta]`: a dcmdump-like listing of a Part 10
 * file, or with `--json` exactly one DICOM JSON object (PS3.18 Annex F).
 *
 * @module
 */
import { parseArgs } from "./_args.ts";
import { keywordOf } from "../dictionary/mod.ts";
import { type Dataset, readPart10, toDicomJson } from "../dataset/mod.ts";
import type { DataElement } from "../dataset/mod.ts";

const MAX_VALUE = 66;

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
  if (["OB", "OW", "OD", "OF", "OL", "OV", "UN"].includes(el.vr)) {
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
  if (el.kind === "sequence" && el.undefinedLength) return "u/l";
  return "-";
}

function* lines(ds: Dataset, indent: string): Generator<string> {
  for (const el of ds) {
    const head = `${indent}${tagText(el.tag)} ${el.vr} ${valueText(ds, el)}`;
    const vm = el.kind === "sequence"
      ? 1
      : el.kind === "fragments"
      ? 1
      : el.kind === "values"
      ? el.values.length
      : Math.max(ds.strings(el.tag).length, el.bytes.length > 0 ? 1 : 0);
    const keyword = keywordOf(el.tag) ?? ((el.tag >>> 16) & 1 ? "PrivateTag" : "UnknownTag");
    yield `${head.padEnd(indent.length + 56)} # ${lengthOf(el).padStart(4)},${
      String(vm).padStart(2)
    } ${keyword}`;
    if (el.kind === "sequence") {
      for (const [i, item] of el.items.entries()) {
        yield `${indent}  (fffe,e000) na (Item #${i + 1})`;
        yield* lines(item, indent + "    ");
      }
    } else if (el.kind === "fragments") {
      yield `${indent}  (fffe,e000) pi offset table, ${el.offsetTable.length} bytes`;
      for (const [i, f] of el.fragments.entries()) {
        yield `${indent}  (fffe,e000) pi fragment #${i + 1}, ${f.length} bytes`;
      }
    }
  }
}

/** Runs `dcm dump`; returns the exit code. */
export async function dump(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, meta: { type: "boolean" } },
  });
  const path = positionals[0];
  if (positionals.length !== 1 || path === undefined) {
    throw new TypeError("usage: dcm dump FILE [--json] [--meta]");
  }
  const warnings: string[] = [];
  using file = await Deno.open(path);
  const result = await readPart10(file.readable, { onWarning: (m) => warnings.push(m) });
  for (const w of warnings) console.error(`warning: ${w}`);
  if (values.json) {
    const json = values.meta
      ? { ...toDicomJson(result.meta), ...toDicomJson(result.dataset) }
      : toDicomJson(result.dataset);
    console.log(JSON.stringify(json));
    return 0;
  }
  const out: string[] = [];
  if (result.meta.size > 0) {
    out.push(
      "",
      "# Dicom-File-Format",
      "",
      "# Dicom-Meta-Information-Header",
      `# Used TransferSyntax: Little Endian Explicit`,
    );
    out.push(...lines(result.meta, ""));
  }
  out.push("", "# Dicom-Data-Set", `# Used TransferSyntax: ${result.transferSyntax}`);
  out.push(...lines(result.dataset, ""));
  console.log(out.join("\n"));
  return 0;
}
