/**
 * `@dcm/net`: DICOM networking for Deno, with nothing to install but Deno.
 *
 * The layers, each importable on its own:
 * - `@dcm/net/dictionary`: the PS3.6 data dictionary and UID registry (`Tag.PatientID`).
 * - `@dcm/net/dataset`: data sets and Part 10 files to and from bytes,
 *   character sets, DICOM JSON, query identifiers.
 * - `@dcm/net/pdu`: the PS3.8 Upper Layer PDUs to and from bytes.
 * - `@dcm/net/association`: negotiation and the PS3.8 state machine.
 * - `@dcm/net/dimse`: command sets, statuses, message exchange.
 * - `@dcm/net/scu`: echo, store, and the Query/Retrieve SCU.
 * - `@dcm/net/scp`: the Storage and Query/Retrieve SCPs.
 * - `@dcm/net/archive`: the embedded archive the Q/R SCP serves.
 *
 * This module re-exports all of them.
 *
 * @example Receive an object with a Storage SCP and send it with the SCU
 * ```ts
 * import { Dataset, StorageScp, store, Tag, Uid } from "./mod.ts";
 *
 * const received: string[] = [];
 * await using scp = new StorageScp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   handleObject: (object) => void received.push(object.sopInstanceUid),
 * });
 * const ds = new Dataset()
 *   .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
 *   .set(Tag.SOPInstanceUID, "2.25.42")
 *   .set(Tag.PatientName, "Doe^Jane");
 * await store("127.0.0.1", scp.port, [ds]);
 * console.log(received); // ["2.25.42"]
 * ```
 *
 * @module
 */
export * from "./version.ts";
export * from "./dictionary/mod.ts";
export * from "./dataset/mod.ts";
export * from "./pdu/mod.ts";
export * from "./association/mod.ts";
export * from "./dimse/mod.ts";
export * from "./archive/mod.ts";
export * from "./scu/mod.ts";
export * from "./scp/mod.ts";
