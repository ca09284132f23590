// -k options that build a data set of attributes (not a query): keywords or
// tags, with paths into sequence items, e.g.
// `-k "ScheduledStepAttributesSequence[0].StudyInstanceUID=1.2.3"`.
import { Dataset } from "../dataset/mod.ts";
import { lookupElement, parseTag } from "../dictionary/mod.ts";
import { UsageError } from "./_args.ts";

function tagOf(key: string, text: string): number {
  try {
    return parseTag(text);
  } catch (e) {
    throw new UsageError(`-k ${key}: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
}

/**
 * Sets `-k` options on `dataset`: `Keyword=value` (several values split at
 * `\`), `Keyword=` or `Keyword` for an empty value (an empty sequence for a
 * sequence), `Sequence[i].Keyword=value` into the item at index `i`
 * (items up to `i` are added as needed). Returns `dataset`.
 */
export function setAttributeKeys(dataset: Dataset, keys: readonly string[]): Dataset {
  for (const key of keys) {
    const eq = key.indexOf("=");
    const path = eq < 0 ? key : key.slice(0, eq);
    const value = eq < 0 ? "" : key.slice(eq + 1);
    const steps = path.split(".");
    let target = dataset;
    for (const step of steps.slice(0, -1)) {
      const m = /^(.+)\[(\d+)\]$/.exec(step);
      if (!m) throw new UsageError(`-k ${key}: "${step}" is not Sequence[index]`);
      const tag = tagOf(key, m[1]!);
      if (lookupElement(tag)?.vr !== "SQ") {
        throw new UsageError(`-k ${key}: ${m[1]} is not a sequence`);
      }
      const index = Number(m[2]);
      const items = target.items(tag);
      while (items.length <= index) items.push(new Dataset({ parent: target }));
      target.set(tag, items);
      target = items[index]!;
    }
    const last = steps.at(-1)!;
    const tag = tagOf(key, last);
    try {
      target.set(tag, value === "" ? null : value.split("\\"));
    } catch (e) {
      throw new UsageError(`-k ${key}: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
  }
  return dataset;
}
