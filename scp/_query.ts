// Query/Retrieve SCP internals: identifier checks, matching and response
// identifiers (PS3.4 C.4.1, C.6). Used by query_retrieve_scp.ts.
import { lookupUid, Tag } from "../dictionary/mod.ts";
import { DicomError } from "../errors.ts";
import {
  type DataElement,
  Dataset,
  QUERY_MODELS,
  type QueryLevel,
  type QueryModel,
  UNIQUE_KEYS,
} from "../dataset/mod.ts";
import {
  type IncomingRequest,
  type RequestContext,
  type RequestHandler,
  STATUS,
} from "../dimse/mod.ts";
import {
  type Archive,
  hasMatchingKeys,
  isDerivedAttribute,
  levelDepth,
  levelOf,
  matches,
  MatchingKeyError,
  validateQuery,
} from "../archive/mod.ts";
import type { ArchivedInstance } from "../archive/mod.ts";
import {
  IdentifierTooLargeError,
  isRelational,
  NoContextError,
  readIdentifier,
  type SentObject,
} from "../service/mod.ts";

/** SOP Instance UID and Instance Number: the IMAGE level keys (PS3.4 Table C.6-4). */
export const IMAGE_KEYS: ReadonlySet<number> = new Set([UNIQUE_KEYS.IMAGE, Tag.InstanceNumber]);

/** Every Q/R SOP class with its model and operation. */
export const QR_CLASSES = new Map<
  string,
  { model: QueryModel; operation: "find" | "move" | "get" }
>();
for (
  const [model, info] of Object.entries(QUERY_MODELS) as [
    QueryModel,
    typeof QUERY_MODELS[QueryModel],
  ][]
) {
  for (const operation of ["find", "move", "get"] as const) {
    QR_CLASSES.set(info[operation], { model, operation });
  }
}

/** A failure the handlers answer with a status instead of a pending stream. */
export class QueryFailure extends DicomError {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Reads a request's identifier, up to `maxLength` bytes; what is not one is
 * answered with a status: A700 (out of resources) past the limit, C000
 * when it cannot be decoded.
 */
export async function identifierOf(
  request: IncomingRequest,
  maxLength?: number,
): Promise<Dataset> {
  if (!request.dataset) {
    throw new QueryFailure(STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, "No identifier");
  }
  try {
    return await readIdentifier(
      request.dataset,
      request.transferSyntax,
      maxLength === undefined ? {} : { maxLength },
    );
  } catch (e) {
    if (e instanceof IdentifierTooLargeError) {
      throw new QueryFailure(STATUS.OUT_OF_RESOURCES, e.message);
    }
    throw new QueryFailure(
      STATUS.CANNOT_UNDERSTAND,
      `Cannot decode the identifier: ${(e as Error).message}`,
    );
  }
}

/** Checks the level and the keys of an identifier against the model (PS3.4 §C.4.1.2.1, §C.6). */
export function checkIdentifier(
  model: QueryModel,
  identifier: Dataset,
  relational: boolean,
): QueryLevel {
  const level = identifier.string(Tag.QueryRetrieveLevel);
  const levels = QUERY_MODELS[model].levels as readonly string[];
  if (level === undefined || !levels.includes(level)) {
    throw new QueryFailure(
      STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
      `Query/Retrieve Level "${level ?? ""}" is not one of ${levels.join(", ")}`,
    );
  }
  const depth = levelDepth(level as QueryLevel);
  if (!relational) {
    for (const el of identifier) {
      const l = levelOf(el.tag);
      // Keys below the query level are not allowed in a hierarchical query
      // (PS3.4 §C.4.1.3.1). Attributes we do not know count as instance
      // attributes; of those, only the IMAGE level keys of Table C.6-4 that
      // no other level has are refused, so unknown keys stay return keys.
      if (l === "IMAGE" && !IMAGE_KEYS.has(el.tag)) continue;
      if (levelDepth(l) > depth) {
        throw new QueryFailure(
          STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
          `A ${l} level key is below the ${level} level`,
        );
      }
    }
  }
  try {
    validateQuery(identifier);
  } catch (e) {
    if (e instanceof MatchingKeyError) throw new QueryFailure(STATUS.CANNOT_UNDERSTAND, e.message);
    throw e;
  }
  return level as QueryLevel;
}

/** The UID (or patient ID) lists that narrow the search before matching. */
export function uniqueKeys(identifier: Dataset): Partial<Record<QueryLevel, string[]>> {
  const out: Partial<Record<QueryLevel, string[]>> = {};
  for (const level of ["PATIENT", "STUDY", "SERIES", "IMAGE"] as const) {
    const values = identifier.strings(UNIQUE_KEYS[level]).filter((v) => v !== "");
    if (values.length > 0 && !values.some((v) => /[*?]/.test(v))) out[level] = values;
  }
  return out;
}

/** Builds a response identifier: each requested key from the record, or empty (PS3.4 §C.4.1.1.3.2). */
export function responseFor(
  query: Dataset,
  record: Dataset,
  level: QueryLevel,
  aeTitle: string,
): Dataset {
  const out = new Dataset();
  const charset = record.get(Tag.SpecificCharacterSet);
  if (charset) out.setElement(charset);
  for (const key of query) {
    if (key.tag === Tag.SpecificCharacterSet || (key.tag & 0xffff) === 0) continue;
    if (key.tag === Tag.QueryRetrieveLevel) {
      out.set(Tag.QueryRetrieveLevel, level, "CS");
      continue;
    }
    if (key.tag === Tag.RetrieveAETitle) {
      out.set(Tag.RetrieveAETitle, aeTitle, "AE");
      continue;
    }
    const have: DataElement | undefined = record.get(key.tag);
    if (have) out.setElement(have);
    else if (key.kind === "sequence") out.set(key.tag, [], "SQ");
    else out.set(key.tag, null, key.vr);
  }
  return out;
}

/**
 * Splits a relational query's keys (PS3.4 §C.4.1.2.2.2) into those of the
 * query level and above, and the matching keys of the levels below with the
 * deepest of those levels (`undefined` when there are none).
 */
export function splitRelational(
  identifier: Dataset,
  level: QueryLevel,
): { here: Dataset; below: Dataset; deepest: QueryLevel | undefined } {
  const here = new Dataset();
  const below = new Dataset();
  let deepest: QueryLevel | undefined;
  for (const el of identifier) {
    const l = levelOf(el.tag);
    const emptyKey = el.kind !== "sequence" && identifier.strings(el.tag).every((v) => v === "");
    if (levelDepth(l) <= levelDepth(level) || emptyKey || isDerivedAttribute(el.tag)) {
      here.setElement(el);
      continue;
    }
    below.setElement(el);
    if (deepest === undefined || levelDepth(l) > levelDepth(deepest)) deepest = l;
  }
  return { here, below, deepest };
}

/**
 * Finds the records an identifier matches, lazily. In a relational query,
 * a record matches keys of lower levels when one of the entities below it
 * does (PS3.4 §C.4.1.2.2.2).
 */
export function* search(
  archive: Archive,
  identifier: Dataset,
  level: QueryLevel,
  relational = false,
): Generator<{ dataset: Dataset; key: number }> {
  const derivedWanted = [...identifier].some((el) => isDerivedAttribute(el.tag));
  const { here, below, deepest } = relational
    ? splitRelational(identifier, level)
    : { here: identifier, below: undefined, deepest: undefined };
  // A query of return keys only (e.g. PatientID=* and empty keys) matches every record.
  const matching = hasMatchingKeys(here);
  // SQL narrows by the keys it can judge (archive/_sql_match.ts); matches() decides.
  for (const record of archive.records(level, uniqueKeys(identifier), here)) {
    if (derivedWanted) {
      for (const el of archive.derived(level, record.key)) record.dataset.setElement(el);
    }
    if (matching && !matches(here, record.dataset)) continue;
    if (deepest !== undefined && below !== undefined) {
      // The record's own unique key (and those above it) narrow the entities below.
      const narrow: Partial<Record<QueryLevel, string[]>> = { ...uniqueKeys(below) };
      for (const l of ["PATIENT", "STUDY", "SERIES"] as const) {
        if (levelDepth(l) > levelDepth(level)) break;
        const v = record.dataset.string(UNIQUE_KEYS[l]);
        if (v !== undefined) narrow[l] = [v];
      }
      let found = false;
      for (const child of archive.records(deepest, narrow, below)) {
        if (matches(below, child.dataset)) {
          found = true;
          break;
        }
      }
      if (!found) continue;
    }
    yield record;
  }
}

/** The request type of each Q/R operation. */
const REQUEST_TYPE = { find: "C-FIND-RQ", move: "C-MOVE-RQ", get: "C-GET-RQ" } as const;

/** A Q/R operation. */
export type QueryOperation = keyof typeof REQUEST_TYPE;

/** The request type of a Q/R operation, e.g. "C-MOVE-RQ" for "move". */
export type QueryRequestType<O extends QueryOperation> = (typeof REQUEST_TYPE)[O];

/** What a Q/R service does with a request whose identifier passed the checks. */
export type QueryRun<T extends QueryRequestType<QueryOperation>> = (
  identifier: Dataset,
  level: QueryLevel,
  relational: boolean,
  request: IncomingRequest<T>,
  context: RequestContext<T>,
) => Promise<void>;

/**
 * A request handler for one Q/R operation: refuses a SOP class of another
 * operation, reads and checks the identifier, runs `run`, and answers a
 * {@linkcode QueryFailure} with its status.
 */
export function queryHandler<O extends QueryOperation>(
  operation: O,
  run: QueryRun<QueryRequestType<O>>,
  maxIdentifierLength?: number,
): RequestHandler<QueryRequestType<O>> {
  return async (request, context) => {
    const cls = QR_CLASSES.get(request.abstractSyntax);
    if (!cls || cls.operation !== operation) {
      return context.respond({ status: STATUS.SOP_CLASS_NOT_SUPPORTED });
    }
    try {
      const identifier = await identifierOf(request, maxIdentifierLength);
      const relational = isRelational(context.channel.association, request.abstractSyntax);
      const level = checkIdentifier(cls.model, identifier, relational);
      await run(identifier, level, relational, request, context);
    } catch (e) {
      if (!(e instanceof QueryFailure)) throw e;
      await context.respond({ status: e.status, errorComment: e.message.slice(0, 64) });
    }
  };
}

/** The instances under the records an identifier matches, each once. */
export function instancesFor(
  archive: Archive,
  identifier: Dataset,
  level: QueryLevel,
): ArchivedInstance[] {
  const seen = new Set<string>();
  const out: ArchivedInstance[] = [];
  for (const record of search(archive, identifier, level)) {
    for (const i of archive.instances(level, record.key)) {
      if (!seen.has(i.sopInstanceUid)) {
        seen.add(i.sopInstanceUid);
        out.push(i);
      }
    }
  }
  return out;
}

/**
 * Milliseconds between pending C-MOVE / C-GET responses at most, by
 * default: the first sub-operation's outcome is reported at once, the next
 * ones once this long has passed since the last report.
 */
export const DEFAULT_PENDING_INTERVAL = 100;

/**
 * Whether a pending response is due for the sub-operation that just ended:
 * the first one, then at most one per `interval` ms (0: every one). Pending
 * responses are optional (PS3.4 C.4.2.3.1 and C.4.3.3.1: the SCP "may
 * optionally generate" them); each costs a write and the peer a read, on
 * the path the next sub-operation waits on (issue 13).
 */
export function pendingPacer(interval: number): () => boolean {
  let last = -Infinity;
  return () => {
    if (interval <= 0) return true;
    const now = performance.now();
    if (now - last < interval) return false;
    last = now;
    return true;
  };
}

/** Sub-operation counts of a C-MOVE or C-GET (PS3.7 Table 9.1-3 / 9.1-4). */
export interface SubOperationCounts {
  completed: number;
  failed: number;
  warning: number;
  remaining: number;
}

/**
 * Why a sub-operation failed, short enough for an Error Comment (issue 12):
 * no accepted context for the object's syntax, a file the archive cannot
 * read, or the peer's status; each reads differently, where all used to
 * end in the same A702.
 */
export function subOperationFailure(
  sent: Pick<SentObject, "status" | "error"> & { readonly errorComment?: string | undefined },
): string {
  const e = sent.error;
  if (e instanceof NoContextError) {
    // Keywords, short enough for the 64 characters of an Error Comment; the SOP
    // class last, in parentheses, so that finishRetrieve() can drop it to fit.
    const keyword = (uid: string) => lookupUid(uid)?.keyword || uid;
    return `no accepted context for ${keyword(e.transferSyntax)} (${keyword(e.sopClassUid)})`;
  }
  if (sent.status !== undefined) {
    const hex = sent.status.toString(16).toUpperCase().padStart(4, "0");
    return `the peer answered ${hex}${sent.errorComment ? ` (${sent.errorComment})` : ""}`;
  }
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
    return `cannot read the archived file (${e.name})`;
  }
  return e?.message ?? "unknown";
}

/**
 * An Error Comment (LO: at most 64 characters, PS3.7 Annex C): a trailing
 * parenthesis that does not fit is dropped whole, anything else cut.
 */
function errorComment(text: string): string {
  if (text.length <= 64) return text;
  const shorter = text.replace(/ \([^()]*\)$/, "");
  return shorter.slice(0, 64);
}

/**
 * Sends the final response of a C-MOVE or C-GET; `reason`, the first failed
 * sub-operation's cause, becomes its Error Comment (0000,0902, LO: at most
 * 64 characters) when any failed.
 */
export async function finishRetrieve(
  context: RequestContext,
  counts: SubOperationCounts,
  failedUids: string[],
  reason?: string,
): Promise<void> {
  const cancelled = context.signal.aborted;
  // PS3.4 C.4.2.2.1 and C.4.3.2.1 (how the SCU reads the final status):
  // Success when every sub-operation succeeded; Warning when some
  // succeeded and some failed or warned, or all warned; "Failure or
  // Refused" when all were unsuccessful, for which we send A702 (Refused:
  // Out of Resources, unable to perform sub-operations).
  const allFailed = counts.failed > 0 && counts.completed === 0 && counts.warning === 0;
  const status = cancelled
    ? STATUS.CANCEL
    : allFailed
    ? STATUS.OUT_OF_RESOURCES_SUB_OPERATIONS
    : counts.failed > 0 || counts.warning > 0
    ? STATUS.SUB_OPERATIONS_COMPLETE_WITH_FAILURES
    : STATUS.SUCCESS;
  const fields = {
    status,
    completed: counts.completed,
    failed: counts.failed,
    warning: counts.warning,
    ...(cancelled ? { remaining: counts.remaining } : {}),
    ...(counts.failed > 0 && reason !== undefined && !cancelled
      ? { errorComment: errorComment(`${counts.failed} failed: ${reason}`) }
      : {}),
  };
  const identifier = failedUids.length > 0
    ? new Dataset().set(Tag.FailedSOPInstanceUIDList, failedUids, "UI")
    : undefined;
  await context.respond(fields, identifier);
}
