/**
 * Helpers for the storage tests: a corpus of Part 10 files in mixed transfer
 * syntaxes made from the pydicom test files, reading back the data set bytes
 * of a stored file, fresh UIDs, DCMTK servers on a free loopback port, and a
 * raw SCU that sends hand-made PDVs and reads the responses itself.
 *
 * @module
 */
import type { Association } from "../association/mod.ts";
import { Dataset, decodePart10Header, readPart10, writePart10 } from "../dataset/mod.ts";
import { decodeCommand, fragmentBytes, isRequest, type ResponseCommand } from "../dimse/mod.ts";
import type { PDataTfPdu } from "../pdu/mod.ts";
import { PYDICOM_DATA } from "./_peers.ts";

export const HOST = "127.0.0.1";
export const IMPLICIT_LE = "1.2.840.10008.1.2";
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const EXPLICIT_BE = "1.2.840.10008.1.2.2";
export const DEFLATED_LE = "1.2.840.10008.1.2.1.99";
/** The syntaxes a data set with native (non-encapsulated) pixel data is written in. */
export const NATIVE_SYNTAXES = [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED_LE] as const;
export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";

const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;
const PIXEL_DATA = 0x7fe00010;
const MEDIA_STORAGE_SOP_INSTANCE_UID = 0x00020003;
const NOT_DICOM = /\.(txt|json|dump|gz|icc|md)$|\/README[^/]*$/;
const DICOMDIR_CLASS = "1.2.840.10008.1.3.10";

/**
 * DCMTK leaves Nagle's algorithm on unless TCP_NODELAY=1 is in its
 * environment; with it on, every message waits for a delayed ACK (~40 ms).
 */
export const DCMTK_ENV: Record<string, string> = { TCP_NODELAY: "1" };

/** A UID under the UUID-derived root `2.25` (PS3.5 §B.2), fresh each call. */
export function randomUid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `2.25.${n}`;
}

/** One file of the corpus. */
export interface CorpusObject {
  /** Where it was written. */
  readonly path: string;
  /** The pydicom file it was made from, relative to the test_files folder. */
  readonly source: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntax: string;
}

/** A readable pydicom file: its data set and whether its pixel data is encapsulated. */
interface Seed {
  readonly name: string;
  readonly dataset: Dataset;
  readonly transferSyntax: string;
  readonly encapsulated: boolean;
}

async function listFiles(dir: string, out: string[] = []): Promise<string[]> {
  const entries = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name < b.name ? -1 : 1);
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) await listFiles(path, out);
    else if (e.isFile && !NOT_DICOM.test(path)) out.push(path);
  }
  return out;
}

async function dcmdumpAccepts(path: string): Promise<boolean> {
  const out = await new Deno.Command("dcmdump", {
    args: ["-q", path],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

/** The pydicom test files we can read, DCMTK's dcmdump accepts, and that are storable objects. */
async function seeds(): Promise<Seed[]> {
  const root = `${PYDICOM_DATA}test_files`;
  const files = await listFiles(root);
  const out: (Seed | undefined)[] = [];
  for (let i = 0; i < files.length; i += 8) {
    out.push(
      ...await Promise.all(
        files.slice(i, i + 8).map(async (path): Promise<Seed | undefined> => {
          let file;
          try {
            file = await readPart10(await Deno.readFile(path));
          } catch {
            return undefined;
          }
          const ds = file.dataset;
          if (!ds.string(SOP_CLASS_UID) || !ds.string(SOP_INSTANCE_UID)) return undefined;
          if (ds.string(SOP_CLASS_UID) === DICOMDIR_CLASS) return undefined;
          if (!await dcmdumpAccepts(path)) return undefined;
          return {
            name: path.slice(root.length + 1),
            dataset: ds,
            transferSyntax: file.transferSyntax,
            encapsulated: ds.get(PIXEL_DATA)?.kind === "fragments",
          };
        }),
      ),
    );
  }
  return out.filter((s) => s !== undefined);
}

/**
 * Writes at least `minimum` Part 10 files into `dir`, each with a fresh SOP
 * Instance UID (in the data set and in (0002,0003)): every seed with native
 * pixel data (or none) in Implicit VR LE, Explicit VR LE, Explicit VR BE and
 * Deflated Explicit VR LE, every encapsulated one in its own syntax, round
 * after round until there are enough.
 */
export async function buildStorageCorpus(dir: string, minimum = 500): Promise<CorpusObject[]> {
  const all = await seeds();
  if (all.length === 0) throw new Error(`No usable file in ${PYDICOM_DATA}test_files`);
  const plan: { seed: Seed; transferSyntax: string }[] = [];
  while (plan.length < minimum) {
    for (const seed of all) {
      const syntaxes = seed.encapsulated ? [seed.transferSyntax] : NATIVE_SYNTAXES;
      for (const transferSyntax of syntaxes) plan.push({ seed, transferSyntax });
      if (plan.length >= minimum) break;
    }
  }
  const objects: CorpusObject[] = [];
  for (let i = 0; i < plan.length; i++) {
    const { seed, transferSyntax } = plan[i]!;
    const sopInstanceUid = randomUid();
    seed.dataset.set(SOP_INSTANCE_UID, sopInstanceUid);
    const path = `${dir}/${String(i).padStart(4, "0")}.dcm`;
    const bytes = await writePart10(seed.dataset, { transferSyntax });
    await Deno.writeFile(path, bytes);
    objects.push({
      path,
      source: seed.name,
      sopClassUid: seed.dataset.string(SOP_CLASS_UID)!,
      sopInstanceUid,
      transferSyntax,
    });
  }
  return objects;
}

/**
 * Writes a storescu association profile (`-xf FILE Corpus`) that proposes one
 * presentation context per SOP class and transfer syntax of `objects`, each
 * with that one syntax, so that every object travels in its own syntax
 * whatever the SCP prefers. (`storescu -R` proposes the classes needed but
 * only uncompressed syntaxes: compressed files could not be sent, and each
 * SCP would pick its own syntax among implicit and big endian.)
 */
export async function writeStorescuProfile(
  path: string,
  objects: readonly CorpusObject[],
): Promise<string[]> {
  const syntaxes = [...new Set(objects.map((o) => o.transferSyntax))];
  const pairs = [
    ...new Set(objects.map((o) => `${o.sopClassUid}\\TS${syntaxes.indexOf(o.transferSyntax)}`)),
  ];
  if (pairs.length > 128) {
    throw new RangeError(`${pairs.length} presentation contexts, 128 allowed`);
  }
  const lines = [
    "[[TransferSyntaxes]]",
    ...syntaxes.flatMap((ts, i) => [`[TS${i}]`, `TransferSyntax1 = ${ts}`]),
    "[[PresentationContexts]]",
    "[Corpus]",
    ...pairs.map((pair, i) => `PresentationContext${i + 1} = ${pair}`),
    "[[Profiles]]",
    "[Corpus]",
    "PresentationContexts = Corpus",
  ];
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return ["-xf", path, "Corpus"];
}

/** What a stored Part 10 file holds, as compared between peers. */
export interface StoredBody {
  /** Media Storage SOP Instance UID (0002,0003). */
  readonly sopInstanceUid: string;
  /** Transfer Syntax UID (0002,0010). */
  readonly transferSyntax: string;
  /** The data set bytes after the meta information, as written. */
  readonly body: Uint8Array;
}

/** Reads a Part 10 file's meta information and its data set bytes as they are on disk. */
export async function readStoredBody(path: string): Promise<StoredBody> {
  const bytes = await Deno.readFile(path);
  const header = decodePart10Header(bytes);
  return {
    sopInstanceUid: header.meta.string(MEDIA_STORAGE_SOP_INSTANCE_UID) ?? "",
    transferSyntax: header.transferSyntax,
    body: bytes.subarray(header.datasetOffset),
  };
}

/** Every regular file directly in `dir` whose name does not start with a dot... or does, with `all`. */
export async function filesIn(dir: string, options: { all?: boolean } = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && (options.all || !e.name.startsWith("."))) out.push(`${dir}/${e.name}`);
  }
  return out.sort();
}

/** Reads every stored file of `dir`, keyed by Media Storage SOP Instance UID. */
export async function storedBodies(dir: string): Promise<Map<string, StoredBody>> {
  const out = new Map<string, StoredBody>();
  for (const path of await filesIn(dir)) {
    const stored = await readStoredBody(path);
    out.set(stored.sopInstanceUid, stored);
  }
  return out;
}

/** A TCP port that was free a moment ago on the loopback interface, for a peer that cannot take port 0. */
export function freePort(): number {
  using listener = Deno.listen({ hostname: HOST, port: 0 });
  return listener.addr.port;
}

/**
 * Waits until something accepts TCP connections on `port`, retrying the
 * connection; fails if `exited` settles first or after `timeout` ms.
 */
export async function waitForListener(
  port: number,
  exited: Promise<unknown>,
  timeout = 10_000,
): Promise<void> {
  let gone = false;
  exited.then(() => gone = true, () => gone = true);
  const deadline = Date.now() + timeout;
  for (let delay = 1;; delay = Math.min(delay * 2, 50)) {
    try {
      const conn = await Deno.connect({ hostname: HOST, port });
      conn.close();
      return;
    } catch (e) {
      if (gone) throw new Error(`The server for port ${port} exited before accepting`);
      if (Date.now() > deadline) throw e;
    }
    // Back off between connection attempts; the connection, not the delay, decides.
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** A DCMTK server process, killed and reaped on dispose; its stderr is kept for diagnosis. */
export class DcmtkServer implements AsyncDisposable {
  readonly port: number;
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;

  private constructor(port: number, child: Deno.ChildProcess) {
    this.port = port;
    this.#child = child;
    this.#stderr = new Response(child.stderr).text();
  }

  /**
   * Starts `name` with `args(port)` on `port` (by default a free one) and
   * waits until it accepts connections.
   */
  static async start(
    name: string,
    args: (port: number) => string[],
    port: number = freePort(),
  ): Promise<DcmtkServer> {
    const child = new Deno.Command(name, {
      args: args(port),
      env: DCMTK_ENV,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const server = new DcmtkServer(port, child);
    try {
      await waitForListener(port, child.status);
    } catch (e) {
      await server[Symbol.asyncDispose]();
      throw new Error(`${name} did not start: ${await server.#stderr}`, { cause: e });
    }
    return server;
  }

  /** What the server logged so far (complete after dispose). */
  get stderr(): Promise<string> {
    return this.#stderr;
  }

  /** Stops the server and waits for it to exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await this.#child.status;
    await this.#stderr;
  }
}

/** Runs a command, whatever its exit code; returns code and output as text. */
export async function run(
  name: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(name, {
    args,
    env: DCMTK_ENV,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Byte equality of two arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Settles like `promise`, or rejects with "`what` took longer than `ms` ms"; the timer never outlives it. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Watches `dir` and resolves with the path of the first file created there
 * whose name matches `pattern`. Call before doing what creates the file;
 * `stop()` ends the watch.
 */
export function watchForFile(
  dir: string,
  pattern: RegExp,
): { created: Promise<string>; stop: () => void } {
  // Recursive: a Storage SCP keeps its temporary files in <dir>/.incoming.
  const watcher = Deno.watchFs(dir, { recursive: true });
  const created = (async () => {
    for await (const event of watcher) {
      const path = event.paths.find((p) => pattern.test(p.slice(p.lastIndexOf("/") + 1)));
      if (event.kind === "create" && path !== undefined) return path;
    }
    throw new Error(`No file matching ${pattern} was created in ${dir}`);
  })();
  created.catch(() => {});
  return {
    created,
    stop: () => {
      try {
        watcher.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/** A CT Image Storage data set with the given SOP Instance UID and `pixelBytes` of pixel data. */
export function ctDataset(sopInstanceUid: string, pixelBytes = 0): Dataset {
  const ds = new Dataset()
    .set(0x00080016, CT_IMAGE_STORAGE)
    .set(SOP_INSTANCE_UID, sopInstanceUid)
    .set(0x00100020, "STORAGE-TEST");
  if (pixelBytes > 0) {
    const pixels = new Uint8Array(pixelBytes);
    for (let i = 0; i < pixels.length; i++) pixels[i] = i * 7;
    ds.set(PIXEL_DATA, pixels, "OW");
  }
  return ds;
}

/**
 * A service user that speaks in PDVs: it sends command and data set bytes as
 * given (so they can be wrong) and reads the responses off the association
 * itself, so that every response, expected or not, is seen.
 */
export class RawScu {
  readonly association: Association;
  readonly #reader: ReadableStreamDefaultReader<PDataTfPdu>;
  #values: PDataTfPdu["values"][number][] = [];

  constructor(association: Association) {
    this.association = association;
    this.#reader = association.pData.getReader();
  }

  /** Sends command set bytes whole, then data set bytes (the last fragment flagged when `last`). */
  async send(
    contextId: number,
    command: Uint8Array,
    dataset?: Uint8Array,
    last = true,
  ): Promise<void> {
    const max = this.association.maxPdvDataLength;
    for (const pdv of fragmentBytes(command, contextId, true, max)) {
      await this.association.sendPData([pdv]);
    }
    if (dataset !== undefined) await this.sendData(contextId, dataset, last);
  }

  /** Sends data set bytes in fragments as large as the peer takes; flags the last one when `last`. */
  async sendData(contextId: number, bytes: Uint8Array, last: boolean): Promise<void> {
    const max = this.association.maxPdvDataLength;
    for (const pdv of fragmentBytes(bytes, contextId, false, max)) {
      await this.association.sendPData([{ ...pdv, isLastFragment: pdv.isLastFragment && last }]);
    }
  }

  /** The next command set the peer sends (a response, here). */
  async response(): Promise<ResponseCommand> {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const pdv = this.#values.shift();
      if (pdv === undefined) {
        const { value, done } = await this.#reader.read();
        if (done) throw new Error("The association ended before a response arrived");
        this.#values.push(...value.values);
        continue;
      }
      if (!pdv.isCommand) throw new Error("A data set arrived where a response was expected");
      chunks.push(pdv.data);
      if (pdv.isLastFragment) {
        const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          bytes.set(c, at);
          at += c.length;
        }
        const command = decodeCommand(bytes);
        if (isRequest(command.type)) {
          throw new Error(`${command.type} arrived where a response was expected`);
        }
        return command as ResponseCommand;
      }
    }
  }

  /** Releases the association; responses not yet read are dropped. */
  async release(): Promise<void> {
    this.#reader.releaseLock();
    // Keep reading so that the A-RELEASE-RP is not stuck behind unread P-DATA.
    const drain = this.association.pData.pipeTo(new WritableStream()).catch(() => {});
    await this.association.release();
    await drain;
  }
}
