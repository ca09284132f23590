/**
 * Service class providers on `Deno.listen`: the Storage SCP, and the
 * building blocks for others (a service provider base, the C-STORE handler,
 * atomic Part 10 file writing).
 *
 * @example A Storage SCP that prints what it receives
 * ```ts
 * import { StorageScp } from "./mod.ts";
 * await using scp = new StorageScp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   onStore: async (object) => {
 *     const ds = await object.readDataset();
 *     console.log(object.sopInstanceUid, ds.string("PatientName"));
 *   },
 * });
 * ```
 *
 * @module
 */
export * from "./service_provider.ts";
export * from "./file_writer.ts";
export * from "./store_handler.ts";
export * from "./storage_scp.ts";
export * from "./query_retrieve_scp.ts";
