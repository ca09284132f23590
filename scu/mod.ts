/**
 * Service class users, each opening its own associations: C-ECHO
 * ({@linkcode echo}), C-STORE ({@linkcode store}, from `@dcm/net/service`,
 * where the C-MOVE SCP sends with it too) and the Query/Retrieve SCU
 * ({@linkcode QueryRetrieveScu}: find, move, get, retrieve), the MPPS SCU
 * ({@linkcode MppsScu}: create, set, complete, discontinue, get); the DIMSE-N
 * calls ({@linkcode nGet}, {@linkcode nSet}, {@linkcode nAction},
 * {@linkcode nCreate}, {@linkcode nDelete}, {@linkcode nEventReport}, from
 * `@dcm/net/service`) run on a channel of an association the caller holds.
 *
 * @example Echo, then store a data set, against a Storage SCP started here
 * ```ts
 * import { echo, store } from "./mod.ts";
 * import { Dataset, StorageScp } from "../mod.ts";
 *
 * await using scp = new StorageScp({ hostname: "127.0.0.1", port: 0, handleObject: () => {} });
 * await echo("127.0.0.1", scp.port);
 * const ds = new Dataset()
 *   .set("SOPClassUID", "1.2.840.10008.5.1.4.1.1.7")
 *   .set("SOPInstanceUID", "2.25.7")
 *   .set("PatientID", "1234");
 * const summary = await store("127.0.0.1", scp.port, [ds]);
 * console.log(summary.completed); // 1
 * ```
 *
 * @module
 */
export {
  expandPaths,
  type KnownFile,
  nAction,
  type NActionParameters,
  nCreate,
  type NCreateParameters,
  nDelete,
  type NDeleteParameters,
  nEventReport,
  type NEventReportParameters,
  nGet,
  type NGetParameters,
  type NInstance,
  type NRequestType,
  type NResult,
  nSet,
  type NSetParameters,
  type ScuOptions,
  store,
  type StoreOptions,
  type StoreResult,
  type StoreSource,
  type StoreSummary,
} from "../service/mod.ts";
export * from "./commitment_scu.ts";
export * from "./echo.ts";
export * from "./errors.ts";
export * from "./retrieve_operation.ts";
export * from "./query_retrieve_options.ts";
export * from "./query_retrieve_scu.ts";
export * from "./storage_classes.ts";
export * from "./mpps_scu.ts";
