import { TRANSFER_SYNTAXES } from "./transfer_syntaxes.ts";

/** How a transfer syntax encodes a data set (PS3.5 §10 and Annex A). */
export interface TransferSyntaxInfo {
  /** The transfer syntax UID. */
  readonly uid: string;
  /** Its registered name, e.g. `"Explicit VR Little Endian"`. */
  readonly name: string;
  /** Whether data elements carry a VR field (PS3.5 §7.1.2); only Implicit VR Little Endian does not. */
  readonly explicitVr: boolean;
  /** Whether the byte order is little endian; only the retired Explicit VR Big Endian is not. */
  readonly littleEndian: boolean;
  /** Whether the whole data set is compressed with Deflate (RFC 1951) after encoding (A.5, A.7, A.12). */
  readonly deflated: boolean;
  /** Whether Pixel Data uses the Encapsulated Format of fragments (PS3.5 §8.2, A.4). */
  readonly encapsulated: boolean;
  /** Whether the standard has retired the transfer syntax. */
  readonly retired: boolean;
}

let byUid: ReadonlyMap<string, TransferSyntaxInfo> | undefined;

/**
 * Returns how a standard transfer syntax encodes a data set, or `undefined`
 * for a private or unknown transfer syntax (and for the retired registry
 * entries that are not data set encodings, see {@linkcode TRANSFER_SYNTAXES}).
 *
 * @example Usage
 * ```ts
 * import { transferSyntaxInfo, Uid } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * const ts = transferSyntaxInfo(Uid.DeflatedExplicitVRLittleEndian);
 * assert.equal(ts?.explicitVr, true);
 * assert.equal(ts?.deflated, true);
 * assert.equal(transferSyntaxInfo(Uid.JPEGBaseline8Bit)?.encapsulated, true);
 * assert.equal(transferSyntaxInfo("1.2.3.4"), undefined);
 * ```
 *
 * @param uid The transfer syntax UID.
 * @returns Its encoding, or `undefined`.
 */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  byUid ??= new Map(TRANSFER_SYNTAXES.map((ts) => [ts.uid, ts]));
  return byUid.get(uid);
}
