import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./_assert.ts";
import { assertDecodes, concat, decodeStream, hex } from "./pdu_helpers.ts";
import { encodePdu, type Pdu, PduDecodeError, PduDecoderStream, PduFramer } from "../pdu/mod.ts";

const PDUS: Pdu[] = [
  {
    type: "A-ASSOCIATE-AC",
    protocolVersion: 1,
    calledAeTitle: "SCP",
    callingAeTitle: "SCU",
    applicationContext: "1.2.840.10008.3.1.1.1",
    presentationContexts: [{ id: 1, result: 0, transferSyntax: "1.2.840.10008.1.2" }],
    userInformation: { maxPduLength: 16384, implementationClassUid: "1.2.3" },
  },
  {
    type: "P-DATA-TF",
    values: [{
      presentationContextId: 1,
      isCommand: true,
      isLastFragment: true,
      data: hex("01 02"),
    }],
  },
  { type: "A-RELEASE-RQ" },
  { type: "A-ABORT", source: 2, reason: 2 },
];

Deno.test("PduDecoderStream decodes a sequence of PDUs however the bytes are chunked", async () => {
  await assertDecodes(concat(...PDUS.map(encodePdu)), PDUS);
});

Deno.test("PduDecoderStream ignores empty chunks", async () => {
  const bytes = encodePdu({ type: "A-RELEASE-RP" });
  const chunks = [new Uint8Array(), bytes.subarray(0, 3), new Uint8Array(), bytes.subarray(3)];
  assertEquals(await decodeStream(chunks), [{ type: "A-RELEASE-RP" }]);
});

Deno.test("PduDecoderStream rejects a declared 4 GiB PDU as soon as its header arrives", async () => {
  const stream = new PduDecoderStream({ maxPduLength: 16384 });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // Ten bytes of a P-DATA-TF that claims 4 GiB - 1; the writer is never closed,
  // so the error cannot come from the end of the stream.
  writer.write(hex("04 00 ff ff ff ff 00 00 00 04")).catch(() => {});
  await assertRejects(reader.read(), (error: unknown) => {
    assert(error instanceof PduDecodeError);
    assertEquals(error.code, "oversize");
    assertEquals(error.offset, 2);
    assertEquals(
      error.message,
      "Cannot decode P-DATA-TF: PDU length 4294967295 exceeds the limit of 16384",
    );
    return true;
  });
});

Deno.test("PduDecoderStream without a limit waits for a 4 GiB body without allocating it", async () => {
  const before = Deno.memoryUsage().rss;
  await assertRejects(
    decodeStream([hex("04 00 ff ff ff ff"), hex("00 00 00 04")], { maxPduLength: 0 }),
    (error: unknown) => {
      assert(error instanceof PduDecodeError);
      assertEquals(error.code, "malformed");
      assertEquals(
        error.message,
        "Cannot decode P-DATA-TF: the stream ended after 10 of its 4294967301 bytes",
      );
      return true;
    },
  );
  assert(Deno.memoryUsage().rss - before < 256 * 1024 * 1024);
});

Deno.test("PduDecoderStream errors when the stream ends inside a PDU", async () => {
  const bytes = encodePdu(PDUS[0]!);
  for (let end = 1; end < bytes.length; end++) {
    await assertRejects(
      decodeStream([bytes.subarray(0, end)]),
      new RegExp(`^PduDecodeError: Cannot decode A-ASSOCIATE-AC: the stream ended after ${end} of`),
    );
  }
});

Deno.test("PduDecoderStream counts error offsets from the start of the stream", async () => {
  const release = encodePdu({ type: "A-RELEASE-RQ" });
  const bad = hex("07 00 00 00 00 04 00 00 09 00"); // A-ABORT source 9
  for (
    const chunks of [[concat(release, bad)], [release, bad], [
      concat(release, bad.subarray(0, 3)),
      bad.subarray(3),
    ]]
  ) {
    await assertRejects(decodeStream(chunks), (error: unknown) => {
      assert(error instanceof PduDecodeError);
      assertEquals(error.offset, 18);
      return true;
    });
  }
});

Deno.test("PduDecoderStream buffers a large PDU arriving in small chunks in linear time", async () => {
  const data = new Uint8Array(8 * 1024 * 1024).map((_, i) => i % 251);
  const bytes = encodePdu({
    type: "P-DATA-TF",
    values: [{ presentationContextId: 7, isCommand: false, isLastFragment: true, data }],
  });
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 1000) chunks.push(bytes.subarray(at, at + 1000));
  const [pdu] = await decodeStream(chunks);
  assert(pdu?.type === "P-DATA-TF");
  assertEquals(pdu.values[0]!.data, data);
});

Deno.test("PduFramer decodes a PDU within one chunk in place: its PDV data is a view", () => {
  const data = new Uint8Array(100).fill(9);
  const bytes = concat(
    encodePdu({ type: "A-RELEASE-RQ" }),
    encodePdu({
      type: "P-DATA-TF",
      values: [{ presentationContextId: 1, isCommand: false, isLastFragment: true, data }],
    }),
  );
  const pdus: Pdu[] = [];
  new PduFramer().push(bytes, (pdu) => pdus.push(pdu));
  const pdata = pdus[1];
  assert(pdata?.type === "P-DATA-TF");
  assertStrictEquals(pdata.values[0]!.data.buffer, bytes.buffer);
  assertEquals(pdata.values[0]!.data, data);
});

Deno.test("PduFramer decodes PDUs arriving one byte at a time", () => {
  const bytes = concat(...PDUS.map(encodePdu));
  const pdus: Pdu[] = [];
  const framer = new PduFramer();
  for (let at = 0; at < bytes.length; at++) {
    framer.push(bytes.subarray(at, at + 1), (pdu) => pdus.push(pdu));
  }
  framer.end();
  assertEquals(pdus, PDUS);
});

Deno.test("PduFramer rejects an unknown PDU type from its first byte", () => {
  const framer = new PduFramer();
  framer.push(encodePdu({ type: "A-RELEASE-RQ" }), () => {});
  assertThrows(
    () => framer.push(hex("ab"), () => {}),
    (error: unknown) => error instanceof PduDecodeError && error.offset === 10,
  );
});

Deno.test("PduFramer frames in place after push() once its rest is taken, error offsets counted from the stream's start", () => {
  const bytes = concat(...PDUS.map(encodePdu));
  const pdus: Pdu[] = [];
  const framer = new PduFramer();
  // Half of the stream through push(), the rest through frame() from one
  // buffer the caller keeps, in pieces, the unframed bytes passed again.
  const half = Math.floor(bytes.length / 2);
  framer.push(bytes.subarray(0, half), (pdu) => pdus.push(pdu));
  let held = framer.takeRest();
  for (let at = half; at < bytes.length; at += 7) {
    const buffer = concat(held, bytes.subarray(at, Math.min(at + 7, bytes.length)));
    const end = framer.frame(buffer, 0, (pdu) => pdus.push(pdu));
    held = buffer.slice(end);
  }
  assertEquals(held.length, 0);
  assertEquals(pdus, PDUS);
  // An unknown type after them: its offset is where it is in the whole stream.
  assertThrows(
    () => framer.frame(hex("ab"), 0, () => {}),
    (error: unknown) => error instanceof PduDecodeError && error.offset === bytes.length,
  );
});
