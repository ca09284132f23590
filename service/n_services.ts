/**
 * The DIMSE-N services as calls on a {@linkcode DimseChannel} the caller
 * holds (PS3.7 §10.1, messages of §10.3): N-EVENT-REPORT, N-GET, N-SET,
 * N-ACTION, N-CREATE and N-DELETE, each sent on the presentation context
 * accepted for its SOP class and resolving with the final response's
 * status, data set and UIDs. Statuses are data (PS3.7 Annex C): a failure
 * status is returned for the caller to judge, not thrown; only transport
 * problems and timeouts throw.
 *
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";
import {
  DEFAULT_MAX_RESPONSE_DATASET_LENGTH,
  type DimseChannel,
  type DimseResponse,
  DimseStatusError,
  type RequestToSend,
  STATUS,
  type StatusCategory,
  statusCategory,
} from "../dimse/mod.ts";
import { readIdentifier } from "./identifier.ts";

/** The DIMSE-N request types (PS3.7 §10.3). */
export type NRequestType =
  | "N-EVENT-REPORT-RQ"
  | "N-GET-RQ"
  | "N-SET-RQ"
  | "N-ACTION-RQ"
  | "N-CREATE-RQ"
  | "N-DELETE-RQ";

/** The outcome of a DIMSE-N call: its final response. */
export interface NResult {
  /** Status (0000,0900), e.g. `STATUS.SUCCESS` or `STATUS.NO_SUCH_SOP_INSTANCE`. */
  readonly status: number;
  /** The status's category (PS3.7 Annex C). */
  readonly statusCategory: StatusCategory;
  /**
   * The response's data set, decoded with the context's transfer syntax:
   * N-GET's Attribute List, N-SET's and N-CREATE's attribute lists, N-ACTION's
   * Action Reply, N-EVENT-REPORT's Event Reply.
   */
  readonly dataset?: Dataset;
  /** Affected SOP Instance UID (0000,1000): for N-CREATE, the UID the SCP gave the instance. */
  readonly affectedSopInstanceUid?: string;
  /** Error Comment (0000,0902). */
  readonly errorComment?: string;
  /** Error ID (0000,0903), e.g. MPPS's A710 (PS3.4 Table F.7.2-2). */
  readonly errorId?: number;
  /** Attribute Identifier List (0000,1005) of an N-GET or N-SET attribute list error. */
  readonly attributeIdentifierList?: readonly number[];
  /** Action Type ID (0000,1008) of an N-ACTION-RSP. */
  readonly actionTypeId?: number;
  /** Event Type ID (0000,1002) of an N-EVENT-REPORT-RSP. */
  readonly eventTypeId?: number;
}

/** The managed SOP instance a DIMSE-N request is about. */
export interface NInstance {
  /** The SOP class: Requested (0000,0003) or Affected (0000,0002) SOP Class UID. */
  readonly sopClassUid: string;
  /** The SOP instance: Requested (0000,1001) or Affected (0000,1000) SOP Instance UID. */
  readonly sopInstanceUid: string;
}

/** Parameters of {@linkcode nGet} (PS3.7 §10.1.2). */
export interface NGetParameters extends NInstance {
  /** Attribute Identifier List (0000,1005): the tags wanted; all attributes when absent. */
  readonly attributeIdentifierList?: readonly number[];
}

/** Parameters of {@linkcode nSet} (PS3.7 §10.1.3). */
export interface NSetParameters extends NInstance {
  /** The Modification List: the attributes to set. */
  readonly dataset: Dataset;
}

/** Parameters of {@linkcode nAction} (PS3.7 §10.1.4). */
export interface NActionParameters extends NInstance {
  /** Action Type ID (0000,1008), defined by the SOP class. */
  readonly actionTypeId: number;
  /** Action Information, if the action takes any. */
  readonly dataset?: Dataset;
}

/** Parameters of {@linkcode nCreate} (PS3.7 §10.1.5). */
export interface NCreateParameters {
  /** Affected SOP Class UID (0000,0002). */
  readonly sopClassUid: string;
  /** Affected SOP Instance UID (0000,1000); when absent the SCP assigns one and returns it. */
  readonly sopInstanceUid?: string;
  /** The Attribute List: initial values. */
  readonly dataset?: Dataset;
}

/** Parameters of {@linkcode nDelete} (PS3.7 §10.1.6). */
export interface NDeleteParameters extends NInstance {}

/** Parameters of {@linkcode nEventReport} (PS3.7 §10.1.1). */
export interface NEventReportParameters extends NInstance {
  /** Event Type ID (0000,1002), defined by the SOP class. */
  readonly eventTypeId: number;
  /** Event Information, if the event carries any. */
  readonly dataset?: Dataset;
}

/** Sends one N request on the context of its SOP class and reads its final response. */
async function call<T extends NRequestType>(
  channel: DimseChannel,
  sopClassUid: string,
  command: RequestToSend<T> & { readonly type: T },
  dataset: Dataset | undefined,
): Promise<NResult> {
  const context = channel.association.findContext(sopClassUid);
  if (!context) {
    throw new DimseStatusError(command.type.slice(0, -3), STATUS.SOP_CLASS_NOT_SUPPORTED, {
      errorComment: `no presentation context was accepted for ${sopClassUid}`.slice(0, 64),
    });
  }
  let final: DimseResponse<T> | undefined;
  for await (const response of channel.request<T>(context.id, command, dataset)) final = response;
  if (final === undefined) throw new Error(`${command.type} ended without a response`);
  const fields = final.command as {
    status: number;
    affectedSopInstanceUid?: string;
    errorComment?: string;
    errorId?: number;
    attributeIdentifierList?: readonly number[];
    actionTypeId?: number;
    eventTypeId?: number;
  };
  const decoded = final.dataset === undefined ? undefined : await readIdentifier(
    final.dataset,
    final.transferSyntax,
    { maxLength: Math.max(DEFAULT_MAX_RESPONSE_DATASET_LENGTH, final.dataset.length) },
  );
  return {
    status: fields.status,
    statusCategory: statusCategory(fields.status),
    ...(decoded ? { dataset: decoded } : {}),
    ...(fields.affectedSopInstanceUid !== undefined
      ? { affectedSopInstanceUid: fields.affectedSopInstanceUid }
      : {}),
    ...(fields.errorComment !== undefined ? { errorComment: fields.errorComment } : {}),
    ...(fields.errorId !== undefined ? { errorId: fields.errorId } : {}),
    ...(fields.attributeIdentifierList !== undefined
      ? { attributeIdentifierList: fields.attributeIdentifierList }
      : {}),
    ...(fields.actionTypeId !== undefined ? { actionTypeId: fields.actionTypeId } : {}),
    ...(fields.eventTypeId !== undefined ? { eventTypeId: fields.eventTypeId } : {}),
  };
}

/**
 * N-GET (PS3.7 §10.1.2): reads attributes of a managed SOP instance.
 *
 * @example Get an attribute from an SCP started here
 * ```ts
 * import { NService, nGet, ServiceProvider } from "./mod.ts";
 * import { connect } from "../association/mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { DimseChannel, STATUS } from "../dimse/mod.ts";
 * import { Tag, Uid } from "../dictionary/mod.ts";
 *
 * const service = new NService({
 *   [Uid.DisplaySystem]: {
 *     "N-GET-RQ": () => ({
 *       status: STATUS.SUCCESS,
 *       dataset: new Dataset().set(Tag.Manufacturer, "ACME"),
 *     }),
 *   },
 * });
 * await using scp = new ServiceProvider(service, { hostname: "127.0.0.1", port: 0 });
 * await using association = await connect("127.0.0.1", scp.port, {
 *   presentationContexts: [{
 *     abstractSyntax: Uid.DisplaySystem,
 *     transferSyntaxes: [Uid.ExplicitVRLittleEndian],
 *   }],
 * });
 * const channel = new DimseChannel(association);
 * const result = await nGet(channel, {
 *   sopClassUid: Uid.DisplaySystem,
 *   sopInstanceUid: Uid.DisplaySystemInstance,
 * });
 * console.log(result.status, result.dataset?.string(Tag.Manufacturer)); // 0 "ACME"
 * await association.release();
 * ```
 *
 * @throws {DimseStatusError} (0122) when no context was accepted for the SOP class.
 * @throws {DimseTimeoutError} when the response takes longer than the channel's DIMSE timeout.
 * @throws {AssociationAbortedError} when the association ends first.
 */
export function nGet(channel: DimseChannel, parameters: NGetParameters): Promise<NResult> {
  return call(channel, parameters.sopClassUid, {
    type: "N-GET-RQ",
    hasDataset: false,
    requestedSopClassUid: parameters.sopClassUid,
    requestedSopInstanceUid: parameters.sopInstanceUid,
    ...(parameters.attributeIdentifierList
      ? { attributeIdentifierList: parameters.attributeIdentifierList }
      : {}),
  }, undefined);
}

/**
 * N-SET (PS3.7 §10.1.3): modifies attributes of a managed SOP instance, as
 * the Modification List `parameters.dataset` gives them.
 *
 * @example
 * ```ts ignore
 * const result = await nSet(channel, {
 *   sopClassUid: Uid.ModalityPerformedProcedureStep,
 *   sopInstanceUid: mppsUid,
 *   dataset: new Dataset().set(Tag.PerformedProcedureStepStatus, "COMPLETED"),
 * });
 * ```
 *
 * @throws {DimseStatusError} (0122) when no context was accepted for the SOP class.
 * @throws {DimseTimeoutError} when the response takes longer than the channel's DIMSE timeout.
 */
export function nSet(channel: DimseChannel, parameters: NSetParameters): Promise<NResult> {
  return call(channel, parameters.sopClassUid, {
    type: "N-SET-RQ",
    hasDataset: true,
    requestedSopClassUid: parameters.sopClassUid,
    requestedSopInstanceUid: parameters.sopInstanceUid,
  }, parameters.dataset);
}

/**
 * N-ACTION (PS3.7 §10.1.4): asks the SCP to perform an action, e.g. Storage
 * Commitment's Request Storage Commitment (Action Type ID 1).
 *
 * @example
 * ```ts ignore
 * const result = await nAction(channel, {
 *   sopClassUid: Uid.StorageCommitmentPushModel,
 *   sopInstanceUid: Uid.StorageCommitmentPushModelInstance,
 *   actionTypeId: 1,
 *   dataset: request,
 * });
 * ```
 *
 * @throws {DimseStatusError} (0122) when no context was accepted for the SOP class.
 * @throws {DimseTimeoutError} when the response takes longer than the channel's DIMSE timeout.
 */
export function nAction(channel: DimseChannel, parameters: NActionParameters): Promise<NResult> {
  return call(channel, parameters.sopClassUid, {
    type: "N-ACTION-RQ",
    hasDataset: parameters.dataset !== undefined,
    requestedSopClassUid: parameters.sopClassUid,
    requestedSopInstanceUid: parameters.sopInstanceUid,
    actionTypeId: parameters.actionTypeId,
  }, parameters.dataset);
}

/**
 * N-CREATE (PS3.7 §10.1.5): creates a managed SOP instance. Without
 * `sopInstanceUid` the SCP assigns the UID and the result's
 * `affectedSopInstanceUid` gives it.
 *
 * @example
 * ```ts ignore
 * const { status, affectedSopInstanceUid } = await nCreate(channel, {
 *   sopClassUid: Uid.ModalityPerformedProcedureStep,
 *   dataset: inProgress,
 * });
 * ```
 *
 * @throws {DimseStatusError} (0122) when no context was accepted for the SOP class.
 * @throws {DimseTimeoutError} when the response takes longer than the channel's DIMSE timeout.
 */
export function nCreate(channel: DimseChannel, parameters: NCreateParameters): Promise<NResult> {
  return call(channel, parameters.sopClassUid, {
    type: "N-CREATE-RQ",
    hasDataset: parameters.dataset !== undefined,
    affectedSopClassUid: parameters.sopClassUid,
    ...(parameters.sopInstanceUid !== undefined
      ? { affectedSopInstanceUid: parameters.sopInstanceUid }
      : {}),
  }, parameters.dataset);
}

/**
 * N-DELETE (PS3.7 §10.1.6): deletes a managed SOP instance.
 *
 * @example
 * ```ts ignore
 * const { status } = await nDelete(channel, {
 *   sopClassUid: Uid.BasicFilmSession,
 *   sopInstanceUid: filmSessionUid,
 * });
 * ```
 *
 * @throws {DimseStatusError} (0122) when no context was accepted for the SOP class.
 * @throws {DimseTimeoutError} when the response takes longer than the channel's DIMSE timeout.
 */
export function nDelete(channel: DimseChannel, parameters: NDeleteParameters): Promise<NResult> {
  return call(channel, parameters.sopClassUid, {
    type: "N-DELETE-RQ",
    hasDataset: false,
    requestedSopClassUid: parameters.sopClassUid,
    requestedSopInstanceUid: parameters.sopInstanceUid,
  }, undefined);
}

/**
 * N-EVENT-REPORT (PS3.7 §10.1.1): reports an event about a managed SOP
 * instance, e.g. Storage Commitment's result (Event Type ID 1 or 2), which
 * the SCP sends to the SCU.
 *
 * @example
 * ```ts ignore
 * const { status } = await nEventReport(channel, {
 *   sopClassUid: Uid.StorageCommitmentPushModel,
 *   sopInstanceUid: Uid.StorageCommitmentPushModelInstance,
 *   eventTypeId: 1,
 *   dataset: committed,
 * });
 * ```
 *
 * @throws {DimseStatusError} (0122) when no context was accepted for the SOP class.
 * @throws {DimseTimeoutError} when the response takes longer than the channel's DIMSE timeout.
 */
export function nEventReport(
  channel: DimseChannel,
  parameters: NEventReportParameters,
): Promise<NResult> {
  return call(channel, parameters.sopClassUid, {
    type: "N-EVENT-REPORT-RQ",
    hasDataset: parameters.dataset !== undefined,
    affectedSopClassUid: parameters.sopClassUid,
    affectedSopInstanceUid: parameters.sopInstanceUid,
    eventTypeId: parameters.eventTypeId,
  }, parameters.dataset);
}
