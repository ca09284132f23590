/**
 * The Modality Worklist C-FIND as a provider (PS3.4 Annex K), as one unit:
 * the request handler of the Modality Worklist Information Model – FIND SOP
 * class, answering from a folder of worklist files (as DCMTK's `wlmscpfs`
 * keeps them) or from a callback of your own.
 *
 * @module
 */
import {
  matches,
  MatchingKeyError,
  returnKeys,
  validateQuery,
  WORKLIST_DATE_TIME_PAIRS,
} from "../archive/mod.ts";
import { type DataElement, Dataset } from "../dataset/mod.ts";
import { formatTag, Uid } from "../dictionary/mod.ts";
import { type RequestHandler, STATUS } from "../dimse/mod.ts";
import { identifierOf, QueryFailure } from "./_query.ts";
import { readWorklistFolder } from "./_worklist_files.ts";

/** What a worklist source is told about the query it answers. */
export interface WorklistQueryInfo {
  /** The Called AE Title of the association the query came on. */
  readonly calledAeTitle: string;
  /** The Calling AE Title (the modality asking). */
  readonly callingAeTitle: string;
  /** Aborted on C-CANCEL or when the association ends: stop reading. */
  readonly signal: AbortSignal;
}

/**
 * Gives the worklist items a query is matched against: every item, or any
 * narrower set that holds all the matches (the service matches each item
 * again). Called once per query.
 */
export type WorklistSource = (
  query: Dataset,
  info: WorklistQueryInfo,
) => Iterable<Dataset> | AsyncIterable<Dataset>;

/** Options of {@linkcode WorklistService}. */
export interface WorklistServiceOptions {
  /**
   * A folder of worklist files (`*.wl` or `*.dcm`, Part 10 files or bare
   * data sets, as DCMTK's `wlmscpfs` reads them), read again for every
   * query so that added and removed files take effect at once. When the
   * folder has a subfolder named as the Called AE Title (wlmscpfs's layout,
   * `DIR/AE/*.wl`), that subfolder is read; otherwise the folder's own files
   * (a flat layout). Files that cannot be read are skipped, each with a
   * warning. Give `directory` or `items`.
   */
  directory?: string;
  /** The items, from a source of your own. Give `directory` or `items`. */
  items?: WorklistSource;
  /** Receives warnings: files skipped, optional keys ignored. */
  onWarning?: (message: string) => void;
  /**
   * The most bytes a request's identifier may have; a longer one is
   * answered A700 and not read further.
   *
   * @default {DEFAULT_MAX_IDENTIFIER_LENGTH}
   */
  maxIdentifierLength?: number;
}

/** The SOP class this service answers (PS3.4 §K.6.1). */
const WORKLIST_FIND: string = Uid.ModalityWorklistInformationModelFind;

/** VRs no matching applies to (PS3.4 §C.2.2.2): as matching keys, optional keys we do not support. */
const BINARY_VRS: ReadonlySet<string> = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);

/** Whether an element holds no value. */
function isEmpty(el: DataElement): boolean {
  if (el.kind === "bytes") return el.bytes.length === 0;
  if (el.kind === "values") return el.values.length === 0;
  return el.kind === "sequence" ? el.items.length === 0 : false;
}

/**
 * Checks a worklist identifier (PS3.4 §K.4.1.2.2) and returns what is
 * matched: a copy without the matching keys we cannot match, which are
 * listed in `unsupported` (answered FF01 instead of FF00).
 *
 * @throws {QueryFailure} A900 for a sequence key of more than one item
 * (PS3.4 §C.2.2.2.6 allows one); C000 for a date, time or range that does
 * not parse.
 */
function checkWorklistIdentifier(
  identifier: Dataset,
  unsupported: string[] = [],
): { query: Dataset; unsupported: string[] } {
  const query = new Dataset();
  query.parent = identifier.parent;
  for (const el of identifier) {
    if (el.kind === "sequence") {
      if (el.items.length > 1) {
        throw new QueryFailure(
          STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
          `Sequence key ${formatTag(el.tag)} has ${el.items.length} items, not one`,
        );
      }
      const items = el.items.map((item) => checkWorklistIdentifier(item, unsupported).query);
      query.setElement({ ...el, items });
      continue;
    }
    if (BINARY_VRS.has(el.vr) && !isEmpty(el)) {
      // A matching key of a binary VR: optional and not supported; it is
      // answered as a return key, with FF01 (PS3.4 §K.4.1.2.2).
      unsupported.push(formatTag(el.tag));
      query.setElement({ tag: el.tag, vr: el.vr, kind: "bytes", bytes: new Uint8Array(0) });
      continue;
    }
    query.setElement(el);
  }
  try {
    validateQuery(query);
  } catch (e) {
    if (e instanceof MatchingKeyError) throw new QueryFailure(STATUS.CANNOT_UNDERSTAND, e.message);
    throw e;
  }
  return { query, unsupported };
}

/**
 * Answers Modality Worklist C-FIND requests (PS3.4 §K.4.1.2.2): each item
 * that matches (PS3.4 §K.2.2, §C.2.2.2: sequence matching inside the
 * Scheduled Procedure Step Sequence, Scheduled Procedure Step Start Date and
 * Time as one range) in a pending response FF00 holding the identifier's
 * keys with the item's values, or FF01 when the identifier has matching keys
 * we do not support (binary VRs), which are then answered as return keys.
 * C-CANCEL stops it with FE00. Failures: A700 for an identifier over
 * `maxIdentifierLength`, A900 for a sequence key of more than one item,
 * C000 for an identifier that cannot be decoded, a malformed date or time,
 * or a source that fails; 0122 for another SOP class.
 *
 * @example Answer a worklist from a callback, on a provider of your own
 * ```ts
 * import { WorklistService } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const steps = [
 *   new Dataset().set(Tag.PatientName, "Doe^Jane").set(Tag.ScheduledProcedureStepSequence, [
 *     new Dataset().set(Tag.Modality, "MR").set(Tag.ScheduledStationAETitle, "MR1"),
 *   ]),
 * ];
 * const worklist = new WorklistService({ items: () => steps });
 * // give worklist.handler as the "C-FIND-RQ" handler of a ServiceProvider
 * console.log(typeof worklist.handler); // "function"
 * ```
 */
export class WorklistService {
  /** The C-FIND-RQ handler. */
  readonly handler: RequestHandler<"C-FIND-RQ">;

  /**
   * Constructs a new instance.
   *
   * @param options Where the items come from, and limits.
   * @throws {TypeError} without `directory` or `items`, or with both.
   */
  constructor(options: WorklistServiceOptions) {
    const { directory, items, onWarning } = options;
    if ((directory === undefined) === (items === undefined)) {
      throw new TypeError("WorklistService needs a directory or items, and not both");
    }
    const source: WorklistSource = items ??
      ((_, info) => readWorklistFolder(directory!, info.calledAeTitle, onWarning));
    this.handler = async (request, context) => {
      if (request.abstractSyntax !== WORKLIST_FIND) {
        return context.respond({ status: STATUS.SOP_CLASS_NOT_SUPPORTED });
      }
      const association = context.channel.association;
      try {
        const identifier = await identifierOf(request, options.maxIdentifierLength);
        const { query, unsupported } = checkWorklistIdentifier(identifier);
        if (unsupported.length > 0) {
          onWarning?.(
            `Worklist query: keys not supported, answered as return keys: ${
              unsupported.join(", ")
            }`,
          );
        }
        const pending = unsupported.length > 0 ? STATUS.PENDING_WITH_WARNINGS : STATUS.PENDING;
        const signal = context.signal;
        try {
          const found = source(query, {
            calledAeTitle: association.calledAeTitle,
            callingAeTitle: association.callingAeTitle,
            signal,
          });
          for await (const item of found) {
            if (signal.aborted) break;
            if (!matches(query, item, { dateTimePairs: WORKLIST_DATE_TIME_PAIRS })) continue;
            await context.respond({ status: pending }, returnKeys(query, item));
          }
        } catch (e) {
          // The association ended under us: nobody to answer.
          if (e instanceof QueryFailure || association.state !== "Sta6") throw e;
          // PS3.4 §K.4.1.2.2: Unable to process (C000), with why.
          onWarning?.(`Worklist query failed: ${e instanceof Error ? e.message : e}`);
          throw new QueryFailure(
            STATUS.CANNOT_UNDERSTAND,
            e instanceof MatchingKeyError ? e.message : "Cannot read the worklist",
          );
        }
        if (signal.aborted) return context.respond({ status: STATUS.CANCEL });
        await context.respond({ status: STATUS.SUCCESS });
      } catch (e) {
        if (!(e instanceof QueryFailure)) throw e;
        await context.respond({ status: e.status, errorComment: e.message.slice(0, 64) });
      }
    };
  }
}
