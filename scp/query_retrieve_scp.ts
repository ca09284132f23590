/**
 * The Query/Retrieve SCP (PS3.4 Annex C) over an embedded {@linkcode Archive}:
 * C-FIND for the Patient Root, Study Root and Patient/Study Only models,
 * C-MOVE to configured destinations and C-GET on the same association, plus
 * C-STORE into the archive. Each service is a unit of its own
 * ({@linkcode FindService}, {@linkcode MoveService}, {@linkcode GetService},
 * {@linkcode StoreService}); this class puts them on one listener.
 *
 * @module
 */
import type { SupportedAbstractSyntax } from "../association/mod.ts";
import type { Archive, ArchivedInstance } from "../archive/mod.ts";
import { RETIRED_STORAGE_SOP_CLASSES, STORAGE_SOP_CLASSES, Uid } from "../dictionary/mod.ts";
import type { RequestHandlers } from "../dimse/mod.ts";
import {
  checkCommittedFile,
  COMMITMENT_FAILURE_REASON,
  CommitmentService,
  type CommitmentServiceOptions,
  DEFAULT_STORAGE_TRANSFER_SYNTAXES,
  NService,
  ServiceProvider,
  type ServiceProviderOptions,
  type ServiceProviderShutdownOptions,
  type StoredFile,
  StoreService,
  type Transcoder,
} from "../service/mod.ts";
import { FindService } from "./find_service.ts";
import { GetService } from "./get_service.ts";
import { type MoveDestination, MoveService } from "./move_service.ts";
import { QR_CLASSES } from "./_query.ts";
import type { MppsService } from "./mpps_service.ts";

/** Options of {@linkcode QueryRetrieveScp}. */
export interface QueryRetrieveScpOptions extends ServiceProviderOptions {
  /** The archive to answer from (and to store into). */
  archive: Archive;
  /** C-MOVE destinations by AE title; an unknown one is answered A801. */
  destinations?: Readonly<Record<string, MoveDestination>>;
  /**
   * Folder where C-STORE objects sent to this SCP are written and indexed;
   * without it, C-STORE is not offered.
   */
  directory?: string;
  /**
   * Make each object stored into `directory` durable through a write-ahead
   * journal in its `.journal` folder rather than by flushing its file
   * (see `StoreTarget.journal` in `service/`); the file is still in place and
   * indexed before success is answered.
   *
   * @default {true}
   */
  journal?: boolean;
  /**
   * Concurrent associations a C-MOVE uses to send its sub-operations.
   *
   * @default {1}
   */
  moveParallelism?: number;
  /**
   * C-STORE sub-operations a C-MOVE keeps outstanding on each association
   * to the destination, as far as the destination grants an Asynchronous
   * Operations Window (PS3.7 D.3.3.3); see `MoveServiceOptions`.
   *
   * @default {4}
   */
  moveOperationsInvoked?: number;
  /**
   * Milliseconds between pending C-MOVE and C-GET responses at most: the
   * first sub-operation's outcome is reported at once, the next ones once
   * this long has passed since the last report (PS3.4 C.4.2.3.1, C.4.3.3.1:
   * pending responses are optional). 0 reports every sub-operation.
   *
   * @default {100}
   */
  pendingInterval?: number;
  /**
   * A notification: told about each object C-STOREd into `directory` once
   * its file is indexed and success is answered (as `onFileStored` is for a
   * store target). Not told when indexing failed.
   */
  onInstanceStored?: (instance: ArchivedInstance) => void;
  /**
   * The most bytes a C-FIND, C-MOVE or C-GET identifier may have (inflated);
   * a longer one is answered A700 and not read further.
   *
   * @default {DEFAULT_MAX_IDENTIFIER_LENGTH}
   */
  maxIdentifierLength?: number;
  /**
   * Transfer syntaxes of the storage contexts, most preferred first: what
   * C-STORE into `directory` accepts and what a C-GET requestor's SCP-role
   * contexts are answered with (PS3.8 §9.3.3.2: the acceptor picks one of
   * those offered). See `storageTransferSyntaxes()` in `service/`.
   *
   * @default {DEFAULT_STORAGE_TRANSFER_SYNTAXES}
   */
  transferSyntaxes?: readonly string[];
  /**
   * Serve Storage Commitment Push Model (PS3.4 Annex J) too: an instance
   * is committed when the archive indexes it under the referenced SOP
   * class and its file is there. The report goes on the requesting
   * association while it is open, else to the requestor's address in
   * `requestors`.
   */
  commitment?: CommitmentServiceOptions;
  /**
   * Also serve Modality Performed Procedure Step (N-CREATE, N-SET, and
   * N-GET of MPPS Retrieve) with
   * this service unit, as a PACS or RIS does on its one port. The SCP does
   * not close it.
   */
  mpps?: MppsService;
  /**
   * Decodes a compressed object for a C-MOVE destination or C-GET requestor that accepted its SOP
   * class only with uncompressed syntaxes: pass `transcoder` from
   * `@dcm/net/codecs`. Without it such a sub-operation fails.
   */
  transcoder?: Transcoder;
}

/** Transfer syntaxes of the Q/R contexts, most preferred first. */
const QUERY_TRANSFER_SYNTAXES: readonly string[] = [
  Uid.ExplicitVRLittleEndian,
  Uid.ImplicitVRLittleEndian,
  Uid.DeflatedExplicitVRLittleEndian,
  Uid.ExplicitVRBigEndian,
];

/**
 * A Query/Retrieve SCP over an archive. It listens once constructed.
 *
 * @example Serve an in-memory archive on an ephemeral port
 * ```ts
 * import { QueryRetrieveScp } from "./mod.ts";
 * import { Archive } from "../archive/mod.ts";
 * using archive = Archive.open();
 * await using scp = new QueryRetrieveScp({ hostname: "127.0.0.1", port: 0, archive });
 * console.log(scp.port > 0); // true
 * ```
 */
export class QueryRetrieveScp extends ServiceProvider {
  readonly #storage: StoreService | undefined;
  readonly #commitment: CommitmentService | undefined;

  /** Starts listening. */
  constructor(options: QueryRetrieveScpOptions) {
    const archive = options.archive;
    const aeTitle = options.aeTitle ?? "DCMNET";
    const limit = options.maxIdentifierLength === undefined
      ? {}
      : { maxIdentifierLength: options.maxIdentifierLength };
    const find = new FindService(archive, { aeTitle, ...limit });
    const move = new MoveService(archive, {
      aeTitle,
      ...limit,
      ...(options.destinations ? { destinations: options.destinations } : {}),
      ...(options.moveParallelism !== undefined ? { parallelism: options.moveParallelism } : {}),
      ...(options.moveOperationsInvoked !== undefined
        ? { maxOperationsInvoked: options.moveOperationsInvoked }
        : {}),
      ...(options.pendingInterval !== undefined
        ? { pendingInterval: options.pendingInterval }
        : {}),
      ...(options.events ? { events: options.events } : {}),
      // The destination's associations are held to the same write timeout as ours.
      ...(options.writeTimeout !== undefined ? { writeTimeout: options.writeTimeout } : {}),
      ...(options.dimseTimeout !== undefined ? { dimseTimeout: options.dimseTimeout } : {}),
      ...(options.transcoder ? { transcoder: options.transcoder } : {}),
    });
    const get = new GetService(archive, {
      ...limit,
      ...(options.pendingInterval !== undefined
        ? { pendingInterval: options.pendingInterval }
        : {}),
      ...(options.transcoder ? { transcoder: options.transcoder } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    const handlers: { -readonly [K in keyof RequestHandlers]: RequestHandlers[K] } = {
      "C-FIND-RQ": find.handler,
      "C-MOVE-RQ": move.handler,
      "C-GET-RQ": get.handler,
    };
    const supported: SupportedAbstractSyntax[] = [...QR_CLASSES.keys()].map((abstractSyntax) => ({
      abstractSyntax,
      transferSyntaxes: QUERY_TRANSFER_SYNTAXES,
    }));
    // Storage contexts: for C-GET, where the requestor takes the SCP role
    // (PS3.4 C.4.3.1, role selection), and for C-STORE into the archive.
    for (const abstractSyntax of [...STORAGE_SOP_CLASSES, ...RETIRED_STORAGE_SOP_CLASSES]) {
      supported.push({
        abstractSyntax,
        // As a C-GET sender we prefer what needs no conversion of native
        // files; compressed objects still find their own syntax if proposed.
        transferSyntaxes: options.transferSyntaxes ?? DEFAULT_STORAGE_TRANSFER_SYNTAXES,
        requestorRoles: { scu: options.directory !== undefined, scp: true },
      });
    }
    // Files indexed and not yet reported; the store target hands the same
    // StoredFile to processFile and then to onFileStored.
    const indexed = new WeakMap<StoredFile, ArchivedInstance>();
    const storage = options.directory === undefined ? undefined : new StoreService({
      directory: options.directory,
      journal: options.journal ?? true,
      // Indexed before the success status goes out, so a C-FIND that
      // follows finds it; a failure to index leaves the file safe on
      // disk, to be indexed at the next start.
      processFile: async (file) => {
        try {
          indexed.set(file, await archive.ingestFile(file.path));
        } catch (e) {
          options.onWarning?.(`Cannot index ${file.path}: ${e instanceof Error ? e.message : e}`);
        }
      },
      onFileStored: (file) => {
        const instance = indexed.get(file);
        if (instance !== undefined) options.onInstanceStored?.(instance);
      },
    }, options.onWarning ? { onWarning: options.onWarning } : {});
    if (storage) handlers["C-STORE-RQ"] = storage.handler;
    // The DIMSE-N services share the N-* handlers: one NService dispatches
    // each request to its SOP class (Storage Commitment, MPPS).
    const commitment = options.commitment === undefined
      ? undefined
      : archiveCommitment(archive, options);
    const nClasses = { ...commitment?.sopClasses, ...options.mpps?.sopClasses };
    if (Object.keys(nClasses).length > 0) {
      const n = new NService(nClasses);
      Object.assign(handlers, n.handlers);
      supported.push(...n.supportedAbstractSyntaxes);
    }
    super({
      supportedAbstractSyntaxes: supported,
      handlers,
      // Relational queries when asked for (PS3.4 §C.5.1.1): byte 0 = 1.
      extendedNegotiation: (item) =>
        QR_CLASSES.get(item.sopClassUid)?.operation === "find" &&
          item.serviceClassApplicationInformation[0] === 1
          ? new Uint8Array([1])
          : undefined,
    }, options);
    this.#storage = storage;
    this.#commitment = commitment;
  }

  /**
   * Stops accepting, waits for the associations in flight, then removes the
   * spare temporary files of C-STORE. With `timeout`, the associations
   * still open at the deadline are aborted; resolves with how many were.
   */
  override async shutdown(options: ServiceProviderShutdownOptions = {}): Promise<number> {
    try {
      return await super.shutdown(options);
    } finally {
      await this.#commitment?.close();
      await this.#storage?.close();
    }
  }
}

/** The commitment unit of a QueryRetrieveScp: instances indexed in its archive, files present. */
function archiveCommitment(archive: Archive, options: QueryRetrieveScpOptions): CommitmentService {
  const storageClasses = new Set([...STORAGE_SOP_CLASSES, ...RETIRED_STORAGE_SOP_CLASSES]);
  return new CommitmentService(async (reference) => {
    // PS3.3 C.14.1.1: 0122 for a class that is not a storage class.
    if (!storageClasses.has(reference.sopClassUid)) {
      return COMMITMENT_FAILURE_REASON.REFERENCED_SOP_CLASS_NOT_SUPPORTED;
    }
    const instance = archive.instance(reference.sopInstanceUid);
    if (instance === undefined) return COMMITMENT_FAILURE_REASON.NO_SUCH_OBJECT_INSTANCE;
    if (instance.sopClassUid !== reference.sopClassUid) {
      return COMMITMENT_FAILURE_REASON.CLASS_INSTANCE_CONFLICT;
    }
    return await checkCommittedFile(instance.path, reference);
  }, {
    ...(options.aeTitle !== undefined ? { aeTitle: options.aeTitle } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...options.commitment,
  });
}
