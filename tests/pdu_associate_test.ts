import { assertEquals, assertThrows } from "./_assert.ts";
import { assertDecodes, assertRoundTrip, hex } from "./pdu_helpers.ts";
import {
  type AssociateAcPdu,
  type AssociateRqPdu,
  DICOM_APPLICATION_CONTEXT_NAME,
  encodePdu,
  type PDataTfPdu,
  type Pdu,
} from "../pdu/mod.ts";

/** PS3.8 Table 9-11 bytes 7–74 for the AE titles ANY-SCP and ECHOSCU. */
const FIXED_FIELDS = `
  00 01                                         # 7-8 Protocol-version: bit 0, version 1
  00 00                                         # 9-10 reserved
  "ANY-SCP" 20 20 20 20 20 20 20 20 20          # 11-26 Called-AE-title, space padded
  "ECHOSCU" 20 20 20 20 20 20 20 20 20          # 27-42 Calling-AE-title, space padded
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 # 43-74 reserved
`;

const APPLICATION_CONTEXT = `
  10 00 00 15 "1.2.840.10008.3.1.1.1"           # 10H, length 21 (PS3.8 Table 9-12)
`;

const REQUEST: AssociateRqPdu = {
  type: "A-ASSOCIATE-RQ",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "ECHOSCU",
  applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
  presentationContexts: [{
    id: 1,
    abstractSyntax: "1.2.840.10008.1.1",
    transferSyntaxes: ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"],
  }],
  userInformation: {
    maxPduLength: 16384,
    implementationClassUid: "1.2.3.4",
    implementationVersionName: "DCMNET_010",
  },
};

const REQUEST_BYTES = hex(`
  01 00 00 00 00 cb                             # 01H, reserved, PDU-length 203 = 68 + 135
  ${FIXED_FIELDS}
  ${APPLICATION_CONTEXT}                        # 25 bytes
  20 00 00 45                                   # 20H, length 69 (PS3.8 Table 9-13)   73 bytes
    01 00 00 00                                 #   5 Presentation-context-ID, 6-8 reserved
    30 00 00 11 "1.2.840.10008.1.1"             #   30H Abstract Syntax (Table 9-14)
    40 00 00 11 "1.2.840.10008.1.2"             #   40H Transfer Syntax (Table 9-15)
    40 00 00 13 "1.2.840.10008.1.2.1"
  50 00 00 21                                   # 50H, length 33 (Table 9-16)         37 bytes
    51 00 00 04 00 00 40 00                     #   51H Maximum Length 16384 (Table D.1-1)
    52 00 00 07 "1.2.3.4"                       #   52H Implementation Class UID (PS3.7 Table D.3-1)
    55 00 00 0a "DCMNET_010"                    #   55H Implementation Version Name (Table D.3-3)
`);

Deno.test("encodePdu() and decodePdu() round-trip an A-ASSOCIATE-RQ built from PS3.8 Table 9-11", async () => {
  await assertRoundTrip(REQUEST, REQUEST_BYTES);
});

const ACCEPT: AssociateAcPdu = {
  type: "A-ASSOCIATE-AC",
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "ECHOSCU",
  applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
  presentationContexts: [
    { id: 1, result: 0, transferSyntax: "1.2.840.10008.1.2" },
    { id: 3, result: 3 },
  ],
  userInformation: { maxPduLength: 0, implementationClassUid: "1.2.3.4" },
};

const ACCEPT_BYTES = hex(`
  02 00 00 00 00 99                             # 02H, reserved, PDU-length 153 = 68 + 85
  ${FIXED_FIELDS}                               # Table 9-17: the same layout as the RQ
  ${APPLICATION_CONTEXT}                        # 25 bytes
  21 00 00 19                                   # 21H, length 25 (PS3.8 Table 9-18)    29 bytes
    01 00 00 00                                 #   5 ID, 6 reserved, 7 Result 0 acceptance, 8 reserved
    40 00 00 11 "1.2.840.10008.1.2"             #   40H Transfer Syntax (Table 9-19)
  21 00 00 04                                   # 21H, length 4, no sub-item           8 bytes
    03 00 03 00                                 #   Result 3 abstract-syntax-not-supported
  50 00 00 13                                   # 50H, length 19                       23 bytes
    51 00 00 04 00 00 00 00                     #   51H Maximum Length 0: unlimited
    52 00 00 07 "1.2.3.4"
`);

Deno.test("encodePdu() and decodePdu() round-trip an A-ASSOCIATE-AC built from PS3.8 Table 9-17", async () => {
  await assertRoundTrip(ACCEPT, ACCEPT_BYTES);
});

Deno.test("encodePdu() and decodePdu() round-trip an A-ASSOCIATE-RJ built from PS3.8 Table 9-21", async () => {
  await assertRoundTrip(
    { type: "A-ASSOCIATE-RJ", result: 1, source: 1, reason: 7 },
    hex("03 00 00 00 00 04   00 01 01 07 # reserved, result 1, source 1, reason 7"),
  );
});

Deno.test("decodePdu() trims AE title spaces and the NUL padding of UIDs", async () => {
  const bytes = hex(`
    01 00 00 00 00 96                           # PDU-length 150 = 68 + 82
    00 01 00 00
    20 20 "ANY" 20 20 20 20 20 20 20 20 20 20 20 # leading and trailing spaces
    "A" 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    10 00 00 16 "1.2.840.10008.3.1.1.1" 00     # 26: odd-length UID padded with NUL
    20 00 00 30 01 00 00 00                     # 52
      30 00 00 12 "1.2.840.10008.1.1" 00
      40 00 00 12 "1.2.840.10008.1.2" 00
    50 00 00 00                                 # 4
  `);
  await assertDecodes(bytes, [{
    type: "A-ASSOCIATE-RQ",
    protocolVersion: 1,
    calledAeTitle: "ANY",
    callingAeTitle: "A",
    applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts: [{
      id: 1,
      abstractSyntax: "1.2.840.10008.1.1",
      transferSyntaxes: ["1.2.840.10008.1.2"],
    }],
    userInformation: {},
  }]);
});

Deno.test("decodePdu() keeps unknown items of the variable field and encodePdu() writes them in type order", async () => {
  const pdu: AssociateAcPdu = {
    ...ACCEPT,
    presentationContexts: [{ id: 1, result: 0, transferSyntax: "1.2.840.10008.1.2" }],
    userInformation: {},
    unknownItems: [{ type: 0x60, bytes: new Uint8Array([1, 2]) }, {
      type: 0x11,
      bytes: new Uint8Array([]),
    }],
  };
  const bytes = hex(`
    02 00 00 00 00 88                           # PDU-length 136 = 68 + 68
    ${FIXED_FIELDS}
    ${APPLICATION_CONTEXT}                      # 25
    11 00 00 00                                 # unknown 11H, empty: 4
    21 00 00 19 01 00 00 00                     # 29
      40 00 00 11 "1.2.840.10008.1.2"
    50 00 00 00                                 # 4
    60 00 00 02 01 02                           # unknown 60H: 6
  `);
  assertEquals(encodePdu(pdu), bytes);
  // Decoded unknown items are listed in the order they came: 11H, then 60H.
  await assertDecodes(bytes, [{ ...pdu, unknownItems: [...pdu.unknownItems!].reverse() }]);
});

Deno.test("decodePdu() skips unknown sub-items of a presentation context item", async () => {
  const bytes = hex(`
    02 00 00 00 00 5d                           # PDU-length 93 = 68 + 25
    ${FIXED_FIELDS}
    10 00 00 01 "1"                             # 5
    21 00 00 0c 05 00 04 00                     # 16: ID 5, result 4, no transfer syntax
      77 00 00 04 00 00 00 00                   # unknown sub-item, skipped
    50 00 00 00                                 # 4
  `);
  const expected: Pdu = {
    type: "A-ASSOCIATE-AC",
    protocolVersion: 1,
    calledAeTitle: "ANY-SCP",
    callingAeTitle: "ECHOSCU",
    applicationContext: "1",
    presentationContexts: [{ id: 5, result: 4 }],
    userInformation: {},
  };
  await assertDecodes(bytes, [expected]);
});

Deno.test("decodePdu() accepts any protocol version with bit 0 set and keeps it", async () => {
  const bytes = encodePdu({ ...REQUEST, protocolVersion: 0x8003 });
  assertEquals([bytes[6], bytes[7]], [0x80, 0x03]);
  await assertDecodes(bytes, [{ ...REQUEST, protocolVersion: 0x8003 }]);
});

Deno.test("encodePdu() rejects fields that do not fit", () => {
  assertThrows(() => encodePdu({ ...REQUEST, calledAeTitle: "SEVENTEEN-CHARS-X" }), RangeError);
  assertThrows(() => encodePdu({ ...REQUEST, callingAeTitle: "ÉCHO\u20ac" }), TypeError);
  assertThrows(
    () =>
      encodePdu({
        ...REQUEST,
        presentationContexts: [{ id: 256, abstractSyntax: "1", transferSyntaxes: ["1"] }],
      }),
    RangeError,
  );
  assertThrows(
    () => encodePdu({ ...REQUEST, protocolVersion: 0x10000 }),
    /Protocol-version: 65536 is not an integer from 0 to 65535/,
  );
  const longUid = "1.".repeat(40000);
  assertThrows(
    () => encodePdu({ ...REQUEST, applicationContext: longUid }),
    /exceed the 65535 of a 2-byte length/,
  );
  const empty: PDataTfPdu = { type: "P-DATA-TF", values: [] };
  assertThrows(() => encodePdu(empty), RangeError);
  assertThrows(() => encodePdu({ type: "A-ABORT", source: 2, reason: 256 }), RangeError);
});
