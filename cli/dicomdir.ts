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
import { type Dataset, decodePart10Header } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
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
    "create: in the folders given, hidden files, OUT itself and files that are not Part 10 are skipped; a DICOMDIR stands for the files it references.",
    "create: an object that cannot be added fails the command before DICOMDIR is written, and the copies made are deleted.",
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
  const files = await gather(inputs);
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
    for (const [real, file] of files) {
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

/** What a file is, from its meta information: a DICOMDIR, another Part 10 file, or not DICOM. */
async function sniff(path: string): Promise<"dicomdir" | "part10" | "other"> {
  using file = await Deno.open(path);
  const head = new Uint8Array(1 << 16);
  let length = 0;
  for (let n; length < head.length && (n = await file.read(head.subarray(length))) !== null;) {
    length += n;
  }
  try {
    const { meta } = decodePart10Header(head.subarray(0, length));
    if (!meta.has(Tag.TransferSyntaxUID)) return "other";
    return meta.string(Tag.MediaStorageSOPClassUID) === Uid.MediaStorageDirectoryStorage
      ? "dicomdir"
      : "part10";
  } catch {
    return "other";
  }
}

/**
 * The files to add, by real path (each once): files given, the files under
 * folders given (those that are not Part 10 files skipped with a warning),
 * and for a DICOMDIR the files its records reference rather than itself.
 */
async function gather(inputs: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const take = async (file: string) => {
    const real = await Deno.realPath(file).catch((e) => {
      throw fileError(file, e);
    });
    if (!out.has(real)) out.set(real, file);
  };
  for (const input of inputs) {
    let info;
    try {
      info = await Deno.stat(input);
    } catch (e) {
      throw fileError(input, e);
    }
    const inFolder = info.isDirectory;
    for (const file of inFolder ? await expandPaths([input]) : [input]) {
      const kind = await sniff(file).catch((e) => {
        throw fileError(file, e);
      });
      if (kind === "dicomdir") {
        let fileSet;
        try {
          fileSet = await readFileSet(file);
        } catch (e) {
          if (!inFolder) throw e;
          console.error(`warning: skipped ${file}: ${e instanceof Error ? e.message : e}`);
          continue;
        }
        for (const warning of fileSet.warnings) console.error(`warning: ${file}: ${warning}`);
        for (const { record } of fileSet.walk()) {
          // A missing file is one of the warnings just printed.
          if (record.path !== undefined && await exists(record.path)) await take(record.path);
        }
      } else if (kind === "other" && inFolder) {
        console.error(`warning: skipped ${file}: not a DICOM Part 10 file`);
      } else {
        await take(file);
      }
    }
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw fileError(path, e);
  }
}
