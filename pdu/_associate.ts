/**
 * A-ASSOCIATE-RQ and A-ASSOCIATE-AC PDUs (PS3.8 §9.3.2 Table 9-11, §9.3.3
 * Table 9-17) and the items of their variable field: Application Context
 * (10H), Presentation Context (20H/21H) with Abstract Syntax (30H) and
 * Transfer Syntax (40H) sub-items. The User Information Item (50H) is in
 * `_user_information.ts`.
 *
 * PS3.8 §9.3: "Items of unrecognized types shall be ignored and skipped.
 * Items shall appear in an increasing order of their item types." Unknown
 * items of the variable field are kept (see {@linkcode UnknownItem}) and
 * written back in type order; unknown sub-items of a presentation context
 * item are skipped and dropped, since no part of the standard extends that
 * item.
 *
 * @module
 */

import { type _ItemWriter, type _Reader, _writeItems, type _Writer } from "./_bytes.ts";
import {
  _readUserInformationAc,
  _readUserInformationRq,
  _writeUserInformation,
} from "./_user_information.ts";
import {
  ITEM_TYPE,
  PRESENTATION_CONTEXT_RESULT,
  type PresentationContextResult,
  PROTOCOL_VERSION,
} from "./constants.ts";
import type {
  AssociateAcPdu,
  AssociateRqPdu,
  PresentationContextAc,
  PresentationContextRq,
  UnknownItem,
} from "./types.ts";

/** The Result/Reason codes of PS3.8 Table 9-18; any other is malformed. */
const CONTEXT_RESULTS: ReadonlySet<number> = new Set(Object.values(PRESENTATION_CONTEXT_RESULT));

/** Bytes of the fixed fields after the PDU header: PS3.8 Table 9-11 bytes 7–74. */
const FIXED_FIELDS_LENGTH = 68;

/** Writes a UID as is: PS3.8 §9.3.2.2.1 and Annex F forbid padding in items. */
function uidItem(type: number, uid: string, field: string): _ItemWriter {
  return { type, write: (w) => w.text(uid, field) };
}

/**
 * Writes the body of an A-ASSOCIATE-RQ or -AC after its 6-byte header:
 * Protocol-version (bytes 7–8), reserved (9–10), Called- and Calling-AE-title
 * (11–42), 32 reserved bytes (43–74), then the variable items (75–xxx).
 */
export function _writeAssociate(writer: _Writer, pdu: AssociateRqPdu | AssociateAcPdu): void {
  writer.u16(pdu.protocolVersion, "Protocol-version");
  writer.zeros(2);
  writer.aeTitle(pdu.calledAeTitle, "Called-AE-title");
  writer.aeTitle(pdu.callingAeTitle, "Calling-AE-title");
  writer.zeros(32);
  const items: _ItemWriter[] = [
    uidItem(ITEM_TYPE.APPLICATION_CONTEXT, pdu.applicationContext, "Application-context-name"),
  ];
  if (pdu.type === "A-ASSOCIATE-RQ") {
    for (const context of pdu.presentationContexts) items.push(contextRqItem(context));
  } else {
    for (const context of pdu.presentationContexts) items.push(contextAcItem(context));
  }
  items.push({
    type: ITEM_TYPE.USER_INFORMATION,
    write: (w) => _writeUserInformation(w, pdu.userInformation),
  });
  _writeItems(writer, items, pdu.unknownItems);
}

/** Presentation Context Item 20H (PS3.8 §9.3.2.2, Table 9-13). */
function contextRqItem(context: PresentationContextRq): _ItemWriter {
  return {
    type: ITEM_TYPE.PRESENTATION_CONTEXT_RQ,
    write(w) {
      w.u8(context.id, "Presentation-context-ID"); // byte 5
      w.zeros(3); // bytes 6–8
      const subItems = [
        uidItem(ITEM_TYPE.ABSTRACT_SYNTAX, context.abstractSyntax, "Abstract-syntax-name"),
        ...context.transferSyntaxes.map((uid) =>
          uidItem(ITEM_TYPE.TRANSFER_SYNTAX, uid, "Transfer-syntax-name")
        ),
      ];
      _writeItems(w, subItems, undefined);
    },
  };
}

/** Presentation Context Item 21H (PS3.8 §9.3.3.2, Table 9-18). */
function contextAcItem(context: PresentationContextAc): _ItemWriter {
  return {
    type: ITEM_TYPE.PRESENTATION_CONTEXT_AC,
    write(w) {
      w.u8(context.id, "Presentation-context-ID"); // byte 5
      w.zeros(1); // byte 6
      w.u8(context.result, "Result/Reason"); // byte 7
      w.zeros(1); // byte 8
      const subItems = context.transferSyntax === undefined
        ? []
        : [uidItem(ITEM_TYPE.TRANSFER_SYNTAX, context.transferSyntax, "Transfer-syntax-name")];
      _writeItems(w, subItems, undefined);
    },
  };
}

/** Fields common to both PDUs, read from bytes 7–74. */
interface FixedFields {
  readonly protocolVersion: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
}

function readFixedFields(r: _Reader, start: number, end: number): FixedFields {
  r.need(start, FIXED_FIELDS_LENGTH, end, "the fixed fields (PDU bytes 7–74)");
  const protocolVersion = r.u16(start);
  // PS3.8 Table 9-11 bytes 7–8: "shall only test that bit 0 is set".
  if ((protocolVersion & PROTOCOL_VERSION) === 0) {
    r.fail(
      `protocol version ${protocolVersion} does not have bit 0 (version 1) set`,
      start,
      "unsupported-protocol-version",
    );
  }
  return {
    protocolVersion,
    calledAeTitle: r.aeTitle(start + 4),
    callingAeTitle: r.aeTitle(start + 20),
  };
}

/** How an A-ASSOCIATE-RQ and -AC differ when read: their context and user information items. */
interface Variant<Context, Info> {
  readonly contextType: number;
  readonly readContext: (r: _Reader, start: number, end: number) => Context;
  readonly readUserInformation: (r: _Reader, start: number, end: number) => Info;
}

/** Reads the body (after the 6-byte header) of an A-ASSOCIATE-RQ or -AC PDU, minus its `type`. */
function readAssociate<Context, Info extends object>(
  r: _Reader,
  start: number,
  end: number,
  variant: Variant<Context, Info>,
) {
  const fixed = readFixedFields(r, start, end);
  let applicationContext: string | undefined;
  let userInformation: Info | undefined;
  const presentationContexts: Context[] = [];
  const unknownItems: UnknownItem[] = [];
  r.items(start + FIXED_FIELDS_LENGTH, end, "variable field", (type, from, to, at) => {
    if (type === ITEM_TYPE.APPLICATION_CONTEXT) {
      r.once(applicationContext, "Application Context Item", at);
      applicationContext = r.uid(from, to);
    } else if (type === variant.contextType) {
      presentationContexts.push(variant.readContext(r, from, to));
    } else if (type === ITEM_TYPE.USER_INFORMATION) {
      r.once(userInformation, "User Information Item", at);
      userInformation = variant.readUserInformation(r, from, to);
    } else {
      unknownItems.push({ type, bytes: r.copy(from, to) });
    }
  });
  if (applicationContext === undefined) r.fail("no Application Context Item", end);
  return {
    ...fixed,
    applicationContext,
    presentationContexts,
    // PS3.8 §9.3.2 requires the item; a peer that leaves it out gets an empty one.
    userInformation: userInformation ?? ({} as Info),
    ...(unknownItems.length > 0 ? { unknownItems } : {}),
  };
}

/** Reads the body (after the 6-byte header) of an A-ASSOCIATE-RQ PDU. */
export function _readAssociateRq(r: _Reader, start: number, end: number): AssociateRqPdu {
  return {
    type: "A-ASSOCIATE-RQ",
    ...readAssociate(r, start, end, {
      contextType: ITEM_TYPE.PRESENTATION_CONTEXT_RQ,
      readContext: readContextRq,
      readUserInformation: _readUserInformationRq,
    }),
  };
}

/** Reads the body (after the 6-byte header) of an A-ASSOCIATE-AC PDU. */
export function _readAssociateAc(r: _Reader, start: number, end: number): AssociateAcPdu {
  return {
    type: "A-ASSOCIATE-AC",
    ...readAssociate(r, start, end, {
      contextType: ITEM_TYPE.PRESENTATION_CONTEXT_AC,
      readContext: readContextAc,
      readUserInformation: _readUserInformationAc,
    }),
  };
}

/** Presentation Context Item 20H value (PS3.8 Table 9-13, item bytes 5–xxx). */
function readContextRq(r: _Reader, start: number, end: number): PresentationContextRq {
  r.need(start, 4, end, "Presentation Context Item (20H)");
  const id = r.u8(start);
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  r.items(start + 4, end, `Presentation Context Item ${id}`, (type, from, to, at) => {
    if (type === ITEM_TYPE.ABSTRACT_SYNTAX) {
      r.once(abstractSyntax, `Abstract Syntax Sub-Item in presentation context ${id}`, at);
      abstractSyntax = r.uid(from, to);
    } else if (type === ITEM_TYPE.TRANSFER_SYNTAX) {
      transferSyntaxes.push(r.uid(from, to));
    }
  });
  if (abstractSyntax === undefined) {
    r.fail(`presentation context ${id} has no Abstract Syntax Sub-Item`, start);
  }
  return { id, abstractSyntax, transferSyntaxes };
}

/** Presentation Context Item 21H value (PS3.8 Table 9-18, item bytes 5–xxx). */
function readContextAc(r: _Reader, start: number, end: number): PresentationContextAc {
  r.need(start, 4, end, "Presentation Context Item (21H)");
  const id = r.u8(start);
  const result = r.u8(start + 2);
  if (!CONTEXT_RESULTS.has(result)) {
    r.fail(`presentation context ${id} has result ${result}, not one of 0–4`, start + 2);
  }
  let transferSyntax: string | undefined;
  r.items(start + 4, end, `Presentation Context Item ${id}`, (type, from, to, at) => {
    if (type === ITEM_TYPE.TRANSFER_SYNTAX) {
      r.once(transferSyntax, `Transfer Syntax Sub-Item in presentation context ${id}`, at);
      transferSyntax = r.uid(from, to);
    }
  });
  return {
    id,
    result: result as PresentationContextResult,
    ...(transferSyntax === undefined ? {} : { transferSyntax }),
  };
}
