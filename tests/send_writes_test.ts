/**
 * Writes per message on the send path (issue 13): a data set fragmented
 * into many PDUs under the peer's Maximum Length goes out in a few transport
 * writes, each PDU whole, rather than one write per PDU.
 */
import {
  acceptAssociation,
  type Association,
  requestAssociation,
  type Transport,
} from "../association/mod.ts";
import { concatBytes } from "../dataset/mod.ts";
import { DimseChannel, STATUS } from "../dimse/mod.ts";
import { encodePdu, pDataTfLength, type PDataTfPdu, PduFramer, writePDataTf } from "../pdu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { CT_IMAGE_STORAGE, EXPLICIT_VR_LE, pipePair, storeCt } from "./association_helpers.ts";

/** `transport` with every write counted and every written byte kept. */
function counting(transport: Transport): { transport: Transport; writes: Uint8Array[] } {
  const writes: Uint8Array[] = [];
  const writer = transport.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      writes.push(chunk.slice());
      return writer.write(chunk);
    },
    close: () => writer.close(),
    abort: (reason) => writer.abort(reason),
  });
  return { transport: { readable: transport.readable, writable }, writes };
}

/** A requestor (its writes counted) and an acceptor with a 16 KiB Maximum Length, for CT Image Storage. */
async function associate(): Promise<
  { requestor: Association; acceptor: Association; writes: Uint8Array[] }
> {
  const [a, b] = pipePair();
  const { transport, writes } = counting(a);
  const contexts = [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LE] }];
  const [requestor, acceptor] = await Promise.all([
    requestAssociation(transport, { presentationContexts: contexts, peer: "requestor" }),
    acceptAssociation(b, { supportedAbstractSyntaxes: contexts, maxPduLength: 16384 }),
  ]);
  return { requestor, acceptor, writes };
}

Deno.test("a 1 MB data set under a 16 KiB Maximum Length goes out in a few writes of whole PDUs", async () => {
  const { requestor, acceptor, writes } = await associate();
  const dataset = new Uint8Array(1_000_000).map((_, i) => i * 7);
  const received = Promise.withResolvers<Uint8Array>();
  new DimseChannel(acceptor, {
    handlers: {
      "C-STORE-RQ": async (request, context) => {
        const parts: Uint8Array[] = [];
        for await (const chunk of request.dataset!) parts.push(chunk);
        received.resolve(concatBytes(parts));
        await context.respond({ status: STATUS.SUCCESS });
      },
    },
  });
  const channel = new DimseChannel(requestor);
  const contextId = requestor.findContext(CT_IMAGE_STORAGE)!.id;
  const before = writes.length;
  const status = (await storeCt(channel, contextId, "2.25.13", dataset))?.status;
  assertEquals(status, STATUS.SUCCESS);
  assertEquals(await received.promise, dataset);
  // 62 PDUs of at most 16 KiB: one write each before, a handful now.
  const sent = writes.slice(before);
  assert(sent.length <= 8, `${sent.length} writes`);
  // Each write holds whole PDUs, none over the peer's Maximum Length.
  const pdus: PDataTfPdu[] = [];
  const framer = new PduFramer({ maxPduLength: 0 });
  for (const bytes of sent) {
    const before = pdus.length;
    framer.push(bytes, (pdu) => {
      assertEquals(pdu.type, "P-DATA-TF");
      pdus.push(pdu as PDataTfPdu);
    });
    assert(pdus.length > before, "a write ended inside a PDU");
  }
  assert(pdus.length >= 62, `${pdus.length} PDUs`);
  for (const pdu of pdus) {
    assert(pdu.values.reduce((n, v) => n + 6 + v.data.length, 0) <= 16384);
  }
  await requestor.release();
  await channel.closed;
});

Deno.test("a 100 KB data set under a 16 KiB Maximum Length is handed to the association within DimseChannel.send(), no promise hop per PDU", async () => {
  const { requestor, acceptor } = await associate();
  const received = Promise.withResolvers<number>();
  new DimseChannel(acceptor, {
    handlers: {
      "C-STORE-RQ": async (request, context) => {
        let length = 0;
        for await (const chunk of request.dataset!) length += chunk.length;
        received.resolve(length);
        await context.respond({ status: STATUS.SUCCESS });
      },
    },
  });
  const channel = new DimseChannel(requestor);
  const contextId = requestor.findContext(CT_IMAGE_STORAGE)!.id;
  const dataset = new Uint8Array(100_000);
  const sent = channel.send(contextId, {
    type: "C-STORE-RQ",
    messageId: 1,
    hasDataset: true,
    affectedSopClassUid: CT_IMAGE_STORAGE,
    affectedSopInstanceUid: "2.25.14",
    priority: 0,
  }, dataset);
  // Every PDU of the message is with the association before send() returns.
  assert(
    requestor.bufferedAmount > dataset.length,
    `${requestor.bufferedAmount} bytes handed over`,
  );
  await sent;
  assertEquals(await received.promise, dataset.length);
  await requestor.release();
  await channel.closed;
});

Deno.test("sendPDataBatch() checks every PDU before sending any", async () => {
  const { requestor, acceptor, writes } = await associate();
  new DimseChannel(acceptor);
  const contextId = requestor.findContext(CT_IMAGE_STORAGE)!.id;
  const before = writes.length;
  const ok = {
    presentationContextId: contextId,
    isCommand: false,
    isLastFragment: false,
    data: new Uint8Array(2),
  };
  const error = await requestor.sendPDataBatch([[ok], [{ ...ok, presentationContextId: 99 }]])
    .catch((e) => e);
  assert(error instanceof RangeError, String(error));
  assertEquals(writes.length, before);
  await requestor.release();
});

Deno.test("writePDataTf() writes the bytes encodePdu() does, at any offset", () => {
  const pdu: PDataTfPdu = {
    type: "P-DATA-TF",
    values: [
      {
        presentationContextId: 1,
        isCommand: true,
        isLastFragment: true,
        data: new Uint8Array([1, 2, 3]),
      },
      {
        presentationContextId: 3,
        isCommand: false,
        isLastFragment: false,
        data: new Uint8Array(0),
      },
      {
        presentationContextId: 255,
        isCommand: false,
        isLastFragment: true,
        data: new Uint8Array(70000).fill(9),
      },
    ],
  };
  const expected = encodePdu(pdu);
  assertEquals(pDataTfLength(pdu), expected.length);
  const out = new Uint8Array(expected.length + 10);
  assertEquals(writePDataTf(pdu, out.subarray(3), 2), expected.length + 2);
  assertEquals(out.subarray(5, 5 + expected.length), expected);
});

Deno.test("a C-STORE whose data set overflows one PDU and whose command lacks a required field is refused with a TypeError", async () => {
  const { requestor, acceptor } = await associate();
  new DimseChannel(acceptor);
  const channel = new DimseChannel(requestor);
  const contextId = requestor.findContext(CT_IMAGE_STORAGE)!.id;
  let error: unknown;
  try {
    await channel.send(
      contextId,
      {
        type: "C-STORE-RQ",
        messageId: 1,
        hasDataset: true,
        affectedSopClassUid: CT_IMAGE_STORAGE,
        priority: 0,
      } as unknown as Parameters<DimseChannel["send"]>[1],
      new Uint8Array(100_000),
    );
  } catch (e) {
    error = e;
  }
  assert(error instanceof TypeError, String(error));
  await requestor.release();
  await channel.closed;
});
