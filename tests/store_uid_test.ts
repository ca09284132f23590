/**
 * What the Storage SCP makes of the command's SOP Instance UID (issue 11,
 * item 8): one that is no UID (PS3.5 §9.1) is refused with 0117 (invalid
 * SOP instance) before anything is written, so no two UIDs share a file and
 * none makes a hidden file; a failure comment never shows the server's paths.
 */
import { connect } from "../association/mod.ts";
import { encodeDataset } from "../dataset/mod.ts";
import { DimseChannel, STATUS } from "../dimse/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { storeCt } from "./association_helpers.ts";
import { CT_IMAGE_STORAGE, ctDataset, EXPLICIT_LE, filesIn, HOST } from "./_storage_corpus.ts";

async function storeAll(
  scp: StorageScp,
  uids: string[],
): Promise<{ uid: string; status: number; comment: string | undefined }[]> {
  const association = await connect(HOST, scp.port, {
    presentationContexts: [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_LE] }],
  });
  const channel = new DimseChannel(association);
  const contextId = association.findContext(CT_IMAGE_STORAGE)!.id;
  const out = [];
  for (const uid of uids) {
    const response = await storeCt(channel, contextId, uid, encodeDataset(ctDataset(uid, 256)));
    out.push({ uid, status: response?.status ?? -1, comment: response?.errorComment });
  }
  await association.release();
  await channel.closed;
  return out;
}

Deno.test("the Storage SCP refuses SOP Instance UIDs that are no UIDs with 0117, and stores the rest each in its own file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "store-uid-" });
  try {
    await using scp = new StorageScp({ hostname: HOST, port: 0, directory: dir });
    const results = await storeAll(scp, [
      "1.2.3/4",
      "1.2.3_4",
      ".1.2",
      "1.2.3.4",
      "1..2",
      "1.2.04", // a leading zero: against PS3.5, written by some equipment, harmless: stored
    ]);
    const byUid = Object.fromEntries(results.map((r) => [r.uid, r.status]));
    assertEquals(byUid, {
      "1.2.3/4": STATUS.INVALID_SOP_INSTANCE,
      "1.2.3_4": STATUS.INVALID_SOP_INSTANCE,
      ".1.2": STATUS.INVALID_SOP_INSTANCE,
      "1.2.3.4": STATUS.SUCCESS,
      "1..2": STATUS.INVALID_SOP_INSTANCE,
      "1.2.04": STATUS.SUCCESS,
    });
    for (const r of results.filter((r) => r.status !== STATUS.SUCCESS)) {
      assert(r.comment?.includes("SOP Instance UID"), `${r.uid}: ${r.comment}`);
    }
    const names = (await filesIn(dir, { all: true })).map((p) => p.slice(dir.length + 1)).sort();
    assertEquals(names, ["1.2.04.dcm", "1.2.3.4.dcm"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a C-STORE that cannot be written is answered without the server's paths in its comment", async () => {
  const dir = await Deno.makeTempDir({ prefix: "store-uid-" });
  try {
    await Deno.mkdir(`${dir}/a`);
    await using scp = new StorageScp({ hostname: HOST, port: 0, directory: `${dir}/a` });
    // The folder goes away under the server: the write fails with an OS error naming the path.
    await Deno.remove(dir, { recursive: true });
    const [result] = await storeAll(scp, ["2.25.5"]);
    assertEquals(result!.status, STATUS.OUT_OF_RESOURCES);
    assert(result!.comment !== undefined && !result!.comment.includes(dir), result!.comment);
    assert(!result!.comment.includes("/"), result!.comment);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
