/**
 * Fixtures for the Query/Retrieve tests: a generated corpus of Part 10 files
 * on disk, and DCMTK's dcmqrscp serving a copy of it on a free loopback port.
 *
 * @module
 */
import { generateSampleStudies, type SampleStudiesOptions } from "../archive/mod.ts";
import { type Dataset, decodePart10, decodePart10Header, encodePart10 } from "../dataset/mod.ts";

import { DCMTK_ENV, freePort, HOST, waitForListener } from "./_storage_corpus.ts";

// One copy of the loopback and process helpers, shared with the storage tests.
export { DCMTK_ENV, freePort, HOST, waitForListener };

/** One file of a sample corpus. */
export interface SampleFile {
  /** Where it was written. */
  readonly path: string;
  /** SOP Instance UID (0008,0018). */
  readonly sopInstanceUid: string;
  /** SOP Class UID (0008,0016). */
  readonly sopClassUid: string;
  /** Study Instance UID (0020,000D). */
  readonly studyInstanceUid: string;
  /** Series Instance UID (0020,000E). */
  readonly seriesInstanceUid: string;
  /** Patient ID (0010,0020). */
  readonly patientId: string;
}

/** Options of {@linkcode writeSampleCorpus}: the shape of the generated studies. */
export interface SampleCorpusOptions extends SampleStudiesOptions {
  /**
   * Transfer syntax of the files.
   *
   * @default {"1.2.840.10008.1.2.1"}
   */
  transferSyntax?: string;
}

/**
 * Writes generated studies (by default 10 patients × 2 studies × 2 series ×
 * 10 instances, patient ID "1234" first) as Part 10 files under `dir`, one
 * folder per study, and returns what was written, in generation order.
 */
export async function writeSampleCorpus(
  dir: string,
  options: SampleCorpusOptions = {},
): Promise<SampleFile[]> {
  const out: SampleFile[] = [];
  const folders = new Set<string>();
  let n = 0;
  for (const ds of generateSampleStudies(options)) {
    const file: Omit<SampleFile, "path"> = {
      sopInstanceUid: ds.string("SOPInstanceUID")!,
      sopClassUid: ds.string("SOPClassUID")!,
      studyInstanceUid: ds.string("StudyInstanceUID")!,
      seriesInstanceUid: ds.string("SeriesInstanceUID")!,
      patientId: ds.string("PatientID")!,
    };
    const folder = `${dir}/study${file.studyInstanceUid.split(".").slice(-2).join("_")}`;
    if (!folders.has(folder)) {
      await Deno.mkdir(folder, { recursive: true });
      folders.add(folder);
    }
    const path = `${folder}/IM${String(n++).padStart(5, "0")}.dcm`;
    const bytes = encodePart10(
      ds,
      options.transferSyntax ? { transferSyntax: options.transferSyntax } : {},
    );
    await Deno.writeFile(path, bytes);
    out.push({ path, ...file });
  }
  return out;
}

/** Options of {@linkcode startDcmqrscp}. */
export interface DcmqrscpOptions {
  /**
   * The AE title dcmqrscp answers to (its storage area's name).
   *
   * @default {"DCMQRSCP"}
   */
  aeTitle?: string;
  /** Move destinations: AE title → port on 127.0.0.1 (HostTable entries). */
  destinations?: Readonly<Record<string, number>>;
  /** More command line options (e.g. `["-XF"]`, `["--disable-get"]`). */
  args?: readonly string[];
  /**
   * Folder for the configuration and the storage area; a new temporary one
   * (removed on dispose) by default.
   */
  workDir?: string;
}

/** A running dcmqrscp. */
export interface Dcmqrscp extends AsyncDisposable {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Its AE title. */
  readonly aeTitle: string;
  /** Its storage area (the indexed copies of the corpus and `index.dat`). */
  readonly storageArea: string;
  /** What it printed so far on stdout and stderr (run with `-v` via `args` for more). */
  output(): string;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...listFiles(p));
    else if (e.isFile) out.push(p);
  }
  return out.sort();
}

/** The dcmqrscp configuration file (format of DCMTK's `dcmqrscp.cfg`). */
function config(
  port: number,
  aeTitle: string,
  storageArea: string,
  destinations: Readonly<Record<string, number>>,
): string {
  // HostTable entries are (AE title, host, port); DCMTK 3.6.7 takes an
  // address there, whatever its sample config's old comment says.
  const hosts = Object.entries(destinations).map(([ae, p], i) =>
    `dest${i} = (${ae}, 127.0.0.1, ${p})`
  );
  return [
    `NetworkTCPPort = ${port}`,
    "MaxPDUSize = 65536",
    "MaxAssociations = 16",
    "",
    "HostTable BEGIN",
    ...hosts,
    "HostTable END",
    "",
    "VendorTable BEGIN",
    "VendorTable END",
    "",
    "AETable BEGIN",
    // Access RW, the largest quota dcmqrscp takes (it deletes the oldest
    // studies past it), any peer.
    `${aeTitle} ${storageArea} RW (500, 1024mb) ANY`,
    "AETable END",
    "",
  ].join("\n");
}

/**
 * Copies every file under `corpusDir` into a new dcmqrscp storage area,
 * registers them with `dcmqridx`, starts `dcmqrscp -c CFG PORT` on a free
 * loopback port and waits until it accepts connections. Disposing of the
 * result kills it and removes its temporary folder.
 */
export async function startDcmqrscp(
  corpusDir: string,
  options: DcmqrscpOptions = {},
): Promise<Dcmqrscp> {
  const aeTitle = options.aeTitle ?? "DCMQRSCP";
  const ownDir = options.workDir === undefined;
  const workDir = options.workDir ?? await Deno.makeTempDir({ prefix: "dcmqrscp_" });
  const storageArea = `${workDir}/${aeTitle}`;
  await Deno.mkdir(storageArea, { recursive: true });
  const copies: string[] = [];
  let n = 0;
  for (const file of listFiles(corpusDir)) {
    const copy = `${storageArea}/F${String(n++).padStart(6, "0")}.dcm`;
    await Deno.copyFile(file, copy);
    copies.push(copy);
  }
  // dcmqridx takes the files as arguments; batches keep the command line short.
  for (let i = 0; i < copies.length; i += 500) {
    const out = await new Deno.Command("dcmqridx", {
      args: [storageArea, ...copies.slice(i, i + 500)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`dcmqridx failed: ${new TextDecoder().decode(out.stderr)}`);
    }
  }
  const port = freePort();
  const cfg = `${workDir}/dcmqrscp.cfg`;
  await Deno.writeTextFile(cfg, config(port, aeTitle, storageArea, options.destinations ?? {}));
  const child = new Deno.Command("dcmqrscp", {
    args: [
      // One process per association (its default): with --single-process
      // dcmqrscp 3.6.7 exits after the first association.
      ...(options.args ?? []),
      "-c",
      cfg,
      String(port),
    ],
    env: { ...DCMTK_ENV },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const dispose = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already exited */ }
    await child.status;
    await drained;
    if (ownDir) await Deno.remove(workDir, { recursive: true });
  };
  try {
    await waitForListener(port, child.status);
  } catch (e) {
    await dispose();
    throw new Error(`dcmqrscp did not start: ${text}`, { cause: e });
  }
  return {
    port,
    aeTitle,
    storageArea,
    output: () => text,
    [Symbol.asyncDispose]: dispose,
  };
}

/** The data set bytes of a Part 10 file: what follows its meta information group. */
export async function datasetBytesOf(path: string): Promise<Uint8Array> {
  const bytes = await Deno.readFile(path);
  return bytes.subarray(decodePart10Header(bytes).datasetOffset);
}

/** Every file under `dir`, recursively, sorted. */
export function filesUnder(dir: string): string[] {
  return listFiles(dir);
}

/** What a findscu run gave. */
export interface FindscuResult {
  /** The identifiers of the pending responses, in the order they came. */
  readonly identifiers: Dataset[];
  /** findscu's log (stderr), at the verbosity asked for in `args`. */
  readonly log: string;
  /** Its exit code. */
  readonly code: number;
}

/**
 * Runs DCMTK's findscu against 127.0.0.1:`port` with `-k` keys and extra
 * options (`-P`, `-S`, `-W`, `--cancel 3`, `-v`...), and query files (the
 * keys override theirs), extracting each response identifier to a file
 * (`-X -od`) and reading them back.
 */
export async function findscu(
  port: number,
  calledAeTitle: string,
  keys: readonly string[],
  args: readonly string[] = [],
  queryFiles: readonly string[] = [],
): Promise<FindscuResult> {
  const out = await Deno.makeTempDir({ prefix: "findscu_" });
  try {
    const run = await new Deno.Command("findscu", {
      args: [
        ...args,
        "-X",
        "-od",
        out,
        "-aet",
        "FINDSCU",
        "-aec",
        calledAeTitle,
        ...keys.flatMap((k) => ["-k", k]),
        HOST,
        String(port),
        ...queryFiles,
      ],
      env: { ...DCMTK_ENV },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const identifiers = await Promise.all(
      listFiles(out).map(async (p) => decodePart10(await Deno.readFile(p)).dataset),
    );
    const decoder = new TextDecoder();
    return {
      identifiers,
      log: decoder.decode(run.stderr) + decoder.decode(run.stdout),
      code: run.code,
    };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}
