/**
 * A small deflated file that inflates to a huge value (a deflate bomb) is
 * passed over, not inflated into memory, by the readers that only need a
 * header: `readPart10({ skipValuesLongerThan })` and the archive's indexing,
 * which `dcm qrscp` runs on every object it receives and at start (a 1 MB
 * C-STORE took it to 2.2 GB).
 */
import { Archive } from "../archive/mod.ts";
import { readPart10 } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { deflateBomb } from "./_bombs.ts";

const SIZE = 512 << 20;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
}

Deno.test("readPart10 with skipValuesLongerThan passes over a long value of a deflated data set and leaves it out", async () => {
  const bytes = await deflateBomb(SIZE);
  assert(bytes.length < 1 << 20, `${bytes.length} bytes on disk`);
  const { dataset } = await readPart10(streamOf(bytes), {
    skipValuesLongerThan: 1 << 16,
  });
  assertEquals(dataset.string(Tag.PatientID), "BOMB");
  assertEquals(dataset.has(Tag.TextValue), false);
  // A value within the bound is still read.
  const whole = await readPart10(streamOf(await deflateBomb(100)), {
    skipValuesLongerThan: 1 << 16,
  });
  assertEquals(whole.dataset.string(Tag.TextValue), "");
  assertEquals(whole.dataset.get(Tag.TextValue)?.vr, "UT");
});

Deno.test("the archive indexes a deflate bomb without inflating its long value into memory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm-bomb-" });
  try {
    await Deno.writeFile(`${dir}/bomb.dcm`, await deflateBomb(SIZE));
    using archive = Archive.open();
    const before = Deno.memoryUsage().rss;
    const instance = await archive.ingestFile(`${dir}/bomb.dcm`);
    const grown = Deno.memoryUsage().rss - before;
    assertEquals(instance.sopInstanceUid, "2.25.7");
    // Read whole, the 512 MiB value costs over a GiB (its chunks, then joined).
    assert(grown < 256 << 20, `RSS grew ${(grown / (1 << 20)).toFixed(0)} MiB`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
