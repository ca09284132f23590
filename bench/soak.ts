/**
 * Soak benchmark (issue 11): N concurrent associations storing and querying
 * a `dcm qrscp` server process for a long time, sampling its RSS (VmRSS,
 * VmHWM from /proc/PID/status) and open fds (/proc/PID/fd) every few seconds.
 * Each client loop: associate, C-STORE a fixed set of pydicom files (the same
 * SOP Instances re-stored, so the archive does not grow), C-FIND at STUDY
 * level, release; every tenth loop also C-GETs a study.
 *
 * Run: `deno task soak [--minutes 10 | --seconds N] [--associations 50]`.
 * Prints a table of the first and last minute and one JSON line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Identifier, Tag } from "../mod.ts";
import { QueryRetrieveScu, store } from "../scu/mod.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    seconds: { type: "string" },
    associations: { type: "string", default: "50" },
  },
});
const durationMs = (values.seconds ? Number(values.seconds) : Number(values.minutes) * 60) * 1000;
const N = Number(values.associations);
const SAMPLE_MS = 5000;
const window = Math.min(60_000, durationMs / 2);

const data = new URL("../tests/data/pydicom/test_files/", import.meta.url).pathname;
const files = ["CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm"].map((f) => data + f);

const root = await Deno.makeTempDir({ prefix: "bench-soak-" });
const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL("../cli/main.ts", import.meta.url).pathname,
    "qrscp",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--dir",
    root,
    "--aet",
    "SOAK",
    "--max-associations",
    String(2 * N + 10),
  ],
  stdout: "piped",
  stderr: "piped",
}).spawn();
let serverAssociations = 0;
void server.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
  new WritableStream({
    write(chunk) {
      serverAssociations += chunk.split("\n").filter((l) => / to SOAK: /.test(l)).length;
    },
  }),
);
const port = await new Promise<number>((resolve, reject) => {
  let text = "";
  void server.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        text += chunk;
        const m = /listening on [^:]+:(\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      },
      close() {
        reject(new Error(`qrscp ended: ${text}`));
      },
    }),
  );
});

interface Sample {
  t: number;
  rss: number;
  hwm: number;
  fds: number;
  stored: number;
  queries: number;
  errors: number;
  associations: number;
}
const counts = { stored: 0, queries: 0, errors: 0 };
const errorMessages = new Map<string, number>();
const samples: Sample[] = [];
const start = performance.now();
function sample() {
  const status = Deno.readTextFileSync(`/proc/${server.pid}/status`);
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  samples.push({
    t: performance.now() - start,
    rss: kb("VmRSS"),
    hwm: kb("VmHWM"),
    fds: [...Deno.readDirSync(`/proc/${server.pid}/fd`)].length,
    ...counts,
    associations: serverAssociations,
  });
}
sample();
const timer = setInterval(sample, SAMPLE_MS);

const stopAt = start + durationMs;
async function loop(i: number) {
  let n = 0;
  while (performance.now() < stopAt) {
    n++;
    try {
      const s = await store("127.0.0.1", port, files, { calledAeTitle: "SOAK" });
      counts.stored += s.completed + s.warning;
      counts.errors += s.failed;
      await using scu = new QueryRetrieveScu("127.0.0.1", port, { calledAeTitle: "SOAK" });
      const q = new Identifier("STUDY_ROOT", "STUDY").request(Tag.StudyInstanceUID);
      let uid: string | undefined;
      for await (const m of scu.find(q)) uid ??= m.string(Tag.StudyInstanceUID);
      counts.queries++;
      if ((i + n) % 10 === 0 && uid) {
        const dir = await Deno.makeTempDir({ dir: root, prefix: ".get-" });
        await scu.get(new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, uid), {
          directory: dir,
        });
        await Deno.remove(dir, { recursive: true });
      }
    } catch (e) {
      counts.errors++;
      const msg = e instanceof Error ? e.message : String(e);
      errorMessages.set(msg, (errorMessages.get(msg) ?? 0) + 1);
    }
  }
}
await Promise.all(Array.from({ length: N }, (_, i) => loop(i)));
clearInterval(timer);
sample();
server.kill("SIGTERM");
await server.status;
await Deno.remove(root, { recursive: true });

// First and last window: level (mean RSS, last fds) and rates over the window.
function summary(from: number, to: number) {
  const w = samples.filter((s) => s.t >= from && s.t <= to);
  const a = w[0]!, b = w[w.length - 1]!;
  const secs = (b.t - a.t) / 1000 || 1;
  return {
    rssMiB: +(w.reduce((x, s) => x + s.rss, 0) / w.length / 1024).toFixed(1),
    peakRssMiB: +(b.hwm / 1024).toFixed(1),
    fds: Math.max(...w.map((s) => s.fds)),
    storedPerSec: +((b.stored - a.stored) / secs).toFixed(1),
    queriesPerSec: +((b.queries - a.queries) / secs).toFixed(1),
    errors: b.errors - a.errors,
    associations: b.associations - a.associations,
  };
}
const end = samples[samples.length - 1]!.t;
const first = summary(0, window), last = summary(end - window, end);
const growth = (a: number, b: number) => `${(((b - a) / (a || 1)) * 100).toFixed(1)}%`;
console.log(`soak: ${N} associations, ${(end / 1000).toFixed(0)} s, ${samples.length} samples`);
console.table({ first, last });
console.log(
  `RSS growth ${growth(first.rssMiB, last.rssMiB)}, fd growth ${growth(first.fds, last.fds)}`,
);
for (const [m, c] of errorMessages) console.log(`error x${c}: ${m}`);
console.log(JSON.stringify({ bench: "soak", associations: N, seconds: end / 1000, first, last }));
