/**
 * `@dcm/net`: DICOM networking for Deno, with nothing to install but Deno.
 *
 * This root module names what a user of the services needs: the SCU and
 * SCP classes, `echo` and `store`, their options and results, `Dataset`,
 * `Identifier`, `Tag`, `Uid` and the errors. The layers below, each
 * importable on its own, hold the rest:
 * - `@dcm/net/dictionary`: the PS3.6 data dictionary and UID registry.
 * - `@dcm/net/dataset`: data sets and Part 10 files to and from bytes,
 *   character sets, DICOM JSON, query identifiers.
 * - `@dcm/net/pdu`: the PS3.8 Upper Layer PDUs to and from bytes.
 * - `@dcm/net/association`: negotiation and the PS3.8 state machine.
 * - `@dcm/net/dimse`: command sets, statuses, message exchange.
 * - `@dcm/net/archive`: the embedded archive the Q/R SCP serves.
 * - `@dcm/net/media`: File-sets (DICOMDIR) read, written and updated.
 * - `@dcm/net/encapsulation`: PDF, CDA, STL, OBJ, MTL documents and JPEG /
 *   JPEG 2000 bitstreams in and out of DICOM objects.
 * - `@dcm/net/codecs` (optional, WebAssembly from npm, loaded on first
 *   use): pixel data decoded and encoded, transcoding.
 * - `@dcm/net/service`: what both roles are built from (the service
 *   provider, receiving and sending objects).
 * - `@dcm/net/scu`, `@dcm/net/scp`: the service users and providers
 *   (verification, storage, query/retrieve, modality worklist, storage
 *   commitment, MPPS), with the Q/R services as units of their own.
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
export { DicomError } from "./errors.ts";
export { Tag, Uid, uidName } from "./dictionary/mod.ts";
export {
  type DataElement,
  Dataset,
  decodePart10,
  DicomDecodeError,
  encodePart10,
  Identifier,
  type Part10File,
  type QueryLevel,
  type QueryModel,
  readPart10,
  writePart10,
} from "./dataset/mod.ts";
export { AssociationAbortedError, AssociationRejectedError } from "./association/mod.ts";
export {
  describeStatus,
  DimseStatusError,
  DimseTimeoutError,
  PRIORITY,
  STATUS,
} from "./dimse/mod.ts";
export { Archive, type ArchivedInstance, type ArchiveOptions } from "./archive/mod.ts";
export {
  type Durability,
  type IncomingObject,
  type ObjectFacts,
  type ServiceProviderOptions,
  type StoredFile,
  type StoreHandler,
  type StoreTarget,
} from "./service/mod.ts";
export {
  echo,
  type EchoResult,
  type FindOptions,
  type GetOptions,
  type KnownFile,
  type MoveOptions,
  MppsScu,
  QueryRetrieveScu,
  type QueryRetrieveScuOptions,
  RetrieveOperation,
  type RetrieveOptions,
  type RetrieveProgress,
  type RetrieveResult,
  type ScuOptions,
  StorageCommitmentScu,
  store,
  type StoreOptions,
  type StoreResult,
  type StoreSource,
  type StoreSummary,
} from "./scu/mod.ts";
export {
  type MoveDestination,
  MppsScp,
  QueryRetrieveScp,
  type QueryRetrieveScpOptions,
  StorageScp,
  type StorageScpOptions,
  WorklistScp,
  type WorklistScpOptions,
} from "./scp/mod.ts";
