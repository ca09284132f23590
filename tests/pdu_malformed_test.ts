import { assertEquals, assertThrows } from "./_assert.ts";
import { assertMalformed, hex } from "./pdu_helpers.ts";
import { decodePdu, DEFAULT_DECODE_MAX_PDU_LENGTH, encodePdu } from "../pdu/mod.ts";

/** A minimal valid A-ASSOCIATE-RQ body, to break one field at a time. */
function request(): Uint8Array {
  return encodePdu({
    type: "A-ASSOCIATE-RQ",
    protocolVersion: 1,
    calledAeTitle: "A",
    callingAeTitle: "B",
    applicationContext: "1",
    presentationContexts: [{ id: 1, abstractSyntax: "2", transferSyntaxes: ["3"] }],
    userInformation: {},
  });
}

Deno.test("decodePdu() rejects an unknown PDU type from its first byte", async () => {
  await assertMalformed(hex("08 00 00 00 00 04 00 00 00 00"), {
    message: /^Cannot decode PDU: unknown PDU type 08H$/,
    code: "unknown-pdu-type",
    offset: 0,
  });
  // Garbage fails as soon as the first byte is seen, without waiting for a header.
  assertThrows(() => decodePdu(hex("47")), /unknown PDU type 47H/);
  await assertMalformed(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"), {
    message: /unknown PDU type 47H/,
    code: "unknown-pdu-type",
  });
  await assertMalformed(hex("00"), { message: /unknown PDU type 00H/, code: "unknown-pdu-type" });
});

Deno.test("decodePdu() reports truncated input as incomplete, not as an error", () => {
  const bytes = request();
  assertEquals(decodePdu(bytes.subarray(0, 0)), { complete: false, needed: 6 });
  assertEquals(decodePdu(bytes.subarray(0, 5)), { complete: false, needed: 6 });
  assertEquals(decodePdu(bytes.subarray(0, 6)), { complete: false, needed: bytes.length });
  assertEquals(decodePdu(bytes.subarray(0, bytes.length - 1)), {
    complete: false,
    needed: bytes.length,
  });
});

Deno.test("decodePdu() rejects an A-ASSOCIATE-RQ whose protocol version lacks bit 0", async () => {
  const bytes = request();
  bytes[7] = 0; // Protocol-version 0000H
  await assertMalformed(bytes, {
    message: /^Cannot decode A-ASSOCIATE-RQ: protocol version 0 does not have bit 0/,
    code: "unsupported-protocol-version",
    offset: 6,
  });
  bytes[7] = 2; // only a (future) version 2
  await assertMalformed(bytes, {
    message: /protocol version 2/,
    code: "unsupported-protocol-version",
  });
});

Deno.test("decodePdu() rejects an item length beyond its parent", async () => {
  const bytes = request();
  // The Application Context Item starts at byte 74; claim 0x0100 bytes.
  bytes[76] = 0x01;
  await assertMalformed(bytes, {
    message:
      /^Cannot decode A-ASSOCIATE-RQ: item length 257 exceeds the \d+ bytes left in the variable field$/,
    offset: 76,
  });
});

Deno.test("decodePdu() rejects a sub-item length beyond its presentation context item", async () => {
  const bytes = request();
  const context = bytes.indexOf(0x20, 74);
  bytes[context + 8 + 3] = 9; // the Abstract Syntax Sub-Item claims 9 bytes
  await assertMalformed(bytes, {
    message: /item length 9 exceeds the \d+ bytes left in the Presentation Context Item 1/,
    offset: context + 8 + 2,
  });
});

Deno.test("decodePdu() rejects A-ASSOCIATE PDUs shorter than their fixed fields or missing items", async () => {
  await assertMalformed(hex("01 00 00 00 00 02 00 01"), {
    message: /fixed fields \(PDU bytes 7–74\) needs 68 bytes but only 2 are left/,
  });
  const noContext = request();
  noContext[74] = 0x60; // the Application Context Item becomes an unknown item
  await assertMalformed(noContext, { message: /no Application Context Item/ });
  const twoContexts = encodePdu({
    type: "A-ASSOCIATE-AC",
    protocolVersion: 1,
    calledAeTitle: "A",
    callingAeTitle: "B",
    applicationContext: "1",
    presentationContexts: [],
    userInformation: {},
    unknownItems: [{ type: 0x10, bytes: hex('"2"') }],
  });
  await assertMalformed(twoContexts, { message: /more than one Application Context Item/ });
  const noAbstract = request();
  noAbstract[noAbstract.indexOf(0x30, 74)] = 0x31;
  await assertMalformed(noAbstract, { message: /presentation context 1 has no Abstract Syntax/ });
});

Deno.test("decodePdu() rejects invalid result and source codes", async () => {
  await assertMalformed(hex("03 00 00 00 00 04 00 03 01 01"), {
    message: /result 3 is not 1 or 2/,
    offset: 7,
  });
  await assertMalformed(hex("03 00 00 00 00 04 00 01 04 01"), {
    message: /source 4 is not 1, 2 or 3/,
    offset: 8,
  });
  await assertMalformed(hex("07 00 00 00 00 04 00 00 03 00"), {
    message: /source 3 is not 0, 1 or 2/,
    offset: 8,
  });
  const accept = hex(`
    02 00 00 00 00 55 00 01 00 00
    "A" 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20
    "B" 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    10 00 00 01 "1"
    21 00 00 04 01 00 05 00     # result 5 is not in PS3.8 Table 9-18
    50 00 00 00
  `);
  await assertMalformed(accept, { message: /presentation context 1 has result 5, not one of 0–4/ });
});

Deno.test("decodePdu() rejects fixed-length PDUs whose PDU-length is not 4", async () => {
  await assertMalformed(hex("05 00 00 00 00 05 00 00 00 00 00"), {
    message: /^Cannot decode A-RELEASE-RQ: PDU length 5 is not the fixed 4$/,
    offset: 2,
  });
  // Fails from the header alone: the 4 GiB body is never waited for.
  assertThrows(() => decodePdu(hex("07 00 ff ff ff ff")), /A-ABORT: PDU length 4294967295/);
});

Deno.test("decodePdu() rejects malformed presentation data value items", async () => {
  await assertMalformed(hex("04 00 00 00 00 00"), { message: /no Presentation Data Value Item/ });
  await assertMalformed(hex("04 00 00 00 00 02 00 00"), {
    message: /a Presentation Data Value Item header needs 4 bytes but only 2 are left/,
  });
  await assertMalformed(hex("04 00 00 00 00 05 00 00 00 01 01"), {
    message: /PDV item length 1 is too short/,
  });
  await assertMalformed(hex("04 00 00 00 00 07 00 00 00 04 01 03 00"), {
    message: /^Cannot decode P-DATA-TF: PDV item length 4 exceeds the 3 bytes left in the PDU$/,
    offset: 6,
  });
});

Deno.test("decodePdu() rejects a PDU longer than maxPduLength from its header", async () => {
  const header = hex("04 00 00 00 40 01"); // P-DATA-TF of 16385 bytes
  await assertMalformed(header, {
    message: /^Cannot decode P-DATA-TF: PDU length 16385 exceeds the limit of 16384$/,
    code: "oversize",
    offset: 2,
  }, { maxPduLength: 16384 });
  assertEquals(decodePdu(header, 0, { maxPduLength: 16385 }), { complete: false, needed: 16391 });
  assertEquals(decodePdu(header, 0, { maxPduLength: 0 }), { complete: false, needed: 16391 });
  const huge = hex("04 00 ff ff ff ff");
  assertThrows(() => decodePdu(huge), /exceeds the limit of 16777216/);
  assertEquals(DEFAULT_DECODE_MAX_PDU_LENGTH, 16777216);
});

Deno.test("decodePdu() applies maxAssociatePduLength to A-ASSOCIATE-RQ and -AC", async () => {
  const bytes = request();
  await assertMalformed(bytes, { message: /exceeds the limit of 80/, code: "oversize" }, {
    maxAssociatePduLength: 80,
  });
  // The P-DATA-TF limit does not apply to association PDUs.
  assertEquals(decodePdu(bytes, 0, { maxPduLength: 16 }).complete, true);
  assertThrows(() => decodePdu(hex("02 00 00 10 00 01")), /exceeds the limit of 1048576/);
});

Deno.test("decodePdu() rejects bad arguments with RangeError", () => {
  assertThrows(() => decodePdu(hex("05"), 2), RangeError);
  assertThrows(() => decodePdu(hex("05"), -1), RangeError);
  assertThrows(() => decodePdu(hex("04 00 00 00 00 10"), 0, { maxPduLength: -1 }), RangeError);
  assertThrows(() => decodePdu(hex("04 00 00 00 00 10"), 0, { maxPduLength: 1.5 }), RangeError);
});
