/**
 * Query/Retrieve Identifiers (PS3.4 §C.4.1.1.3): the data set of a C-FIND,
 * C-MOVE or C-GET request, with its information model and level; and
 * Modality Worklist identifiers (PS3.4 §K.6.1), which have no level.
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

/**
 * The worklist information models (PS3.4 Annex K), FIND only. They have no
 * levels: their identifiers carry no Query/Retrieve Level (PS3.4 §K.6.1.1).
 *
 * @example
 * ```ts
 * import { WORKLIST_MODELS } from "./mod.ts";
 * console.log(WORKLIST_MODELS.MODALITY_WORKLIST.find); // "1.2.840.10008.5.1.4.31"
 * ```
 */
export const WORKLIST_MODELS = {
  /** Modality Worklist Information Model – FIND (PS3.4 §K.6.1). */
  MODALITY_WORKLIST: { find: Uid.ModalityWorklistInformationModelFind },
} as const;

/** The name of a worklist information model. */
export type WorklistModel = keyof typeof WORKLIST_MODELS;

/** Any model a C-FIND is made in: a Query/Retrieve model or a worklist model. */
export type FindModel = QueryModel | WorklistModel;

/**
 * The C-FIND SOP Class UID of a model.
 *
 * @example
 * ```ts
 * import { findSopClassOf } from "./mod.ts";
 * console.log(findSopClassOf("MODALITY_WORKLIST")); // "1.2.840.10008.5.1.4.31"
 * ```
 */
export function findSopClassOf(model: FindModel): string {
  return model in WORKLIST_MODELS
    ? WORKLIST_MODELS[model as WorklistModel].find
    : QUERY_MODELS[model as QueryModel].find;
}

/** Whether a model is a worklist model (level-less). */
function isWorklistModel(model: FindModel): model is WorklistModel {
  return Object.hasOwn(WORKLIST_MODELS, model);
}

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
 * A query: a data set that knows its information model and, for the
 * Query/Retrieve models, its level. Keys with a value are matching keys;
 * keys set empty are return keys (PS3.4 §C.2.2.1). The type parameter is
 * the model: `Identifier` alone is a Query/Retrieve identifier (what
 * `move()` and `get()` take), `Identifier<"MODALITY_WORKLIST">` a worklist
 * one.
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
 *
 * @example Asking a worklist for today's MR steps (a sequence matching key)
 * ```ts
 * import { Dataset, Identifier } from "./mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const step = new Dataset()
 *   .set(Tag.Modality, "MR")
 *   .set(Tag.ScheduledProcedureStepStartDate, "20261203")
 *   .set(Tag.ScheduledStationAETitle, null);
 * const query = new Identifier("MODALITY_WORKLIST")
 *   .set(Tag.ScheduledProcedureStepSequence, [step])
 *   .request(Tag.PatientName, Tag.PatientID);
 * console.log(query.level); // undefined: worklist identifiers have no level
 * ```
 */
export class Identifier<M extends FindModel = QueryModel> extends Dataset {
  /** The information model the query is made in. */
  readonly model: M;

  /**
   * Creates an identifier; in a Query/Retrieve model at `level`, setting
   * Query/Retrieve Level (0008,0052); in a worklist model, with no level.
   *
   * @throws {RangeError} when the model has no such level (Study Root has no
   * PATIENT level), or a level is given to a worklist model.
   */
  constructor(model: M, ...level: M extends QueryModel ? [level: QueryLevel] : []) {
    super();
    const wanted = (level as unknown[])[0] as QueryLevel | undefined;
    if (isWorklistModel(model)) {
      if (wanted !== undefined) {
        throw new RangeError(`The ${model} model has no levels (PS3.4 K.6.1), not even ${wanted}`);
      }
      this.model = model;
      return;
    }
    const info = QUERY_MODELS[model as QueryModel];
    if (info === undefined) throw new RangeError(`Unknown query model "${model}"`);
    if (wanted === undefined || !(info.levels as readonly string[]).includes(wanted)) {
      throw new RangeError(
        `The ${model} model has no ${wanted} level (it has ${info.levels.join(", ")})`,
      );
    }
    this.model = model;
    super.set(Tag.QueryRetrieveLevel, wanted, "CS");
  }

  /** The Query/Retrieve Level; `undefined` in a worklist model. */
  get level(): M extends QueryModel ? QueryLevel : undefined {
    return this.string(Tag.QueryRetrieveLevel) as M extends QueryModel ? QueryLevel : undefined;
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
  static from<M extends FindModel>(model: M, dataset: Dataset): Identifier<M> {
    let id: Identifier<M>;
    if (isWorklistModel(model)) {
      id = new (Identifier as new (model: M) => Identifier<M>)(model);
    } else {
      const levels = QUERY_MODELS[model as QueryModel].levels as readonly QueryLevel[];
      const level = dataset.string(Tag.QueryRetrieveLevel) as QueryLevel | undefined;
      id = new (Identifier as new (model: M, level: QueryLevel) => Identifier<M>)(
        model,
        level !== undefined && levels.includes(level) ? level : levels[0]!,
      );
    }
    for (const el of dataset) id.setElement(el);
    id.parent = dataset.parent;
    return id;
  }
}
