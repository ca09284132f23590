// store(): presentation contexts beyond one association's 128 (PS3.8 §9.3.2.2).
import { assert, assertEquals } from "./_assert.ts";
import { Dataset } from "../dataset/mod.ts";
import { STORAGE_SOP_CLASSES } from "../dictionary/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { store } from "../scu/mod.ts";

Deno.test("store() spreads more than 128 SOP classes over further associations and stores every object", async () => {
  const classes = STORAGE_SOP_CLASSES.slice(0, 140);
  const received = new Set<string>();
  let associations = 0;
  await using scp = new StorageScp({
    hostname: "127.0.0.1",
    port: 0,
    onAssociation: () => void associations++,
    onStore: (object) => void received.add(`${object.sopClassUid} ${object.sopInstanceUid}`),
  });
  const datasets = classes.map((sopClass, i) =>
    new Dataset().set("SOPClassUID", sopClass).set("SOPInstanceUID", `2.25.${1000 + i}`)
  );
  const summary = await store("127.0.0.1", scp.port, datasets);
  assertEquals(summary.failed, 0, summary.results.find((r) => r.error)?.error?.message);
  assertEquals(summary.completed, 140);
  assertEquals(received.size, 140);
  assert(associations >= 2, `${associations} association(s) for 140 SOP classes`);
});
