/**
 * The association-requestor: {@linkcode connect} opens a TCP connection and
 * requests an association; {@linkcode requestAssociation} does the same over
 * any transport (PS3.8 §7.1.2, §9.1.2).
 *
 * @module
 */

import {
  type AssociateAcPdu,
  type AssociateRqPdu,
  type AsynchronousOperationsWindow,
  DICOM_APPLICATION_CONTEXT_NAME,
  MAX_PRESENTATION_CONTEXTS,
  PROTOCOL_VERSION,
  type RoleSelection,
  type SopClassCommonExtendedNegotiation,
  type SopClassExtendedNegotiation,
  type UserIdentityRequest,
} from "../pdu/mod.ts";
import {
  _abortOnSignal,
  _checkAeTitle,
  _noDelay,
  _resolve,
  type _Resolved,
  _signalError,
} from "./_options.ts";
import type { AssociationOptions } from "./options.ts";
import type { Transport } from "./transport.ts";
import { _UpperLayer } from "./_upper_layer.ts";
import { _createAssociation, type Association } from "./association.ts";
import {
  readAsynchronousOperationsWindow,
  readPresentationContextAnswer,
  type Roles,
} from "./negotiation.ts";

/** A presentation context to propose (PS3.8 §9.3.2.2). */
export interface ProposedPresentationContext {
  /** The abstract syntax (SOP Class UID). */
  readonly abstractSyntax: string;
  /** Transfer syntaxes, most preferred first. */
  readonly transferSyntaxes: readonly string[];
  /**
   * SCP/SCU role selection to propose for the abstract syntax (54H, PS3.7
   * D.3.3.4), e.g. `{ scu: true, scp: true }` for C-GET. Without it the
   * default roles apply: this side SCU, the acceptor SCP. Contexts with the
   * same abstract syntax must propose the same roles.
   */
  readonly roles?: Roles;
}

/** A user identity to present (58H, PS3.7 D.3.3.7). Strings are sent as UTF-8. */
export interface UserIdentityOptions {
  /** User-Identity-Type: 1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT. */
  readonly type: 1 | 2 | 3 | 4 | 5;
  /** The username, ticket, assertion or token. */
  readonly primaryField: string | Uint8Array;
  /** The passcode, for type 2. */
  readonly secondaryField?: string | Uint8Array;
  /**
   * Ask the acceptor to confirm with a server response (59H).
   *
   * @default {false}
   */
  readonly positiveResponseRequested?: boolean;
}

/** Options of {@linkcode requestAssociation}. */
export interface RequestAssociationOptions extends AssociationOptions {
  /** The presentation contexts to propose, at most 128; IDs 1, 3, 5 ... are assigned in order. */
  readonly presentationContexts: readonly ProposedPresentationContext[];
  /**
   * Our AE title, 1–16 characters.
   *
   * @default {"DCMNET"}
   */
  readonly callingAeTitle?: string;
  /**
   * The peer's AE title, 1–16 characters.
   *
   * @default {"ANY-SCP"}
   */
  readonly calledAeTitle?: string;
  /** The Asynchronous Operations Window to propose (53H); not proposed by default (1/1). */
  readonly asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  /** The user identity to present (58H); none by default. */
  readonly userIdentity?: UserIdentityOptions;
  /** SOP Class Extended Negotiation sub-items to send (56H). */
  readonly sopClassExtendedNegotiations?: readonly SopClassExtendedNegotiation[];
  /** SOP Class Common Extended Negotiation sub-items to send (57H). */
  readonly sopClassCommonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[];
  /**
   * A name for the peer in events.
   *
   * @default {"transport"}
   */
  readonly peer?: string;
}

/**
 * TLS for a requestor: the Secure Transport Connection Profiles of PS3.15
 * Annex B (B.1 Basic TLS, B.9 BCP 195). The connection uses TLS 1.2 or 1.3
 * only (Deno's TLS stack offers nothing older), as BCP 195 (RFC 9325 §3.1.1)
 * requires, and the acceptor's certificate must name the host connected to.
 */
export interface ConnectTlsOptions {
  /**
   * Certificates (PEM) of the authorities trusted to sign the acceptor's
   * certificate, in addition to the system's default roots (PS3.15 B.1:
   * the acceptor is authenticated by its X.509 certificate).
   */
  readonly caCerts?: readonly string[];
  /**
   * Our certificate chain (PEM), for acceptors that require a client
   * certificate (PS3.15 B.1 authenticates both peers). Needs `key`.
   */
  readonly cert?: string;
  /** The private key (PEM) of `cert`. */
  readonly key?: string;
}

/** Options of {@linkcode connect}. */
export interface ConnectOptions extends Omit<RequestAssociationOptions, "peer"> {
  /**
   * Milliseconds to wait for the TCP connection (and, with `tls`, its
   * handshake). 0 means no limit.
   *
   * @default {30000}
   */
  readonly connectTimeout?: number;
  /**
   * Use a TLS connection (PS3.15 Annex B, BCP 195: TLS 1.2 or later) instead
   * of plain TCP. Without it the connection is plain TCP.
   */
  readonly tls?: ConnectTlsOptions;
}

/**
 * Requests an association over a TCP connection to `hostname:port`: opens
 * the connection (with `TCP_NODELAY`, or over TLS with `options.tls`), sends the A-ASSOCIATE-RQ and waits
 * for the answer (PS3.8 §9.1.2; state machine Evt1, AE-1, AE-2, AE-3).
 *
 * @param hostname The acceptor's host name or IP address.
 * @param port The acceptor's TCP port.
 * @param options What to propose, timeouts and cancellation.
 * @returns The established association. Rejected presentation contexts are
 * reported in it, not thrown: check {@linkcode Association.acceptedContexts}.
 * @throws {AssociationRejectedError} If the acceptor answers A-ASSOCIATE-RJ.
 * @throws {AssociationAbortedError} If the connection fails, times out, is
 * aborted (by the peer or `options.signal`) or the peer breaks the protocol.
 * @throws {RangeError} For an invalid AE title or too many contexts.
 *
 * @example Verify connectivity with a DICOM peer
 * ```ts ignore
 * import { connect } from "@dcm/net/association";
 * import { Uid } from "@dcm/net/dictionary";
 *
 * await using association = await connect("pacs.example.org", 104, {
 *   calledAeTitle: "PACS",
 *   presentationContexts: [
 *     { abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ImplicitVRLittleEndian] },
 *   ],
 * });
 * console.log(association.acceptedContexts);
 * ```
 */
export function connect(
  hostname: string,
  port: number,
  options: ConnectOptions,
): Promise<Association> {
  const connectTimeout = options.connectTimeout ?? 30_000;
  const open = async (signal: AbortSignal): Promise<Transport> => {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort);
    const timer = connectTimeout > 0
      ? setTimeout(() => {
        controller.abort(
          new DOMException(`No TCP connection within ${connectTimeout} ms`, "TimeoutError"),
        );
      }, connectTimeout)
      : undefined;
    try {
      if (options.tls !== undefined) {
        return await connectTls(hostname, port, options.tls, controller.signal);
      }
      const conn = await Deno.connect({ hostname, port, signal: controller.signal });
      conn.setNoDelay(true);
      return conn;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  };
  return establish(open, { ...options, peer: `${hostname}:${port}` });
}

/**
 * Opens a TLS connection and completes its handshake, or rejects with the
 * reason of `signal` when it is aborted first (`Deno.connectTls` takes no
 * signal: a connection that arrives late is closed).
 */
async function connectTls(
  hostname: string,
  port: number,
  tls: ConnectTlsOptions,
  signal: AbortSignal,
): Promise<Deno.TlsConn> {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new TypeError("Cannot connect over TLS: a client certificate needs both cert and key");
  }
  signal.throwIfAborted();
  const connecting = (async () => {
    const conn = await Deno.connectTls({
      hostname,
      port,
      ...(tls.caCerts && { caCerts: [...tls.caCerts] }),
      ...(tls.cert !== undefined && tls.key !== undefined && { cert: tls.cert, key: tls.key }),
    });
    try {
      await conn.handshake();
    } catch (error) {
      conn.close();
      throw error;
    }
    return conn;
  })();
  const aborted = Promise.withResolvers<never>();
  const onAbort = () => {
    aborted.reject(signal.reason);
    connecting.then((conn) => conn.close(), () => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([connecting, aborted.promise]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Requests an association over an open transport: anything with a
 * `readable` and a `writable` byte stream, such as a `Deno.Conn` or an
 * in-memory pipe (state machine Evt1, AE-2, AE-3). The association owns the
 * transport from then on and closes it when it ends.
 *
 * @param transport The transport.
 * @param options What to propose, timeouts and cancellation.
 * @returns The established association.
 * @throws {AssociationRejectedError} If the acceptor answers A-ASSOCIATE-RJ.
 * @throws {AssociationAbortedError} If the association is aborted or times out.
 *
 * @example Associate over an already open connection
 * ```ts ignore
 * import { requestAssociation } from "@dcm/net/association";
 * import { Uid } from "@dcm/net/dictionary";
 *
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 11112 });
 * await using association = await requestAssociation(conn, {
 *   presentationContexts: [
 *     { abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ImplicitVRLittleEndian] },
 *   ],
 * });
 * ```
 */
export function requestAssociation(
  transport: Transport,
  options: RequestAssociationOptions,
): Promise<Association> {
  _noDelay(transport);
  return establish(() => Promise.resolve(transport), options);
}

async function establish(
  open: (signal: AbortSignal) => Promise<Transport>,
  options: RequestAssociationOptions,
): Promise<Association> {
  const settings = _resolve(options);
  const rq = buildRequest(options, settings);
  if (options.signal?.aborted) throw _signalError(options.signal);
  const ul = new _UpperLayer({
    ...settings,
    requestor: true,
    peer: options.peer ?? "transport",
    events: options.events,
    onReleaseRequest: options.onReleaseRequest,
  });
  _abortOnSignal(ul, options.signal);
  ul.request(open, rq);
  let ac: AssociateAcPdu;
  try {
    ac = await ul.establishment as AssociateAcPdu;
  } catch (error) {
    // Cancelled by the caller: the A-ABORT is on its way, and the caller need
    // not wait for a silent peer to close the connection (up to the ARTIM
    // timeout, PS3.8 §9.1.5); the upper layer closes it in the background.
    if (options.signal?.aborted) {
      ul.closed.catch(() => {});
      throw error;
    }
    await ul.closed;
    throw error;
  }
  const roles = rq.userInformation.roleSelections ?? [];
  return _createAssociation(ul, {
    role: "requestor",
    request: rq,
    response: ac,
    presentationContexts: readPresentationContextAnswer(
      rq.presentationContexts,
      roles,
      ac.presentationContexts,
      ac.userInformation.roleSelections ?? [],
    ),
    maxPduLength: settings.maxPduLength,
    peerMaxPduLength: ac.userInformation.maxPduLength ?? 0,
    asynchronousOperationsWindow: readAsynchronousOperationsWindow(
      rq.userInformation.asynchronousOperationsWindow,
      ac.userInformation.asynchronousOperationsWindow,
    ),
    userIdentity: rq.userInformation.userIdentity,
  });
}

const UTF8 = new TextEncoder();

function bytesOf(value: string | Uint8Array | undefined): Uint8Array {
  return typeof value === "string" ? UTF8.encode(value) : value ?? new Uint8Array(0);
}

/** Builds the A-ASSOCIATE-RQ PDU (PS3.8 §9.3.2) from the options. */
function buildRequest(options: RequestAssociationOptions, settings: _Resolved): AssociateRqPdu {
  const contexts = options.presentationContexts;
  if (contexts.length === 0 || contexts.length > MAX_PRESENTATION_CONTEXTS) {
    throw new RangeError(
      `Cannot request an association: ${contexts.length} presentation contexts (1–${MAX_PRESENTATION_CONTEXTS} allowed)`,
    );
  }
  const roles = new Map<string, RoleSelection>();
  for (const pc of contexts) {
    if (pc.transferSyntaxes.length === 0) {
      throw new RangeError(
        `Cannot request an association: no transfer syntax for ${pc.abstractSyntax}`,
      );
    }
    if (pc.roles === undefined) continue;
    const role = { sopClassUid: pc.abstractSyntax, scuRole: pc.roles.scu, scpRole: pc.roles.scp };
    const other = roles.get(pc.abstractSyntax);
    if (other !== undefined && (other.scuRole !== role.scuRole || other.scpRole !== role.scpRole)) {
      throw new RangeError(
        `Cannot request an association: different roles proposed for ${pc.abstractSyntax}`,
      );
    }
    roles.set(pc.abstractSyntax, role);
  }
  const identity = options.userIdentity;
  const userIdentity: UserIdentityRequest | undefined = identity && {
    identityType: identity.type,
    positiveResponseRequested: identity.positiveResponseRequested ?? false,
    primaryField: bytesOf(identity.primaryField),
    secondaryField: bytesOf(identity.secondaryField),
  };
  return {
    type: "A-ASSOCIATE-RQ",
    protocolVersion: PROTOCOL_VERSION,
    calledAeTitle: _checkAeTitle(options.calledAeTitle ?? "ANY-SCP", "calledAeTitle"),
    callingAeTitle: _checkAeTitle(options.callingAeTitle ?? "DCMNET", "callingAeTitle"),
    applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts: contexts.map((pc, i) => ({
      id: 2 * i + 1,
      abstractSyntax: pc.abstractSyntax,
      transferSyntaxes: pc.transferSyntaxes,
    })),
    userInformation: {
      maxPduLength: settings.maxPduLength,
      implementationClassUid: settings.implementationClassUid,
      implementationVersionName: settings.implementationVersionName,
      ...(options.asynchronousOperationsWindow && {
        asynchronousOperationsWindow: options.asynchronousOperationsWindow,
      }),
      ...(roles.size > 0 && { roleSelections: [...roles.values()] }),
      ...(options.sopClassExtendedNegotiations && {
        sopClassExtendedNegotiations: options.sopClassExtendedNegotiations,
      }),
      ...(options.sopClassCommonExtendedNegotiations && {
        sopClassCommonExtendedNegotiations: options.sopClassCommonExtendedNegotiations,
      }),
      ...(userIdentity && { userIdentity }),
    },
  };
}
