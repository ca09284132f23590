/**
 * The service machinery both roles are built from, below `scu/` and
 * `scp/`: the service provider that serves associations
 * ({@linkcode ServiceProvider}), receiving objects by C-STORE
 * ({@linkcode StoreService}: the handler and its checks, the atomic Part 10
 * writer, temporary files, group commit), sending them ({@linkcode store},
 * {@linkcode sendObjects}: preparing each object and the read-ahead C-STORE
 * loop), and reading Q/R identifiers. A C-GET SCU receives with the same
 * code as the Storage SCP; a C-MOVE SCP sends with the same code as
 * `store()`.
 *
 * @example Receive objects into a folder and send one there
 * ```ts
 * import { ServiceProvider, store, StoreService } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag, Uid } from "../dictionary/mod.ts";
 *
 * const directory = await Deno.makeTempDir();
 * {
 *   await using storage = new StoreService({ directory });
 *   await using scp = new ServiceProvider({
 *     supportedAbstractSyntaxes: [{
 *       abstractSyntax: Uid.SecondaryCaptureImageStorage,
 *       transferSyntaxes: [Uid.ExplicitVRLittleEndian],
 *     }],
 *     handlers: { "C-STORE-RQ": storage.handler },
 *   }, { hostname: "127.0.0.1", port: 0 });
 *   const dataset = new Dataset()
 *     .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
 *     .set(Tag.SOPInstanceUID, "2.25.9");
 *   const summary = await store("127.0.0.1", scp.port, [dataset]);
 *   console.log(summary.completed); // 1
 * }
 * console.log((await Deno.stat(`${directory}/2.25.9.dcm`)).isFile); // true
 * await Deno.remove(directory, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./scu_options.ts";
export * from "./service_provider.ts";
export * from "./file_writer.ts";
export * from "./store_handler.ts";
export * from "./store_service.ts";
export * from "./accepted_syntaxes.ts";
export * from "./send_object.ts";
export * from "./store.ts";
export * from "./identifier.ts";
export * from "./users.ts";
export * from "./n_services.ts";
export * from "./n_service.ts";
export * from "./commitment.ts";
export * from "./commitment_service.ts";
