// -k Keyword=value options: building an Identifier like DCMTK's findscu -k,
// sequence paths included ("ScheduledProcedureStepSequence[0].Modality=MR").
import {
  Dataset,
  type FindModel,
  Identifier,
  type QueryLevel,
  type QueryModel,
  WORKLIST_MODELS,
} from "../dataset/mod.ts";
import { formatTag, lookupElement, parseTag, Tag } from "../dictionary/mod.ts";
import { UsageError } from "./_args.ts";

const MODELS: Record<string, QueryModel> = {
  study: "STUDY_ROOT",
  patient: "PATIENT_ROOT",
  psonly: "PATIENT_STUDY_ONLY",
};

/** The highest item index a key path may name: paths are typed by hand. */
const MAX_ITEM_INDEX = 999;

/** Reads `--model` (study, patient or psonly). */
export function modelOf(text: string | undefined): QueryModel {
  const model = MODELS[(text ?? "study").toLowerCase()];
  if (!model) throw new UsageError(`--model must be study, patient or psonly, not "${text}"`);
  return model;
}

/** One step of a key path: a tag, and the item index when it goes into a sequence. */
interface PathStep {
  readonly tag: number;
  readonly index: number | undefined;
}

/**
 * Parses a key path: `Keyword`, `(gggg,eeee)` or `ggggeeee`, each but the
 * last followed by `[i]`, joined by dots (the last may have `[i]` too: an
 * item with no keys).
 */
function parsePath(path: string): PathStep[] {
  const steps: PathStep[] = [];
  const parts = path.split(".");
  for (const [n, part] of parts.entries()) {
    const m = /^([^[\]]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m) throw new UsageError(`-k ${path}: "${part}" is not Keyword or Keyword[index]`);
    let tag;
    try {
      tag = parseTag(m[1]!);
    } catch (e) {
      throw new UsageError(`-k ${path}: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
    const index = m[2] === undefined ? undefined : Number(m[2]);
    if (index !== undefined && index > MAX_ITEM_INDEX) {
      throw new UsageError(`-k ${path}: item index ${index} is over ${MAX_ITEM_INDEX}`);
    }
    if (index === undefined && n < parts.length - 1) {
      throw new UsageError(`-k ${path}: "${part}" needs an item index, as in ${part}[0]`);
    }
    steps.push({ tag, index });
  }
  return steps;
}

/** The item `index` of the sequence `tag` in `ds`, created (with any items before it) if need be. */
function itemOf(ds: Dataset, tag: number, index: number, path: string): Dataset {
  const el = ds.get(tag);
  const vr = el?.vr ?? lookupElement(tag)?.vr ?? "SQ";
  if ((el !== undefined && el.kind !== "sequence") || vr !== "SQ") {
    throw new UsageError(`-k ${path}: ${formatTag(tag)} (${vr}) is not a sequence`);
  }
  const items = el?.kind === "sequence" ? [...el.items] : [];
  while (items.length <= index) items.push(new Dataset());
  try {
    if (el === undefined || items.length !== el.items.length) ds.set(tag, items, "SQ");
  } catch (e) {
    throw new UsageError(`-k ${path}: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  return items[index]!;
}

/** Sets one `-k` key, following its path into sequence items. */
function setKey(id: Dataset, path: string, value: string): void {
  const steps = parsePath(path);
  let ds = id;
  for (const [n, step] of steps.entries()) {
    const last = n === steps.length - 1;
    if (step.index !== undefined) {
      ds = itemOf(ds, step.tag, step.index, path);
      if (last && value !== "") {
        throw new UsageError(`-k ${path}: an item takes no value; name a key inside it`);
      }
      continue;
    }
    if (!last) continue;
    try {
      ds.set(step.tag, value === "" ? null : value.split("\\"));
    } catch (e) {
      throw new UsageError(`-k ${path}: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
  }
}

/**
 * Builds an identifier from `-k` options: `Keyword=value` sets a matching
 * key, `Keyword` (or `Keyword=`) asks for a return key; tags may be given as
 * `(0010,0020)` or `00100020`; `Sequence[i].Keyword[=value]` puts the key in
 * item i of a sequence (nesting as deep as needed). In a Query/Retrieve model
 * QueryRetrieveLevel is required; a worklist model has none.
 */
export function identifierOf<M extends FindModel>(
  model: M,
  keys: readonly string[],
): Identifier<M> {
  const pairs = keys.map((k) => {
    const i = k.indexOf("=");
    return i < 0 ? [k, ""] as const : [k.slice(0, i), k.slice(i + 1)] as const;
  });
  const isLevel = (k: string) =>
    k === "QueryRetrieveLevel" || parseTagOrUndefined(k) === Tag.QueryRetrieveLevel;
  let id: Identifier<M>;
  if (Object.hasOwn(WORKLIST_MODELS, model)) {
    const level = pairs.find(([k]) => isLevel(k));
    if (level) {
      throw new UsageError(`-k ${level[0]}: a worklist query has no QueryRetrieveLevel`);
    }
    id = new (Identifier as new (model: M) => Identifier<M>)(model);
  } else {
    const level = pairs.find(([k]) => isLevel(k))?.[1];
    if (!level) {
      throw new UsageError("-k QueryRetrieveLevel=PATIENT|STUDY|SERIES|IMAGE is required");
    }
    try {
      id = new (Identifier as new (model: M, level: QueryLevel) => Identifier<M>)(
        model,
        level.toUpperCase() as QueryLevel,
      );
    } catch (e) {
      throw new UsageError(`-k QueryRetrieveLevel=${level}: ${e instanceof Error ? e.message : e}`);
    }
  }
  for (const [k, v] of pairs) {
    if (isLevel(k)) continue;
    setKey(id, k, v);
  }
  return id;
}

/**
 * Builds a data set from `-k Keyword=value` options (`dcm encapsulate`,
 * `dcm mpps`): tags as keywords, `(0010,0020)` or `00100020`; a backslash
 * separates values; `Keyword=` (or `Keyword`) sets an empty value;
 * `Sequence[i].Keyword=value` sets it in item i of a sequence, adding the
 * items before it (nesting as deep as needed).
 */
export function attributesOf(keys: readonly string[]): Dataset {
  const ds = new Dataset();
  for (const key of keys) {
    const i = key.indexOf("=");
    i < 0 ? setKey(ds, key, "") : setKey(ds, key.slice(0, i), key.slice(i + 1));
  }
  return ds;
}

function parseTagOrUndefined(text: string): number | undefined {
  try {
    return parseTag(text);
  } catch {
    return undefined;
  }
}
