/**
 * A DICOM service provider on `Deno.listen`: accepts associations, runs a
 * {@linkcode DimseChannel} on each with the given request handlers, and
 * answers C-ECHO (Verification, PS3.4 Annex A) on every one of them.
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";
import {
  type AccessControlPolicy,
  type Association,
  ASSOCIATION_REJECTIONS,
  type AssociationServer,
  type AsynchronousOperationsWindow,
  type ListenTlsOptions,
  serveAssociations,
  type SupportedAbstractSyntax,
  type UserIdentityPolicy,
} from "../association/mod.ts";
import type { SopClassExtendedNegotiation } from "../pdu/mod.ts";
import {
  DimseChannel,
  type DimseChannelOptions,
  type RequestHandler,
  type RequestHandlers,
} from "../dimse/mod.ts";

/** The port a service provider listens on by default: the registered DICOM port. */
export const DEFAULT_PORT = 11112;

/** How long a service provider lets an established association stay silent, by default. */
export const DEFAULT_IDLE_TIMEOUT = 60_000;

/**
 * The defaults of {@linkcode ServiceProviderOptions} that the provider
 * applies itself (the others are the association layer's), as the
 * conformance statement lists them.
 *
 * @example
 * ```ts
 * import { SERVICE_PROVIDER_DEFAULTS } from "./service_provider.ts";
 * console.log(SERVICE_PROVIDER_DEFAULTS.maxPduLength); // 65536
 * ```
 */
export const SERVICE_PROVIDER_DEFAULTS = {
  aeTitle: "DCMNET",
  port: DEFAULT_PORT,
  maxAssociations: 32,
  maxPduLength: 65536,
  idleTimeout: DEFAULT_IDLE_TIMEOUT,
} as const;

/**
 * The transfer syntaxes every service provider accepts for Verification
 * (PS3.4 Annex A), most preferred first.
 */
export const VERIFICATION_TRANSFER_SYNTAXES: readonly string[] = [
  Uid.ExplicitVRLittleEndian,
  Uid.ImplicitVRLittleEndian,
];

/** Options shared by every service provider. */
export interface ServiceProviderOptions {
  /**
   * Our AE title. Associations calling another title are rejected (called AE
   * title not recognised) unless `acceptAnyCalledAeTitle` is set.
   *
   * @default {"DCMNET"}
   */
  aeTitle?: string;
  /**
   * Accept associations whatever Called AE Title they use.
   *
   * @default {true}
   */
  acceptAnyCalledAeTitle?: boolean;
  /**
   * Interface to listen on.
   *
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /**
   * TCP port; 0 picks a free one, see `port` after construction.
   *
   * The default is the registered DICOM port 11112 (PS3.15 and IANA), not
   * 104, which needs root on most systems.
   *
   * @default {11112}
   */
  port?: number;
  /**
   * Serve TLS only, with this certificate chain and key (PEM): the Secure
   * Transport Connection Profiles of PS3.15 Annex B (B.1 Basic TLS, B.9
   * BCP 195). Only TLS 1.2 and 1.3 are offered, as BCP 195 (RFC 9325 §3.1.1)
   * requires. Without it the provider serves plain TCP.
   */
  tls?: ListenTlsOptions;
  /**
   * Concurrent associations; more are rejected with transient congestion.
   *
   * @default {32}
   */
  maxAssociations?: number;
  /**
   * The Maximum Length we advertise (0: unlimited).
   *
   * @default {65536}
   */
  maxPduLength?: number;
  /** Who may associate, by AE titles and address. */
  accessControl?: AccessControlPolicy;
  /** Accepts or rejects user identities. */
  userIdentity?: UserIdentityPolicy;
  /**
   * Reject associations that present no user identity.
   *
   * @default {false}
   */
  requireUserIdentity?: boolean;
  /** Milliseconds to wait for a DIMSE response (e.g. C-STORE sub-operations). */
  dimseTimeout?: number;
  /**
   * Milliseconds a new connection may take to send its A-ASSOCIATE-RQ (the
   * ARTIM timer, PS3.8 §9.1.5) before it is closed.
   *
   * @default {30000}
   */
  artimTimeout?: number;
  /**
   * Milliseconds an established association may go without a PDU either
   * way (or stay halfway through one) before it is aborted, so that silent
   * or stalled peers cannot hold every slot; 0 for no limit.
   *
   * @default {60000}
   */
  idleTimeout?: number;
  /**
   * Milliseconds a PDU may wait for the peer to read it before the
   * connection is closed and the association ends with a
   * `WriteTimeoutError`, so that a peer that stops reading cannot hold a
   * slot or a C-MOVE forever; 0 for no limit.
   *
   * @default {30000}
   */
  writeTimeout?: number;
  /** Where association events go. */
  events?: EventTarget;
  /** Receives problems that ended one association but not the server. */
  onError?: (error: unknown) => void;
  /**
   * The most each value of the Asynchronous Operations Window (PS3.7
   * D.3.3.3) may be negotiated to, 0 meaning no limit; a requestor that
   * proposes no window gets synchronous operation (1/1) whatever this says.
   *
   * @default {{ maxOperationsInvoked: 1, maxOperationsPerformed: 1 }}
   */
  asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  /**
   * Requests a peer may keep waiting beyond the window (see
   * {@linkcode DimseChannelOptions.maxQueuedRequests}); one more aborts its
   * association, with a warning to `onWarning`.
   *
   * @default {64}
   */
  maxQueuedRequests?: number;
  /** Receives warnings from the DIMSE layer. */
  onWarning?: (message: string) => void;
  /** Called once per association when it is established, e.g. to log it. */
  onAssociation?: (association: Association) => void;
}

/** Options of {@linkcode ServiceProvider.shutdown}. */
export interface ServiceProviderShutdownOptions {
  /**
   * Abort the associations in progress at once instead of waiting for them.
   *
   * @default {false}
   */
  abort?: boolean;
  /**
   * Milliseconds to wait for the associations in progress to end before
   * aborting those still open; without it, the wait has no bound.
   */
  timeout?: number;
}

/** What a concrete provider contributes: contexts it accepts and request handlers. */
export interface ServiceDefinition {
  /** The abstract syntaxes accepted besides Verification. */
  readonly supportedAbstractSyntaxes: readonly SupportedAbstractSyntax[];
  /** Request handlers; C-ECHO is answered unless given. */
  readonly handlers: RequestHandlers;
  /** Answers SOP Class Extended Negotiation (PS3.7 D.3.3.5) for accepted SOP classes. */
  readonly extendedNegotiation?: (item: SopClassExtendedNegotiation) => Uint8Array | undefined;
}

const echo: RequestHandler<"C-ECHO-RQ"> = (_request, context) =>
  context.respond({ status: 0x0000 });

/**
 * The server shared by the Storage and Query/Retrieve SCPs. It listens at
 * construction; `port` gives the actual port.
 */
export class ServiceProvider implements AsyncDisposable {
  readonly #server: AssociationServer;
  /** Our AE title. */
  readonly aeTitle: string;
  /**
   * The abstract syntaxes this provider accepts, Verification first, each
   * with its transfer syntaxes in our order of preference and the roles it
   * grants: the table negotiation runs on (and the conformance statement
   * lists).
   */
  readonly supportedAbstractSyntaxes: readonly SupportedAbstractSyntax[];
  /** The DIMSE requests it answers, e.g. `"C-ECHO-RQ"`, `"C-STORE-RQ"`. */
  readonly requestTypes: readonly string[];
  /** Whether it answers SOP Class Extended Negotiation (PS3.7 D.3.3.5). */
  readonly extendedNegotiation: boolean;

  /** Starts listening. */
  constructor(definition: ServiceDefinition, options: ServiceProviderOptions = {}) {
    this.aeTitle = options.aeTitle ?? SERVICE_PROVIDER_DEFAULTS.aeTitle;
    const handlers = { "C-ECHO-RQ": echo, ...definition.handlers };
    this.requestTypes = Object.keys(handlers).filter((type) =>
      handlers[type as keyof typeof handlers] !== undefined
    );
    this.extendedNegotiation = definition.extendedNegotiation !== undefined;
    const supportedAbstractSyntaxes: readonly SupportedAbstractSyntax[] = [
      { abstractSyntax: Uid.Verification, transferSyntaxes: VERIFICATION_TRANSFER_SYNTAXES },
      ...definition.supportedAbstractSyntaxes,
    ];
    this.supportedAbstractSyntaxes = supportedAbstractSyntaxes;
    const channelOptions: DimseChannelOptions = { handlers };
    if (options.dimseTimeout !== undefined) channelOptions.dimseTimeout = options.dimseTimeout;
    if (options.onWarning) channelOptions.onWarning = options.onWarning;
    if (options.maxQueuedRequests !== undefined) {
      channelOptions.maxQueuedRequests = options.maxQueuedRequests;
    }
    const anyCalled = options.acceptAnyCalledAeTitle ?? true;
    const aeTitle = this.aeTitle;
    const userPolicy = options.accessControl;
    const accessControl: AccessControlPolicy = (info) => {
      if (!anyCalled && info.calledAeTitle !== aeTitle) {
        return ASSOCIATION_REJECTIONS.CALLED_AE_TITLE_NOT_RECOGNIZED;
      }
      return userPolicy?.(info);
    };
    this.#server = serveAssociations(
      {
        hostname: options.hostname ?? "0.0.0.0",
        port: options.port ?? DEFAULT_PORT,
        ...(options.tls && { tls: options.tls }),
      },
      async (association) => {
        options.onAssociation?.(association);
        const channel = new DimseChannel(association, channelOptions);
        await channel.closed;
      },
      {
        supportedAbstractSyntaxes,
        maxAssociations: options.maxAssociations ?? SERVICE_PROVIDER_DEFAULTS.maxAssociations,
        idleTimeout: options.idleTimeout ?? SERVICE_PROVIDER_DEFAULTS.idleTimeout,
        maxPduLength: options.maxPduLength ?? SERVICE_PROVIDER_DEFAULTS.maxPduLength,
        ...(options.writeTimeout !== undefined ? { writeTimeout: options.writeTimeout } : {}),
        ...(options.artimTimeout !== undefined ? { artimTimeout: options.artimTimeout } : {}),
        accessControl,
        ...(options.userIdentity ? { userIdentity: options.userIdentity } : {}),
        ...(options.requireUserIdentity ? { requireUserIdentity: true } : {}),
        ...(definition.extendedNegotiation
          ? { extendedNegotiation: definition.extendedNegotiation }
          : {}),
        ...(options.asynchronousOperationsWindow
          ? { asynchronousOperationsWindow: options.asynchronousOperationsWindow }
          : {}),
        ...(options.events ? { events: options.events } : {}),
        ...(options.onError ? { onError: options.onError } : {}),
      },
    );
  }

  /** The address listened on. */
  get addr(): Deno.NetAddr {
    return this.#server.addr;
  }

  /** The port listened on (the ephemeral one when asked for port 0). */
  get port(): number {
    return this.#server.addr.port;
  }

  /** Associations in progress. */
  get activeAssociations(): number {
    return this.#server.activeAssociations;
  }

  /**
   * Stops accepting and waits for the associations in progress (and their
   * stores) to finish; with `abort`, aborts them instead; with `timeout`,
   * waits that long, then aborts those still open. Resolves with the number
   * of associations it aborted at the deadline.
   */
  async shutdown(options: ServiceProviderShutdownOptions = {}): Promise<number> {
    const done = this.#server.shutdown(options.abort ? { abort: true } : {});
    if (options.abort || options.timeout === undefined) {
      await done;
      return 0;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), Math.max(0, options.timeout!));
    });
    try {
      if (await Promise.race([done.then(() => "done" as const), expired]) === "done") return 0;
    } finally {
      clearTimeout(timer);
    }
    const left = this.#server.activeAssociations;
    await this.#server.shutdown({ abort: true });
    return left;
  }

  /** Shuts down, waiting for in-flight work. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
