/**
 * Options shared by both roles of an association.
 *
 * @module
 */

/** Options shared by {@linkcode connect}, {@linkcode requestAssociation} and {@linkcode acceptAssociation}. */
export interface AssociationOptions {
  /**
   * The Maximum Length to advertise (51H, PS3.8 Annex D.1): the largest
   * P-DATA-TF PDU-length this side accepts; a larger one aborts the
   * association. 0 means no limit. The peer's value limits what we send.
   *
   * @default {16384}
   */
  readonly maxPduLength?: number;
  /**
   * The ARTIM timeout in milliseconds (PS3.8 §9.1.5): how long an acceptor
   * waits for the A-ASSOCIATE-RQ, and how long either side waits for the
   * peer to close the transport after a reject, release or abort.
   *
   * @default {30000}
   */
  readonly artimTimeout?: number;
  /**
   * Milliseconds to wait for the peer's A-ASSOCIATE-AC/RJ (requestor) and
   * for its A-RELEASE-RP after we asked to release, before aborting. 0 means
   * no limit.
   *
   * @default {30000}
   */
  readonly associationTimeout?: number;
  /**
   * Milliseconds without any PDU once established before aborting. 0 means
   * no limit. Waiting for a DIMSE response is the DIMSE layer's business.
   *
   * @default {0}
   */
  readonly idleTimeout?: number;
  /**
   * Milliseconds a PDU may wait for the transport to take it (a peer that
   * stops reading fills the socket buffers, then every write waits) before
   * the transport connection is closed and the association ends with a
   * `WriteTimeoutError` (an A-P-ABORT, PS3.8 §7.4: no A-ABORT can
   * reach a peer that reads nothing). 0 means no limit.
   *
   * @default {30000}
   */
  readonly writeTimeout?: number;
  /**
   * Our Implementation Class UID (52H, PS3.7 D.3.3.2).
   *
   * @default {IMPLEMENTATION_CLASS_UID}
   */
  readonly implementationClassUid?: string;
  /**
   * Our Implementation Version Name (55H, PS3.7 D.3.3.2), up to 16 characters.
   *
   * @default {IMPLEMENTATION_VERSION_NAME}
   */
  readonly implementationVersionName?: string;
  /** Where to dispatch {@linkcode AssociationEvent}s (PDUs, transitions, outcome). */
  readonly events?: EventTarget;
  /**
   * Aborts the association (A-ABORT, or closing the transport before the
   * A-ASSOCIATE-RQ arrives) at any time, including once established.
   */
  readonly signal?: AbortSignal;
  /**
   * Called when the peer asks to release (PS3.8 AR-2) or on a release
   * collision; the A-RELEASE-RP is sent once the returned promise settles,
   * so P-DATA still owed to the peer can be sent first (AR-7).
   *
   * @default {() => {}}
   */
  readonly onReleaseRequest?: () => void | Promise<void>;
}
