// -k Keyword=value options: building an Identifier like DCMTK's findscu -k.
import { Dataset, Identifier, type QueryLevel, type QueryModel } from "../dataset/mod.ts";
import { parseTag, Tag } from "../dictionary/mod.ts";
import { UsageError } from "./_args.ts";

const MODELS: Record<string, QueryModel> = {
  study: "STUDY_ROOT",
  patient: "PATIENT_ROOT",
  psonly: "PATIENT_STUDY_ONLY",
};

/** Reads `--model` (study, patient or psonly). */
export function modelOf(text: string | undefined): QueryModel {
  const model = MODELS[(text ?? "study").toLowerCase()];
  if (!model) throw new UsageError(`--model must be study, patient or psonly, not "${text}"`);
  return model;
}

/**
 * Builds an identifier from `-k` options: `Keyword=value` sets a matching
 * key, `Keyword` (or `Keyword=`) asks for a return key; tags may be given as
 * `(0010,0020)` or `00100020`. QueryRetrieveLevel is required.
 */
export function identifierOf(model: QueryModel, keys: readonly string[]): Identifier {
  const pairs = keys.map((k) => {
    const i = k.indexOf("=");
    return i < 0 ? [k, ""] as const : [k.slice(0, i), k.slice(i + 1)] as const;
  });
  const level = pairs.find(([k]) =>
    k === "QueryRetrieveLevel" || parseTagOrUndefined(k) === Tag.QueryRetrieveLevel
  )?.[1];
  if (!level) throw new UsageError("-k QueryRetrieveLevel=PATIENT|STUDY|SERIES|IMAGE is required");
  const id = new Identifier(model, level.toUpperCase() as QueryLevel);
  for (const [k, v] of pairs) {
    let tag;
    try {
      tag = parseTag(k);
    } catch (e) {
      throw new UsageError(`-k ${k}: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
    if (tag === Tag.QueryRetrieveLevel) continue;
    id.set(tag, v === "" ? null : v.split("\\"));
  }
  return id;
}

/**
 * Builds a data set from `-k Keyword=value` options (`dcm encapsulate`):
 * tags as keywords, `(0010,0020)` or `00100020`; a backslash separates values;
 * `Keyword=` (or `Keyword`) sets an empty value.
 */
export function attributesOf(keys: readonly string[]): Dataset {
  const ds = new Dataset();
  for (const key of keys) {
    const i = key.indexOf("=");
    const [k, v] = i < 0 ? [key, ""] : [key.slice(0, i), key.slice(i + 1)];
    let tag;
    try {
      tag = parseTag(k);
    } catch (e) {
      throw new UsageError(`-k ${k}: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
    try {
      ds.set(tag, v === "" ? null : v.split("\\"));
    } catch (e) {
      throw new UsageError(`-k ${key}: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
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
