/**
 * Reading the frame header of a JPEG-family bitstream without decoding it,
 * so that a frame is checked against the image's geometry before a decoder
 * allocates anything, and a truncated stream is told from a whole one.
 *
 * @module
 */

/** What a bitstream's frame header says. */
export interface BitstreamHeader {
  /** The SOF marker (0xFFC0-0xFFCF, 0xFFF7 for JPEG-LS), or 0xFF51 (SIZ) for JPEG 2000. */
  readonly marker: number;
  /** Sample precision in bits (for JPEG 2000, of the first component). */
  readonly precision: number;
  readonly rows: number;
  readonly columns: number;
  readonly components: number;
  /** JPEG 2000: whether the first component is signed. */
  readonly signed: boolean;
}

/**
 * The frame header of an ISO 10918-1 (JPEG) or ISO 14495-1 (JPEG-LS)
 * stream: the markers from SOI are walked to the first SOFn (B.2.2).
 * `undefined` when there is no SOI or the stream ends before a SOF.
 */
export function readJpegHeader(bytes: Uint8Array): BitstreamHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = 0xff00 | bytes[i + 1]!;
    if (marker === 0xffff) { // fill byte (B.1.1.2)
      i++;
      continue;
    }
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    const sof = (marker >= 0xffc0 && marker <= 0xffcf && marker !== 0xffc4 &&
      marker !== 0xffc8 && marker !== 0xffcc) || marker === 0xfff7;
    if (sof) {
      if (i + 10 > bytes.length) return undefined;
      return {
        marker,
        precision: bytes[i + 4]!,
        rows: (bytes[i + 5]! << 8) | bytes[i + 6]!,
        columns: (bytes[i + 7]! << 8) | bytes[i + 8]!,
        components: bytes[i + 9]!,
        signed: false,
      };
    }
    i += 2 + length;
  }
  return undefined;
}

/**
 * The SIZ segment of a JPEG 2000 codestream (ISO 15444-1 A.5.1), which
 * follows SOC; a JP2 file's codestream box is searched for. `undefined`
 * when there is none.
 */
export function readJ2kHeader(bytes: Uint8Array): BitstreamHeader | undefined {
  let i = 0;
  if (!(bytes[0] === 0xff && bytes[1] === 0x4f)) {
    // A JP2 file (some writers send one): find the codestream's SOC+SIZ.
    i = -1;
    for (let k = 0; k + 3 < Math.min(bytes.length, 4096); k++) {
      if (
        bytes[k] === 0xff && bytes[k + 1] === 0x4f && bytes[k + 2] === 0xff && bytes[k + 3] === 0x51
      ) {
        i = k;
        break;
      }
    }
    if (i < 0) return undefined;
  }
  // SOC, then SIZ: Lsiz(2) Rsiz(2) Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz (4 each) Csiz(2) Ssiz...
  if (i + 43 > bytes.length || bytes[i + 2] !== 0xff || bytes[i + 3] !== 0x51) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + i + 4);
  const x = view.getUint32(4) - view.getUint32(12);
  const y = view.getUint32(8) - view.getUint32(16);
  const ssiz = view.getUint8(38);
  return {
    marker: 0xff51,
    precision: (ssiz & 0x7f) + 1,
    rows: y,
    columns: x,
    components: view.getUint16(36),
    signed: (ssiz & 0x80) !== 0,
  };
}

/**
 * Whether a JPEG-family stream ends with its end marker (EOI FFD9, or EOC
 * FFD9 for JPEG 2000), allowing the trailing padding of PS3.5 A.4 (one NUL,
 * or a few from writers that pad more, some with FF fill bytes as GDCM does).
 */
export function hasEndMarker(bytes: Uint8Array): boolean {
  for (let end = bytes.length; end >= 2 && end >= bytes.length - 8; end--) {
    if (bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9) return true;
    if (bytes[end - 1] !== 0 && bytes[end - 1] !== 0xff) return false;
  }
  return false;
}
