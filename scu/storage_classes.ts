/**
 * The storage SOP classes a C-GET SCU proposes when it cannot find out the
 * ones it needs (PS3.4 C.4.3: the SCU must take the SCP role for each).
 *
 * @module
 */
import { STORAGE_SOP_CLASSES, Uid } from "../dictionary/mod.ts";
import { MAX_PRESENTATION_CONTEXTS } from "../pdu/mod.ts";

/**
 * Storage SOP classes proposed first for C-GET when the needed ones cannot
 * be found out: the common image, SR, document and RT classes, the image
 * classes most often stored compressed first (the first three also get
 * contexts for the likely stored syntaxes: JPEG, JPEG-LS, JPEG 2000, RLE...).
 */
export const COMMON_STORAGE_SOP_CLASSES: readonly string[] = [
  Uid.CTImageStorage,
  Uid.MRImageStorage,
  Uid.SecondaryCaptureImageStorage,
  Uid.UltrasoundImageStorage,
  Uid.ComputedRadiographyImageStorage,
  Uid.DigitalXRayImageStorageForPresentation,
  Uid.XRayAngiographicImageStorage,
  Uid.EnhancedCTImageStorage,
  Uid.EnhancedMRImageStorage,
  Uid.DigitalXRayImageStorageForProcessing,
  Uid.DigitalMammographyXRayImageStorageForPresentation,
  Uid.DigitalMammographyXRayImageStorageForProcessing,
  Uid.UltrasoundMultiFrameImageStorage,
  Uid.MultiFrameSingleBitSecondaryCaptureImageStorage,
  Uid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
  Uid.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
  Uid.MultiFrameTrueColorSecondaryCaptureImageStorage,
  Uid.XRayRadiofluoroscopicImageStorage,
  Uid.NuclearMedicineImageStorage,
  Uid.PositronEmissionTomographyImageStorage,
  Uid.RTImageStorage,
  Uid.RTDoseStorage,
  Uid.RTStructureSetStorage,
  Uid.RTPlanStorage,
  Uid.BasicTextSRStorage,
  Uid.EnhancedSRStorage,
  Uid.ComprehensiveSRStorage,
  Uid.EncapsulatedPDFStorage,
  Uid.GrayscaleSoftcopyPresentationStateStorage,
  Uid.SegmentationStorage,
  Uid.VLWholeSlideMicroscopyImageStorage,
  Uid.TwelveLeadECGWaveformStorage,
  Uid.KeyObjectSelectionDocumentStorage,
  Uid.XRayRadiationDoseSRStorage,
  Uid.MammographyCADSRStorage,
  Uid.EnhancedXAImageStorage,
  Uid.BreastTomosynthesisImageStorage,
  Uid.LegacyConvertedEnhancedPETImageStorage,
  Uid.VLPhotographicImageStorage,
  Uid.RawDataStorage,
  Uid.SpatialRegistrationStorage,
  Uid.EncapsulatedCDAStorage,
];

/**
 * What get() proposes when it cannot find out the classes it needs: the
 * common ones, then the other current storage classes of the registry, up to
 * the 127 contexts left beside the C-GET one.
 */
export function fallbackStorageClasses(found: Iterable<string>): string[] {
  return [...new Set([...found, ...COMMON_STORAGE_SOP_CLASSES, ...STORAGE_SOP_CLASSES])]
    .slice(0, MAX_PRESENTATION_CONTEXTS - 1);
}
