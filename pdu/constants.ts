/**
 * Code tables of the DICOM Upper Layer protocol (PS3.8 §9.3): PDU and item
 * types, A-ASSOCIATE-RJ and A-ABORT result/source/reason codes, presentation
 * context results and user identity types.
 *
 * Every table is an `as const` object with a union type derived from its
 * values. Human-readable descriptions live in `describe.ts`.
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";

/**
 * PDU type codes, the first byte of every PDU (PS3.8 §9.3.1, Table 9-11 ...
 * Table 9-26 byte 1), keyed by the PDU name used as the `type` of {@linkcode Pdu}.
 *
 * @example Look up the code of a PDU type
 * ```ts
 * import { PDU_TYPE_CODES } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(PDU_TYPE_CODES["P-DATA-TF"], 0x04);
 * ```
 */
export const PDU_TYPE_CODES = {
  "A-ASSOCIATE-RQ": 0x01,
  "A-ASSOCIATE-AC": 0x02,
  "A-ASSOCIATE-RJ": 0x03,
  "P-DATA-TF": 0x04,
  "A-RELEASE-RQ": 0x05,
  "A-RELEASE-RP": 0x06,
  "A-ABORT": 0x07,
} as const;

/** The name of a PDU type, e.g. `"A-ASSOCIATE-RQ"` (a key of {@linkcode PDU_TYPE_CODES}). */
export type PduType = keyof typeof PDU_TYPE_CODES;

/** The one-byte code of a PDU type, `0x01` to `0x07`. */
export type PduTypeCode = (typeof PDU_TYPE_CODES)[PduType];

/**
 * Item and sub-item types of the variable fields of A-ASSOCIATE-RQ/AC PDUs:
 * PS3.8 §9.3.2.1–§9.3.3.3 (10H–50H) and PS3.7 Annex D.3.3 (51H–59H).
 *
 * @example Name an item type
 * ```ts
 * import { ITEM_TYPE } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(ITEM_TYPE.USER_IDENTITY_RQ, 0x58);
 * ```
 */
export const ITEM_TYPE = {
  /** Application Context Item, PS3.8 §9.3.2.1. */
  APPLICATION_CONTEXT: 0x10,
  /** Presentation Context Item in an A-ASSOCIATE-RQ, PS3.8 §9.3.2.2. */
  PRESENTATION_CONTEXT_RQ: 0x20,
  /** Presentation Context Item in an A-ASSOCIATE-AC, PS3.8 §9.3.3.2. */
  PRESENTATION_CONTEXT_AC: 0x21,
  /** Abstract Syntax Sub-Item, PS3.8 §9.3.2.2.1. */
  ABSTRACT_SYNTAX: 0x30,
  /** Transfer Syntax Sub-Item, PS3.8 §9.3.2.2.2 and §9.3.3.2.1. */
  TRANSFER_SYNTAX: 0x40,
  /** User Information Item, PS3.8 §9.3.2.3 and §9.3.3.3. */
  USER_INFORMATION: 0x50,
  /** Maximum Length Sub-Item, PS3.8 Annex D.1. */
  MAXIMUM_LENGTH: 0x51,
  /** Implementation Class UID Sub-Item, PS3.7 D.3.3.2. */
  IMPLEMENTATION_CLASS_UID: 0x52,
  /** Asynchronous Operations Window Sub-Item, PS3.7 D.3.3.3. */
  ASYNCHRONOUS_OPERATIONS_WINDOW: 0x53,
  /** SCP/SCU Role Selection Sub-Item, PS3.7 D.3.3.4. */
  ROLE_SELECTION: 0x54,
  /** Implementation Version Name Sub-Item, PS3.7 D.3.3.2. */
  IMPLEMENTATION_VERSION_NAME: 0x55,
  /** SOP Class Extended Negotiation Sub-Item, PS3.7 D.3.3.5. */
  SOP_CLASS_EXTENDED_NEGOTIATION: 0x56,
  /** SOP Class Common Extended Negotiation Sub-Item, PS3.7 D.3.3.6 (A-ASSOCIATE-RQ only). */
  SOP_CLASS_COMMON_EXTENDED_NEGOTIATION: 0x57,
  /** User Identity Sub-Item of an A-ASSOCIATE-RQ, PS3.7 D.3.3.7.1. */
  USER_IDENTITY_RQ: 0x58,
  /** User Identity Sub-Item of an A-ASSOCIATE-AC, PS3.7 D.3.3.7.2. */
  USER_IDENTITY_AC: 0x59,
} as const;

/** An item or sub-item type code, a value of {@linkcode ITEM_TYPE}. */
export type ItemType = (typeof ITEM_TYPE)[keyof typeof ITEM_TYPE];

/** The only protocol version of the DICOM Upper Layer: bit 0 of the Protocol-version field (PS3.8 §9.3.2). */
export const PROTOCOL_VERSION = 0x0001;

/**
 * The DICOM Application Context Name (PS3.7 Annex A.2.1), the only one in use:
 * `Uid.DICOMApplicationContext` of the dictionary.
 */
export const DICOM_APPLICATION_CONTEXT_NAME: typeof Uid.DICOMApplicationContext =
  Uid.DICOMApplicationContext;

/** Bytes of a PDU header: PDU-type, reserved and the 4-byte PDU-length (PS3.8 §9.3.1). */
export const PDU_HEADER_LENGTH = 6;

/**
 * Bytes a PDV adds before its fragment inside a P-DATA-TF PDU: the 4-byte
 * Item-length, the Presentation-context-ID and the message control header
 * (PS3.8 §9.3.5.1 and Annex E.2).
 */
export const PDV_HEADER_LENGTH = 6;

/**
 * Bits of the message control header, the last byte of a PDV's header
 * (PS3.8 Annex E.2). A bit that is clear means the other case: a data set
 * fragment, or a fragment that is not the last.
 *
 * @example Read a message control header
 * ```ts
 * import { MESSAGE_CONTROL_HEADER } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * const header = 0x03;
 * deepEqual((header & MESSAGE_CONTROL_HEADER.LAST_FRAGMENT) !== 0, true);
 * ```
 */
export const MESSAGE_CONTROL_HEADER = {
  /** Bit 0 set: the fragment holds command information; clear: data set information. */
  COMMAND: 0x01,
  /** Bit 1 set: the last fragment of the command set or data set. */
  LAST_FRAGMENT: 0x02,
} as const;

/**
 * The largest Presentation-context-ID: IDs are odd integers from 1 to 255
 * (PS3.8 §9.3.2.2, Table 9-13 byte 5; §9.3.5.1, Table 9-23).
 */
export const MAX_PRESENTATION_CONTEXT_ID = 255;

/**
 * The most presentation contexts one association can propose: one for each
 * odd Presentation-context-ID from 1 to 255 (PS3.8 §9.3.2.2).
 */
export const MAX_PRESENTATION_CONTEXTS = 128;

/**
 * Result codes of a presentation context in an A-ASSOCIATE-AC (PS3.8 Table
 * 9-18, byte 7 of the Presentation Context Item 21H).
 */
export const PRESENTATION_CONTEXT_RESULT = {
  ACCEPTANCE: 0,
  USER_REJECTION: 1,
  NO_REASON: 2,
  ABSTRACT_SYNTAX_NOT_SUPPORTED: 3,
  TRANSFER_SYNTAXES_NOT_SUPPORTED: 4,
} as const;

/** A presentation context result code, `0` to `4` (PS3.8 Table 9-18). */
export type PresentationContextResult =
  (typeof PRESENTATION_CONTEXT_RESULT)[keyof typeof PRESENTATION_CONTEXT_RESULT];

/** Result field of an A-ASSOCIATE-RJ PDU (PS3.8 Table 9-21, byte 8). */
export const REJECT_RESULT = {
  REJECTED_PERMANENT: 1,
  REJECTED_TRANSIENT: 2,
} as const;

/** An A-ASSOCIATE-RJ result code, `1` or `2`. */
export type RejectResult = (typeof REJECT_RESULT)[keyof typeof REJECT_RESULT];

/** Source field of an A-ASSOCIATE-RJ PDU (PS3.8 Table 9-21, byte 9). */
export const REJECT_SOURCE = {
  /** DICOM UL service-user. */
  SERVICE_USER: 1,
  /** DICOM UL service-provider (ACSE related function). */
  SERVICE_PROVIDER_ACSE: 2,
  /** DICOM UL service-provider (Presentation related function). */
  SERVICE_PROVIDER_PRESENTATION: 3,
} as const;

/** An A-ASSOCIATE-RJ source code, `1` to `3`. */
export type RejectSource = (typeof REJECT_SOURCE)[keyof typeof REJECT_SOURCE];

/**
 * Reason/Diag. field of an A-ASSOCIATE-RJ PDU (PS3.8 Table 9-21, byte 10),
 * one table per source because the meaning of a code depends on the source.
 * Codes not listed are reserved.
 */
export const REJECT_REASON = {
  /** Reasons when the source is {@linkcode REJECT_SOURCE}.SERVICE_USER (1). */
  SERVICE_USER: {
    NO_REASON_GIVEN: 1,
    APPLICATION_CONTEXT_NAME_NOT_SUPPORTED: 2,
    CALLING_AE_TITLE_NOT_RECOGNIZED: 3,
    CALLED_AE_TITLE_NOT_RECOGNIZED: 7,
  },
  /** Reasons when the source is {@linkcode REJECT_SOURCE}.SERVICE_PROVIDER_ACSE (2). */
  SERVICE_PROVIDER_ACSE: {
    NO_REASON_GIVEN: 1,
    PROTOCOL_VERSION_NOT_SUPPORTED: 2,
  },
  /** Reasons when the source is {@linkcode REJECT_SOURCE}.SERVICE_PROVIDER_PRESENTATION (3). */
  SERVICE_PROVIDER_PRESENTATION: {
    TEMPORARY_CONGESTION: 1,
    LOCAL_LIMIT_EXCEEDED: 2,
  },
} as const;

/** A defined A-ASSOCIATE-RJ reason code (for any source): `1`, `2`, `3` or `7`. */
export type RejectReason = {
  [S in keyof typeof REJECT_REASON]: (typeof REJECT_REASON)[S][keyof (typeof REJECT_REASON)[S]];
}[keyof typeof REJECT_REASON];

/** Source field of an A-ABORT PDU (PS3.8 Table 9-26, byte 9). */
export const ABORT_SOURCE = {
  /** DICOM UL service-user (initiated abort). */
  SERVICE_USER: 0,
  /** Reserved. */
  RESERVED: 1,
  /** DICOM UL service-provider (initiated abort). */
  SERVICE_PROVIDER: 2,
} as const;

/** An A-ABORT source code, `0` to `2`. */
export type AbortSource = (typeof ABORT_SOURCE)[keyof typeof ABORT_SOURCE];

/**
 * Reason/Diag. field of an A-ABORT PDU when the source is the service
 * provider (PS3.8 Table 9-26, byte 10). With any other source the field is
 * not significant and sent as 0. Code 3 is reserved.
 */
export const ABORT_REASON = {
  REASON_NOT_SPECIFIED: 0,
  UNRECOGNIZED_PDU: 1,
  UNEXPECTED_PDU: 2,
  UNRECOGNIZED_PDU_PARAMETER: 4,
  UNEXPECTED_PDU_PARAMETER: 5,
  INVALID_PDU_PARAMETER_VALUE: 6,
} as const;

/** A defined A-ABORT service-provider reason code. */
export type AbortReason = (typeof ABORT_REASON)[keyof typeof ABORT_REASON];

/** User-Identity-Type of the User Identity Sub-Item 58H (PS3.7 Table D.3-14, byte 5). */
export const USER_IDENTITY_TYPE = {
  /** Username as a UTF-8 string. */
  USERNAME: 1,
  /** Username as a UTF-8 string and passcode. */
  USERNAME_AND_PASSCODE: 2,
  /** Kerberos Service ticket. */
  KERBEROS: 3,
  /** SAML Assertion. */
  SAML: 4,
  /** JSON Web Token (JWT). */
  JWT: 5,
} as const;

/** A defined user identity type, `1` to `5`. */
export type UserIdentityType = (typeof USER_IDENTITY_TYPE)[keyof typeof USER_IDENTITY_TYPE];
