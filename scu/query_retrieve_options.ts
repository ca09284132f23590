/**
 * Options of the Query/Retrieve SCU ({@linkcode QueryRetrieveScu}) and of
 * its operations.
 *
 * @module
 */
import type { Durability, ScuOptions, StoreTarget } from "../service/mod.ts";

/** Options of {@linkcode QueryRetrieveScu}. */
export interface QueryRetrieveScuOptions extends ScuOptions {
  /**
   * Ask for relational queries (PS3.4 §C.5.1.1.1) by extended negotiation.
   *
   * @default {false}
   */
  relational?: boolean;
  /** Receives warnings (warning statuses, peers refusing relational queries...). */
  onWarning?: (message: string) => void;
  /**
   * Largest identifier of a response (a C-FIND match) held in memory, in
   * bytes; a larger one aborts the association and fails the operation
   * with `ResponseTooLargeError`.
   *
   * @default {67108864}
   */
  maxResponseLength?: number;
}

/** Options of {@linkcode QueryRetrieveScu.find}. */
export interface FindOptions {
  /** Cancels the query: C-CANCEL is sent and the iteration ends. */
  signal?: AbortSignal;
  /**
   * Priority of the request.
   *
   * @default {PRIORITY.MEDIUM}
   */
  priority?: number;
  /**
   * The most matches `find()` yields: one more cancels the query with
   * C-CANCEL-RQ and fails it with {@linkcode TooManyResultsError}, so a peer
   * streaming pending responses without end cannot keep the query going.
   * Without it there is no limit. Not used by `move()` and `get()`.
   */
  maxResults?: number;
}

/** Options of {@linkcode QueryRetrieveScu.move}. */
export interface MoveOptions extends Omit<FindOptions, "maxResults"> {
  /** The AE title the peer sends the objects to. */
  destination: string;
}

/** Options of {@linkcode QueryRetrieveScu.get} and {@linkcode QueryRetrieveScu.retrieve}. */
export interface GetOptions extends Omit<FindOptions, "maxResults">, StoreTarget {
  /**
   * Storage SOP classes to negotiate for the objects (SCP role). By default
   * C-FIND finds out the ones needed: SOP Classes in Study (0008,0062) when
   * every study answers it and they fit with their likely stored syntaxes,
   * else down to IMAGE level (SOP Class UID, Available Transfer Syntax UID),
   * falling back to {@linkcode COMMON_STORAGE_SOP_CLASSES} and other storage
   * classes when the peer does not say.
   */
  sopClasses?: readonly string[];
  /**
   * When the files written to `directory` are flushed to the disk
   * ({@linkcode Durability}). By default in the background, many at a time,
   * and the operation resolves only once every file is on the disk: the
   * archive keeps its copies, so one disk round trip per object before each
   * success would only slow the retrieval. `true` flushes each file before
   * its success is answered.
   *
   * @default {"deferred"}
   */
  durable?: Durability;
  /**
   * Transfer syntaxes accepted for the objects, most preferred first: those
   * proposed in each storage context where C-GET takes the SCP role, and
   * those `retrieve()`'s C-MOVE destination accepts. The peer chooses one per
   * context (PS3.8 §9.3.2.2), so offering compressed syntaxes lets it send an
   * object as stored. See `storageTransferSyntaxes()` in `service/`. By
   * default C-GET proposes what `prefer` says and the C-MOVE destination
   * accepts `DEFAULT_STORAGE_TRANSFER_SYNTAXES`. Given, every storage
   * context of C-GET proposes these, and `prefer` is not used.
   */
  transferSyntaxes?: readonly string[];
  /**
   * How C-GET asks for the objects. `"stored"`: as the archive stores them,
   * each compressed syntax in a context of its own (the stored one where
   * the peer answers Available Transfer Syntax UID (0008,3002) to the
   * preliminary C-FIND, else the common JPEG, JPEG-LS, JPEG 2000 and RLE
   * ones) beside one context of uncompressed syntaxes per SOP class.
   * `"uncompressed"`: uncompressed syntaxes only (Explicit VR LE, Implicit
   * VR LE, deflate, Explicit VR BE), which an archive that transcodes
   * decompresses for us. `retrieve()`'s C-MOVE destination follows it too:
   * "stored" accepts the syntax the archive proposes first (its stored one),
   * "uncompressed" only uncompressed syntaxes.
   *
   * @default {"stored"}
   */
  prefer?: "stored" | "uncompressed";
}

/** Options of {@linkcode QueryRetrieveScu.retrieve}. */
export interface RetrieveOptions extends GetOptions {
  /**
   * How to retrieve. By default C-GET when the peer accepts it, else C-MOVE
   * to a Storage SCP started here. `"C-MOVE"` moves even when the peer
   * accepts C-GET (`dcm move --dir`, as `movescu +P` receives); `"C-GET"`
   * never falls back to C-MOVE.
   *
   * @default {undefined}
   */
  method?: "C-GET" | "C-MOVE";
  /**
   * Address the on-the-fly Storage SCP listens on for C-MOVE.
   *
   * @default {"0.0.0.0"}
   */
  listenHostname?: string;
  /**
   * Port for the on-the-fly Storage SCP; the peer must know our AE title at
   * this port as a move destination.
   *
   * @default {0} (any free port)
   */
  listenPort?: number;
}
