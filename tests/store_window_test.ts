/**
 * store() with an Asynchronous Operations Window (PS3.7 D.3.3.3, issue 13):
 * when the peer grants one, the next C-STORE requests go out before the
 * first responses come back; without one, each waits for its response.
 */
import { encodePart10 } from "../dataset/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { store } from "../scu/mod.ts";
import { assertEquals } from "./_assert.ts";
import { ctDataset, HOST, randomUid } from "./_storage_corpus.ts";

/** `count` small CT files in a new folder. */
async function files(count: number): Promise<{ dir: string; paths: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "store-window-" });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = `${dir}/${i}.dcm`;
    await Deno.writeFile(path, encodePart10(ctDataset(randomUid(), 64)));
    paths.push(path);
  }
  return { dir, paths };
}

/**
 * A Storage SCP granting a window of 4 whose handler answers an object only
 * once the next one has arrived (the last one at once), and counts the most
 * objects it held at once.
 */
function gatedScp(count: number): { scp: StorageScp; most: () => number } {
  let arrived = 0;
  let held = 0;
  let most = 0;
  const waiting: (() => void)[] = [];
  const scp = new StorageScp({
    hostname: HOST,
    port: 0,
    asynchronousOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 4 },
    handleObject: async (object) => {
      await object.readDataset();
      arrived++;
      held++;
      most = Math.max(most, held);
      waiting.shift()?.();
      if (arrived < count) await new Promise<void>((resolve) => waiting.push(resolve));
      held--;
    },
  });
  return { scp, most: () => most };
}

Deno.test("store() with maxOperationsInvoked keeps several C-STORE requests outstanding when the peer grants a window", async () => {
  const { dir, paths } = await files(6);
  try {
    const gated = gatedScp(paths.length);
    await using scp = gated.scp;
    // Without a request outstanding beyond the first, the first response never comes: the DIMSE timeout fails it.
    const summary = await store(HOST, scp.port, paths, {
      maxOperationsInvoked: 4,
      dimseTimeout: 5000,
    });
    assertEquals(summary.completed, paths.length);
    assertEquals(summary.results.map((r) => r.source), paths);
    assertEquals(gated.most() >= 2, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store() without maxOperationsInvoked proposes no window: one request at a time", async () => {
  const { dir, paths } = await files(3);
  try {
    let held = 0;
    let most = 0;
    await using scp = new StorageScp({
      hostname: HOST,
      port: 0,
      asynchronousOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 4 },
      handleObject: async (object) => {
        held++;
        most = Math.max(most, held);
        await object.readDataset();
        held--;
      },
    });
    const summary = await store(HOST, scp.port, paths);
    assertEquals(summary.completed, paths.length);
    assertEquals(most, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
