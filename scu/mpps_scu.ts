/**
 * The SCU of the Modality Performed Procedure Step SOP Class (PS3.4 F.7):
 * a modality telling the RIS or PACS that a procedure step started
 * (N-CREATE, IN PROGRESS), changed, and ended (N-SET, COMPLETED or
 * DISCONTINUED).
 *
 * @module
 */
import { type Association, connect } from "../association/mod.ts";
import { Dataset, generateUid } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { DicomError } from "../errors.ts";
import { DimseChannel, DimseStatusError, type DimseStatusErrorOptions } from "../dimse/mod.ts";
import {
  connectOptionsFor,
  nCreate,
  nGet,
  type NResult,
  nSet,
  type ScuOptions,
} from "../service/mod.ts";

/** The outcome of an accepted N-CREATE or N-SET. */
export interface MppsResult {
  /** The procedure step's SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** The status: 0000, or a warning (0001, 0107, 0116, Bxxx). */
  readonly status: number;
  /** The Attribute List the SCP answered with, if any. */
  readonly dataset?: Dataset;
  /** The SCP's Error Comment with a warning, if any. */
  readonly errorComment?: string;
}

/** Options of {@linkcode MppsScu.create}. */
export interface MppsCreateOptions {
  /**
   * The SOP Instance UID to create. Without it the SCU makes one (a `2.25`
   * UID), as PS3.4 F.7.2.1.2 asks of it, unless `scpAssignsUid` is set.
   */
  sopInstanceUid?: string;
  /**
   * Leave the UID out of the N-CREATE-RQ for the SCP to assign and answer
   * (PS3.7 §10.1.5.1.2); for SCPs that want to.
   *
   * @default {false}
   */
  scpAssignsUid?: boolean;
}

/** Options of {@linkcode MppsStatusError}. */
export interface MppsStatusErrorOptions extends DimseStatusErrorOptions {
  /** Error ID (0000,0903), e.g. A710. */
  errorId?: number;
  /** Attribute Identifier List (0000,1005): the attributes at fault. */
  attributeIdentifierList?: readonly number[];
}

/**
 * An MPPS N-CREATE or N-SET the SCP refused: `status`, and what the SCP
 * said of it (Error Comment, Error ID, the attributes at fault).
 *
 * @example
 * ```ts
 * import { MppsStatusError } from "./mod.ts";
 * const e = new MppsStatusError("N-SET", 0x0110, {
 *   errorComment: "Performed Procedure Step Object may no longer be updated",
 *   errorId: 0xa710,
 * });
 * console.log(e.message); // "N-SET failed: Failure: processing failure (0110): Performed Procedure Step Object may no longer be updated"
 * ```
 */
export class MppsStatusError extends DimseStatusError {
  /** Error ID (0000,0903), if the SCP gave one. */
  readonly errorId: number | undefined;
  /** Attribute Identifier List (0000,1005), if the SCP gave one. */
  readonly attributeIdentifierList: readonly number[] | undefined;

  /** Creates the error for `operation` ("N-CREATE" or "N-SET") failing with `status`. */
  constructor(operation: string, status: number, options: MppsStatusErrorOptions = {}) {
    super(operation, status, options);
    this.name = "MppsStatusError";
    this.errorId = options.errorId;
    this.attributeIdentifierList = options.attributeIdentifierList;
  }
}

function checked(operation: string, result: NResult, sopInstanceUid: string): MppsResult {
  if (result.statusCategory === "failure" || result.statusCategory === "cancel") {
    throw new MppsStatusError(operation, result.status, {
      ...(result.errorComment !== undefined ? { errorComment: result.errorComment } : {}),
      ...(result.errorId !== undefined ? { errorId: result.errorId } : {}),
      ...(result.attributeIdentifierList !== undefined
        ? { attributeIdentifierList: result.attributeIdentifierList }
        : {}),
    });
  }
  return {
    sopInstanceUid,
    status: result.status,
    ...(result.dataset ? { dataset: result.dataset } : {}),
    ...(result.errorComment !== undefined ? { errorComment: result.errorComment } : {}),
  };
}

/**
 * An MPPS client (PS3.4 F.7.2) on a channel: {@linkcode MppsScu.connect}
 * opens its own association (released when disposed), `new MppsScu(channel)`
 * works on one the caller holds (the Modality Performed Procedure Step SOP
 * Class must be among its accepted contexts). Failure statuses throw
 * {@linkcode MppsStatusError}; warnings are data.
 *
 * @example Start and complete a procedure step against an SCP started here
 * ```ts
 * import { MppsScu } from "./mod.ts";
 * import { MppsScp } from "../scp/mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * await using scp = new MppsScp({ hostname: "127.0.0.1", port: 0 });
 * await using mpps = await MppsScu.connect("127.0.0.1", scp.port);
 * const started = new Dataset()
 *   .set(Tag.ScheduledStepAttributesSequence, [new Dataset().set(Tag.StudyInstanceUID, "2.25.1")])
 *   .set(Tag.PerformedProcedureStepID, "PPS1")
 *   .set(Tag.PerformedStationAETitle, "CT1")
 *   .set(Tag.PerformedProcedureStepStartDate, "20261203")
 *   .set(Tag.PerformedProcedureStepStartTime, "093000")
 *   .set(Tag.PerformedProcedureStepStatus, "IN PROGRESS")
 *   .set(Tag.Modality, "CT");
 * const { sopInstanceUid } = await mpps.create(started);
 * await mpps.complete(sopInstanceUid, new Dataset()
 *   .set(Tag.PerformedProcedureStepEndDate, "20261203")
 *   .set(Tag.PerformedProcedureStepEndTime, "094500")
 *   .set(Tag.PerformedSeriesSequence, [
 *     new Dataset().set(Tag.ProtocolName, "HEAD").set(Tag.SeriesInstanceUID, "2.25.2"),
 *   ]));
 * console.log(scp.service.get(sopInstanceUid)?.status); // "COMPLETED"
 * ```
 */
export class MppsScu implements AsyncDisposable {
  /** The channel the requests go on. */
  readonly channel: DimseChannel;
  readonly #owned: Association | undefined;

  /**
   * Works on `channel`, an association the caller holds and releases.
   *
   * @param channel A channel whose association accepted the MPPS SOP class.
   */
  constructor(channel: DimseChannel);
  /** @internal Owns `association`. */
  constructor(channel: DimseChannel, owned: Association);
  constructor(channel: DimseChannel, owned?: Association) {
    this.channel = channel;
    this.#owned = owned;
  }

  /**
   * Opens an association to an MPPS SCP proposing the Modality Performed
   * Procedure Step SOP Class and its Retrieve SOP Class (Explicit and
   * Implicit VR Little Endian).
   *
   * @throws {AssociationRejectedError} when the peer rejects the association.
   * @throws {DimseStatusError} (0122) when it accepts no MPPS context.
   */
  static async connect(
    hostname: string,
    port: number,
    options: ScuOptions = {},
  ): Promise<MppsScu> {
    const association = await connect(
      hostname,
      port,
      connectOptionsFor(
        options,
        [Uid.ModalityPerformedProcedureStep, Uid.ModalityPerformedProcedureStepRetrieve].map(
          (abstractSyntax) => ({
            abstractSyntax,
            transferSyntaxes: [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian],
          }),
        ),
      ),
    );
    if (!association.findContext(Uid.ModalityPerformedProcedureStep)) {
      await association.release().catch(() => association.abort());
      throw new DimseStatusError("N-CREATE", 0x0122, {
        errorComment: "the peer refused Modality Performed Procedure Step",
      });
    }
    const channel = new DimseChannel(
      association,
      options.dimseTimeout === undefined ? {} : { dimseTimeout: options.dimseTimeout },
    );
    return new MppsScu(channel, association);
  }

  /**
   * N-CREATE (PS3.4 F.7.2.1): starts a procedure step with `attributes`,
   * which should hold those of Table F.7.2-1 (type 1 with values, type 2
   * present) and Performed Procedure Step Status IN PROGRESS. Resolves with
   * the step's SOP Instance UID: ours, or the SCP's when it assigned one.
   *
   * @throws {MppsStatusError} when the SCP refuses (e.g. 0106, 0111, 0120).
   * @throws {DicomError} when `scpAssignsUid` is set and the SCP names no UID.
   */
  async create(attributes: Dataset, options: MppsCreateOptions = {}): Promise<MppsResult> {
    const ours = options.scpAssignsUid ? undefined : options.sopInstanceUid ?? generateUid();
    const result = await nCreate(this.channel, {
      sopClassUid: Uid.ModalityPerformedProcedureStep,
      ...(ours !== undefined ? { sopInstanceUid: ours } : {}),
      dataset: attributes,
    });
    const uid = result.affectedSopInstanceUid ?? ours;
    const checkedResult = checked("N-CREATE", result, uid ?? "");
    if (uid === undefined) {
      throw new DicomError(
        "The SCP accepted the N-CREATE without naming the SOP Instance UID it assigned (PS3.7 §10.1.5.1.2)",
      );
    }
    return checkedResult;
  }

  /**
   * N-SET (PS3.4 F.7.2.2): sets `changes` on the step (sequences whole,
   * with every item).
   *
   * @throws {MppsStatusError} when the SCP refuses (e.g. 0110 with Error ID
   * A710 once the step is COMPLETED or DISCONTINUED, 0112 for an unknown step).
   */
  async set(sopInstanceUid: string, changes: Dataset): Promise<MppsResult> {
    const result = await nSet(this.channel, {
      sopClassUid: Uid.ModalityPerformedProcedureStep,
      sopInstanceUid,
      dataset: changes,
    });
    return checked("N-SET", result, sopInstanceUid);
  }

  /**
   * N-GET of the Modality Performed Procedure Step Retrieve SOP Class
   * (PS3.4 F.8): the step's attributes as the SCP keeps them, all or those
   * of `tags`. The association must have accepted MPPS Retrieve (which
   * {@linkcode MppsScu.connect} proposes).
   *
   * @throws {MppsStatusError} when the SCP refuses (e.g. 0112 for an unknown step).
   * @throws {DimseStatusError} (0122) when no context was accepted for MPPS Retrieve.
   */
  async get(sopInstanceUid: string, tags?: readonly number[]): Promise<MppsResult> {
    const result = await nGet(this.channel, {
      sopClassUid: Uid.ModalityPerformedProcedureStepRetrieve,
      sopInstanceUid,
      ...(tags ? { attributeIdentifierList: tags } : {}),
    });
    return checked("N-GET", result, sopInstanceUid);
  }

  /**
   * N-SET with Performed Procedure Step Status COMPLETED and `attributes`,
   * which with what was sent before must meet the Final State column of
   * Table F.7.2-1 (end date and time, the Performed Series Sequence).
   *
   * @throws {MppsStatusError} when the SCP refuses.
   */
  complete(sopInstanceUid: string, attributes: Dataset = new Dataset()): Promise<MppsResult> {
    return this.set(sopInstanceUid, withStatus(attributes, "COMPLETED"));
  }

  /**
   * N-SET with Performed Procedure Step Status DISCONTINUED and
   * `attributes` (e.g. the Discontinuation Reason Code Sequence).
   *
   * @throws {MppsStatusError} when the SCP refuses.
   */
  discontinue(sopInstanceUid: string, attributes: Dataset = new Dataset()): Promise<MppsResult> {
    return this.set(sopInstanceUid, withStatus(attributes, "DISCONTINUED"));
  }

  /** Releases the association when it was opened by {@linkcode MppsScu.connect}. */
  async release(): Promise<void> {
    if (this.#owned === undefined || this.#owned.state !== "Sta6") return;
    await this.#owned.release();
    await this.channel.closed;
  }

  /** Releases the association when it was opened by {@linkcode MppsScu.connect}. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.release();
    } catch {
      this.#owned?.abort();
    }
  }
}

function withStatus(attributes: Dataset, status: string): Dataset {
  const changes = new Dataset();
  for (const element of attributes) changes.setElement(element);
  return changes.set(Tag.PerformedProcedureStepStatus, status);
}
