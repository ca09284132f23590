/**
 * Regression tests for what `deno task fuzz` found (issue 11): each case is
 * a decoder input that once crashed, hung or grew memory without bound.
 *
 * @module
 */
import { assertThrows } from "./_assert.ts";
import { Dataset, decodePart10, DicomDecodeError, writePart10 } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";

Deno.test("decodePart10() rejects a deflated transfer syntax with a DicomDecodeError, not a TypeError", async () => {
  const dataset = new Dataset();
  dataset.set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage);
  dataset.set(Tag.SOPInstanceUID, "1.2.3.4");
  dataset.set(Tag.PatientName, "Doe^Jane");
  const bytes = await writePart10(dataset, { transferSyntax: Uid.DeflatedExplicitVRLittleEndian });
  assertThrows(
    () => decodePart10(bytes),
    (e: unknown) => e instanceof DicomDecodeError && /readPart10\(\)/.test(e.message),
  );
});
