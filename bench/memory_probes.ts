/**
 * `deno run -A bench/memory_probes.ts`: peak memory of our processes under
 * the memory probes of issue 11, each against a fresh process so that its
 * peak (VmHWM) belongs to that probe alone.
 *
 * - server: `dcm qrscp` receives a 200 MiB C-FIND identifier; a 1 MiB
 *   deflated identifier that inflates to 1 GiB; a 1 MiB data set sent as
 *   1-byte PDVs. Each probe is followed by a C-ECHO on a new association,
 *   which must succeed.
 * - client: `dcm find` receives a 300 MB C-FIND match, and an endless
 *   stream of pending matches with `--max-results`.
 *
 * Figures are the process's VmHWM (peak resident set) after the probe, and
 * its VmRSS idle before it, read from /proc (Linux only).
 *
 * @module
 */
import { type Association, connect } from "../association/mod.ts";
import { Dataset, encodeDataset, QUERY_MODELS } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { DimseChannel, encodeCommand, fragmentBytes, STATUS } from "../dimse/mod.ts";
import { echo } from "../scu/mod.ts";
import { ServiceProvider } from "../service/mod.ts";
import { deflateWithLongText } from "../tests/_bombs.ts";
import { ServerProcess } from "../tests/_cli.ts";

const HOST = "127.0.0.1";
const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const FIND = QUERY_MODELS.STUDY_ROOT.find;
const MiB = 1 << 20;
/** The size of the data set sent in 1-byte PDVs (`--pdv-mib=N`, default 1). */
const PDV_MIB = Number(/--pdv-mib=(\d+)/.exec(Deno.args.join(" "))?.[1] ?? 1);
/** `--only=identifier|bomb|pdv|client`: one probe group. */
const ONLY = /--only=(\w+)/.exec(Deno.args.join(" "))?.[1];
const wanted = (name: string) => ONLY === undefined || ONLY === name;

function memory(pid: number): { rss: number; hwm: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
}

/** `dcm qrscp` on port 0 over a temporary folder; resolves once it listens. */
async function startServer() {
  const dir = await Deno.makeTempDir({ prefix: "dcm-probe-" });
  const server = new ServerProcess("qrscp", dir);
  const port = await server.listening();
  return {
    port,
    pid: server.pid,
    async [Symbol.asyncDispose]() {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function findAssociation(port: number, transferSyntax: string): Promise<Association> {
  return await connect(HOST, port, {
    presentationContexts: [
      { abstractSyntax: FIND, transferSyntaxes: [transferSyntax] },
      { abstractSyntax: Uid.CTImageStorage, transferSyntaxes: [Uid.ExplicitVRLittleEndian] },
    ],
  });
}

async function findStatuses(
  association: Association,
  identifier: Uint8Array,
): Promise<number[]> {
  const channel = new DimseChannel(association);
  const contextId = association.findContext(FIND)!.id;
  const statuses: number[] = [];
  for await (
    const r of channel.request(contextId, {
      type: "C-FIND-RQ",
      hasDataset: true,
      affectedSopClassUid: FIND,
      priority: 0,
    }, identifier)
  ) statuses.push(r.command.status);
  return statuses;
}

function bigIdentifier(size: number): Dataset {
  return new Dataset()
    .set(Tag.QueryRetrieveLevel, "STUDY")
    .set(Tag.StudyInstanceUID, "")
    .set(Tag.TextValue, " ".repeat(size - 1) + "x", "UT");
}

/** A Study Root identifier whose Text Value holds `size` spaces, deflated as it is produced. */
function bombIdentifier(size: number): Promise<Uint8Array> {
  return deflateWithLongText(
    new Dataset().set(Tag.QueryRetrieveLevel, "STUDY").set(Tag.StudyInstanceUID, ""),
    size,
  );
}

/** Runs `probe` against a fresh server; returns its memory and the probe's outcome. */
async function serverProbe(name: string, probe: (port: number) => Promise<string>) {
  await using server = await startServer();
  await echo(HOST, server.port);
  const before = memory(server.pid);
  const outcome = await probe(server.port);
  await echo(HOST, server.port); // still serving
  const after = memory(server.pid);
  return { name, process: "dcm qrscp", idleRss: before.rss, peak: after.hwm, outcome };
}

const results = [];

if (wanted("identifier")) {
  results.push(
    await serverProbe("C-FIND identifier of 200 MiB", async (port) => {
      await using association = await findAssociation(port, Uid.ExplicitVRLittleEndian);
      const bytes = encodeDataset(bigIdentifier(200 * MiB), {
        transferSyntax: Uid.ExplicitVRLittleEndian,
      });
      const statuses = await findStatuses(association, bytes);
      return `statuses ${statuses.map((s) => s.toString(16).toUpperCase()).join(",")}`;
    }),
  );
}

if (wanted("bomb")) {
  results.push(
    await serverProbe("deflated identifier of 1 MiB inflating to 1 GiB", async (port) => {
      await using association = await findAssociation(port, Uid.DeflatedExplicitVRLittleEndian);
      const deflated = await bombIdentifier(1024 * MiB);
      const statuses = await findStatuses(association, deflated);
      return `${(deflated.length / MiB).toFixed(1)} MiB sent; statuses ${
        statuses.map((s) => s.toString(16).toUpperCase()).join(",")
      }`;
    }),
  );
}

if (wanted("pdv")) {
  results.push(
    await serverProbe(`C-STORE of ${PDV_MIB} MiB in 1-byte PDVs`, async (port) => {
      await using association = await findAssociation(port, Uid.ExplicitVRLittleEndian);
      const contextId = association.findContext(Uid.CTImageStorage)!.id;
      const uid = `2.25.${crypto.getRandomValues(new Uint32Array(2)).join("")}`;
      const dataset = encodeDataset(
        new Dataset()
          .set(Tag.SOPClassUID, Uid.CTImageStorage)
          .set(Tag.SOPInstanceUID, uid)
          .set(Tag.PatientID, "PROBE")
          .set(Tag.StudyInstanceUID, `${uid}.1`)
          .set(Tag.SeriesInstanceUID, `${uid}.2`)
          .set(Tag.PixelData, new Uint8Array(PDV_MIB * MiB), "OW"),
      );
      const responses = association.pData.getReader();
      const command = encodeCommand({
        type: "C-STORE-RQ",
        hasDataset: true,
        messageId: 1,
        affectedSopClassUid: Uid.CTImageStorage,
        affectedSopInstanceUid: uid,
        priority: 0,
      });
      for (const pdv of fragmentBytes(command, contextId, true, association.maxPdvDataLength)) {
        await association.sendPData([pdv]);
      }
      // 4,000 one-byte PDVs per P-DATA-TF PDU.
      for (let at = 0; at < dataset.length; at += 4000) {
        const end = Math.min(at + 4000, dataset.length);
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
      const { value } = await responses.read();
      responses.releaseLock();
      await association.release();
      return `${dataset.length} PDVs; response ${value === undefined ? "none" : "received"}`;
    }),
  );
}

/** Runs `dcm find` against a stub SCP; samples its memory until it exits. */
async function clientProbe(name: string, size: number, endless: boolean, args: string[]) {
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [{
      abstractSyntax: FIND,
      transferSyntaxes: [Uid.ExplicitVRLittleEndian],
    }],
    handlers: {
      "C-FIND-RQ": async (_request, context) => {
        const match = encodeDataset(
          new Dataset()
            .set(Tag.QueryRetrieveLevel, "STUDY")
            .set(Tag.StudyInstanceUID, "2.25.1")
            .set(Tag.TextValue, "x".repeat(size), "UT"),
        );
        try {
          do await context.respond({ status: STATUS.PENDING }, match); while (endless);
          await context.respond({ status: STATUS.SUCCESS });
        } catch { /* the client went away */ }
      },
    },
  }, { hostname: HOST, port: 0 });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "find",
      HOST,
      String(scp.port),
      "-k",
      "QueryRetrieveLevel=STUDY",
      "-k",
      "StudyInstanceUID=",
      ...args,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memory(child.pid).hwm);
    } catch { /* exited */ }
  }, 10);
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  clearInterval(timer);
  const last = stderr.trim().split("\n").at(-1) ?? "";
  return { name, process: "dcm find", idleRss: 0, peak, outcome: `exit ${status.code}: ${last}` };
}

if (wanted("client")) {
  results.push(await clientProbe("C-FIND match of 300 MB", 300_000_000, false, []));
}
if (wanted("client")) {
  results.push(
    await clientProbe("endless pending matches, --max-results 1000", 1000, true, [
      "--max-results",
      "1000",
    ]),
  );
}

const mib = (n: number) => n === 0 ? "" : `${(n / MiB).toFixed(0)} MiB`;
console.log("| probe | process | idle RSS | peak RSS | outcome |");
console.log("|---|---|---|---|---|");
for (const r of results) {
  console.log(`| ${r.name} | ${r.process} | ${mib(r.idleRss)} | ${mib(r.peak)} | ${r.outcome} |`);
}
console.log(JSON.stringify({ bench: "memory_probes", results }));
