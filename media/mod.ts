/**
 * DICOM media: File-sets and their DICOMDIR (PS3.10 §8–9, PS3.3 Annex F).
 * `readFileSet()` gives the DICOMDIR's directory records as a tree, links
 * followed by their byte offsets, inactive records left out and each
 * Referenced File ID resolved to a path. `FileSetWriter` creates and
 * updates File-sets (objects copied in under conformant File IDs, records
 * by SOP class, the DICOMDIR written atomically); `encodeDicomdir()` is its
 * pure encoder.
 *
 * @example Printing a File-set's tree
 * ```ts
 * import { readFileSet } from "./mod.ts";
 * const path = new URL(
 *   "../tests/data/pydicom/test_files/dicomdirtests/DICOMDIR",
 *   import.meta.url,
 * ).pathname;
 * const fileSet = await readFileSet(path);
 * for (const { record, depth } of fileSet.walk()) {
 *   console.log(`${"  ".repeat(depth)}${record.type} ${record.path ?? ""}`);
 * }
 * ```
 *
 * @module
 */
export * from "./file_set.ts";
export * from "./directory_records.ts";
export * from "./encode_dicomdir.ts";
export * from "./file_set_writer.ts";
