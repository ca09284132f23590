/**
 * Options shared by every SCU call.
 *
 * @module
 */
import type { ConnectOptions, ConnectTlsOptions, UserIdentityOptions } from "../association/mod.ts";

/**
 * The defaults of {@linkcode ScuOptions} that our SCUs apply, as the
 * conformance statement lists them.
 *
 * @example
 * ```ts
 * import { SCU_DEFAULTS } from "./scu_options.ts";
 * console.log(SCU_DEFAULTS.calledAeTitle); // "ANY-SCP"
 * ```
 */
export const SCU_DEFAULTS = {
  callingAeTitle: "DCMNET",
  calledAeTitle: "ANY-SCP",
  maxPduLength: 65536,
} as const;

/** Options shared by the SCU functions and classes. */
export interface ScuOptions {
  /**
   * Our AE title.
   *
   * @default {"DCMNET"}
   */
  callingAeTitle?: string;
  /**
   * The peer's AE title.
   *
   * @default {"ANY-SCP"}
   */
  calledAeTitle?: string;
  /**
   * The Maximum Length we advertise (0: unlimited).
   *
   * @default {65536}
   */
  maxPduLength?: number;
  /**
   * Milliseconds to wait for the TCP connection.
   *
   * @default {30000}
   */
  connectTimeout?: number;
  /**
   * Milliseconds to wait for the A-ASSOCIATE answer and the A-RELEASE-RP.
   *
   * @default {30000}
   */
  associationTimeout?: number;
  /**
   * Milliseconds a PDU may wait for the peer to read it before the
   * connection is closed and the operation fails with a `WriteTimeoutError`
   * (a peer that stopped reading); 0 for no limit.
   *
   * @default {30000}
   */
  writeTimeout?: number;
  /**
   * Milliseconds to wait for each DIMSE response.
   *
   * @default {60000}
   */
  dimseTimeout?: number;
  /**
   * Connect over TLS (the Secure Transport Connection Profiles of PS3.15
   * Annex B, B.1 and B.9 BCP 195: TLS 1.2 or later) with these trusted CA
   * certificates and optional client certificate (PEM); `{}` trusts the
   * system's roots. Without it the connection is plain TCP.
   */
  tls?: ConnectTlsOptions;
  /** A user identity to present (PS3.7 D.3.3.7). */
  userIdentity?: UserIdentityOptions;
  /** Where association events go. */
  events?: EventTarget;
  /** Cancels the operation; the association is aborted. */
  signal?: AbortSignal;
}

/**
 * The association options an SCU call derives from its options.
 *
 * @example Connect options with our defaults
 * ```ts
 * import { connectOptionsFor } from "./mod.ts";
 * const options = connectOptionsFor({ calledAeTitle: "PACS" }, []);
 * console.log(options.callingAeTitle, options.calledAeTitle); // DCMNET PACS
 * ```
 */
export function connectOptionsFor(
  options: ScuOptions,
  presentationContexts: ConnectOptions["presentationContexts"],
): ConnectOptions {
  return {
    presentationContexts,
    callingAeTitle: options.callingAeTitle ?? SCU_DEFAULTS.callingAeTitle,
    calledAeTitle: options.calledAeTitle ?? SCU_DEFAULTS.calledAeTitle,
    maxPduLength: options.maxPduLength ?? SCU_DEFAULTS.maxPduLength,
    ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
    ...(options.associationTimeout !== undefined
      ? { associationTimeout: options.associationTimeout }
      : {}),
    ...(options.writeTimeout !== undefined ? { writeTimeout: options.writeTimeout } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.userIdentity ? { userIdentity: options.userIdentity } : {}),
    ...(options.events ? { events: options.events } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}
