/**
 * The data model of DICOM Upper Layer PDUs (PS3.8 §9.3) and the items of
 * their variable fields (PS3.8 §9.3.2–§9.3.3, PS3.7 Annex D.3.3).
 *
 * Every PDU is a readonly plain object discriminated by `type`. No length
 * field is stored: encoders derive every length. Text fields are decoded to
 * strings: AE titles with padding spaces trimmed, UIDs with a trailing NUL
 * trimmed.
 *
 * @module
 */

import type {
  AbortSource,
  PresentationContextResult,
  RejectResult,
  RejectSource,
} from "./constants.ts";

/**
 * An item or sub-item whose type this codec does not know. PS3.8 §9.3.1
 * asks receivers to ignore such items; they are kept (type code and value
 * bytes, without the 4-byte header) so that a decoded PDU re-encodes to the
 * same bytes and a caller can see what a peer sent. Encoders write them after
 * the known items of the same parent.
 */
export interface UnknownItem {
  /** The Item-type byte. */
  readonly type: number;
  /** The item's value: the bytes after its Item-length field (a copy). */
  readonly bytes: Uint8Array;
}

/**
 * A Presentation Context Item of an A-ASSOCIATE-RQ (20H, PS3.8 §9.3.2.2,
 * Table 9-13) with its Abstract Syntax (30H) and Transfer Syntax (40H)
 * sub-items.
 */
export interface PresentationContextRq {
  /** Presentation-context-ID, an odd number 1–255. */
  readonly id: number;
  /** The Abstract Syntax Name, a SOP Class UID (PS3.8 §9.3.2.2.1). */
  readonly abstractSyntax: string;
  /** One or more Transfer Syntax Names, in order of preference (PS3.8 §9.3.2.2.2). */
  readonly transferSyntaxes: readonly string[];
}

/**
 * A Presentation Context Item of an A-ASSOCIATE-AC (21H, PS3.8 §9.3.3.2,
 * Table 9-18) with its Transfer Syntax sub-item (40H).
 */
export interface PresentationContextAc {
  /** Presentation-context-ID of the proposed context this answers. */
  readonly id: number;
  /** Result/Reason, see {@linkcode PRESENTATION_CONTEXT_RESULT}. */
  readonly result: PresentationContextResult;
  /**
   * The accepted Transfer Syntax Name. PS3.8 §9.3.3.2 says the sub-item is
   * not significant when the context is rejected; it is `undefined` only when
   * the item had no Transfer Syntax sub-item at all.
   */
  readonly transferSyntax?: string;
}

/** Asynchronous Operations Window Sub-Item (53H, PS3.7 D.3.3.3, Table D.3-7). */
export interface AsynchronousOperationsWindow {
  /** Maximum-number-operations-invoked; 0 means unlimited. */
  readonly maxOperationsInvoked: number;
  /** Maximum-number-operations-performed; 0 means unlimited. */
  readonly maxOperationsPerformed: number;
}

/** SCP/SCU Role Selection Sub-Item (54H, PS3.7 D.3.3.4, Tables D.3-9 and D.3-10). */
export interface RoleSelection {
  /** The SOP Class UID the roles are proposed or accepted for. */
  readonly sopClassUid: string;
  /** SCU-role: proposed (RQ) or accepted (AC) when `true` (byte value 1). */
  readonly scuRole: boolean;
  /** SCP-role: proposed (RQ) or accepted (AC) when `true` (byte value 1). */
  readonly scpRole: boolean;
}

/** SOP Class Extended Negotiation Sub-Item (56H, PS3.7 D.3.3.5, Table D.3-11). */
export interface SopClassExtendedNegotiation {
  /** The SOP Class UID the information applies to. */
  readonly sopClassUid: string;
  /** Service-class-application-information, defined by each service class in PS3.4 (a copy). */
  readonly serviceClassApplicationInformation: Uint8Array;
}

/**
 * SOP Class Common Extended Negotiation Sub-Item (57H, PS3.7 D.3.3.6, Table
 * D.3-12), sent only in an A-ASSOCIATE-RQ.
 */
export interface SopClassCommonExtendedNegotiation {
  /** The SOP Class UID proposed. */
  readonly sopClassUid: string;
  /** The Service Class UID the SOP class belongs to. */
  readonly serviceClassUid: string;
  /** Related General SOP Class UIDs (PS3.7 Table D.3-13), possibly none. */
  readonly relatedGeneralSopClassUids: readonly string[];
}

/**
 * User Identity Sub-Item of an A-ASSOCIATE-RQ (58H, PS3.7 D.3.3.7.1, Table
 * D.3-14). The fields are bytes because their encoding depends on the type:
 * UTF-8 text for a username, passcode, SAML assertion or JWT, a binary
 * Kerberos ticket.
 */
export interface UserIdentityRequest {
  /** User-Identity-Type, see {@linkcode USER_IDENTITY_TYPE}. */
  readonly identityType: number;
  /** Positive-response-requested: the requestor wants a 59H sub-item in the A-ASSOCIATE-AC. */
  readonly positiveResponseRequested: boolean;
  /** Primary-field: the username, ticket, assertion or token (a copy). */
  readonly primaryField: Uint8Array;
  /** Secondary-field: the passcode for type 2, otherwise empty (a copy). */
  readonly secondaryField: Uint8Array;
}

/** User Identity Sub-Item of an A-ASSOCIATE-AC (59H, PS3.7 D.3.3.7.2, Table D.3-15). */
export interface UserIdentityResponse {
  /** Server-response: a Kerberos server ticket, SAML response or JWT; empty for types 1 and 2 (a copy). */
  readonly serverResponse: Uint8Array;
}

/**
 * The sub-items of a User Information Item (50H, PS3.8 §9.3.2.3 and
 * §9.3.3.3) that can appear in both A-ASSOCIATE-RQ and -AC. Absent
 * properties mean the sub-item was not present. Encoders write sub-items in
 * ascending type order, then unknown ones.
 */
export interface UserInformationBase {
  /**
   * Maximum Length Sub-Item (51H, PS3.8 Annex D.1): the largest P-DATA-TF
   * PDU-length the sender can receive; 0 means no limit.
   */
  readonly maxPduLength?: number;
  /** Implementation Class UID Sub-Item (52H, PS3.7 D.3.3.2). */
  readonly implementationClassUid?: string;
  /** Asynchronous Operations Window Sub-Item (53H, PS3.7 D.3.3.3). */
  readonly asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  /** SCP/SCU Role Selection Sub-Items (54H, PS3.7 D.3.3.4), one per SOP class. */
  readonly roleSelections?: readonly RoleSelection[];
  /** Implementation Version Name Sub-Item (55H, PS3.7 D.3.3.2), 1–16 characters. */
  readonly implementationVersionName?: string;
  /** SOP Class Extended Negotiation Sub-Items (56H, PS3.7 D.3.3.5). */
  readonly sopClassExtendedNegotiations?: readonly SopClassExtendedNegotiation[];
  /** Sub-items of unknown type, kept for round trips (PS3.8 §9.3.1 says to ignore them). */
  readonly unknownSubItems?: readonly UnknownItem[];
}

/** User Information Item of an A-ASSOCIATE-RQ (50H, PS3.8 §9.3.2.3, PS3.7 D.3.3). */
export interface UserInformationRq extends UserInformationBase {
  /** SOP Class Common Extended Negotiation Sub-Items (57H, PS3.7 D.3.3.6). */
  readonly sopClassCommonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[];
  /** User Identity Sub-Item (58H, PS3.7 D.3.3.7.1). */
  readonly userIdentity?: UserIdentityRequest;
}

/** User Information Item of an A-ASSOCIATE-AC (50H, PS3.8 §9.3.3.3, PS3.7 D.3.3). */
export interface UserInformationAc extends UserInformationBase {
  /** User Identity Sub-Item (59H, PS3.7 D.3.3.7.2). */
  readonly userIdentity?: UserIdentityResponse;
}

/** A-ASSOCIATE-RQ PDU (type 01H, PS3.8 §9.3.2, Table 9-11). */
export interface AssociateRqPdu {
  /** Discriminant. */
  readonly type: "A-ASSOCIATE-RQ";
  /** Protocol-version bit field; bit 0 set means version 1, see {@linkcode PROTOCOL_VERSION}. */
  readonly protocolVersion: number;
  /** Called-AE-title, 1–16 characters (spaces padded on the wire, trimmed here). */
  readonly calledAeTitle: string;
  /** Calling-AE-title, 1–16 characters (spaces padded on the wire, trimmed here). */
  readonly callingAeTitle: string;
  /** Application Context Name (10H), normally {@linkcode DICOM_APPLICATION_CONTEXT_NAME}. */
  readonly applicationContext: string;
  /** Presentation Context Items (20H), one or more. */
  readonly presentationContexts: readonly PresentationContextRq[];
  /** User Information Item (50H). */
  readonly userInformation: UserInformationRq;
  /** Items of unknown type in the variable field, kept for round trips. */
  readonly unknownItems?: readonly UnknownItem[];
}

/** A-ASSOCIATE-AC PDU (type 02H, PS3.8 §9.3.3, Table 9-17). */
export interface AssociateAcPdu {
  /** Discriminant. */
  readonly type: "A-ASSOCIATE-AC";
  /** Protocol-version bit field; bit 0 set means version 1. */
  readonly protocolVersion: number;
  /** Reserved field that echoes the Called-AE-title of the request (PS3.8 Table 9-17, bytes 11–26). */
  readonly calledAeTitle: string;
  /** Reserved field that echoes the Calling-AE-title of the request (PS3.8 Table 9-17, bytes 27–42). */
  readonly callingAeTitle: string;
  /** Application Context Name (10H). */
  readonly applicationContext: string;
  /** Presentation Context Items (21H), one per proposed context. */
  readonly presentationContexts: readonly PresentationContextAc[];
  /** User Information Item (50H). */
  readonly userInformation: UserInformationAc;
  /** Items of unknown type in the variable field, kept for round trips. */
  readonly unknownItems?: readonly UnknownItem[];
}

/** A-ASSOCIATE-RJ PDU (type 03H, PS3.8 §9.3.4, Table 9-21). */
export interface AssociateRjPdu {
  /** Discriminant. */
  readonly type: "A-ASSOCIATE-RJ";
  /** Result, see {@linkcode REJECT_RESULT}. */
  readonly result: RejectResult;
  /** Source, see {@linkcode REJECT_SOURCE}. */
  readonly source: RejectSource;
  /** Reason/Diag., see {@linkcode REJECT_REASON}; its meaning depends on `source`. */
  readonly reason: number;
}

/**
 * A Presentation Data Value Item of a P-DATA-TF PDU (PS3.8 §9.3.5.1, Table
 * 9-23) with its message control header (PS3.8 Annex E.2).
 */
export interface PresentationDataValue {
  /** Presentation-context-ID the fragment belongs to. */
  readonly presentationContextId: number;
  /** Message control header bit 0: the fragment is part of a command (`true`) or a data set. */
  readonly isCommand: boolean;
  /** Message control header bit 1: the fragment is the last of its command or data set. */
  readonly isLastFragment: boolean;
  /**
   * The message fragment. Decoders return a view into the decoded bytes,
   * not a copy: copy it if that buffer is reused.
   */
  readonly data: Uint8Array;
}

/** P-DATA-TF PDU (type 04H, PS3.8 §9.3.5, Table 9-22). */
export interface PDataTfPdu {
  /** Discriminant. */
  readonly type: "P-DATA-TF";
  /** One or more Presentation Data Value Items. */
  readonly values: readonly PresentationDataValue[];
}

/** A-RELEASE-RQ PDU (type 05H, PS3.8 §9.3.6, Table 9-24). */
export interface ReleaseRqPdu {
  /** Discriminant. */
  readonly type: "A-RELEASE-RQ";
}

/** A-RELEASE-RP PDU (type 06H, PS3.8 §9.3.7, Table 9-25). */
export interface ReleaseRpPdu {
  /** Discriminant. */
  readonly type: "A-RELEASE-RP";
}

/** A-ABORT PDU (type 07H, PS3.8 §9.3.8, Table 9-26). */
export interface AbortPdu {
  /** Discriminant. */
  readonly type: "A-ABORT";
  /** Source, see {@linkcode ABORT_SOURCE}. */
  readonly source: AbortSource;
  /** Reason/Diag., see {@linkcode ABORT_REASON}; significant only when `source` is 2. */
  readonly reason: number;
}

/** Any of the seven PDUs of the DICOM Upper Layer protocol, discriminated by `type`. */
export type Pdu =
  | AssociateRqPdu
  | AssociateAcPdu
  | AssociateRjPdu
  | PDataTfPdu
  | ReleaseRqPdu
  | ReleaseRpPdu
  | AbortPdu;
