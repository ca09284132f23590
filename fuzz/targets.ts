/**
 * The decoders `deno task fuzz` drives in process, and the valid seeds it
 * mutates for each (issue 11).
 *
 * @module
 */
import { DicomError } from "../errors.ts";
import { Uid } from "../dictionary/mod.ts";
import { decodePdu, encodePdu, PduFramer } from "../pdu/mod.ts";
import {
  concatBytes,
  Dataset,
  decodeDataset,
  decodePart10,
  decodePart10Header,
  deflateDataset,
  encodeDataset,
  encodePart10,
  readPart10,
  writePart10,
} from "../dataset/mod.ts";
import { type Command, decodeCommand, encodeCommand } from "../dimse/mod.ts";
import { encapsulateDocument, extractFrames, readBitstreamHeader } from "../encapsulation/mod.ts";
import { decodeFileSet } from "../media/mod.ts";
import { prng } from "./mutate.ts";
import { decodeFrames } from "../codecs/mod.ts";
import { writtenImage } from "../tests/_jpeg_writer.ts";

/** The in-process targets, in the order `--target all` runs them. */
export const TARGETS = [
  "pdu",
  "stream",
  "command",
  "dataset",
  "explicit",
  "part10",
  "deflated",
  "encapsulation",
  "pixels",
  "fileset",
] as const;

/**
 * A decoder under test: `decodePdu` over every PDU of the bytes, the
 * {@linkcode PduFramer} fed in random chunk sizes, `decodeCommand`,
 * `decodeDataset` in Implicit and Explicit VR Little Endian, `decodePart10`,
 * `readPart10` of a Deflated Explicit VR Little Endian file (the async
 * inflating path), `encapsulation/`'s bitstream header readers and document
 * checks (`readBitstreamHeader`, `encapsulateDocument`), and `decodeFrames`
 * of `@dcm/net/codecs` over a compressed Part 10 file (RLE and 12-bit JPEG
 * written here, the WebAssembly JPEG family).
 */
export type Target = typeof TARGETS[number];

/** The outcome of one case: a `DicomError` is the expected clear error; anything else is a finding. */
export type Outcome = "ok" | "dicom-error" | "finding";

/** What {@linkcode runCase} returns. */
export interface CaseResult {
  /** How the decoder ended. */
  readonly outcome: Outcome;
  /** With `"finding"`, what it threw. */
  readonly error?: unknown;
}

let deflatedHeader: Uint8Array | undefined;

async function deflatedFileHeader(): Promise<Uint8Array> {
  if (deflatedHeader) return deflatedHeader;
  const ds = new Dataset().set("SOPClassUID", Uid.SecondaryCaptureImageStorage).set(
    "SOPInstanceUID",
    "1.2.3.4",
  );
  const file = await writePart10(ds, { transferSyntax: Uid.DeflatedExplicitVRLittleEndian });
  deflatedHeader = file.subarray(0, decodePart10Header(file).datasetOffset);
  return deflatedHeader;
}

function decodeAllPdus(bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length;) {
    const r = decodePdu(bytes, offset, { maxPduLength: 1 << 20 });
    if (!r.complete) return;
    offset += r.byteLength;
  }
}

function frameInChunks(bytes: Uint8Array, seed: number): void {
  const framer = new PduFramer({ maxPduLength: 1 << 20 });
  const rand = prng(seed ^ bytes.length);
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 512));
    framer.push(bytes.slice(at, at + n), () => {});
    at += n;
  }
  framer.end();
}

/**
 * Runs one case through a target's decoder and classifies it.
 *
 * @param target The decoder.
 * @param bytes The (mutated) input; for `"deflated"`, the data set before
 * deflating, unless `raw` says the bytes are already deflated.
 * @param seed Chooses the chunk sizes of `"stream"` and, for `"deflated"`,
 * whether to deflate (even) or feed the bytes as the deflated body (odd).
 * @returns The outcome, and with a finding what was thrown.
 */
export async function runCase(target: Target, bytes: Uint8Array, seed = 0): Promise<CaseResult> {
  try {
    switch (target) {
      case "pdu":
        decodeAllPdus(bytes);
        break;
      case "stream":
        frameInChunks(bytes, seed);
        break;
      case "command":
        decodeCommand(bytes);
        break;
      case "dataset":
        decodeDataset(bytes);
        break;
      case "explicit":
        decodeDataset(bytes, { transferSyntax: Uid.ExplicitVRLittleEndian });
        break;
      case "part10":
        decodePart10(bytes);
        break;
      case "encapsulation":
        encapsulateOrFail(bytes);
        break;
      case "deflated": {
        const header = await deflatedFileHeader();
        const body = seed & 1 ? bytes : await deflateDataset(bytes);
        const file = new Uint8Array(header.length + body.length);
        file.set(header);
        file.set(body, header.length);
        await readPart10(file);
        break;
      }
      case "fileset":
        decodeFileSet(bytes, "/nonexistent/fuzz");
        break;
      case "pixels": {
        const file = decodePart10(bytes);
        if (file.dataset.has("PixelData")) await decodeFrames(file);
        break;
      }
    }
    return { outcome: "ok" };
  } catch (e) {
    return e instanceof DicomError ? { outcome: "dicom-error" } : { outcome: "finding", error: e };
  }
}

/** Valid command sets of every DIMSE-C and DIMSE-N kind, requests and responses (PS3.7 §9.3, §10.3). */
export function commandSeeds(): Uint8Array[] {
  const sop = Uid.CTImageStorage;
  const find = Uid.StudyRootQueryRetrieveInformationModelFind;
  const move = Uid.StudyRootQueryRetrieveInformationModelMove;
  const inst = "1.2.826.0.1.3680043.2.1143.1.2.3";
  const rsp = { messageIdBeingRespondedTo: 7, status: 0 };
  const commands: Command[] = [
    { type: "C-ECHO-RQ", hasDataset: false, messageId: 1, affectedSopClassUid: Uid.Verification },
    { type: "C-ECHO-RSP", hasDataset: false, ...rsp, affectedSopClassUid: Uid.Verification },
    {
      type: "C-STORE-RQ",
      hasDataset: true,
      messageId: 2,
      affectedSopClassUid: sop,
      affectedSopInstanceUid: inst,
      priority: 0,
      moveOriginatorAeTitle: "MOVESCU",
      moveOriginatorMessageId: 9,
    },
    {
      type: "C-STORE-RSP",
      hasDataset: false,
      ...rsp,
      status: 0xb000,
      affectedSopClassUid: sop,
      affectedSopInstanceUid: inst,
      offendingElements: [0x00100010],
      errorComment: "coerced",
    },
    { type: "C-FIND-RQ", hasDataset: true, messageId: 3, affectedSopClassUid: find, priority: 1 },
    { type: "C-FIND-RSP", hasDataset: true, ...rsp, status: 0xff00, affectedSopClassUid: find },
    {
      type: "C-MOVE-RQ",
      hasDataset: true,
      messageId: 4,
      affectedSopClassUid: move,
      priority: 2,
      moveDestination: "STORESCP",
    },
    {
      type: "C-MOVE-RSP",
      hasDataset: false,
      ...rsp,
      status: 0xff00,
      affectedSopClassUid: move,
      remaining: 3,
      completed: 1,
      failed: 0,
      warning: 0,
    },
    { type: "C-GET-RQ", hasDataset: true, messageId: 5, affectedSopClassUid: move, priority: 0 },
    { type: "C-CANCEL-RQ", hasDataset: false, messageIdBeingRespondedTo: 3 },
    {
      type: "N-EVENT-REPORT-RQ",
      hasDataset: true,
      messageId: 6,
      affectedSopClassUid: Uid.StorageCommitmentPushModel,
      affectedSopInstanceUid: inst,
      eventTypeId: 1,
    },
    {
      type: "N-GET-RQ",
      hasDataset: false,
      messageId: 8,
      requestedSopClassUid: sop,
      requestedSopInstanceUid: inst,
      attributeIdentifierList: [0x00100010, 0x00100020],
    },
    {
      type: "N-SET-RQ",
      hasDataset: true,
      messageId: 10,
      requestedSopClassUid: sop,
      requestedSopInstanceUid: inst,
    },
    {
      type: "N-ACTION-RQ",
      hasDataset: true,
      messageId: 11,
      requestedSopClassUid: Uid.StorageCommitmentPushModel,
      requestedSopInstanceUid: inst,
      actionTypeId: 1,
    },
    {
      type: "N-ACTION-RSP",
      hasDataset: false,
      ...rsp,
      affectedSopInstanceUid: inst,
      actionTypeId: 1,
    },
    { type: "N-CREATE-RQ", hasDataset: true, messageId: 12, affectedSopClassUid: sop },
    {
      type: "N-DELETE-RQ",
      hasDataset: false,
      messageId: 13,
      requestedSopClassUid: sop,
      requestedSopInstanceUid: inst,
    },
  ];
  return commands.map((c) => encodeCommand(c));
}

/** A P-DATA-TF PDU carrying `body` as one last-fragment PDV of a presentation context. */
export function pData(body: Uint8Array, isCommand: boolean, presentationContextId = 1): Uint8Array {
  return encodePdu({
    type: "P-DATA-TF",
    values: [{ presentationContextId, isCommand, isLastFragment: true, data: body }],
  });
}

async function* walk(dir: URL): AsyncGenerator<URL> {
  const entries = await Array.fromAsync(Deno.readDir(dir));
  entries.sort((a, b) => a.name < b.name ? -1 : 1); // a seed's index means the same file on every run
  for (const e of entries) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* walk(u);
    else if (e.isFile && !e.name.endsWith(".md")) yield u;
  }
}

async function part10Files(max: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const u of walk(new URL("../tests/data/pydicom/test_files/", import.meta.url))) {
    const bytes = await Deno.readFile(u);
    if (bytes.length <= 200_000) out.push(bytes);
    if (out.length >= max) break;
  }
  return out;
}

/** Data sets of the Part 10 test files, re-encoded in `transferSyntax` (those that decode). */
async function datasetSeeds(transferSyntax: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const file of await part10Files(60)) {
    try {
      const { dataset } = await readPart10(file);
      out.push(encodeDataset(dataset, { transferSyntax }));
    } catch {
      // not every test file is valid, or encodable in every syntax: skip it
    }
    if (out.length >= 30) break;
  }
  return out;
}

/**
 * Valid inputs for a target: captured PDUs and P-DATA-TF PDUs carrying real
 * command sets and data sets, command sets of every kind, data sets and
 * Part 10 files of the pydicom test corpus.
 *
 * @param target The decoder to build seeds for.
 * @returns At least one seed.
 */
export async function loadSeeds(target: Target): Promise<Uint8Array[]> {
  switch (target) {
    case "pdu":
    case "stream": {
      const out: Uint8Array[] = [];
      const root = new URL("../tests/fixtures/pdu/", import.meta.url);
      for await (const dir of Deno.readDir(root)) {
        if (!dir.isDirectory) continue;
        const conversation: Uint8Array[] = [];
        for await (const u of walk(new URL(dir.name + "/", root))) {
          const pdu = await Deno.readFile(u);
          out.push(pdu);
          conversation.push(pdu);
        }
        if (target === "stream") out.push(concat(conversation));
      }
      for (const c of commandSeeds()) out.push(pData(c, true));
      for (const d of (await datasetSeeds(Uid.ImplicitVRLittleEndian)).slice(0, 10)) {
        out.push(pData(d, false));
      }
      return out;
    }
    case "command":
      return commandSeeds();
    case "dataset":
      return await datasetSeeds(Uid.ImplicitVRLittleEndian);
    case "explicit":
    case "deflated":
      return await datasetSeeds(Uid.ExplicitVRLittleEndian);
    case "part10":
      return await part10Files(40);
    case "encapsulation":
      return await bitstreamSeeds();
    case "pixels":
      return await compressedFiles();
    case "fileset":
      return await dicomdirSeeds();
  }
}

/**
 * Both entry points of `encapsulation/` that read untrusted content, each
 * on its own: a `DicomError` of the first does not hide a finding of the
 * second.
 */
function encapsulateOrFail(bytes: Uint8Array): void {
  let refused: DicomError | undefined;
  let accepted = false;
  for (const run of [readBitstreamHeader, encapsulateDocument]) {
    try {
      run(bytes);
      accepted = true;
    } catch (e) {
      if (!(e instanceof DicomError)) throw e;
      refused = e;
    }
  }
  // "ok" when either took the bytes; a DicomError when both refused them.
  if (!accepted && refused) throw refused;
}

/** JPEG and JPEG 2000 frames of the pydicom corpus, and a PDF and a binary STL. */
async function bitstreamSeeds(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const files = [
    "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_jpeg_gdcm.dcm",
    "JPGExtended.dcm",
    "JPEG2000.dcm",
    "MR_small_jp2klossless.dcm",
    "GDCMJ2K_TextGBR.dcm",
  ];
  for (const name of files) {
    const url = new URL(`../tests/data/pydicom/test_files/${name}`, import.meta.url);
    const frame = extractFrames(decodePart10(await Deno.readFile(url)).dataset)[0]!;
    // The header is what the readers look at: the first 2 KiB keep the cases fast.
    out.push(frame.slice(0, 2048));
  }
  out.push(new TextEncoder().encode("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"));
  const stl = new Uint8Array(84 + 50);
  new DataView(stl.buffer).setUint32(80, 1, true);
  out.push(stl);
  return out;
}

/** Small compressed images of the corpus, one per codec (each case decodes every frame). */
async function compressedFiles(): Promise<Uint8Array[]> {
  const names = [
    "MR_small_RLE.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_jpeg_gdcm.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "SC_rgb_jls_lossy_line.dcm",
    "MR_small_jp2klossless.dcm",
    "SC_rgb_gdcm_KY.dcm",
  ];
  const dir = new URL("../tests/data/pydicom/test_files/", import.meta.url);
  const files: Uint8Array[] = await Promise.all(names.map((n) => Deno.readFile(new URL(n, dir))));
  // 12-bit JPEG Extended (codecs/jpeg_dct.ts), small, from the tests' writer:
  // grey with a restart interval, and 4:2:0 colour.
  const written = [
    writtenImage({ width: 32, height: 24, sampling: [[1, 1]], restartInterval: 2 }),
    writtenImage({ width: 24, height: 16, sampling: [[2, 2], [1, 1], [1, 1]], restartInterval: 1 }),
  ];
  for (const [i, w] of written.entries()) {
    files.push(encodePart10(w.dataset, {
      transferSyntax: w.transferSyntax,
      sopClassUid: Uid.SecondaryCaptureImageStorage,
      sopInstanceUid: `2.25.${120 + i}`,
    }));
  }
  return files;
}

/** The corpus's DICOMDIRs: explicit, implicit, big endian, reordered, without offsets. */
async function dicomdirSeeds(): Promise<Uint8Array[]> {
  const dir = new URL("../tests/data/pydicom/test_files/dicomdirtests/", import.meta.url);
  const names = [
    "DICOMDIR",
    "DICOMDIR-implicit",
    "DICOMDIR-bigEnd",
    "DICOMDIR-reordered",
    "DICOMDIR-nooffset",
    "DICOMDIR-nopatient",
    "TINY_ALPHA/DICOMDIR",
  ];
  return await Promise.all(names.map((n) => Deno.readFile(new URL(n, dir))));
}

/** Joins byte arrays (dataset's `concatBytes`, under the name the fuzz modules use). */
export const concat: (parts: readonly Uint8Array[]) => Uint8Array = (parts) => concatBytes(parts);
