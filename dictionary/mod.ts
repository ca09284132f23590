/**
 * The DICOM data dictionary, generated from PS3.6 (data elements and UID
 * registry) and the command group of PS3.7 Annex E, release 2024d:
 *
 * - {@linkcode Tag}: the tag of every keyword, and {@linkcode lookupElement},
 *   {@linkcode tagForKeyword}, {@linkcode keywordOf} for VR, VM and name,
 *   repeating groups, group lengths and private creators;
 * - {@linkcode formatTag} and {@linkcode parseTag} for `"(gggg,eeee)"` text;
 * - {@linkcode Uid}, {@linkcode lookupUid} and {@linkcode uidName} for the UID
 *   registry;
 * - {@linkcode transferSyntaxInfo} and {@linkcode TRANSFER_SYNTAXES} for how a
 *   transfer syntax encodes a data set;
 * - {@linkcode STORAGE_SOP_CLASSES} for what a storage SCP accepts.
 *
 * Importing the module is cheap: the element and UID details are compact
 * tables that are parsed on the first lookup.
 *
 * @example Look up a data element and a UID
 * ```ts
 * import { formatTag, lookupElement, Tag, Uid, uidName } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * const info = lookupElement(Tag.PixelData);
 * assert.equal(formatTag(Tag.PixelData), "(7FE0,0010)");
 * assert.equal(info?.vr, "OB or OW");
 * assert.equal(uidName(Uid.CTImageStorage), "CT Image Storage");
 * ```
 *
 * @module
 */

export * from "./dictionary_vr.ts";
export * from "./element.ts";
export * from "./format_tag.ts";
export * from "./parse_tag.ts";
export * from "./storage_sop_classes.ts";
export * from "./tag.ts";
export * from "./transfer_syntax.ts";
export * from "./transfer_syntaxes.ts";
export * from "./uid.ts";
export * from "./uid_info.ts";
