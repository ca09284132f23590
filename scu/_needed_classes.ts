// Finding out the storage SOP classes and transfer syntaxes a C-GET needs
// (PS3.4 C.4.3: the SCU takes the SCP role for each), by C-FIND down to
// IMAGE level.
import { Tag } from "../dictionary/mod.ts";
import { Dataset, Identifier, QUERY_MODELS, type QueryLevel, UNIQUE_KEYS } from "../dataset/mod.ts";
import { DimseStatusError, STATUS } from "../dimse/mod.ts";
import { COMMON_STORAGE_SOP_CLASSES, fallbackStorageClasses } from "./storage_classes.ts";

/** The most C-FINDs get() makes to find out the storage SOP classes it needs. */
const MAX_CLASS_QUERIES = 200;

/** An instance a C-GET will receive, as the preliminary C-FIND described it. */
export interface NeededInstance {
  /** SOP Class UID (0008,0016). */
  readonly sopClassUid: string;
  /** Available Transfer Syntax UID (0008,3002), when the peer answered it. */
  readonly transferSyntax: string | undefined;
  /** The unique keys of its levels, from the model's first level down to IMAGE. */
  readonly keys: Dataset;
}

/** What {@linkcode findNeededClasses} found out. */
export interface NeededClasses {
  /** The storage SOP classes to propose. */
  readonly classes: string[];
  /** Whether `classes` is a guess (the peer did not say). */
  readonly guessed: boolean;
  /** Each instance found, when the walk reached IMAGE level and was not a guess. */
  readonly instances: readonly NeededInstance[];
  /**
   * Whether the peer's IMAGE level matches came without SOP Class UID (DCMTK's
   * dcmqrscp keeps none in its index): another walk would not tell either.
   */
  readonly withoutSopClassUid?: boolean;
}

/**
 * The storage SOP classes a C-GET needs, and the transfer syntax each
 * instance is stored in where the peer answers Available Transfer Syntax UID
 * (0008,3002; an optional IMAGE level key, PS3.4 Table C.6-4), asked for by
 * C-FIND from the query's level down to IMAGE, one record at a time: a hierarchical query
 * carries a single unique key for each level above its own (PS3.4
 * §C.4.1.2.2.1), which strict peers such as DCMTK's dcmqrscp enforce.
 * Falls back to what was found, {@linkcode COMMON_STORAGE_SOP_CLASSES},
 * then other storage classes, 127 in all, when the model has no IMAGE
 * level, a query fails, a match lacks its SOP Class UID (DCMTK's dcmqrscp
 * does not keep it; the walk stops after the first IMAGE level query that
 * says so, and `withoutSopClassUid` tells the caller), or the walk would
 * take more than 200 queries. At STUDY level it asks for SOP Classes in
 * Study (0008,0062, PS3.4 C.6.2.1.2) too, and stops there when every study
 * answers it and `enough` says the classes need no more detail.
 */
export async function findNeededClasses(
  find: (query: Identifier, options: { signal?: AbortSignal }) => AsyncIterable<Identifier>,
  query: Identifier,
  signal: AbortSignal | undefined,
  onWarning: ((message: string) => void) | undefined,
  enough: (classes: readonly string[]) => boolean = () => false,
): Promise<NeededClasses> {
  const levels = QUERY_MODELS[query.model].levels as readonly QueryLevel[];
  const start = levels.indexOf(query.level);
  const classes = new Set<string>();
  const instances: NeededInstance[] = [];
  // SOP Classes in Study, as the STUDY level matches answered it.
  const inStudies = new Set<string>();
  let studiesSay = true;
  const fallback = (why: string): NeededClasses => {
    onWarning?.(
      `C-GET: cannot find out the storage SOP classes needed (${why}); proposing 127 common ones`,
    );
    return { classes: fallbackStorageClasses(classes), guessed: true, instances: [] };
  };
  if (!levels.includes("IMAGE") || start < 0) {
    return fallback(`${query.model} has no IMAGE level`);
  }
  const findOptions = signal ? { signal } : {};
  let queries = 0;
  try {
    // The unique keys of each record found so far, and of the levels above it.
    let records: Dataset[] = [];
    for (let depth = start; depth < levels.length; depth++) {
      const level = levels[depth]!;
      const requests: Identifier[] = [];
      if (depth === start) {
        const q = new Identifier(query.model, level);
        for (const el of query) if (el.tag !== Tag.QueryRetrieveLevel) q.setElement(el);
        requests.push(q);
      } else {
        for (const record of records) {
          const q = new Identifier(query.model, level);
          for (const el of record) q.setElement(el);
          requests.push(q);
        }
      }
      const next: Dataset[] = [];
      for (const q of requests) {
        if (++queries > MAX_CLASS_QUERIES) {
          return fallback(`more than ${MAX_CLASS_QUERIES} queries needed`);
        }
        let unknownClass = false;
        q.request(UNIQUE_KEYS[level]);
        if (level === "IMAGE") q.request(Tag.SOPClassUID, Tag.AvailableTransferSyntaxUID);
        if (level === "STUDY") q.request(Tag.SOPClassesInStudy);
        for await (const id of find(q, findOptions)) {
          if (level === "STUDY") {
            const said = id.strings(Tag.SOPClassesInStudy).filter((v) => v !== "");
            if (said.length === 0) studiesSay = false;
            for (const c of said) inStudies.add(c);
          }
          const keys = new Dataset();
          for (const l of levels.slice(0, depth + 1)) {
            const key = id.get(UNIQUE_KEYS[l]) ?? q.get(UNIQUE_KEYS[l]);
            if (key === undefined || id.strings(UNIQUE_KEYS[l]).length > 1) {
              throw new DimseStatusError("C-FIND", STATUS.PROCESSING_FAILURE, {
                errorComment: `a ${level} match came without a single ${l} unique key`,
              });
            }
            keys.setElement(key);
          }
          if (level === "IMAGE") {
            const c = id.string(Tag.SOPClassUID);
            if (!c) {
              unknownClass = true;
              continue;
            }
            classes.add(c);
            // One value: the syntax it is stored in. Several: any will do, none is "as stored".
            const syntaxes = id.strings(Tag.AvailableTransferSyntaxUID).filter((v) => v !== "");
            instances.push({
              sopClassUid: c,
              transferSyntax: syntaxes.length === 1 ? syntaxes[0] : undefined,
              keys,
            });
            continue;
          }
          next.push(keys);
        }
        // The peer keeps no SOP Class UID: the other series would not say it either
        // (issue 13: a C-FIND per series saved; the query is not cancelled, it has ended).
        if (unknownClass) {
          return {
            ...fallback("the peer's C-FIND returns no SOP Class UID"),
            withoutSopClassUid: true,
          };
        }
      }
      records = next;
      // SOP Classes in Study (0008,0062) answered for every study, and few
      // enough: no need to walk down to each instance (one C-FIND per series).
      if (level === "STUDY" && studiesSay && records.length > 0 && enough([...inStudies])) {
        return { classes: [...inStudies], guessed: false, instances: [] };
      }
    }
  } catch (e) {
    signal?.throwIfAborted();
    return fallback(e instanceof Error ? e.message : String(e));
  }
  // Nothing matched: the C-GET will have nothing to send, but needs a storage context.
  return classes.size > 0
    ? { classes: [...classes], guessed: false, instances }
    : { classes: [...COMMON_STORAGE_SOP_CLASSES], guessed: true, instances: [] };
}
