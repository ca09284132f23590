import { assert, assertEquals } from "./_assert.ts";
import { assertRoundTrip, decodeStream, hex } from "./pdu_helpers.ts";
import { decodePdu, type PDataTfPdu } from "../pdu/mod.ts";

const P_DATA: PDataTfPdu = {
  type: "P-DATA-TF",
  values: [
    { presentationContextId: 1, isCommand: true, isLastFragment: true, data: hex("aa bb cc") },
    { presentationContextId: 3, isCommand: false, isLastFragment: false, data: hex("dd") },
    { presentationContextId: 3, isCommand: false, isLastFragment: true, data: new Uint8Array() },
  ],
};

const P_DATA_BYTES = hex(`
  04 00 00 00 00 16      # 04H, reserved, PDU-length 22 (PS3.8 Table 9-22)
  00 00 00 05 01 03      # PDV Item-length 5 (Table 9-23), context 1, control 03H: command, last
    aa bb cc
  00 00 00 03 03 00      # context 3, control 00H: data set, not last (Annex E.2)
    dd
  00 00 00 02 03 02      # context 3, control 02H: data set, last; empty fragment
`);

Deno.test("encodePdu() and decodePdu() round-trip a P-DATA-TF built from PS3.8 Table 9-22 and Annex E.2", async () => {
  await assertRoundTrip(P_DATA, P_DATA_BYTES);
});

Deno.test("decodePdu() returns P-DATA-TF fragments as views of its input, not copies", () => {
  const result = decodePdu(P_DATA_BYTES);
  assert(result.complete && result.pdu.type === "P-DATA-TF");
  const [first] = result.pdu.values;
  assertEquals(first!.data.buffer, P_DATA_BYTES.buffer);
  assertEquals(first!.data.byteOffset, 12);
});

Deno.test("decodePdu() ignores the reserved bits 2-7 of the message control header", () => {
  const result = decodePdu(hex("04 00 00 00 00 07   00 00 00 03 01 fd 00"));
  assert(result.complete);
  assertEquals(result.pdu, {
    type: "P-DATA-TF",
    values: [{ presentationContextId: 1, isCommand: true, isLastFragment: false, data: hex("00") }],
  });
});

Deno.test("PduDecoderStream returns fragments as views of a chunk that holds the whole PDU", async () => {
  const [pdu] = await decodeStream([P_DATA_BYTES]);
  assert(pdu?.type === "P-DATA-TF");
  assertEquals(pdu.values[0]!.data.buffer, P_DATA_BYTES.buffer);
});

Deno.test("PduDecoderStream joins a PDU split over chunks once, and its fragments share that buffer", async () => {
  const [pdu] = await decodeStream([P_DATA_BYTES.slice(0, 13), P_DATA_BYTES.slice(13)]);
  assert(pdu?.type === "P-DATA-TF");
  const [first, second] = pdu.values;
  assert(first!.data.buffer !== P_DATA_BYTES.buffer);
  assertEquals(first!.data.buffer, second!.data.buffer);
  assertEquals(first!.data.buffer.byteLength, P_DATA_BYTES.length);
});

Deno.test("encodePdu() and decodePdu() round-trip A-RELEASE-RQ and A-RELEASE-RP from PS3.8 Tables 9-24 and 9-25", async () => {
  await assertRoundTrip({ type: "A-RELEASE-RQ" }, hex("05 00 00 00 00 04   00 00 00 00"));
  await assertRoundTrip({ type: "A-RELEASE-RP" }, hex("06 00 00 00 00 04   00 00 00 00"));
});

Deno.test("encodePdu() and decodePdu() round-trip A-ABORT from PS3.8 Table 9-26", async () => {
  await assertRoundTrip(
    { type: "A-ABORT", source: 0, reason: 0 },
    hex("07 00 00 00 00 04   00 00 00 00 # reserved, reserved, source 0 service-user, reason"),
  );
  await assertRoundTrip(
    { type: "A-ABORT", source: 2, reason: 6 },
    hex("07 00 00 00 00 04   00 00 02 06 # source 2 service-provider, invalid-PDU-parameter value"),
  );
});

Deno.test("decodePdu() does not test reserved fields", () => {
  // PS3.8 §9.3: reserved fields "shall be sent with a value 00H but not tested".
  assertEquals(decodePdu(hex("05 ff 00 00 00 04   ff ff ff ff")), {
    complete: true,
    pdu: { type: "A-RELEASE-RQ" },
    byteLength: 10,
  });
  assertEquals(decodePdu(hex("07 00 00 00 00 04   12 34 02 01")), {
    complete: true,
    pdu: { type: "A-ABORT", source: 2, reason: 1 },
    byteLength: 10,
  });
});

Deno.test("decodePdu() decodes the PDU at an offset and several PDUs in one buffer", async () => {
  const bytes = hex(`
    ff ff                                  # not part of any PDU
    05 00 00 00 00 04 00 00 00 00
    06 00 00 00 00 04 00 00 00 00
  `);
  assertEquals(decodePdu(bytes, 2), {
    complete: true,
    pdu: { type: "A-RELEASE-RQ" },
    byteLength: 10,
  });
  assertEquals(decodePdu(bytes, 12), {
    complete: true,
    pdu: { type: "A-RELEASE-RP" },
    byteLength: 10,
  });
  assertEquals(decodePdu(bytes, 22), { complete: false, needed: 6 });
  assertEquals(await decodeStream([bytes.subarray(2)]), [{ type: "A-RELEASE-RQ" }, {
    type: "A-RELEASE-RP",
  }]);
});
