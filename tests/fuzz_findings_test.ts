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

Deno.test("decodeFileSet() refuses a record link that is not a number with a FileSetError naming the record, not a TypeError (fuzz target fileset, seed 46)", async () => {
  const { decodeFileSet, FileSetError } = await import("../media/mod.ts");
  const bytes = await Deno.readFile(
    new URL("./data/pydicom/test_files/dicomdirtests/DICOMDIR", import.meta.url),
  );
  // The first (0004,1400) Offset of the Next Directory Record, explicit VR LE:
  // its VR turned from UL to CS and its value to text, all lengths kept.
  const ul = [0x04, 0x00, 0x00, 0x14, 0x55, 0x4c, 0x04, 0x00];
  const at = bytes.findIndex((_, i) => ul.every((b, j) => bytes[i + j] === b));
  const damaged = bytes.slice();
  damaged.set([0x43, 0x53], at + 4); // "CS"
  damaged.set([0x40, 0x40, 0x40, 0x40], at + 8); // "@@@@"
  assertThrows(
    () => decodeFileSet(damaged, "/nonexistent"),
    (e: unknown) =>
      e instanceof FileSetError && /\(0004,1400\)/.test(e.message) && /offset/.test(e.message),
  );
});
