// Child process of bench/parse.ts: reads the header of the file at Deno.args[0]
// and prints time and RSS as JSON. It imports nothing else, so its RSS is ours.
import { readPart10 } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";

const bare = await new Deno.Command(Deno.execPath(), {
  args: ["eval", "console.log(Deno.memoryUsage().rss)"],
}).output();
const start = performance.now();
using file = await Deno.open(Deno.args[0]!);
const { dataset, rest } = await readPart10(file.readable, { stopBefore: Tag.PixelData });
await rest?.cancel();
const ms = performance.now() - start;
console.log(JSON.stringify({
  ms,
  rss: Deno.memoryUsage().rss,
  baseRss: Number(new TextDecoder().decode(bare.stdout)),
  rows: dataset.number(Tag.Rows),
}));
