/**
 * The A900 check of PS3.4 B.2.3: the SOP Class and Instance UIDs at the head
 * of a received data set must be the ones its C-STORE-RQ names.
 *
 * @module
 */
import { Tag } from "../dictionary/mod.ts";
import { type Dataset, decodeDataset, DicomDecodeError } from "../dataset/mod.ts";
import { DimseStatusError, STATUS } from "../dimse/mod.ts";
import type { ObjectFacts } from "./file_writer.ts";

/**
 * The most data set bytes held back while looking for SOP Instance UID
 * (0008,0018); past it the object goes on unchecked (the elements before that
 * one are normally a few hundred bytes).
 */
const HEADER_CHECK_LIMIT = 65536;

/**
 * Compares the header in `prefix` (the data set's first bytes, in
 * `transferSyntax`) with `facts`. Returns `true` once decided (they match,
 * or more than `HEADER_CHECK_LIMIT` bytes came without an answer),
 * `false` when more bytes are needed; with `final`, `prefix` is all there is.
 *
 * @throws {DimseStatusError} A900 when the UIDs differ.
 * @throws {DicomDecodeError} when the header is malformed, or truncated and `final`.
 */
export function headerMatches(
  prefix: Uint8Array,
  transferSyntax: string,
  facts: ObjectFacts,
  final: boolean,
): boolean {
  const giveUp = prefix.length > HEADER_CHECK_LIMIT;
  let ds: Dataset;
  try {
    ds = decodeDataset(prefix, { transferSyntax, stopBefore: Tag.SOPInstanceUID + 1 });
  } catch (e) {
    if (e instanceof DicomDecodeError && e.truncated && !final) return giveUp;
    throw e;
  }
  const cls = ds.string(Tag.SOPClassUID);
  const inst = ds.string(Tag.SOPInstanceUID);
  // Bytes so far that end between two elements before (0008,0018) prove nothing yet.
  if (inst === undefined && !final && !giveUp) return false;
  if (
    (cls !== undefined && cls !== facts.sopClassUid) ||
    (inst !== undefined && inst !== facts.sopInstanceUid)
  ) {
    throw new DimseStatusError("C-STORE", STATUS.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, {
      errorComment: "SOP Class/Instance UID differ from the command's",
    });
  }
  return true;
}
