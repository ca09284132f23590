import { assertRoundTrip, concat, hex } from "./pdu_helpers.ts";
import { assertMalformed } from "./pdu_helpers.ts";
import type {
  AssociateAcPdu,
  AssociateRqPdu,
  UserInformationAc,
  UserInformationRq,
} from "../pdu/mod.ts";

const text = (value: string) => new TextEncoder().encode(value);

/**
 * An A-ASSOCIATE PDU of `type` (1 RQ, 2 AC) around a User Information Item
 * value, with no presentation context; the lengths of the outer parts are
 * computed here so each test spells out only the sub-items.
 */
function associate(type: 1 | 2, userInformation: Uint8Array): Uint8Array {
  const info = concat(hex("50 00"), u16(userInformation.length), userInformation);
  const body = concat(
    hex(`00 01 00 00 "CALLED" 20 20 20 20 20 20 20 20 20 20 "CALLING" 20 20 20 20 20 20 20 20 20`),
    new Uint8Array(32),
    hex(`10 00 00 01 "1"`),
    info,
  );
  return concat(new Uint8Array([type, 0]), u32(body.length), body);
}

function u16(value: number): Uint8Array {
  return new Uint8Array([value >> 8, value & 0xff]);
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

function rq(userInformation: UserInformationRq): AssociateRqPdu {
  return {
    type: "A-ASSOCIATE-RQ",
    protocolVersion: 1,
    calledAeTitle: "CALLED",
    callingAeTitle: "CALLING",
    applicationContext: "1",
    presentationContexts: [],
    userInformation,
  };
}

function ac(userInformation: UserInformationAc): AssociateAcPdu {
  return { ...rq({}), type: "A-ASSOCIATE-AC", presentationContexts: [], userInformation };
}

Deno.test("encodePdu() and decodePdu() round-trip every A-ASSOCIATE-RQ user information sub-item of PS3.7 Annex D.3.3", async () => {
  const info: UserInformationRq = {
    maxPduLength: 16384,
    implementationClassUid: "1.2.3.4",
    asynchronousOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 3 },
    roleSelections: [
      { sopClassUid: "1.2.3.5", scuRole: false, scpRole: true },
      { sopClassUid: "1.2.3.6", scuRole: true, scpRole: true },
    ],
    implementationVersionName: "DCMNET_010",
    sopClassExtendedNegotiations: [{
      sopClassUid: "1.2.3.7",
      serviceClassApplicationInformation: new Uint8Array([1, 0, 1]),
    }],
    sopClassCommonExtendedNegotiations: [{
      sopClassUid: "1.2.3.8",
      serviceClassUid: "1.2.840.10008.4.2",
      relatedGeneralSopClassUids: ["1.2.3.9", "1.2.3.10"],
    }],
    userIdentity: {
      identityType: 2,
      positiveResponseRequested: true,
      primaryField: text("user"),
      secondaryField: text("secret"),
    },
    unknownSubItems: [{ type: 0x5a, bytes: new Uint8Array([0xab, 0xcd]) }],
  };
  const bytes = hex(`
    51 00 00 04 00 00 40 00            # PS3.8 Table D.1-1: Maximum-length-received 16384
    52 00 00 07 "1.2.3.4"              # PS3.7 Table D.3-1: Implementation-class-uid
    53 00 00 04 00 05 00 03            # Table D.3-7: invoked 5, performed 3
    54 00 00 0b 00 07 "1.2.3.5" 00 01  # Table D.3-9: UID-length, SOP class, SCU-role 0, SCP-role 1
    54 00 00 0b 00 07 "1.2.3.6" 01 01
    55 00 00 0a "DCMNET_010"           # Table D.3-3: Implementation-version-name
    56 00 00 0c 00 07 "1.2.3.7" 01 00 01 # Table D.3-11: SOP-class-uid, application information
    57 00 00 31                        # Table D.3-12: Sub-Item-version 0, length 49
      00 07 "1.2.3.8"                  #   SOP-class-uid
      00 11 "1.2.840.10008.4.2"        #   Service-class-uid
      00 13                            #   Related-general-sop-class-identification length 19
        00 07 "1.2.3.9"                #   Table D.3-13 sub-fields
        00 08 "1.2.3.10"
    58 00 00 10                        # Table D.3-14
      02 01                            #   User-Identity-Type 2, Positive-response-requested 1
      00 04 "user"                     #   Primary-field
      00 06 "secret"                   #   Secondary-field
    5a 00 00 02 ab cd                  # unknown sub-item, kept (PS3.8 Annex D.2 note 2)
  `);
  await assertRoundTrip(rq(info), associate(1, bytes));
});

Deno.test("encodePdu() and decodePdu() round-trip every A-ASSOCIATE-AC user information sub-item of PS3.7 Annex D.3.3", async () => {
  const info: UserInformationAc = {
    maxPduLength: 16384,
    implementationClassUid: "1.2.3.4",
    asynchronousOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
    roleSelections: [{ sopClassUid: "1.2.3.5", scuRole: false, scpRole: true }],
    implementationVersionName: "DCMNET_010",
    sopClassExtendedNegotiations: [{
      sopClassUid: "1.2.3.7",
      serviceClassApplicationInformation: new Uint8Array([1]),
    }],
    userIdentity: { serverResponse: text("tick") },
  };
  const bytes = hex(`
    51 00 00 04 00 00 40 00
    52 00 00 07 "1.2.3.4"              # PS3.7 Table D.3-2
    53 00 00 04 00 01 00 01            # Table D.3-8
    54 00 00 0b 00 07 "1.2.3.5" 00 01  # Table D.3-10
    55 00 00 0a "DCMNET_010"           # Table D.3-4
    56 00 00 0a 00 07 "1.2.3.7" 01     # Table D.3-11
    59 00 00 06 00 04 "tick"           # Table D.3-15: Server-response-length, Server-response
  `);
  await assertRoundTrip(ac(info), associate(2, bytes));
});

Deno.test("encodePdu() and decodePdu() round-trip each user identity type of PS3.7 Table D.3-14", async () => {
  const cases: [number, boolean, string, string][] = [
    [1, false, "alice", ""],
    [2, false, "alice", "pw"],
    [3, true, "\x60\x82\x01\x00", ""], // a Kerberos ticket is binary
    [4, true, "<saml:Assertion/>", ""],
    [5, false, "eyJhbGciOiJub25lIn0.e30.", ""],
  ];
  for (const [identityType, positive, primary, secondary] of cases) {
    const bytes = concat(
      hex("58 00"),
      u16(6 + primary.length + secondary.length),
      new Uint8Array([identityType, positive ? 1 : 0]),
      u16(primary.length),
      hex(`"${primary}"`),
      u16(secondary.length),
      hex(`"${secondary}"`),
    );
    await assertRoundTrip(
      rq({
        userIdentity: {
          identityType,
          positiveResponseRequested: positive,
          primaryField: hex(`"${primary}"`),
          secondaryField: hex(`"${secondary}"`),
        },
      }),
      associate(1, bytes),
    );
  }
});

Deno.test("decodePdu() keeps a sub-item that is out of place as unknown", async () => {
  // 59H belongs in an A-ASSOCIATE-AC; in an RQ it is kept, not interpreted.
  await assertRoundTrip(
    rq({ unknownSubItems: [{ type: 0x59, bytes: new Uint8Array([0, 0]) }] }),
    associate(1, hex("59 00 00 02 00 00")),
  );
  // 57H is only defined for the A-ASSOCIATE-RQ.
  await assertRoundTrip(
    ac({ unknownSubItems: [{ type: 0x57, bytes: new Uint8Array([0]) }] }),
    associate(2, hex("57 00 00 01 00")),
  );
});

Deno.test("decodePdu() rejects malformed user information sub-items", async () => {
  const cases: [string, RegExp][] = [
    ["51 00 00 03 00 40 00", /Maximum Length Sub-Item \(51H\) has length 3, not 4/],
    ["51 00 00 04 00 00 40 00 51 00 00 04 00 00 40 00", /more than one Maximum Length Sub-Item/],
    ["53 00 00 02 00 01", /Asynchronous Operations Window Sub-Item \(53H\) has length 2, not 4/],
    ["54 00 00 05 00 09 31 00 01", /Role Selection Sub-Item \(54H\) UID length 9 exceeds the 3/],
    ["54 00 00 06 00 01 31 00 01 01", /after its UID has length 3, not 2/],
    ["56 00 00 01 00", /\(56H\) SOP-class-uid length needs 2 bytes but only 1 are left/],
    ["57 00 00 08 00 01 31 00 01 31 00 05", /Related-general-sop-class-identification length 5/],
    ["57 00 00 0b 00 01 31 00 01 31 00 03 00 02 31", /sop-class-uid length 2 exceeds the 1 bytes/],
    ["58 00 00 06 02 00 00 05 00 00", /\(58H\) Primary-field length 5 exceeds the 2 bytes left/],
    ["58 00 00 07 01 00 00 00 00 00 ff", /\(58H\) has 1 bytes after its Secondary-field/],
    ["50 00 00 01", /item length 1 exceeds the 0 bytes left in the User Information Item/],
    ["52 00", /2 bytes left in the User Information Item are too few for an item header/],
  ];
  for (const [subItems, message] of cases) {
    await assertMalformed(associate(1, hex(subItems)), { message });
  }
  await assertMalformed(associate(2, hex("59 00 00 03 00 02 00")), {
    message: /\(59H\) Server-response length 2 exceeds the 1 bytes left/,
  });
});
