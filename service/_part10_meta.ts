/**
 * The File Meta Information a Storage SCP writes before a received data set
 * (PS3.10 §7.1), shared by the file writer and the journal.
 *
 * @module
 */
import { createFileMeta, encodeFileMeta } from "../dataset/mod.ts";
import type { ObjectFacts } from "./file_writer.ts";

/** The encoded File Meta Information of a received object, preamble included. */
export function _part10Meta(facts: ObjectFacts): Uint8Array {
  return encodeFileMeta(createFileMeta(undefined, {
    sopClassUid: facts.sopClassUid,
    sopInstanceUid: facts.sopInstanceUid,
    transferSyntax: facts.transferSyntax,
    ...(facts.sourceAeTitle ? { sourceAeTitle: facts.sourceAeTitle } : {}),
  }));
}
