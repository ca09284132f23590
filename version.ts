/**
 * Who we are on the wire and in files: the version of this module and the
 * Implementation Class UID and Version Name it sends in A-ASSOCIATE PDUs
 * (PS3.7 §D.3.3.2) and writes in Part 10 meta information (PS3.10 §7.1).
 *
 * @module
 */

/** The version of `@dcm/net`. */
export const VERSION = "0.1.0";

/**
 * Our Implementation Class UID: a UUID-derived UID under the `2.25` root
 * (PS3.5 §B.2), fixed for this implementation.
 */
export const IMPLEMENTATION_CLASS_UID = "2.25.186936188027381340396546484617380351346";

/** Our Implementation Version Name: at most 16 characters of the default repertoire. */
export const IMPLEMENTATION_VERSION_NAME = "DCMNET_010";
