/**
 * The DIMSE messages as types (PS3.7 §9.3, §10.3): one readonly plain object
 * per message, discriminated by `type`, as `pdu/types.ts` does for PDUs.
 * The fields each message's table in PS3.7 makes mandatory (M) are required
 * properties; the conditional (C) and user-optional (U) ones, and those
 * PS3.7 Annex C attaches to failure statuses, are optional.
 * {@linkcode decodeCommand} checks the required ones, so the types hold.
 *
 * @module
 */
import type { CommandType } from "./command.ts";

/**
 * Every field a command set may hold besides Command Field and Command Data
 * Set Type (PS3.7 Annex E, Table E.1-1), all optional: what a command set
 * that could not be accepted still tells (see {@linkcode CommandSetError}).
 * Each message type's own interface says which fields it requires.
 */
export interface CommandFields {
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid?: string;
  /** Requested SOP Class UID (0000,0003). */
  readonly requestedSopClassUid?: string;
  /** Message ID (0000,0110). */
  readonly messageId?: number;
  /** Message ID Being Responded To (0000,0120). */
  readonly messageIdBeingRespondedTo?: number;
  /** Move Destination (0000,0600). */
  readonly moveDestination?: string;
  /** Priority (0000,0700), see {@linkcode PRIORITY}. */
  readonly priority?: number;
  /** Status (0000,0900). */
  readonly status?: number;
  /** Offending Element (0000,0901): tags. */
  readonly offendingElements?: readonly number[];
  /** Error Comment (0000,0902). */
  readonly errorComment?: string;
  /** Error ID (0000,0903). */
  readonly errorId?: number;
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid?: string;
  /** Requested SOP Instance UID (0000,1001). */
  readonly requestedSopInstanceUid?: string;
  /** Event Type ID (0000,1002). */
  readonly eventTypeId?: number;
  /** Attribute Identifier List (0000,1005): tags. */
  readonly attributeIdentifierList?: readonly number[];
  /** Action Type ID (0000,1008). */
  readonly actionTypeId?: number;
  /** Number of Remaining Sub-operations (0000,1020). */
  readonly remaining?: number;
  /** Number of Completed Sub-operations (0000,1021). */
  readonly completed?: number;
  /** Number of Failed Sub-operations (0000,1022). */
  readonly failed?: number;
  /** Number of Warning Sub-operations (0000,1023). */
  readonly warning?: number;
  /** Move Originator Application Entity Title (0000,1030). */
  readonly moveOriginatorAeTitle?: string;
  /** Move Originator Message ID (0000,1031). */
  readonly moveOriginatorMessageId?: number;
}

/** A command field other than `type` and `hasDataset`. */
export type CommandFieldName = keyof CommandFields;

/** What every command set carries: its Command Field and Command Data Set Type. */
export interface CommandBase<T extends CommandType> {
  /** The message type, from Command Field (0000,0100). */
  readonly type: T;
  /** Whether a data set follows, from Command Data Set Type (0000,0800). */
  readonly hasDataset: boolean;
}

/** What every request but C-CANCEL-RQ carries. */
export interface RequestBase<T extends RequestType> extends CommandBase<T> {
  /** Message ID (0000,0110): unique among the sender's outstanding requests (PS3.7 §9.1.1.1.2). */
  readonly messageId: number;
}

/**
 * What every response carries: the request it answers and its status
 * (M in every response of PS3.7 §9.3 and §10.3), the Affected SOP Class
 * UID (U), and the fields PS3.7 Annex C attaches to failure statuses.
 */
export interface ResponseBase<T extends ResponseType> extends CommandBase<T> {
  /** Message ID Being Responded To (0000,0120): the request's Message ID. */
  readonly messageIdBeingRespondedTo: number;
  /** Status (0000,0900), see `STATUS` and `statusCategory()`. */
  readonly status: number;
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid?: string;
  /** Offending Element (0000,0901): tags, with some failures (PS3.7 Annex C). */
  readonly offendingElements?: readonly number[];
  /** Error Comment (0000,0902), with some failures (PS3.7 Annex C). */
  readonly errorComment?: string;
  /** Error ID (0000,0903), with some failures (PS3.7 Annex C). */
  readonly errorId?: number;
}

/**
 * The sub-operation counts of C-GET and C-MOVE responses (C in PS3.7
 * Tables 9.3-7 and 9.3-10: Remaining in pending responses, the others in
 * final ones and optionally in pending ones; PS3.4 C.4.2.1.6, C.4.3.1.6).
 */
export interface SubOperationFields {
  /** Number of Remaining Sub-operations (0000,1020). */
  readonly remaining?: number;
  /** Number of Completed Sub-operations (0000,1021). */
  readonly completed?: number;
  /** Number of Failed Sub-operations (0000,1022). */
  readonly failed?: number;
  /** Number of Warning Sub-operations (0000,1023). */
  readonly warning?: number;
}

/** C-STORE-RQ (PS3.7 §9.3.1.1, Table 9.3-1); a data set follows. */
export interface CStoreRq extends RequestBase<"C-STORE-RQ"> {
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid: string;
  /** Priority (0000,0700), see {@linkcode PRIORITY}. */
  readonly priority: number;
  /** Affected SOP Instance UID (0000,1000): the instance stored. */
  readonly affectedSopInstanceUid: string;
  /** Move Originator Application Entity Title (0000,1030), for a C-MOVE's sub-operation. */
  readonly moveOriginatorAeTitle?: string;
  /** Move Originator Message ID (0000,1031), for a C-MOVE's sub-operation. */
  readonly moveOriginatorMessageId?: number;
}

/** C-STORE-RSP (PS3.7 §9.3.1.2, Table 9.3-2); no data set. */
export interface CStoreRsp extends ResponseBase<"C-STORE-RSP"> {
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid?: string;
}

/** C-FIND-RQ (PS3.7 §9.3.2.1, Table 9.3-3); the Identifier follows. */
export interface CFindRq extends RequestBase<"C-FIND-RQ"> {
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid: string;
  /** Priority (0000,0700), see {@linkcode PRIORITY}. */
  readonly priority: number;
}

/** C-FIND-RSP (PS3.7 §9.3.2.2, Table 9.3-4); pending ones carry an Identifier. */
export interface CFindRsp extends ResponseBase<"C-FIND-RSP"> {}

/** C-GET-RQ (PS3.7 §9.3.3.1, Table 9.3-6); the Identifier follows. */
export interface CGetRq extends RequestBase<"C-GET-RQ"> {
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid: string;
  /** Priority (0000,0700), see {@linkcode PRIORITY}. */
  readonly priority: number;
}

/** C-GET-RSP (PS3.7 §9.3.3.2, Table 9.3-7). */
export interface CGetRsp extends ResponseBase<"C-GET-RSP">, SubOperationFields {}

/** C-MOVE-RQ (PS3.7 §9.3.4.1, Table 9.3-9); the Identifier follows. */
export interface CMoveRq extends RequestBase<"C-MOVE-RQ"> {
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid: string;
  /** Priority (0000,0700), see {@linkcode PRIORITY}. */
  readonly priority: number;
  /** Move Destination (0000,0600): the AE title the objects go to. */
  readonly moveDestination: string;
}

/** C-MOVE-RSP (PS3.7 §9.3.4.2, Table 9.3-10). */
export interface CMoveRsp extends ResponseBase<"C-MOVE-RSP">, SubOperationFields {}

/** C-ECHO-RQ (PS3.7 §9.3.5.1, Table 9.3-12); no data set. */
export interface CEchoRq extends RequestBase<"C-ECHO-RQ"> {
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid: string;
}

/** C-ECHO-RSP (PS3.7 §9.3.5.2, Table 9.3-13); no data set. */
export interface CEchoRsp extends ResponseBase<"C-ECHO-RSP"> {}

/**
 * C-CANCEL-RQ: C-CANCEL-FIND-RQ, C-CANCEL-GET-RQ and C-CANCEL-MOVE-RQ
 * (PS3.7 §9.3.2.3, §9.3.3.3, §9.3.4.3); no data set, no response.
 */
export interface CCancelRq extends CommandBase<"C-CANCEL-RQ"> {
  /** Message ID Being Responded To (0000,0120): the request to cancel. */
  readonly messageIdBeingRespondedTo: number;
}

/** N-EVENT-REPORT-RQ (PS3.7 §10.3.1.1, Table 10.3-1); Event Information may follow. */
export interface NEventReportRq extends RequestBase<"N-EVENT-REPORT-RQ"> {
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid: string;
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid: string;
  /** Event Type ID (0000,1002). */
  readonly eventTypeId: number;
}

/** N-EVENT-REPORT-RSP (PS3.7 §10.3.1.2, Table 10.3-2). */
export interface NEventReportRsp extends ResponseBase<"N-EVENT-REPORT-RSP"> {
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid?: string;
  /** Event Type ID (0000,1002). */
  readonly eventTypeId?: number;
}

/** N-GET-RQ (PS3.7 §10.3.2.1, Table 10.3-3); no data set. */
export interface NGetRq extends RequestBase<"N-GET-RQ"> {
  /** Requested SOP Class UID (0000,0003). */
  readonly requestedSopClassUid: string;
  /** Requested SOP Instance UID (0000,1001). */
  readonly requestedSopInstanceUid: string;
  /** Attribute Identifier List (0000,1005): tags: the attributes asked for; all when absent. */
  readonly attributeIdentifierList?: readonly number[];
}

/** N-GET-RSP (PS3.7 §10.3.2.2, Table 10.3-4); the Attribute List may follow. */
export interface NGetRsp extends ResponseBase<"N-GET-RSP"> {
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid?: string;
  /** Attribute Identifier List (0000,1005): tags: with an attribute list error (PS3.7 Annex C). */
  readonly attributeIdentifierList?: readonly number[];
}

/** N-SET-RQ (PS3.7 §10.3.3.1, Table 10.3-5); the Modification List follows. */
export interface NSetRq extends RequestBase<"N-SET-RQ"> {
  /** Requested SOP Class UID (0000,0003). */
  readonly requestedSopClassUid: string;
  /** Requested SOP Instance UID (0000,1001). */
  readonly requestedSopInstanceUid: string;
}

/** N-SET-RSP (PS3.7 §10.3.3.2, Table 10.3-6). */
export interface NSetRsp extends ResponseBase<"N-SET-RSP"> {
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid?: string;
  /** Attribute Identifier List (0000,1005): tags: with an attribute list error (PS3.7 Annex C). */
  readonly attributeIdentifierList?: readonly number[];
}

/** N-ACTION-RQ (PS3.7 §10.3.4.1, Table 10.3-7); Action Information may follow. */
export interface NActionRq extends RequestBase<"N-ACTION-RQ"> {
  /** Requested SOP Class UID (0000,0003). */
  readonly requestedSopClassUid: string;
  /** Requested SOP Instance UID (0000,1001). */
  readonly requestedSopInstanceUid: string;
  /** Action Type ID (0000,1008). */
  readonly actionTypeId: number;
}

/** N-ACTION-RSP (PS3.7 §10.3.4.2, Table 10.3-8). */
export interface NActionRsp extends ResponseBase<"N-ACTION-RSP"> {
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid?: string;
  /** Action Type ID (0000,1008). */
  readonly actionTypeId?: number;
}

/** N-CREATE-RQ (PS3.7 §10.3.5.1, Table 10.3-9); the Attribute List may follow. */
export interface NCreateRq extends RequestBase<"N-CREATE-RQ"> {
  /** Affected SOP Class UID (0000,0002). */
  readonly affectedSopClassUid: string;
  /** Affected SOP Instance UID (0000,1000): when the requestor chooses it. */
  readonly affectedSopInstanceUid?: string;
}

/** N-CREATE-RSP (PS3.7 §10.3.5.2, Table 10.3-10). */
export interface NCreateRsp extends ResponseBase<"N-CREATE-RSP"> {
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid?: string;
}

/** N-DELETE-RQ (PS3.7 §10.3.6.1, Table 10.3-11); no data set. */
export interface NDeleteRq extends RequestBase<"N-DELETE-RQ"> {
  /** Requested SOP Class UID (0000,0003). */
  readonly requestedSopClassUid: string;
  /** Requested SOP Instance UID (0000,1001). */
  readonly requestedSopInstanceUid: string;
}

/** N-DELETE-RSP (PS3.7 §10.3.6.2, Table 10.3-12); no data set. */
export interface NDeleteRsp extends ResponseBase<"N-DELETE-RSP"> {
  /** Affected SOP Instance UID (0000,1000). */
  readonly affectedSopInstanceUid?: string;
}

/** Each message type's command set, by type: `CommandMap["C-MOVE-RQ"]` is {@linkcode CMoveRq}. */
export interface CommandMap {
  /** C-STORE-RQ. */
  "C-STORE-RQ": CStoreRq;
  /** C-STORE-RSP. */
  "C-STORE-RSP": CStoreRsp;
  /** C-GET-RQ. */
  "C-GET-RQ": CGetRq;
  /** C-GET-RSP. */
  "C-GET-RSP": CGetRsp;
  /** C-FIND-RQ. */
  "C-FIND-RQ": CFindRq;
  /** C-FIND-RSP. */
  "C-FIND-RSP": CFindRsp;
  /** C-MOVE-RQ. */
  "C-MOVE-RQ": CMoveRq;
  /** C-MOVE-RSP. */
  "C-MOVE-RSP": CMoveRsp;
  /** C-ECHO-RQ. */
  "C-ECHO-RQ": CEchoRq;
  /** C-ECHO-RSP. */
  "C-ECHO-RSP": CEchoRsp;
  /** C-CANCEL-RQ. */
  "C-CANCEL-RQ": CCancelRq;
  /** N-EVENT-REPORT-RQ. */
  "N-EVENT-REPORT-RQ": NEventReportRq;
  /** N-EVENT-REPORT-RSP. */
  "N-EVENT-REPORT-RSP": NEventReportRsp;
  /** N-GET-RQ. */
  "N-GET-RQ": NGetRq;
  /** N-GET-RSP. */
  "N-GET-RSP": NGetRsp;
  /** N-SET-RQ. */
  "N-SET-RQ": NSetRq;
  /** N-SET-RSP. */
  "N-SET-RSP": NSetRsp;
  /** N-ACTION-RQ. */
  "N-ACTION-RQ": NActionRq;
  /** N-ACTION-RSP. */
  "N-ACTION-RSP": NActionRsp;
  /** N-CREATE-RQ. */
  "N-CREATE-RQ": NCreateRq;
  /** N-CREATE-RSP. */
  "N-CREATE-RSP": NCreateRsp;
  /** N-DELETE-RQ. */
  "N-DELETE-RQ": NDeleteRq;
  /** N-DELETE-RSP. */
  "N-DELETE-RSP": NDeleteRsp;
}

/** The command set of one message type, e.g. `CommandOf<"C-MOVE-RQ">` is {@linkcode CMoveRq}. */
export type CommandOf<T extends CommandType> = CommandMap[T];

/**
 * A DIMSE command set: one readonly plain object per message of PS3.7 §9.3
 * and §10.3 (see {@linkcode CommandMap}), discriminated by `type`. The
 * fields a message's table makes mandatory are required properties (checked
 * by {@linkcode decodeCommand} and {@linkcode encodeCommand}, listed in
 * {@linkcode REQUIRED_FIELDS}), the conditional and user-optional ones
 * optional. A decoded command keeps any other field it carried, so that it
 * re-encodes to the same bytes.
 */
export type Command = CommandMap[CommandType];

/** The requests that are answered: every request but C-CANCEL-RQ. */
export type RequestType = Exclude<CommandType, `${string}-RSP` | "C-CANCEL-RQ">;

/** The responses. */
export type ResponseType = Extract<CommandType, `${string}-RSP`>;

/** The response type of each request type (PS3.7 §9.3, §10.3). */
export const RESPONSE_TYPE: {
  readonly [T in RequestType]: `${T extends `${infer N}-RQ` ? N : never}-RSP`;
} = {
  "C-STORE-RQ": "C-STORE-RSP",
  "C-GET-RQ": "C-GET-RSP",
  "C-FIND-RQ": "C-FIND-RSP",
  "C-MOVE-RQ": "C-MOVE-RSP",
  "C-ECHO-RQ": "C-ECHO-RSP",
  "N-EVENT-REPORT-RQ": "N-EVENT-REPORT-RSP",
  "N-GET-RQ": "N-GET-RSP",
  "N-SET-RQ": "N-SET-RSP",
  "N-ACTION-RQ": "N-ACTION-RSP",
  "N-CREATE-RQ": "N-CREATE-RSP",
  "N-DELETE-RQ": "N-DELETE-RSP",
};

/** The response type of request type `T`, e.g. `ResponseTypeOf<"C-FIND-RQ">` is `"C-FIND-RSP"`. */
export type ResponseTypeOf<T extends RequestType> = (typeof RESPONSE_TYPE)[T];

/** A request command set (C-CANCEL-RQ aside), e.g. what a request handler gets. */
export type RequestCommand<T extends RequestType = RequestType> = CommandOf<T>;

/**
 * A request to send: its command set without the Message ID, which
 * `DimseChannel.request()` allocates.
 */
export type RequestToSend<T extends RequestType = RequestType> = T extends RequestType
  ? Omit<RequestCommand<T>, "messageId">
  : never;

/** A response command set, e.g. `ResponseCommand<"C-FIND-RQ">` is {@linkcode CFindRsp}. */
export type ResponseCommand<T extends RequestType = RequestType> = CommandOf<ResponseTypeOf<T>>;

/** A command set as far as it could be read: see {@linkcode CommandSetError}. */
export interface PartialCommand extends CommandFields {
  /** The message type, when Command Field was read and known. */
  readonly type?: CommandType;
  /** Whether a data set follows. */
  readonly hasDataset?: boolean;
}
