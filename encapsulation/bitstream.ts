/**
 * What an image bitstream's header says, read without decoding: the JPEG
 * frame header (ITU-T T.81 B.2.2, the SOFn marker segment) and the JPEG 2000
 * image and tile size and coding style (ITU-T T.800 A.5.1 SIZ, A.6.1 COD),
 * and the transfer syntax that carries it (PS3.5 A.4.1, A.4.4).
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";
import { EncapsulationError } from "./errors.ts";

/** The image attributes of a bitstream and the transfer syntax for it. */
export interface BitstreamInfo {
  /** `"jpeg"` (ISO 10918-1) or `"j2k"` (ISO 15444-1 codestream). */
  readonly format: "jpeg" | "j2k";
  /** The transfer syntax UID that encapsulates it (PS3.5 A.4). */
  readonly transferSyntax: string;
  /** Rows (0028,0010). */
  readonly rows: number;
  /** Columns (0028,0011). */
  readonly columns: number;
  /** Samples per Pixel (0028,0002). */
  readonly samplesPerPixel: number;
  /** Bits Stored (0028,0101): the sample precision. */
  readonly bitsStored: number;
  /** Pixel Representation (0028,0103): 1 for signed samples (JPEG 2000 only). */
  readonly pixelRepresentation: 0 | 1;
  /** Photometric Interpretation (0028,0004) of the encoded data (PS3.5 8.2). */
  readonly photometricInterpretation: string;
  /** Whether the coding loses information (lossy JPEG processes, irreversible wavelet). */
  readonly lossy: boolean;
  /** Lossy Image Compression Method (0028,2114) when lossy: ISO_10918_1 or ISO_15444_1. */
  readonly compressionMethod: string;
  /** Where the codestream starts (after a JP2 file's boxes) and ends, in the input. */
  readonly codestream: Uint8Array;
}

function fail(what: string, problem: string): never {
  throw new EncapsulationError(`Cannot read the ${what} header: ${problem}`);
}

/**
 * Reads a JPEG bitstream's frame header (T.81 B.2.2) and chooses its
 * transfer syntax (PS3.5 A.4.1, PS3.5 8.2.1 for the photometric
 * interpretation):
 * SOF0 (baseline, 8-bit) → JPEG Baseline 1.2.840.10008.1.2.4.50;
 * SOF1 (extended sequential, 8 or 12 bits) → JPEG Extended 1.2.840.10008.1.2.4.51;
 * SOF3 (lossless) → 1.2.840.10008.1.2.4.70 when the scan's predictor is
 * Selection Value 1, else 1.2.840.10008.1.2.4.57. Progressive,
 * hierarchical and arithmetic-coded JPEG have no current transfer syntax
 * (their PS3.5 ones are retired) and are refused.
 *
 * @throws {EncapsulationError} for a bitstream with no SOI, a truncated or unsupported header.
 *
 * @example
 * ```ts ignore
 * import { readJpegHeader } from "./mod.ts";
 * const info = readJpegHeader(await Deno.readFile("photo.jpg"));
 * console.log(info.rows, info.columns, info.transferSyntax);
 * ```
 */
export function readJpegHeader(bytes: Uint8Array): BitstreamInfo {
  const what = "JPEG";
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    fail(what, "it does not start with an SOI marker (FFD8)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 2;
  let sof: { marker: number; at: number } | undefined;
  let adobeTransform: number | undefined;
  let jfif = false;
  let predictor: number | undefined;
  while (predictor === undefined) {
    // Markers may be preceded by any number of fill bytes FF (T.81 B.1.1.2).
    if (offset >= bytes.length || bytes[offset] !== 0xff) {
      fail(
        what,
        `expected a marker at byte ${offset}, found ${offset >= bytes.length ? "the end" : "data"}`,
      );
    }
    while (offset < bytes.length && bytes[offset] === 0xff) offset++;
    if (offset >= bytes.length) fail(what, "it ends inside a marker");
    const marker = 0xff00 | bytes[offset++]!;
    if (marker === 0xffd9) fail(what, "it ends (EOI) before a frame and scan header");
    if (marker === 0xff01 || (marker >= 0xffd0 && marker <= 0xffd7)) continue;
    if (offset + 2 > bytes.length) fail(what, `it ends inside the ${hex(marker)} segment`);
    const length = view.getUint16(offset);
    if (length < 2 || offset + length > bytes.length) {
      fail(what, `the ${hex(marker)} segment's length ${length} runs past the end`);
    }
    const body = offset + 2;
    if (marker === 0xffe0 && head(bytes, body, 5) === "JFIF\0") jfif = true;
    if (marker === 0xffee && length >= 14 && head(bytes, body, 5) === "Adobe") {
      adobeTransform = bytes[body + 11];
    }
    if (isSof(marker)) {
      if (sof) fail(what, "it has two frame headers");
      sof = { marker, at: body };
    }
    if (marker === 0xffda) {
      if (!sof) fail(what, "its scan header (SOS) comes before any frame header (SOFn)");
      const ns = bytes[body]!;
      if (length < 6 + 2 * ns) fail(what, "its SOS segment is too short");
      predictor = bytes[body + 1 + 2 * ns]!;
    }
    offset += length;
  }
  const s = sof!;
  const type = s.marker & 0x0f;
  if (type !== 0 && type !== 1 && type !== 3) {
    fail(
      what,
      `its frame is SOF${type} (${
        SOF_NAMES[type] ?? "unknown"
      }), for which PS3.5 has no current transfer syntax`,
    );
  }
  const segmentLength = view.getUint16(s.at - 2);
  const precision = bytes[s.at]!;
  const rows = view.getUint16(s.at + 1);
  const columns = view.getUint16(s.at + 3);
  const components = bytes[s.at + 5]!;
  if (segmentLength < 8 + 3 * components) {
    fail(what, "its frame header is too short for its components");
  }
  if (rows === 0) fail(what, "its frame header gives 0 lines (a DNL segment is not supported)");
  if (columns === 0) fail(what, "its frame header gives 0 samples per line");
  if (components !== 1 && components !== 3) {
    fail(what, `it has ${components} components; DICOM images have 1 or 3`);
  }
  if (type === 0 && precision !== 8) fail(what, `a baseline frame of ${precision}-bit samples`);
  if (type === 1 && precision !== 8 && precision !== 12) {
    fail(what, `an extended sequential frame of ${precision}-bit samples (8 or 12 expected)`);
  }
  if (type === 3 && (precision < 2 || precision > 16)) {
    fail(what, `a lossless frame of ${precision}-bit samples (2 to 16 expected)`);
  }
  const ids: number[] = [];
  const sampling: number[] = [];
  for (let c = 0; c < components; c++) {
    ids.push(bytes[s.at + 6 + 3 * c]!);
    sampling.push(bytes[s.at + 7 + 3 * c]!);
  }
  let photometric = "MONOCHROME2";
  if (components === 3) {
    const rgbIds = ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42; // 'R','G','B'
    const subsampled = sampling.some((hv) => hv !== sampling[0]);
    if (type === 3) {
      // Lossless: no colour transform unless the stream says so (PS3.5 8.2.1).
      photometric = jfif || adobeTransform === 1 ? "YBR_FULL" : "RGB";
    } else if (rgbIds || (adobeTransform === 0 && !jfif)) {
      photometric = "RGB";
    } else {
      photometric = subsampled ? "YBR_FULL_422" : "YBR_FULL";
    }
  }
  const transferSyntax = type === 0
    ? Uid.JPEGBaseline8Bit
    : type === 1
    ? Uid.JPEGExtended12Bit
    : predictor === 1
    ? Uid.JPEGLosslessSV1
    : Uid.JPEGLossless;
  return {
    format: "jpeg",
    transferSyntax,
    rows,
    columns,
    samplesPerPixel: components,
    bitsStored: precision,
    pixelRepresentation: 0,
    photometricInterpretation: photometric,
    lossy: type !== 3,
    compressionMethod: "ISO_10918_1",
    codestream: bytes,
  };
}

const SOF_NAMES: Record<number, string> = {
  2: "progressive",
  5: "differential sequential",
  6: "differential progressive",
  7: "differential lossless",
  9: "arithmetic extended sequential",
  10: "arithmetic progressive",
  11: "arithmetic lossless",
  13: "arithmetic differential sequential",
  14: "arithmetic differential progressive",
  15: "arithmetic differential lossless",
};

function isSof(marker: number): boolean {
  return marker >= 0xffc0 && marker <= 0xffcf && marker !== 0xffc4 && marker !== 0xffc8 &&
    marker !== 0xffcc;
}

function hex(marker: number): string {
  return marker.toString(16).toUpperCase();
}

function head(bytes: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...bytes.subarray(at, Math.min(bytes.length, at + n)));
}

/** The JP2 signature box (ISO 15444-1 I.5.1). */
const JP2_SIGNATURE = [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];

/**
 * The codestream of a JP2 file: the contents of its Contiguous Codestream
 * box `jp2c` (ISO 15444-1 I.5.4), since DICOM encapsulates the codestream
 * without the JP2 header (PS3.5 A.4.4).
 */
function jp2Codestream(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let length = view.getUint32(offset);
    const type = head(bytes, offset + 4, 4);
    let header = 8;
    if (length === 1) {
      if (offset + 16 > bytes.length) break;
      length = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (length === 0) {
      length = bytes.length - offset;
    }
    if (length < header || offset + length > bytes.length) {
      fail("JP2", `its "${type}" box's length ${length} runs past the end`);
    }
    if (type === "jp2c") return bytes.subarray(offset + header, offset + length);
    offset += length;
  }
  return fail("JP2", "it has no contiguous codestream (jp2c) box");
}

/**
 * Reads a JPEG 2000 codestream's SIZ and COD marker segments (T.800 A.5.1,
 * A.6.1), from a raw codestream or a JP2 file (whose codestream is taken
 * out of its `jp2c` box, PS3.5 A.4.4), and chooses its transfer syntax: the
 * reversible 5-3 wavelet → JPEG 2000 Lossless Only 1.2.840.10008.1.2.4.90,
 * the irreversible 9-7 → JPEG 2000 1.2.840.10008.1.2.4.91. Three components
 * with the multiple component transform are YBR_RCT or YBR_ICT, without it
 * RGB (PS3.5 8.2.4).
 *
 * @throws {EncapsulationError} for a truncated or malformed main header.
 *
 * @example
 * ```ts ignore
 * import { readJ2kHeader } from "./mod.ts";
 * const info = readJ2kHeader(await Deno.readFile("image.j2k"));
 * console.log(info.transferSyntax); // "1.2.840.10008.1.2.4.90" when reversible
 * ```
 */
export function readJ2kHeader(bytes: Uint8Array): BitstreamInfo {
  const what = "JPEG 2000";
  const codestream = JP2_SIGNATURE.every((b, i) => bytes[i] === b) ? jp2Codestream(bytes) : bytes;
  if (codestream.length < 4 || codestream[0] !== 0xff || codestream[1] !== 0x4f) {
    fail(what, "its codestream does not start with an SOC marker (FF4F)");
  }
  if (codestream[2] !== 0xff || codestream[3] !== 0x51) {
    fail(what, "the SOC marker is not followed by a SIZ marker (FF51)");
  }
  const view = new DataView(codestream.buffer, codestream.byteOffset, codestream.byteLength);
  if (codestream.length < 6) fail(what, "it ends inside the SIZ segment");
  const lsiz = view.getUint16(4);
  if (lsiz < 41 || 4 + lsiz > codestream.length) {
    fail(what, `its SIZ length ${lsiz} runs past the end`);
  }
  const xsiz = view.getUint32(8);
  const ysiz = view.getUint32(12);
  const xosiz = view.getUint32(16);
  const yosiz = view.getUint32(20);
  const csiz = view.getUint16(40);
  if (lsiz !== 38 + 3 * csiz) fail(what, `its SIZ length ${lsiz} does not fit ${csiz} components`);
  if (csiz !== 1 && csiz !== 3) fail(what, `it has ${csiz} components; DICOM images have 1 or 3`);
  const depths: number[] = [];
  const signed: boolean[] = [];
  for (let c = 0; c < csiz; c++) {
    const ssiz = codestream[42 + 3 * c]!;
    depths.push((ssiz & 0x7f) + 1);
    signed.push((ssiz & 0x80) !== 0);
  }
  if (depths.some((d) => d !== depths[0]) || signed.some((s) => s !== signed[0])) {
    fail(what, "its components differ in bit depth or signedness");
  }
  const rows = ysiz - yosiz;
  const columns = xsiz - xosiz;
  if (rows <= 0 || columns <= 0 || rows > 0xffff || columns > 0xffff) {
    fail(what, `its image is ${columns} × ${rows}, outside DICOM's 1 to 65535`);
  }
  // The COD segment follows SIZ somewhere in the main header (before the first SOT).
  let offset = 4 + lsiz;
  let cod: { mct: number; reversible: boolean } | undefined;
  while (!cod) {
    if (offset + 4 > codestream.length) fail(what, "its main header ends before a COD segment");
    if (codestream[offset] !== 0xff) fail(what, `expected a marker at byte ${offset}`);
    const marker = view.getUint16(offset);
    if (marker === 0xff90 || marker === 0xff93 || marker === 0xffd9) {
      fail(what, "its main header has no COD segment");
    }
    const length = view.getUint16(offset + 2);
    if (length < 2 || offset + 2 + length > codestream.length) {
      fail(what, `the ${hex(marker)} segment's length ${length} runs past the end`);
    }
    if (marker === 0xff52) {
      if (length < 12) fail(what, "its COD segment is too short");
      // Lcod(2) Scod(1) SGcod: progression(1) layers(2) MCT(1); SPcod: levels,
      // code-block width, height, style, then the transformation (T.800 Table A.20).
      cod = { mct: codestream[offset + 8]!, reversible: codestream[offset + 13] === 1 };
    }
    offset += 2 + length;
  }
  const photometric = csiz === 1
    ? "MONOCHROME2"
    : cod.mct === 1
    ? cod.reversible ? "YBR_RCT" : "YBR_ICT"
    : "RGB";
  return {
    format: "j2k",
    transferSyntax: cod.reversible ? Uid.JPEG2000Lossless : Uid.JPEG2000,
    rows,
    columns,
    samplesPerPixel: csiz,
    bitsStored: depths[0]!,
    pixelRepresentation: signed[0] ? 1 : 0,
    photometricInterpretation: photometric,
    lossy: !cod.reversible,
    compressionMethod: "ISO_15444_1",
    codestream,
  };
}

/**
 * Reads a JPEG or JPEG 2000 header, whichever `bytes` is: SOI (FFD8) for
 * JPEG, SOC (FF4F) or the JP2 signature for JPEG 2000.
 *
 * @throws {EncapsulationError} when it is neither, or its header cannot be read.
 *
 * @example
 * ```ts
 * import { readBitstreamHeader } from "./mod.ts";
 * try {
 *   readBitstreamHeader(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
 * } catch (e) {
 *   console.log((e as Error).message); // "Cannot encapsulate the content: it is neither a JPEG (FFD8) nor a JPEG 2000 (FF4F or JP2) bitstream"
 * }
 * ```
 */
export function readBitstreamHeader(bytes: Uint8Array): BitstreamInfo {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return readJpegHeader(bytes);
  if ((bytes[0] === 0xff && bytes[1] === 0x4f) || JP2_SIGNATURE.every((b, i) => bytes[i] === b)) {
    return readJ2kHeader(bytes);
  }
  throw new EncapsulationError(
    "Cannot encapsulate the content: it is neither a JPEG (FFD8) nor a JPEG 2000 (FF4F or JP2) bitstream",
  );
}
