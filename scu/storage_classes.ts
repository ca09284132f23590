/**
 * The storage SOP classes a C-GET SCU proposes when it cannot find out the
 * ones it needs (PS3.4 C.4.3: the SCU must take the SCP role for each).
 *
 * @module
 */
import { STORAGE_SOP_CLASSES } from "../dictionary/mod.ts";

/**
 * Storage SOP classes proposed first for C-GET when the needed ones cannot
 * be found out: the common image, SR, document and RT classes.
 */
export const COMMON_STORAGE_SOP_CLASSES: readonly string[] = [
  "1.2.840.10008.5.1.4.1.1.2", // CT
  "1.2.840.10008.5.1.4.1.1.2.1", // Enhanced CT
  "1.2.840.10008.5.1.4.1.1.4", // MR
  "1.2.840.10008.5.1.4.1.1.4.1", // Enhanced MR
  "1.2.840.10008.5.1.4.1.1.1", // CR
  "1.2.840.10008.5.1.4.1.1.1.1", // DX presentation
  "1.2.840.10008.5.1.4.1.1.1.1.1", // DX processing
  "1.2.840.10008.5.1.4.1.1.1.2", // MG presentation
  "1.2.840.10008.5.1.4.1.1.1.2.1", // MG processing
  "1.2.840.10008.5.1.4.1.1.6.1", // US
  "1.2.840.10008.5.1.4.1.1.3.1", // US multi-frame
  "1.2.840.10008.5.1.4.1.1.7", // SC
  "1.2.840.10008.5.1.4.1.1.7.1", // SC multi-frame single bit
  "1.2.840.10008.5.1.4.1.1.7.2", // SC multi-frame grayscale byte
  "1.2.840.10008.5.1.4.1.1.7.3", // SC multi-frame grayscale word
  "1.2.840.10008.5.1.4.1.1.7.4", // SC multi-frame true color
  "1.2.840.10008.5.1.4.1.1.12.1", // XA
  "1.2.840.10008.5.1.4.1.1.12.2", // RF
  "1.2.840.10008.5.1.4.1.1.20", // NM
  "1.2.840.10008.5.1.4.1.1.128", // PET
  "1.2.840.10008.5.1.4.1.1.481.1", // RT Image
  "1.2.840.10008.5.1.4.1.1.481.2", // RT Dose
  "1.2.840.10008.5.1.4.1.1.481.3", // RT Structure Set
  "1.2.840.10008.5.1.4.1.1.481.5", // RT Plan
  "1.2.840.10008.5.1.4.1.1.88.11", // Basic Text SR
  "1.2.840.10008.5.1.4.1.1.88.22", // Enhanced SR
  "1.2.840.10008.5.1.4.1.1.88.33", // Comprehensive SR
  "1.2.840.10008.5.1.4.1.1.104.1", // Encapsulated PDF
  "1.2.840.10008.5.1.4.1.1.11.1", // Grayscale Softcopy Presentation State
  "1.2.840.10008.5.1.4.1.1.66.4", // Segmentation
  "1.2.840.10008.5.1.4.1.1.77.1.6", // VL Whole Slide Microscopy
  "1.2.840.10008.5.1.4.1.1.9.1.1", // 12-lead ECG
  "1.2.840.10008.5.1.4.1.1.88.59", // Key Object Selection Document
  "1.2.840.10008.5.1.4.1.1.88.67", // X-Ray Radiation Dose SR
  "1.2.840.10008.5.1.4.1.1.88.50", // Mammography CAD SR
  "1.2.840.10008.5.1.4.1.1.12.1.1", // Enhanced XA
  "1.2.840.10008.5.1.4.1.1.13.1.3", // Breast Tomosynthesis
  "1.2.840.10008.5.1.4.1.1.128.1", // Legacy Converted Enhanced PET
  "1.2.840.10008.5.1.4.1.1.77.1.4", // VL Photographic
  "1.2.840.10008.5.1.4.1.1.66", // Raw Data
  "1.2.840.10008.5.1.4.1.1.66.1", // Spatial Registration
  "1.2.840.10008.5.1.4.1.1.104.2", // Encapsulated CDA
];

/**
 * What get() proposes when it cannot find out the classes it needs: the
 * common ones, then the other current storage classes of the registry, up to
 * the 127 contexts left beside the C-GET one.
 */
export function fallbackStorageClasses(found: Iterable<string>): string[] {
  return [...new Set([...found, ...COMMON_STORAGE_SOP_CLASSES, ...STORAGE_SOP_CLASSES])]
    .slice(0, 127);
}
