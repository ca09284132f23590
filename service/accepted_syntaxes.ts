/**
 * Which transfer syntaxes a storage context accepts, most preferred first:
 * uncompressed, then lossless compressed, then lossy (issue 12). The acceptor
 * picks in this order, not the proposer's (PS3.8 §9.3.3.2), so a sender that
 * offers uncompressed data never has to compress it, and never lossily when
 * it offers a lossless syntax too.
 *
 * @module
 */
import { TRANSFER_SYNTAXES, Uid } from "../dictionary/mod.ts";

/**
 * The uncompressed (native) syntaxes, most preferred first: Explicit VR LE,
 * Implicit VR LE, Deflated Explicit VR LE, Explicit VR BE (PS3.5 §A.1–A.3,
 * §A.5).
 */
export const UNCOMPRESSED_TRANSFER_SYNTAXES: readonly string[] = [
  Uid.ExplicitVRLittleEndian,
  Uid.ImplicitVRLittleEndian,
  Uid.DeflatedExplicitVRLittleEndian,
  Uid.ExplicitVRBigEndian,
];

/**
 * The encapsulated syntaxes whose compression may lose information (PS3.5
 * §A.4: JPEG processes 1, 2 and 4 (§A.4.1); JPEG-LS near-lossless (§A.4.3);
 * JPEG 2000 and HTJ2K that allow irreversible coding (§A.4.4, §A.4.2x); MPEG-2,
 * MPEG-4 AVC and HEVC video (§A.4.5–A.4.7); JPEG XL and JPEG XL JPEG
 * recompression, whose source is a lossy JPEG (§A.4.11)). Every other
 * encapsulated syntax (JPEG process 14, JPEG-LS lossless, JPEG 2000 and HTJ2K
 * lossless only, JPEG XL lossless, RLE, Deflated Image Frame, Encapsulated
 * Uncompressed) is lossless. Hand-written: the generated transfer-syntax
 * table does not say which is which.
 *
 * @example Is a syntax lossy?
 * ```ts
 * import { LOSSY_TRANSFER_SYNTAXES } from "./accepted_syntaxes.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(LOSSY_TRANSFER_SYNTAXES.has("1.2.840.10008.1.2.4.50")); // JPEG Baseline
 * assert.ok(!LOSSY_TRANSFER_SYNTAXES.has("1.2.840.10008.1.2.4.70")); // JPEG Lossless SV1
 * ```
 */
export const LOSSY_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([
  Uid.JPEGBaseline8Bit,
  Uid.JPEGExtended12Bit,
  Uid.JPEGLSNearLossless,
  Uid.JPEG2000,
  Uid.JPEG2000MC,
  Uid.HTJ2K,
  Uid.MPEG2MPML,
  Uid.MPEG2MPMLF,
  Uid.MPEG2MPHL,
  Uid.MPEG2MPHLF,
  Uid.MPEG4HP41,
  Uid.MPEG4HP41F,
  Uid.MPEG4HP41BD,
  Uid.MPEG4HP41BDF,
  Uid.MPEG4HP422D,
  Uid.MPEG4HP422DF,
  Uid.MPEG4HP423D,
  Uid.MPEG4HP423DF,
  Uid.MPEG4HP42STEREO,
  Uid.MPEG4HP42STEREOF,
  Uid.HEVCMP51,
  Uid.HEVCM10P51,
  Uid.JPEGXLJPEGRecompression,
  Uid.JPEGXL,
]);

/** Which syntaxes a storage context accepts: the `--accept` values of the CLI. */
export const ACCEPT_POLICIES = ["uncompressed", "lossless", "all"] as const;

/** One of {@linkcode ACCEPT_POLICIES}. */
export type AcceptPolicy = typeof ACCEPT_POLICIES[number];

/**
 * The transfer syntaxes a storage context accepts under a policy, most
 * preferred first: the uncompressed ones; with "lossless", also every
 * lossless encapsulated syntax; with "all", also the lossy ones, last.
 * Retired syntaxes are left out.
 *
 * @example Lossless before lossy
 * ```ts
 * import { storageTransferSyntaxes } from "./accepted_syntaxes.ts";
 * import assert from "node:assert/strict";
 *
 * const all = storageTransferSyntaxes("all");
 * assert.equal(all[0], "1.2.840.10008.1.2.1"); // Explicit VR Little Endian
 * assert.ok(all.indexOf("1.2.840.10008.1.2.4.70") < all.indexOf("1.2.840.10008.1.2.4.50"));
 * assert.equal(storageTransferSyntaxes("uncompressed").length, 4);
 * ```
 */
export function storageTransferSyntaxes(policy: AcceptPolicy): string[] {
  const encapsulated = TRANSFER_SYNTAXES.filter((t) => t.encapsulated && !t.retired).map((t) =>
    t.uid
  );
  const lossless = encapsulated.filter((uid) => !LOSSY_TRANSFER_SYNTAXES.has(uid));
  const lossy = encapsulated.filter((uid) => LOSSY_TRANSFER_SYNTAXES.has(uid));
  if (policy === "uncompressed") return [...UNCOMPRESSED_TRANSFER_SYNTAXES];
  if (policy === "lossless") return [...UNCOMPRESSED_TRANSFER_SYNTAXES, ...lossless];
  return [...UNCOMPRESSED_TRANSFER_SYNTAXES, ...lossless, ...lossy];
}

/**
 * What our SCUs propose for the contexts that carry no stored object
 * (C-ECHO, C-FIND, C-MOVE, the C-GET context itself), and as the fallback
 * context of `store()` when an object's own syntax is refused: Explicit VR
 * Little Endian, then Implicit VR Little Endian, the default every peer
 * accepts (PS3.5 §10.1).
 */
export const PROPOSED_TRANSFER_SYNTAXES: readonly string[] = [
  Uid.ExplicitVRLittleEndian,
  Uid.ImplicitVRLittleEndian,
];
