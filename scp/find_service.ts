/**
 * C-FIND as a provider (PS3.4 C.4.1) over an {@linkcode Archive}, as one
 * unit: the request handler of the Query/Retrieve SCP's FIND SOP classes.
 *
 * @module
 */
import type { Archive } from "../archive/mod.ts";
import { type RequestHandler, STATUS } from "../dimse/mod.ts";
import { queryHandler, search } from "./_query.ts";
import { FindResponseEncoder } from "./_find_response.ts";

/** Options of {@linkcode FindService}. */
export interface FindServiceOptions {
  /**
   * The AE title given as Retrieve AE Title (0008,0054) in the responses.
   *
   * @default {"DCMNET"}
   */
  aeTitle?: string;
  /**
   * The most bytes a request's identifier may have (inflated); a longer one
   * is answered A700 and not read further.
   *
   * @default {DEFAULT_MAX_IDENTIFIER_LENGTH}
   */
  maxIdentifierLength?: number;
}

/**
 * Answers C-FIND requests of the Patient Root, Study Root and Patient/Study
 * Only models from an archive: one pending response per match, hierarchical
 * or relational as negotiated, stopping at C-CANCEL.
 *
 * @example Answer C-FIND on a DIMSE channel of your own
 * ```ts
 * import { FindService } from "./mod.ts";
 * import { Archive } from "../archive/mod.ts";
 *
 * using archive = Archive.open();
 * const find = new FindService(archive, { aeTitle: "ARCHIVE" });
 * // give find.handler as the "C-FIND-RQ" handler of a DimseChannel or ServiceProvider
 * console.log(typeof find.handler); // "function"
 * ```
 */
export class FindService {
  /** The C-FIND-RQ handler. */
  readonly handler: RequestHandler<"C-FIND-RQ">;

  /**
   * Constructs a new instance.
   *
   * @param archive What to answer from.
   * @param options The options.
   */
  constructor(archive: Archive, options: FindServiceOptions = {}) {
    const aeTitle = options.aeTitle ?? "DCMNET";
    this.handler = queryHandler("find", async (identifier, level, relational, request, context) => {
      const responses = new FindResponseEncoder(
        identifier,
        level,
        aeTitle,
        request.transferSyntax,
      );
      // Records are read and matched as the responses go (search() is lazy);
      // a C-CANCEL ends them between two (PS3.4 §C.4.1.3, SCP behaviour).
      for (const record of search(archive, identifier, level, relational)) {
        if (context.signal.aborted) return context.respond({ status: STATUS.CANCEL });
        await context.respond({ status: STATUS.PENDING }, responses.encode(record.dataset));
      }
      await context.respond({ status: STATUS.SUCCESS });
    }, options.maxIdentifierLength);
  }
}
