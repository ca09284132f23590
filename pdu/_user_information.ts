/**
 * The User Information Item (50H, PS3.8 §9.3.2.3 and §9.3.3.3) and its
 * sub-items: Maximum Length (51H, PS3.8 Annex D.1) and the extended
 * negotiation sub-items of PS3.7 Annex D.3.3 (52H–59H).
 *
 * PS3.8 Annex D.2 (note 2): acceptors "are required to ignore such
 * unrecognized user information Sub-Items"; they are kept in
 * `unknownSubItems` so that a PDU re-encodes to the same bytes. A 58H in an
 * A-ASSOCIATE-AC, or a 57H/59H in an A-ASSOCIATE-RQ, is out of place and
 * kept the same way.
 *
 * @module
 */

import { _hex, type _ItemWriter, type _Reader, _writeItems, type _Writer } from "./_bytes.ts";
import { ITEM_TYPE } from "./constants.ts";
import type {
  AsynchronousOperationsWindow,
  RoleSelection,
  SopClassCommonExtendedNegotiation,
  SopClassExtendedNegotiation,
  UnknownItem,
  UserIdentityRequest,
  UserIdentityResponse,
  UserInformationAc,
  UserInformationBase,
  UserInformationRq,
} from "./types.ts";

/** Writes the value of a User Information Item: its sub-items in type order. */
export function _writeUserInformation(
  writer: _Writer,
  info: UserInformationRq | UserInformationAc,
): void {
  const items: _ItemWriter[] = [];
  const add = (type: number, write: (w: _Writer) => void) => items.push({ type, write });
  if (info.maxPduLength !== undefined) {
    const value = info.maxPduLength;
    // PS3.8 Table D.1-1 bytes 5–8: Maximum-length-received.
    add(ITEM_TYPE.MAXIMUM_LENGTH, (w) => w.u32(value, "Maximum-length-received"));
  }
  if (info.implementationClassUid !== undefined) {
    const uid = info.implementationClassUid;
    add(ITEM_TYPE.IMPLEMENTATION_CLASS_UID, (w) => w.text(uid, "Implementation-class-uid"));
  }
  if (info.asynchronousOperationsWindow !== undefined) {
    const window = info.asynchronousOperationsWindow;
    // PS3.7 Table D.3-7 bytes 5–6 and 7–8.
    add(ITEM_TYPE.ASYNCHRONOUS_OPERATIONS_WINDOW, (w) => {
      w.u16(window.maxOperationsInvoked, "Maximum-number-operations-invoked");
      w.u16(window.maxOperationsPerformed, "Maximum-number-operations-performed");
    });
  }
  for (const role of info.roleSelections ?? []) {
    add(ITEM_TYPE.ROLE_SELECTION, (w) => writeRoleSelection(w, role));
  }
  if (info.implementationVersionName !== undefined) {
    const name = info.implementationVersionName;
    add(ITEM_TYPE.IMPLEMENTATION_VERSION_NAME, (w) => w.text(name, "Implementation-version-name"));
  }
  for (const negotiation of info.sopClassExtendedNegotiations ?? []) {
    add(ITEM_TYPE.SOP_CLASS_EXTENDED_NEGOTIATION, (w) => {
      // PS3.7 Table D.3-11 bytes 5–6, 7–xxx, xxx–xxx.
      writeUid16(w, negotiation.sopClassUid, "SOP-class-uid");
      w.bytes(negotiation.serviceClassApplicationInformation);
    });
  }
  if ("sopClassCommonExtendedNegotiations" in info) {
    for (const negotiation of info.sopClassCommonExtendedNegotiations ?? []) {
      add(ITEM_TYPE.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION, (w) => writeCommon(w, negotiation));
    }
  }
  const identity = info.userIdentity;
  if (identity !== undefined) {
    if ("identityType" in identity) {
      add(ITEM_TYPE.USER_IDENTITY_RQ, (w) => writeIdentityRequest(w, identity));
    } else {
      // PS3.7 Table D.3-15 bytes 5–6 and 7–n.
      add(
        ITEM_TYPE.USER_IDENTITY_AC,
        (w) => writeBytes16(w, identity.serverResponse, "Server-response"),
      );
    }
  }
  _writeItems(writer, items, info.unknownSubItems);
}

/** A 2-byte length followed by a UID (PS3.7 Tables D.3-9, D.3-11, D.3-12). */
function writeUid16(w: _Writer, uid: string, field: string): void {
  const start = w.beginLength16();
  w.text(uid, field);
  w.endLength16(start, field);
}

/** A 2-byte length followed by bytes (PS3.7 Tables D.3-14, D.3-15). */
function writeBytes16(w: _Writer, bytes: Uint8Array, field: string): void {
  const start = w.beginLength16();
  w.bytes(bytes);
  w.endLength16(start, field);
}

/** SCP/SCU Role Selection Sub-Item value (PS3.7 Table D.3-9, bytes 5–xxx). */
function writeRoleSelection(w: _Writer, role: RoleSelection): void {
  writeUid16(w, role.sopClassUid, "SOP-class-uid");
  w.u8(role.scuRole ? 1 : 0, "SCU-role");
  w.u8(role.scpRole ? 1 : 0, "SCP-role");
}

/** SOP Class Common Extended Negotiation Sub-Item value (PS3.7 Tables D.3-12 and D.3-13). */
function writeCommon(w: _Writer, negotiation: SopClassCommonExtendedNegotiation): void {
  writeUid16(w, negotiation.sopClassUid, "SOP-class-uid");
  writeUid16(w, negotiation.serviceClassUid, "Service-class-uid");
  const start = w.beginLength16();
  for (const uid of negotiation.relatedGeneralSopClassUids) {
    writeUid16(w, uid, "Related-general-sop-class-uid");
  }
  w.endLength16(start, "Related-general-sop-class-identification");
}

/** User Identity Sub-Item value of an A-ASSOCIATE-RQ (PS3.7 Table D.3-14, bytes 5–xxx). */
function writeIdentityRequest(w: _Writer, identity: UserIdentityRequest): void {
  w.u8(identity.identityType, "User-Identity-Type");
  w.u8(identity.positiveResponseRequested ? 1 : 0, "Positive-response-requested");
  writeBytes16(w, identity.primaryField, "Primary-field");
  writeBytes16(w, identity.secondaryField, "Secondary-field");
}

/** Mutable collector for the sub-items read so far. */
type Collected = {
  -readonly [K in keyof (UserInformationRq & UserInformationAc)]?: unknown;
};

/**
 * Reads the sub-items of a User Information Item value. `identity` decodes
 * the User Identity sub-item this PDU may carry (58H in an RQ, 59H in an AC).
 */
function readUserInformation(
  r: _Reader,
  start: number,
  end: number,
  extra: (type: number, from: number, to: number, at: number, info: Collected) => boolean,
): Collected {
  const info: Collected = {};
  const roles: RoleSelection[] = [];
  const extended: SopClassExtendedNegotiation[] = [];
  const unknown: UnknownItem[] = [];
  r.items(start, end, "User Information Item", (type, from, to, at) => {
    switch (type) {
      case ITEM_TYPE.MAXIMUM_LENGTH:
        r.once(info.maxPduLength, "Maximum Length Sub-Item", at);
        exactLength(r, from, to, 4, "Maximum Length Sub-Item (51H)");
        info.maxPduLength = r.u32(from);
        break;
      case ITEM_TYPE.IMPLEMENTATION_CLASS_UID:
        r.once(info.implementationClassUid, "Implementation Class UID Sub-Item", at);
        info.implementationClassUid = r.uid(from, to);
        break;
      case ITEM_TYPE.ASYNCHRONOUS_OPERATIONS_WINDOW:
        r.once(info.asynchronousOperationsWindow, "Asynchronous Operations Window Sub-Item", at);
        exactLength(r, from, to, 4, "Asynchronous Operations Window Sub-Item (53H)");
        info.asynchronousOperationsWindow = {
          maxOperationsInvoked: r.u16(from),
          maxOperationsPerformed: r.u16(from + 2),
        } satisfies AsynchronousOperationsWindow;
        break;
      case ITEM_TYPE.ROLE_SELECTION:
        roles.push(readRoleSelection(r, from, to));
        break;
      case ITEM_TYPE.IMPLEMENTATION_VERSION_NAME:
        r.once(info.implementationVersionName, "Implementation Version Name Sub-Item", at);
        info.implementationVersionName = r.text(from, to);
        break;
      case ITEM_TYPE.SOP_CLASS_EXTENDED_NEGOTIATION: {
        const what = "SOP Class Extended Negotiation Sub-Item (56H) SOP-class-uid";
        const length = r.length16(from, to, what);
        extended.push({
          sopClassUid: r.uid(from + 2, from + 2 + length),
          serviceClassApplicationInformation: r.copy(from + 2 + length, to),
        });
        break;
      }
      default:
        if (!extra(type, from, to, at, info)) unknown.push({ type, bytes: r.copy(from, to) });
    }
  });
  if (roles.length > 0) info.roleSelections = roles;
  if (extended.length > 0) info.sopClassExtendedNegotiations = extended;
  if (unknown.length > 0) info.unknownSubItems = unknown;
  return info;
}

function exactLength(r: _Reader, from: number, to: number, length: number, what: string): void {
  if (to - from !== length) r.fail(`${what} has length ${to - from}, not ${length}`, from - 2);
}

/** SCP/SCU Role Selection Sub-Item value (PS3.7 Tables D.3-9 and D.3-10, bytes 5–xxx). */
function readRoleSelection(r: _Reader, from: number, to: number): RoleSelection {
  const what = "SCP/SCU Role Selection Sub-Item (54H)";
  const length = r.length16(from, to, `${what} UID`);
  const at = from + 2 + length;
  exactLength(r, at, to, 2, `${what} after its UID`);
  return { sopClassUid: r.uid(from + 2, at), scuRole: r.u8(at) !== 0, scpRole: r.u8(at + 1) !== 0 };
}

/** Reads a 2-byte length and that many bytes as a UID; returns the UID and the next offset. */
function readUid16(r: _Reader, at: number, end: number, what: string): [string, number] {
  const length = r.length16(at, end, what);
  return [r.uid(at + 2, at + 2 + length), at + 2 + length];
}

/** SOP Class Common Extended Negotiation Sub-Item value (PS3.7 Tables D.3-12 and D.3-13). */
function readCommon(r: _Reader, from: number, to: number): SopClassCommonExtendedNegotiation {
  const what = "SOP Class Common Extended Negotiation Sub-Item (57H)";
  const [sopClassUid, next] = readUid16(r, from, to, `${what} SOP-class-uid`);
  const [serviceClassUid, related] = readUid16(r, next, to, `${what} Service-class-uid`);
  const relatedLength = r.length16(related, to, `${what} Related-general-sop-class-identification`);
  const relatedEnd = related + 2 + relatedLength;
  if (relatedEnd !== to) {
    r.fail(`${what} has ${to - relatedEnd} bytes after its last field`, relatedEnd);
  }
  const relatedGeneralSopClassUids: string[] = [];
  for (let at = related + 2; at < relatedEnd;) {
    const [uid, after] = readUid16(r, at, relatedEnd, `${what} Related-general-sop-class-uid`);
    relatedGeneralSopClassUids.push(uid);
    at = after;
  }
  return { sopClassUid, serviceClassUid, relatedGeneralSopClassUids };
}

/** User Identity Sub-Item value of an A-ASSOCIATE-RQ (PS3.7 Table D.3-14, bytes 5–xxx). */
function readIdentityRequest(r: _Reader, from: number, to: number): UserIdentityRequest {
  const what = "User Identity Sub-Item (58H)";
  r.need(from, 2, to, what);
  const primary = r.length16(from + 2, to, `${what} Primary-field`);
  const secondaryAt = from + 4 + primary;
  const secondary = r.length16(secondaryAt, to, `${what} Secondary-field`);
  const end = secondaryAt + 2 + secondary;
  if (end !== to) r.fail(`${what} has ${to - end} bytes after its Secondary-field`, end);
  return {
    identityType: r.u8(from),
    positiveResponseRequested: r.u8(from + 1) !== 0,
    primaryField: r.copy(from + 4, secondaryAt),
    secondaryField: r.copy(secondaryAt + 2, end),
  };
}

/** User Identity Sub-Item value of an A-ASSOCIATE-AC (PS3.7 Table D.3-15, bytes 5–n). */
function readIdentityResponse(r: _Reader, from: number, to: number): UserIdentityResponse {
  const what = "User Identity Sub-Item (59H)";
  const length = r.length16(from, to, `${what} Server-response`);
  if (from + 2 + length !== to) {
    r.fail(
      `${what} has ${to - from - 2 - length} bytes after its Server-response`,
      from + 2 + length,
    );
  }
  return { serverResponse: r.copy(from + 2, to) };
}

/** Reads the value of the User Information Item of an A-ASSOCIATE-RQ. */
export function _readUserInformationRq(r: _Reader, start: number, end: number): UserInformationRq {
  const common: SopClassCommonExtendedNegotiation[] = [];
  const info = readUserInformation(r, start, end, (type, from, to, at, info) => {
    if (type === ITEM_TYPE.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION) {
      common.push(readCommon(r, from, to));
    } else if (type === ITEM_TYPE.USER_IDENTITY_RQ) {
      r.once(info.userIdentity, `User Identity Sub-Item (${_hex(type)})`, at);
      info.userIdentity = readIdentityRequest(r, from, to);
    } else {
      return false;
    }
    return true;
  });
  if (common.length > 0) info.sopClassCommonExtendedNegotiations = common;
  return ordered(info) as UserInformationRq;
}

/** Reads the value of the User Information Item of an A-ASSOCIATE-AC. */
export function _readUserInformationAc(r: _Reader, start: number, end: number): UserInformationAc {
  const info = readUserInformation(r, start, end, (type, from, to, at, info) => {
    if (type !== ITEM_TYPE.USER_IDENTITY_AC) return false;
    r.once(info.userIdentity, `User Identity Sub-Item (${_hex(type)})`, at);
    info.userIdentity = readIdentityResponse(r, from, to);
    return true;
  });
  return ordered(info) as UserInformationAc;
}

/** Property order of decoded user information: the order of the sub-item types. */
const ORDER: readonly (keyof Collected)[] = [
  "maxPduLength",
  "implementationClassUid",
  "asynchronousOperationsWindow",
  "roleSelections",
  "implementationVersionName",
  "sopClassExtendedNegotiations",
  "sopClassCommonExtendedNegotiations",
  "userIdentity",
  "unknownSubItems",
] satisfies (keyof UserInformationBase | "sopClassCommonExtendedNegotiations" | "userIdentity")[];

/** Returns the collected properties in sub-item order, so decoded values print predictably. */
function ordered(info: Collected): Collected {
  const out: Collected = {};
  for (const key of ORDER) if (info[key] !== undefined) out[key] = info[key];
  return out;
}
