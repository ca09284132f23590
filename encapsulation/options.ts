/**
 * The options every encapsulation takes: who the object is about, and how
 * its UIDs and dates are made.
 *
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";

/** Options shared by {@linkcode encapsulateDocument} and {@linkcode encapsulateImage}. */
export interface EncapsulateOptions {
  /**
   * Attributes copied over the generated ones, e.g. Patient's Name, Patient
   * ID, Study Instance UID (to add the object to an existing study),
   * Accession Number, Series Number. Items of sequences are copied as they
   * are.
   *
   * @default {undefined} (an anonymous patient, a new study and series)
   */
  attributes?: Dataset;
  /**
   * When the object is made: Content, Instance Creation and Acquisition
   * date and time, and the Study and Series date and time unless given in
   * `attributes`.
   *
   * @default {new Date()}
   */
  now?: Date;
  /**
   * Makes each new UID (study, series, instance, frame of reference).
   *
   * @default {generateUid} (a UUID-derived UID under the 2.25 root, PS3.5 B.2)
   */
  createUid?: () => string;
}
