/**
 * `dcm dicomdir list PATH/DICOMDIR [--json]`: the record tree of a File-set's
 * DICOMDIR (PS3.3 Annex F), one line per record indented by level with its
 * key attributes and resolved file path; with `--json`, one JSON object per
 * line per record. Missing referenced files are warnings on stderr.
 *
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { readFileSet } from "../media/mod.ts";
import { defineCommand, UsageError } from "./_args.ts";
import { fileError } from "./_file_error.ts";

/** The key attributes shown for a record, when it has them. */
const KEYS = {
  PatientID: Tag.PatientID,
  PatientName: Tag.PatientName,
  StudyInstanceUID: Tag.StudyInstanceUID,
  StudyDate: Tag.StudyDate,
  Modality: Tag.Modality,
  SeriesNumber: Tag.SeriesNumber,
  InstanceNumber: Tag.InstanceNumber,
} as const;

/** The key attributes `record` has, by keyword. */
function keysOf(dataset: Dataset): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [keyword, tag] of Object.entries(KEYS)) {
    const value = dataset.strings(tag).join("\\").trim();
    if (value !== "") out[keyword] = value;
  }
  return out;
}

/** `dcm dicomdir`. */
export const dicomdir = defineCommand({
  name: "dicomdir",
  synopsis: "list DICOMDIR",
  summary: "List the record tree of a File-set's DICOMDIR.",
  positionals: [2, 2],
  options: {
    json: {
      type: "boolean",
      default: false,
      description:
        'print one JSON object per record and line: {"type", "level", "offset", "keys", "path"}',
    },
  },
  notes: [
    "Records are listed depth first as the DICOMDIR links them; inactive records are left out.",
    "Paths are the Referenced File IDs resolved against the DICOMDIR's folder.",
  ],
}, async (values, positionals) => {
  const [action, path] = positionals as [string, string];
  if (action !== "list") throw new UsageError(`unknown action "${action}": expected list`);
  let fileSet;
  try {
    fileSet = await readFileSet(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      throw fileError(path, e);
    }
    throw e;
  }
  const lines: string[] = [];
  if (!values.json) lines.push(`File-set ${fileSet.fileSetId || "(no File-set ID)"}`);
  for (const { record, depth } of fileSet.walk()) {
    const keys = keysOf(record.dataset);
    if (values.json) {
      lines.push(JSON.stringify({
        type: record.type,
        level: depth,
        offset: record.offset,
        keys,
        ...(record.path === undefined ? {} : { path: record.path }),
      }));
    } else {
      const shown = Object.entries(keys).map(([k, v]) => `${k}=${v}`);
      if (record.path !== undefined) shown.push(record.path);
      lines.push(`${"  ".repeat(depth + 1)}${record.type || "(no type)"} ${shown.join(" ")}`);
    }
  }
  if (lines.length > 0) console.log(lines.join("\n"));
  for (const warning of fileSet.warnings) console.error(`warning: ${warning}`);
  return 0;
});
