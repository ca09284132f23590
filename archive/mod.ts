/**
 * An embedded DICOM archive: files on disk indexed in SQLite by patient,
 * study, series and instance, with the matching rules of C-FIND (PS3.4
 * §C.2.2.2). The Query/Retrieve SCP serves it.
 *
 * @example Index files and search them
 * ```ts ignore
 * import { Archive } from "./mod.ts";
 * using archive = Archive.open({ database: ":memory:" });
 * await archive.ingestDirectory("./images");
 * for (const r of archive.records("STUDY")) console.log(r.dataset.string("StudyInstanceUID"));
 * ```
 *
 * @module
 */
export * from "./levels.ts";
export * from "./matching.ts";
export * from "./archive.ts";
export * from "./samples.ts";
