/**
 * `dcm dicomdir list PATH/DICOMDIR [--json]`: the record tree of a File-set's
 * DICOMDIR (PS3.3 Annex F), one line per record indented by level with its
 * key attributes and resolved file path; with `--json`, one JSON object per
 * line per record. Missing referenced files are warnings on stderr.
 *
 * `dcm dicomdir create OUT FILE_OR_DIR... [--fileset-id ID] [--add] [--remove UID]`:
 * a File-set in OUT (PS3.10 §8–9): each object copied under a conformant
 * File ID, its records made, OUT/DICOMDIR written. With `--add`, an existing
 * File-set in OUT is updated instead.
 *
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { FileSetWriter, readFileSet } from "../media/mod.ts";
import { expandPaths } from "../scu/mod.ts";
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
  synopsis: "list DICOMDIR | create OUT FILE_OR_DIR...",
  summary: "List the record tree of a File-set's DICOMDIR, or create or update a File-set.",
  positionals: [2, Infinity],
  options: {
    json: {
      type: "boolean",
      default: false,
      description:
        'list: print one JSON object per record and line: {"type", "level", "offset", "keys", "path"}',
    },
    "fileset-id": {
      type: "string",
      value: "ID",
      description:
        "create: the File-set ID, up to 16 of A-Z 0-9 _ and space (default: none, or the one OUT/DICOMDIR has)",
    },
    add: {
      type: "boolean",
      default: false,
      description: "create: add to the File-set in OUT instead of refusing an existing DICOMDIR",
    },
    remove: {
      type: "string",
      multiple: true,
      default: [],
      value: "UID",
      description:
        "create: take the instance with this SOP Instance UID out (with --add; repeatable)",
    },
    invent: {
      type: "boolean",
      default: false,
      description:
        "create: fill a placeholder for a key a record requires that an object lacks, instead of refusing it",
    },
  },
  notes: [
    "list: records are listed depth first as the DICOMDIR links them; inactive records are left out.",
    "list: paths are the Referenced File IDs resolved against the DICOMDIR's folder.",
    "create: copies are named DICOM/<study>/<series>/<instance>, components hashed from the UIDs (PS3.10 8.2).",
    "create: hidden files and OUT itself are skipped in the folders given; an object that cannot be added fails the command before DICOMDIR is written.",
  ],
}, async (values, positionals) => {
  const [action, path, ...rest] = positionals as [string, string, ...string[]];
  if (action === "create") return await create(path, rest, values);
  if (action !== "list") {
    throw new UsageError(`unknown action "${action}": expected list or create`);
  }
  if (rest.length > 0) throw new UsageError("list takes one DICOMDIR");
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

/** `dcm dicomdir create OUT FILE_OR_DIR...`. */
async function create(
  out: string,
  inputs: string[],
  values: { "fileset-id"?: string | undefined; add: boolean; remove: string[]; invent: boolean },
): Promise<number> {
  if (inputs.length === 0 && values.remove.length === 0) {
    throw new UsageError("create needs OUT and at least one FILE_OR_DIR");
  }
  if (values.remove.length > 0 && !values.add) throw new UsageError("--remove needs --add");
  const dicomdir = `${out}/DICOMDIR`;
  let present = false;
  try {
    await Deno.stat(dicomdir);
    present = true;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw fileError(dicomdir, e);
  }
  if (present && !values.add) {
    throw new Error(`${dicomdir} exists: give --add to update that File-set`);
  }
  const files: string[] = [];
  for (const input of inputs) {
    try {
      files.push(...await expandPaths([input]));
    } catch (e) {
      throw fileError(input, e);
    }
  }
  const writer = await FileSetWriter.open(out, {
    ...(values["fileset-id"] === undefined ? {} : { fileSetId: values["fileset-id"] }),
    invent: values.invent,
  });
  for (const uid of values.remove) {
    if (!writer.remove(uid)) throw new Error(`${dicomdir} has no instance ${uid}`);
  }
  // The File-set's own files are not input, when OUT is under a folder given.
  const own = await Deno.realPath(out).catch(() => undefined);
  let added = 0;
  let path;
  try {
    for (const file of files) {
      const real = await Deno.realPath(file);
      if (own !== undefined && (real === own || real.startsWith(`${own}/`))) continue;
      await writer.add(file);
      added++;
    }
    path = await writer.commit();
  } catch (e) {
    await writer.discard();
    throw e;
  } finally {
    for (const warning of writer.warnings) console.error(`warning: ${warning}`);
  }
  console.log(
    `${path}: ${added} added, ${values.remove.length} removed, ${writer.instances.length} instances`,
  );
  return 0;
}
