/**
 * Pure codecs for the PDUs of the DICOM Upper Layer protocol (PS3.8 §9.3).
 *
 * (Work in progress: the data model and code tables are stable; the codecs follow.)
 *
 * @module
 */

export * from "./constants.ts";
export * from "./errors.ts";
export type * from "./types.ts";
