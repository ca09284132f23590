/**
 * A data set sent as 1-byte PDVs (issue 11, item 10): the channel gathers
 * small PDVs into large chunks before its reader sees them, so its queue,
 * bounded in bytes, is not made ~250 times larger by one object per byte.
 */
import { connect } from "../association/mod.ts";
import { concatBytes, encodeDataset } from "../dataset/mod.ts";
import { encodeCommand, STATUS } from "../dimse/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import {
  CT_IMAGE_STORAGE,
  ctDataset,
  EXPLICIT_LE,
  HOST,
  randomUid,
  RawScu,
} from "./_storage_corpus.ts";

Deno.test("a data set in 1-byte PDVs reaches the handler in a few large chunks, whole", async () => {
  const chunks: number[] = [];
  let received: Uint8Array | undefined;
  await using scp = new StorageScp({
    hostname: HOST,
    port: 0,
    handleObject: async (object) => {
      const parts: Uint8Array[] = [];
      for await (const chunk of object.dataset) {
        chunks.push(chunk.length);
        parts.push(chunk);
      }
      received = concatBytes(parts);
    },
  });
  await using association = await connect(HOST, scp.port, {
    presentationContexts: [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_LE] }],
  });
  const contextId = association.findContext(CT_IMAGE_STORAGE)!.id;
  const uid = randomUid();
  const dataset = encodeDataset(ctDataset(uid, 200_000));
  const raw = new RawScu(association);
  await raw.send(
    contextId,
    encodeCommand({
      type: "C-STORE-RQ",
      hasDataset: true,
      messageId: 1,
      affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: uid,
      priority: 0,
    }),
  );
  // 2,000 one-byte PDVs per P-DATA-TF PDU.
  for (let at = 0; at < dataset.length; at += 2000) {
    const end = Math.min(at + 2000, dataset.length);
    const values = [];
    for (let i = at; i < end; i++) {
      values.push({
        presentationContextId: contextId,
        isCommand: false,
        isLastFragment: i === dataset.length - 1,
        data: dataset.subarray(i, i + 1),
      });
    }
    await association.sendPData(values);
  }
  const response = await raw.response();
  assertEquals(response.status, STATUS.SUCCESS);
  assertEquals(received, dataset);
  // About 200 KB in chunks of 64 KiB, not 200,000 chunks of one byte.
  assert(chunks.length <= 8, `${chunks.length} chunks`);
  await raw.release();
});
