/**
 * DICOM Part 10 files (PS3.10 §7): the 128-byte preamble, the "DICM" prefix,
 * the File Meta Information group (0002,eeee) in Explicit VR Little Endian,
 * then the data set in the transfer syntax that group names.
 *
 * @module
 */
import { Tag, transferSyntaxInfo, Uid } from "../dictionary/mod.ts";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "../version.ts";
import { Dataset } from "./dataset.ts";
import { decodeDataset } from "./decode.ts";
import { EXPLICIT_LITTLE } from "./encoding.ts";
import { Decoder } from "./_decoder.ts";
import { encodeDataset } from "./encode.ts";
import { DicomDecodeError } from "./errors.ts";

/** A Part 10 file, decoded. */
export interface Part10File {
  /** The 128-byte preamble, or `undefined` when the file had none. */
  readonly preamble: Uint8Array | undefined;
  /** The File Meta Information (group 0002); empty when the file had none. */
  readonly meta: Dataset;
  /** The transfer syntax of the data set: from the meta group, else detected. */
  readonly transferSyntax: string;
  /** The data set. */
  readonly dataset: Dataset;
}

/** Options of {@linkcode decodePart10}. */
export interface DecodePart10Options {
  /** Stop before the first top-level element whose tag is at least this (e.g. `Tag.PixelData`). */
  stopBefore?: number;
  /**
   * Deepest nesting of sequences accepted.
   *
   * @default {64}
   */
  maxDepth?: number;
  /**
   * Refuse odd value lengths with a DicomDecodeError instead of a warning.
   *
   * @default {false}
   */
  strict?: boolean;
  /** Receives warnings about recoverable oddities. */
  onWarning?: (message: string) => void;
  /**
   * Called with each sequence item of the data set before its elements are
   * decoded, and the offset of its Item tag from the first byte of the file
   * (the preamble's): what a DICOMDIR's record offsets count (PS3.3 F.3.2.1).
   */
  onItem?: (item: Dataset, offset: number) => void;
}

/** The parts of a Part 10 file before the data set, as {@linkcode decodePart10Header} finds them. */
export interface Part10Header {
  /** The preamble, if any. */
  readonly preamble: Uint8Array | undefined;
  /** The meta information group. */
  readonly meta: Dataset;
  /** The data set's transfer syntax. */
  readonly transferSyntax: string;
  /** Where the data set starts in the input. */
  readonly datasetOffset: number;
}

/** Group 0002, the File Meta Information (PS3.10 §7.1). */
const META_GROUP = Tag.FileMetaInformationGroupLength >>> 16;

/** The File Preamble's length (PS3.10 §7.1). */
const PREAMBLE_LENGTH = 128;

/** The DICOM Prefix after the preamble, "DICM" (PS3.10 §7.1). */
const DICM = new Uint8Array([0x44, 0x49, 0x43, 0x4d]);

/** Where the meta group starts in a file with a preamble: 132. */
const META_OFFSET = PREAMBLE_LENGTH + DICM.length;

function isDicm(bytes: Uint8Array, at: number): boolean {
  return DICM.every((b, i) => bytes[at + i] === b);
}

function isUpper(c: number | undefined): boolean {
  return c !== undefined && c >= 0x41 && c <= 0x5a;
}

/**
 * Guesses the transfer syntax of a data set with no meta information from its
 * first element header, as readers of pre-Part 10 files must: explicit when
 * bytes 4–5 are a VR, big endian when the group reads small that way.
 */
export function detectTransferSyntax(bytes: Uint8Array, offset = 0): string {
  if (bytes.length - offset < 8) return Uid.ImplicitVRLittleEndian;
  const le = bytes[offset]! | (bytes[offset + 1]! << 8);
  const be = (bytes[offset]! << 8) | bytes[offset + 1]!;
  const explicit = isUpper(bytes[offset + 4]) && isUpper(bytes[offset + 5]);
  if (be < le && be !== 0 && be <= Tag.PixelData >>> 16 && explicit) return Uid.ExplicitVRBigEndian;
  return explicit ? Uid.ExplicitVRLittleEndian : Uid.ImplicitVRLittleEndian;
}

/**
 * Decodes the preamble and meta group; the data set starts at `datasetOffset`.
 *
 * @throws {DicomDecodeError} when the meta group is malformed or truncated.
 */
export function decodePart10Header(
  bytes: Uint8Array,
  options: DecodePart10Options = {},
): Part10Header {
  let pos = 0;
  let preamble: Uint8Array | undefined;
  if (bytes.length >= META_OFFSET && isDicm(bytes, PREAMBLE_LENGTH)) {
    preamble = bytes.subarray(0, PREAMBLE_LENGTH);
    pos = META_OFFSET;
  } else if (isDicm(bytes, 0)) {
    pos = DICM.length;
  } else if (
    bytes.length < META_OFFSET && bytes.length >= 8 &&
    bytes.every((b, i) => i >= PREAMBLE_LENGTH || b === 0)
  ) {
    throw new DicomDecodeError("Cannot decode a Part 10 file: it ends inside the preamble", 0, {
      truncated: true,
      needed: META_OFFSET,
    });
  }
  const meta = new Dataset();
  if (pos > 0) {
    // PS3.10 §7.1: the meta group is Explicit VR Little Endian. Read elements
    // while the group is 0002 rather than trusting (0002,0000), which some
    // writers get wrong or leave out.
    const decoder = new Decoder(bytes, EXPLICIT_LITTLE, 0, options);
    while (pos + 2 <= bytes.length && (bytes[pos]! | (bytes[pos + 1]! << 8)) === META_GROUP) {
      pos = decoder.element(meta, pos, bytes.length, 0);
    }
    if (pos + 2 > bytes.length && pos < bytes.length) {
      decoder.truncated("the meta information group", pos, pos + 8);
    }
  }
  let ts = meta.string(Tag.TransferSyntaxUID);
  if (ts === undefined || ts === "") {
    ts = detectTransferSyntax(bytes, pos);
    options.onWarning?.(`No transfer syntax in the meta information: detected ${ts}`);
  }
  return { preamble, meta, transferSyntax: ts, datasetOffset: pos };
}

/**
 * Decodes a whole Part 10 file held in memory; data set values are views into
 * `bytes`. Deflated files need {@linkcode readPart10}, which inflates.
 *
 * @example Reading a file
 * ```ts ignore
 * import { decodePart10 } from "./mod.ts";
 * const file = decodePart10(await Deno.readFile("CT_small.dcm"));
 * console.log(file.dataset.string("PatientName"));
 * ```
 *
 * @throws {DicomDecodeError} for malformed or truncated bytes, and for a
 * deflated transfer syntax named by the bytes (use {@linkcode readPart10}).
 */
export function decodePart10(bytes: Uint8Array, options: DecodePart10Options = {}): Part10File {
  const header = decodePart10Header(bytes, options);
  if (transferSyntaxInfo(header.transferSyntax)?.deflated) {
    // The file, not the caller, chose the transfer syntax: malformed input for
    // a synchronous decoder, so a DicomDecodeError (found by deno task fuzz).
    throw new DicomDecodeError(
      `Cannot decode ${header.transferSyntax} synchronously: use readPart10()`,
      header.datasetOffset,
    );
  }
  const rest = bytes.subarray(header.datasetOffset);
  let dataset: Dataset;
  try {
    const onItem = options.onItem;
    dataset = decodeDataset(rest, {
      ...options,
      transferSyntax: header.transferSyntax,
      ...(onItem === undefined
        ? {}
        : { onItem: (item: Dataset, at: number) => onItem(item, at + header.datasetOffset) }),
    });
  } catch (e) {
    if (!(e instanceof DicomDecodeError)) throw e;
    throw new DicomDecodeError(
      e.message.replace(/ \(at byte \d+\)$/, ""),
      e.offset + header.datasetOffset,
      {
        truncated: e.truncated,
        ...(e.needed === undefined ? {} : { needed: e.needed + header.datasetOffset }),
        cause: e,
      },
    );
  }
  return {
    preamble: header.preamble,
    meta: header.meta,
    transferSyntax: header.transferSyntax,
    dataset,
  };
}

/** Options of {@linkcode createFileMeta} and {@linkcode encodePart10}. */
export interface FileMetaOptions {
  /**
   * The transfer syntax of the data set.
   *
   * @default {"1.2.840.10008.1.2.1"} (Explicit VR Little Endian)
   */
  transferSyntax?: string;
  /** Source Application Entity Title (0002,0016), e.g. the AE that sent the object. */
  sourceAeTitle?: string;
  /** Media Storage SOP Class UID; defaults to the data set's SOP Class UID (0008,0016). */
  sopClassUid?: string;
  /** Media Storage SOP Instance UID; defaults to the data set's SOP Instance UID (0008,0018). */
  sopInstanceUid?: string;
}

/**
 * Builds the File Meta Information group of PS3.10 §7.1 for a data set, with
 * this implementation's class UID and version name.
 *
 * @throws {TypeError} when the SOP Class or Instance UID is neither given nor in the data set.
 */
export function createFileMeta(
  dataset: Dataset | undefined,
  options: FileMetaOptions = {},
): Dataset {
  const sopClass = options.sopClassUid ?? dataset?.string(Tag.SOPClassUID);
  const sopInstance = options.sopInstanceUid ?? dataset?.string(Tag.SOPInstanceUID);
  if (!sopClass || !sopInstance) {
    throw new TypeError(
      "Cannot build file meta information: SOP Class UID (0008,0016) and SOP Instance UID (0008,0018) are needed",
    );
  }
  const meta = new Dataset()
    .set(Tag.FileMetaInformationVersion, new Uint8Array([0, 1]), "OB")
    .set(Tag.MediaStorageSOPClassUID, sopClass, "UI")
    .set(Tag.MediaStorageSOPInstanceUID, sopInstance, "UI")
    .set(Tag.TransferSyntaxUID, options.transferSyntax ?? Uid.ExplicitVRLittleEndian, "UI")
    .set(Tag.ImplementationClassUID, IMPLEMENTATION_CLASS_UID, "UI")
    .set(Tag.ImplementationVersionName, IMPLEMENTATION_VERSION_NAME, "SH");
  if (options.sourceAeTitle !== undefined) {
    meta.set(Tag.SourceApplicationEntityTitle, options.sourceAeTitle, "AE");
  }
  return meta;
}

/**
 * Encodes the preamble, "DICM" and a meta group with a correct group length
 * (0002,0000), computed here: one already in `meta` (read back from a file)
 * is not written again. The data set follows in the meta group's transfer syntax.
 */
export function encodeFileMeta(meta: Dataset, preamble?: Uint8Array): Uint8Array {
  const explicitLittle = { transferSyntax: Uid.ExplicitVRLittleEndian };
  // Meta read back from a file holds its group length: it is computed anew,
  // once (PS3.10 §7.1), not written a second time with its old value.
  let rest = meta;
  if (meta.has(Tag.FileMetaInformationGroupLength)) {
    rest = new Dataset();
    for (const element of meta) {
      if (element.tag !== Tag.FileMetaInformationGroupLength) rest.setElement(element);
    }
  }
  const body = encodeDataset(rest, explicitLittle);
  // (0002,0000) UL: the length of the rest of the group.
  const groupLength = encodeDataset(
    new Dataset().set(Tag.FileMetaInformationGroupLength, body.length, "UL"),
    explicitLittle,
  );
  const out = new Uint8Array(META_OFFSET + groupLength.length + body.length);
  if (preamble) out.set(preamble.subarray(0, PREAMBLE_LENGTH));
  out.set(DICM, PREAMBLE_LENGTH);
  out.set(groupLength, META_OFFSET);
  out.set(body, META_OFFSET + groupLength.length);
  return out;
}

/**
 * Encodes a Part 10 file: preamble, meta group, then the data set. Deflated
 * transfer syntaxes need {@linkcode writePart10}.
 *
 * @throws {TypeError} for a deflated transfer syntax or missing SOP UIDs.
 */
export function encodePart10(dataset: Dataset, options: FileMetaOptions = {}): Uint8Array {
  const ts = options.transferSyntax ?? Uid.ExplicitVRLittleEndian;
  if (transferSyntaxInfo(ts)?.deflated) {
    throw new TypeError(`Cannot encode ${ts} synchronously: use writePart10()`);
  }
  const head = encodeFileMeta(createFileMeta(dataset, options));
  const body = encodeDataset(dataset, { transferSyntax: ts });
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** The implicit and explicit little endian and big endian UIDs. */
const NATIVE_UNDEFLATED: readonly string[] = [
  Uid.ImplicitVRLittleEndian,
  Uid.ExplicitVRLittleEndian,
  Uid.ExplicitVRBigEndian,
];

/**
 * Whether a transfer syntax carries native (not encapsulated) Pixel Data:
 * Implicit VR Little Endian, Explicit VR Little or Big Endian, or Deflated
 * Explicit VR Little Endian (PS3.5 §A.5). Data in any of them converts to any other by
 * re-encoding alone. (The JPIP Referenced Deflate syntaxes are deflated too,
 * but their pixels are elsewhere, PS3.5 §A.6: they convert to nothing.)
 *
 * @example
 * ```ts
 * import { isNativeTransferSyntax } from "./mod.ts";
 * console.log(isNativeTransferSyntax("1.2.840.10008.1.2.1.99")); // true
 * console.log(isNativeTransferSyntax("1.2.840.10008.1.2.4.50")); // false
 * console.log(isNativeTransferSyntax("1.2.840.10008.1.2.4.95")); // false: JPIP Referenced Deflate
 * ```
 *
 * @param uid A transfer syntax UID.
 * @returns Whether its Pixel Data is native.
 */
export function isNativeTransferSyntax(uid: string): boolean {
  return NATIVE_UNDEFLATED.includes(uid) || uid === Uid.DeflatedExplicitVRLittleEndian;
}
