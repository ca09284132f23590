/**
 * Soak benchmark (issue 11): N concurrent associations storing and querying
 * a `dcm qrscp` server process for a long time, sampling its RSS (VmRSS,
 * VmHWM from /proc/PID/status) and open fds (/proc/PID/fd) every few seconds.
 * Each client loop: associate, C-STORE three pydicom objects, C-FIND at
 * STUDY level, release; every tenth loop also C-GETs a study. With
 * `--fresh-uids`, the default, each object is stored under new SOP Instance,
 * Series and Study UIDs, so the archive grows as a real one does (new
 * studies, not ever larger ones) and the loop queries and retrieves the study
 * it stored by its UID: the work per loop stays the same as the archive
 * grows. `--no-fresh-uids` re-stores the same files and queries every study. Two misbehaving peers run beside them, so leaks from bad peers show:
 * one associates, writes half a P-DATA-TF and closes its socket; one
 * associates and stays silent until the server's `--idle-timeout 5` aborts it.
 *
 * The first minute (or 1/5 of a shorter run) is warm-up and not measured:
 * "start" is the window after it, "end" the last window, each a minute or
 * half of what is left after warm-up when the run is shorter.
 *
 * Run: `deno task soak [--minutes 10 | --seconds N] [--associations 50]
 * [--no-fresh-uids]`. Prints a table of both windows, the archive's size,
 * client and server errors apart, and one JSON line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Identifier, Tag } from "../mod.ts";
import { QueryRetrieveScu, store } from "../scu/mod.ts";
import { connect } from "../association/mod.ts";
import { type Dataset, decodePart10, generateUid } from "../dataset/mod.ts";
import { DICOM_APPLICATION_CONTEXT_NAME, encodePdu, PROTOCOL_VERSION } from "../pdu/mod.ts";
import { Uid } from "../dictionary/mod.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    seconds: { type: "string" },
    associations: { type: "string", default: "50" },
    "fresh-uids": { type: "boolean", default: true },
  },
  allowNegative: true,
});
const durationMs = (values.seconds ? Number(values.seconds) : Number(values.minutes) * 60) * 1000;
const N = Number(values.associations);
const freshUids = values["fresh-uids"];
const IDLE_TIMEOUT_S = 5;
const warmUp = Math.min(60_000, durationMs / 5);
const window = Math.min(60_000, (durationMs - warmUp) / 2);
const SAMPLE_MS = Math.min(5000, window / 4);

const data = new URL("../tests/data/pydicom/test_files/", import.meta.url).pathname;
const files = ["CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm"].map((f) => data + f);
const fileBytes = await Promise.all(files.map((f) => Deno.readFile(f)));
/** A 2.25 UID (PS3.5 B.2) from a random UUID. */
/** What one store sends: the files, or (fresh UIDs) their data sets under new UIDs. */
function objects(): (string | Dataset)[] {
  if (!freshUids) return files;
  return fileBytes.map((b) =>
    decodePart10(b).dataset
      .set(Tag.StudyInstanceUID, generateUid())
      .set(Tag.SeriesInstanceUID, generateUid())
      .set(Tag.SOPInstanceUID, generateUid())
  );
}

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
    "--idle-timeout",
    String(IDLE_TIMEOUT_S),
  ],
  stdout: "piped",
  stderr: "piped",
}).spawn();
// The server's stdout: a line per association accepted and per association ended.
let serverAssociations = 0;
/** Associations the server saw end other than by release, by calling AE title and how. */
const serverEnds = new Map<string, number>();
let stdoutRest = "";
void server.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
  new WritableStream({
    write(chunk) {
      const lines = (stdoutRest + chunk).split("\n");
      stdoutRest = lines.pop()!;
      for (const line of lines) {
        if (/ to SOAK: /.test(line)) serverAssociations++;
        const m = /^association from (\S+) (\S+)$/.exec(line);
        if (m && m[2] !== "released") {
          const key = `${m[1]} ${m[2]}`;
          serverEnds.set(key, (serverEnds.get(key) ?? 0) + 1);
        }
      }
    },
  }),
);
// Server-side errors (its "association failed: ..." lines), apart from the clients'.
let serverErrors = 0;
const serverErrorMessages = new Map<string, number>();
const port = await new Promise<number>((resolve, reject) => {
  let text = "";
  let listening = false;
  void server.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        text += chunk;
        if (!listening) {
          const m = /listening on [^:]+:(\d+)/.exec(text);
          if (m) resolve(Number(m[1]));
          listening = m !== null;
        }
        const lines = text.split("\n");
        text = listening ? lines.pop()! : text;
        if (!listening) return;
        for (const line of lines) {
          const m = /^association failed: (.*)/.exec(line);
          if (!m) continue;
          serverErrors++;
          const key = m[1]!.replace(/\d+/g, "N");
          serverErrorMessages.set(key, (serverErrorMessages.get(key) ?? 0) + 1);
        }
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
  serverErrors: number;
  badPeers: number;
  associations: number;
}
const counts = { stored: 0, queries: 0, errors: 0, badPeers: 0 };
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
    serverErrors,
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
      const sent = objects();
      const s = await store("127.0.0.1", port, sent, { calledAeTitle: "SOAK" });
      counts.stored += s.completed + s.warning;
      counts.errors += s.failed;
      await using scu = new QueryRetrieveScu("127.0.0.1", port, { calledAeTitle: "SOAK" });
      const q = new Identifier("STUDY_ROOT", "STUDY").request(Tag.StudyInstanceUID);
      const own = sent[0];
      if (typeof own !== "string") q.set(Tag.StudyInstanceUID, own!.string(Tag.StudyInstanceUID)!);
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

// The misbehaving peers, each one association at a time, a few per second at most.
const badErrors = new Map<string, number>();
function badError(e: unknown) {
  const msg = `bad peer: ${e instanceof Error ? e.message : String(e)}`;
  badErrors.set(msg, (badErrors.get(msg) ?? 0) + 1);
}
const pace = () => new Promise((resolve) => setTimeout(resolve, 200));
const ASSOCIATE_RQ = encodePdu({
  type: "A-ASSOCIATE-RQ",
  protocolVersion: PROTOCOL_VERSION,
  calledAeTitle: "SOAK",
  callingAeTitle: "HALF-PDU",
  applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
  presentationContexts: [{
    id: 1,
    abstractSyntax: Uid.Verification,
    transferSyntaxes: [Uid.ImplicitVRLittleEndian],
  }],
  userInformation: { maxPduLength: 16384, implementationClassUid: "1.2.3.4" },
});
const P_DATA = encodePdu({
  type: "P-DATA-TF",
  values: [{
    presentationContextId: 1,
    isCommand: true,
    isLastFragment: true,
    data: new Uint8Array(256),
  }],
});
/** Associates, writes half a P-DATA-TF, closes its sending side, reads to the end, closes. */
async function halfPduPeer() {
  while (performance.now() < stopAt) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(ASSOCIATE_RQ);
        // The A-ASSOCIATE-AC: its 6-byte header (PS3.8 Table 9-17) gives the rest's length.
        const buf = new Uint8Array(65536);
        let have = 0;
        while (have < 6 || have < 6 + new DataView(buf.buffer).getUint32(2)) {
          const n = await conn.read(buf.subarray(have));
          if (n === null) throw new Error("closed before A-ASSOCIATE-AC");
          have += n;
        }
        if (buf[0] !== 0x02) throw new Error(`PDU type ${buf[0]} instead of A-ASSOCIATE-AC`);
        await conn.write(P_DATA.subarray(0, P_DATA.length >> 1));
        await conn.closeWrite();
        while (await conn.read(buf) !== null) { /* until the server closes */ }
        counts.badPeers++;
      } finally {
        conn.close();
      }
    } catch (e) {
      badError(e);
    }
    await pace();
  }
}
/** Associates and stays silent until the server's idle timeout aborts it. */
async function silentPeer() {
  while (performance.now() < stopAt) {
    try {
      const association = await connect("127.0.0.1", port, {
        calledAeTitle: "SOAK",
        callingAeTitle: "SILENT",
        presentationContexts: [{
          abstractSyntax: Uid.Verification,
          transferSyntaxes: [Uid.ImplicitVRLittleEndian],
        }],
      });
      await association.closed;
      counts.badPeers++;
    } catch (e) {
      badError(e);
    }
    await pace();
  }
}
await Promise.all([
  ...Array.from({ length: N }, (_, i) => loop(i)),
  halfPduPeer(),
  silentPeer(),
]);
clearInterval(timer);
sample();
server.kill("SIGTERM");
await server.status;
// The archive at the end: objects (*.dcm) and bytes outside hidden folders.
const archive = { objects: 0, MiB: 0 };
async function measure(dir: string) {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) await measure(path);
    else if (e.isFile) {
      archive.MiB += (await Deno.stat(path)).size / 2 ** 20;
      if (e.name.endsWith(".dcm")) archive.objects++;
    }
  }
}
await measure(root);
archive.MiB = +archive.MiB.toFixed(1);
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
    serverErrors: b.serverErrors - a.serverErrors,
    badPeers: b.badPeers - a.badPeers,
    associations: b.associations - a.associations,
  };
}
const end = samples[samples.length - 1]!.t;
const first = summary(warmUp, warmUp + window), last = summary(end - window, end);
const growth = (a: number, b: number) => `${(((b - a) / (a || 1)) * 100).toFixed(1)}%`;
console.log(
  `soak: ${N} associations + 2 bad peers, ${
    (end / 1000).toFixed(0)
  } s, ${samples.length} samples, ` +
    `warm-up ${warmUp / 1000} s, windows ${window / 1000} s, fresh UIDs ${
      freshUids ? "on" : "off"
    }`,
);
console.table({ start: first, end: last });
const totals = samples[samples.length - 1]!;
console.log(
  `archive: ${archive.objects} objects, ${archive.MiB} MiB; client errors ${totals.errors}, ` +
    `server errors ${totals.serverErrors}, bad-peer associations ${totals.badPeers}, ` +
    `server associations ${totals.associations}`,
);
console.log(
  `RSS growth ${growth(first.rssMiB, last.rssMiB)}, fd growth ${growth(first.fds, last.fds)}`,
);
for (const [m, c] of errorMessages) console.log(`client error x${c}: ${m}`);
for (const [m, c] of badErrors) console.log(`error x${c}: ${m}`);
for (const [m, c] of serverErrorMessages) console.log(`server error x${c}: ${m}`);
for (const [m, c] of serverEnds) console.log(`server: association from ${m} x${c}`);
console.log(JSON.stringify({
  bench: "soak",
  associations: N,
  freshUids,
  seconds: end / 1000,
  warmUpSeconds: warmUp / 1000,
  start: first,
  end: last,
  archive,
  serverErrors: totals.serverErrors,
  serverEnds: Object.fromEntries(serverEnds),
  badPeers: totals.badPeers,
}));
