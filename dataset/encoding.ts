/**
 * The byte-level facts of a transfer syntax that encoders and decoders need
 * (PS3.5 §10): explicit or implicit VR, byte order.
 *
 * @module
 */
import { transferSyntaxInfo } from "../dictionary/mod.ts";

/** How a data set is encoded: the three facts a decoder needs from a transfer syntax. */
export interface Encoding {
  /** Explicit VR (PS3.5 §7.1.2) rather than implicit (§7.1.3). */
  readonly explicitVr: boolean;
  /** Little endian byte order (PS3.5 §7.3). */
  readonly littleEndian: boolean;
}

/** Implicit VR Little Endian, the DICOM default transfer syntax (PS3.5 §10.1). */
export const IMPLICIT_LITTLE: Encoding = { explicitVr: false, littleEndian: true };
/** Explicit VR Little Endian. */
export const EXPLICIT_LITTLE: Encoding = { explicitVr: true, littleEndian: true };
/** Explicit VR Big Endian (retired, PS3.5 §A.3). */
export const EXPLICIT_BIG: Encoding = { explicitVr: true, littleEndian: false };

/**
 * The encoding of a transfer syntax UID; unknown UIDs are taken as Explicit VR
 * Little Endian, which every transfer syntax since 1.2.840.10008.1.2.1 uses.
 */
export function encodingOf(transferSyntaxUid: string): Encoding {
  const info = transferSyntaxInfo(transferSyntaxUid);
  if (info === undefined) return EXPLICIT_LITTLE;
  if (!info.explicitVr) return IMPLICIT_LITTLE;
  return info.littleEndian ? EXPLICIT_LITTLE : EXPLICIT_BIG;
}
