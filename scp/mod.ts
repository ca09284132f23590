/**
 * Service class providers on `Deno.listen`: the Storage SCP, the
 * Query/Retrieve SCP and the Modality Worklist SCP, and the services each
 * of them is made of ({@linkcode FindService}, {@linkcode MoveService},
 * {@linkcode GetService}, {@linkcode WorklistService}) for a provider of
 * your own. The building blocks they share with the SCU
 * Query/Retrieve SCP and the MPPS SCP ({@linkcode MppsScp}), and the
 * services they are made of ({@linkcode FindService},
 * {@linkcode MoveService}, {@linkcode GetService}, {@linkcode MppsService}
 * over a {@linkcode ProcedureStepStore}) for a provider of your own. The building blocks they share with the SCU
 * side (the service provider, the C-STORE handler, atomic Part 10 file
 * writing) live in `@dcm/net/service`.
 *
 * @example A Storage SCP that prints what it receives
 * ```ts
 * import { StorageScp } from "./mod.ts";
 * await using scp = new StorageScp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   handleObject: async (object) => {
 *     const ds = await object.readDataset();
 *     console.log(object.sopInstanceUid, ds.string("PatientName"));
 *   },
 * });
 * ```
 *
 * @module
 */
export * from "./storage_scp.ts";
export * from "./find_service.ts";
export * from "./move_service.ts";
export * from "./get_service.ts";
export * from "./query_retrieve_scp.ts";
export * from "./index_folder.ts";
export * from "./worklist_service.ts";
export * from "./worklist_scp.ts";
export * from "./mpps_store.ts";
export * from "./mpps_service.ts";
export * from "./mpps_scp.ts";
export {
  type Durability,
  type IncomingObject,
  type ObjectFacts,
  ServiceProvider,
  type ServiceProviderOptions,
  type StoredFile,
  type StoreHandler,
  type StoreTarget,
} from "../service/mod.ts";
