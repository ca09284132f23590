/**
 * A standalone MPPS SCP on `Deno.listen` (PS3.4 F.7): a
 * {@linkcode ServiceProvider} with an {@linkcode MppsService}, its steps in
 * a SQLite file when `database` is given.
 *
 * @module
 */
import {
  ServiceProvider,
  type ServiceProviderOptions,
  type ServiceProviderShutdownOptions,
} from "../service/mod.ts";
import { MppsService, type ProcedureStepEvent } from "./mpps_service.ts";
import { ProcedureStepStore } from "./mpps_store.ts";

/** Options of {@linkcode MppsScp}. */
export interface MppsScpOptions extends ServiceProviderOptions {
  /**
   * The SQLite file the steps are kept in, or `":memory:"`.
   *
   * @default {":memory:"}
   */
  database?: string;
  /** Told of each change (created, updated, completed, discontinued). */
  onChange?: (event: ProcedureStepEvent) => void;
}

/**
 * An MPPS SCP. It listens once constructed; `port` gives the port and
 * `service` the {@linkcode MppsService} (to subscribe, or to read steps).
 * Shutting down closes the store.
 *
 * @example Serve MPPS from a file that survives restarts
 * ```ts
 * import { MppsScp } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * {
 *   await using scp = new MppsScp({
 *     hostname: "127.0.0.1",
 *     port: 0,
 *     database: `${dir}/mpps.sqlite`,
 *     onChange: ({ type, step }) => console.log(type, step.sopInstanceUid),
 *   });
 *   console.log(scp.service.store.list().length); // 0
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class MppsScp extends ServiceProvider {
  /** The service unit, over its store. */
  readonly service: MppsService;

  /**
   * Opens the store and starts listening. (Should listening fail, the store
   * is left for the garbage collector to close.)
   */
  constructor(options: MppsScpOptions = {}) {
    const service = new MppsService({
      store: ProcedureStepStore.open({ database: options.database ?? ":memory:" }),
      ...(options.onChange ? { onChange: options.onChange } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    super(service, options);
    this.service = service;
  }

  /** Stops accepting, waits for the associations in flight (see `ServiceProvider`), closes the store. */
  override async shutdown(options: ServiceProviderShutdownOptions = {}): Promise<number> {
    try {
      return await super.shutdown(options);
    } finally {
      this.service.close();
    }
  }
}
