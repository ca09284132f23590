/**
 * Query/Retrieve Identifiers (PS3.4 §C.4.1.1.3): the data set of a C-FIND,
 * C-MOVE or C-GET request, with its information model and level.
 *
 * @module
 */
import { Tag, Uid } from "../dictionary/mod.ts";
import { Dataset, type SetValue, type TagLike } from "./dataset.ts";
import type { Vr } from "./vr.ts";

/**
 * The Query/Retrieve information models (PS3.4 §C.6) with their SOP Class UIDs
 * for C-FIND, C-MOVE and C-GET, and the levels each allows.
 */
export const QUERY_MODELS = {
  /** Patient Root (PS3.4 §C.6.1). */
  PATIENT_ROOT: {
    find: Uid.PatientRootQueryRetrieveInformationModelFind,
    move: Uid.PatientRootQueryRetrieveInformationModelMove,
    get: Uid.PatientRootQueryRetrieveInformationModelGet,
    levels: ["PATIENT", "STUDY", "SERIES", "IMAGE"],
  },
  /** Study Root (PS3.4 §C.6.2). */
  STUDY_ROOT: {
    find: Uid.StudyRootQueryRetrieveInformationModelFind,
    move: Uid.StudyRootQueryRetrieveInformationModelMove,
    get: Uid.StudyRootQueryRetrieveInformationModelGet,
    levels: ["STUDY", "SERIES", "IMAGE"],
  },
  /** Patient/Study Only (PS3.4 §C.6.3, retired), still served by old archives. */
  PATIENT_STUDY_ONLY: {
    find: Uid.PatientStudyOnlyQueryRetrieveInformationModelFind,
    move: Uid.PatientStudyOnlyQueryRetrieveInformationModelMove,
    get: Uid.PatientStudyOnlyQueryRetrieveInformationModelGet,
    levels: ["PATIENT", "STUDY"],
  },
} as const;

/** The name of a Query/Retrieve information model. */
export type QueryModel = keyof typeof QUERY_MODELS;

/** A Query/Retrieve Level (0008,0052) value (PS3.4 §C.6.1.1). */
export type QueryLevel = "PATIENT" | "STUDY" | "SERIES" | "IMAGE";

/** The unique key of each level (PS3.4 §C.6.1.1, §C.6.2.1). */
export const UNIQUE_KEYS: { readonly [L in QueryLevel]: number } = {
  PATIENT: Tag.PatientID,
  STUDY: Tag.StudyInstanceUID,
  SERIES: Tag.SeriesInstanceUID,
  IMAGE: Tag.SOPInstanceUID,
};

/**
 * A query: a data set that knows its information model and level. Keys with
 * a value are matching keys; keys set empty are return keys (PS3.4 §C.2.2.1).
 *
 * @example Asking for a patient's studies
 * ```ts
 * import { Identifier } from "./mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const query = new Identifier("STUDY_ROOT", "STUDY")
 *   .set(Tag.PatientID, 1234)
 *   .request(Tag.StudyInstanceUID, Tag.StudyDate, Tag.StudyDescription);
 * console.log(query.string(Tag.QueryRetrieveLevel)); // "STUDY"
 * ```
 */
export class Identifier extends Dataset {
  /** The information model the query is made in. */
  readonly model: QueryModel;

  /**
   * Creates an identifier at `level`, setting Query/Retrieve Level (0008,0052).
   *
   * @throws {RangeError} when the model has no such level (Study Root has no PATIENT level).
   */
  constructor(model: QueryModel, level: QueryLevel) {
    super();
    const info = QUERY_MODELS[model];
    if (info === undefined) throw new RangeError(`Unknown query model "${model}"`);
    if (!(info.levels as readonly string[]).includes(level)) {
      throw new RangeError(
        `The ${model} model has no ${level} level (it has ${info.levels.join(", ")})`,
      );
    }
    this.model = model;
    super.set(Tag.QueryRetrieveLevel, level, "CS");
  }

  /** The Query/Retrieve Level. */
  get level(): QueryLevel {
    return this.string(Tag.QueryRetrieveLevel) as QueryLevel;
  }

  /** Sets a matching key (or, with `null`/`undefined`, a return key). Numbers are accepted for text VRs. */
  override set(tag: TagLike, value: SetValue, vr?: Vr): this {
    return super.set(tag, value, vr);
  }

  /** Adds return keys: the attributes to be returned, set empty (PS3.4 §C.2.2.1.2). */
  request(...tags: TagLike[]): this {
    for (const tag of tags) if (!this.has(tag)) this.set(tag, null);
    return this;
  }

  /**
   * Wraps a data set received as an identifier (e.g. a C-FIND response) in
   * the model it belongs to, copying its elements.
   */
  static from(model: QueryModel, dataset: Dataset): Identifier {
    const level =
      (dataset.string(Tag.QueryRetrieveLevel) ?? QUERY_MODELS[model].levels[0]) as QueryLevel;
    const id = new Identifier(
      model,
      QUERY_MODELS[model].levels.includes(level as never) ? level : QUERY_MODELS[model].levels[0],
    );
    for (const el of dataset) id.setElement(el);
    id.parent = dataset.parent;
    return id;
  }
}
