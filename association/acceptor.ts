/**
 * The association-acceptor: {@linkcode acceptAssociation} waits for an
 * A-ASSOCIATE-RQ on a transport, applies the injected policies (access
 * control, user identity) and the negotiation rules, and answers with an
 * A-ASSOCIATE-AC or -RJ (PS3.8 §7.1.2, §9.1.2; state machine Evt5, AE-5,
 * AE-6, AE-7, AE-8).
 *
 * @module
 */

import { Uid } from "../dictionary/mod.ts";
import {
  type AssociateAcPdu,
  type AssociateRjPdu,
  type AssociateRqPdu,
  type AsynchronousOperationsWindow,
  DICOM_APPLICATION_CONTEXT_NAME,
  PRESENTATION_CONTEXT_RESULT,
  PROTOCOL_VERSION,
  type SopClassExtendedNegotiation,
  type UserIdentityRequest,
} from "../pdu/mod.ts";
import { _abortOnSignal, _noDelay, _resolve, type _Resolved } from "./_options.ts";
import { _UpperLayer } from "./_upper_layer.ts";
import { _createAssociation, type Association } from "./association.ts";
import { ASSOCIATION_REJECTIONS, type AssociationRejection } from "./constants.ts";
import {
  DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW,
  negotiateAsynchronousOperationsWindow,
  negotiatePresentationContexts,
  type SupportedAbstractSyntax,
} from "./negotiation.ts";
import type { AssociationOptions } from "./options.ts";
import type { Transport } from "./transport.ts";

/** What the acceptor's policies see of an association request. */
export interface AssociationRequestInfo {
  /** The requestor's AE title (leading and trailing spaces removed). */
  readonly callingAeTitle: string;
  /** The AE title the requestor called (leading and trailing spaces removed). */
  readonly calledAeTitle: string;
  /** The requestor's network address, when known (a `Deno.Conn` gives it). */
  readonly remoteAddress: Deno.NetAddr | undefined;
  /** The whole A-ASSOCIATE-RQ PDU. */
  readonly request: AssociateRqPdu;
}

/**
 * Decides whether to accept an association request: return `undefined` to
 * go on, or the A-ASSOCIATE-RJ codes to reject with, usually one of
 * {@linkcode ASSOCIATION_REJECTIONS}. A policy that throws rejects with
 * no-reason-given.
 */
export type AccessControlPolicy = (
  request: AssociationRequestInfo,
) => AssociationRejection | undefined | Promise<AssociationRejection | undefined>;

/** A user identity policy's verdict (PS3.7 D.3.3.7). */
export interface UserIdentityDecision {
  /** Accept the identity; otherwise the association is rejected (permanent, service-user, no-reason-given). */
  readonly accepted: boolean;
  /** The server response (59H) to send when the requestor asked for one: a Kerberos ticket, SAML response or JWT. */
  readonly serverResponse?: Uint8Array;
}

/** Checks a requestor's user identity (58H). A policy that throws rejects the association. */
export type UserIdentityPolicy = (
  identity: UserIdentityRequest,
  request: AssociationRequestInfo,
) => UserIdentityDecision | Promise<UserIdentityDecision>;

/** Options of {@linkcode acceptAssociation}. */
export interface AcceptAssociationOptions extends AssociationOptions {
  /**
   * The abstract syntaxes accepted, each with its transfer syntaxes in order
   * of preference and the roles a requestor may take.
   *
   * @default {[{ abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian] }]}
   */
  readonly supportedAbstractSyntaxes?: readonly SupportedAbstractSyntax[];
  /** Who may associate, by called and calling AE title and address; everyone by default. */
  readonly accessControl?: AccessControlPolicy;
  /**
   * Checks user identities. Without it, a proposed identity is ignored as
   * PS3.7 D.3.3.7 allows, and no server response is sent.
   */
  readonly userIdentity?: UserIdentityPolicy;
  /**
   * Reject (permanent, service-user, no-reason-given) a request that
   * proposes no user identity (58H), as a server that requires credentials
   * does; PS3.7 D.3.3.7 leaves this to the acceptor.
   *
   * @default {false}
   */
  readonly requireUserIdentity?: boolean;
  /**
   * The most the acceptor allows of an Asynchronous Operations Window
   * (53H) the requestor proposes; 0 means unlimited.
   *
   * @default {{ maxOperationsInvoked: 1, maxOperationsPerformed: 1 }}
   */
  readonly asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  /**
   * Answers SOP Class Extended Negotiation (56H, PS3.7 D.3.3.5) for an
   * accepted abstract syntax: the application information to return, or
   * `undefined` to send no answer for it. No answers by default.
   */
  readonly extendedNegotiation?: (
    item: SopClassExtendedNegotiation,
  ) => Uint8Array | undefined;
  /** The requestor's address, for policies, when the transport is not a `Deno.Conn`. */
  readonly remoteAddress?: Deno.NetAddr;
}

const DEFAULT_SUPPORTED: readonly SupportedAbstractSyntax[] = [{
  abstractSyntax: Uid.Verification,
  transferSyntaxes: [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian],
}];

/**
 * Accepts (or rejects) an association on a transport: waits up to the
 * ARTIM timeout for the A-ASSOCIATE-RQ, then checks, in order, the protocol
 * version (PS3.8 §9.3.2), the application context name, the access control
 * policy and the user identity, negotiates the presentation contexts and
 * answers. The association owns the transport from then on.
 *
 * @param transport A `Deno.Conn` or any pair of byte streams.
 * @param options Supported syntaxes, policies, limits and timeouts.
 * @returns The established association.
 * @throws {AssociationRejectedError} If it was rejected (the A-ASSOCIATE-RJ
 * was sent and the transport closed).
 * @throws {AssociationAbortedError} If the peer aborted, sent something
 * else than an A-ASSOCIATE-RQ, vanished or stayed silent (ARTIM).
 *
 * @example Accept Verification on one connection
 * ```ts ignore
 * import { acceptAssociation, ASSOCIATION_REJECTIONS } from "@dcm/net/association";
 *
 * using listener = Deno.listen({ port: 11112 });
 * const conn = await listener.accept();
 * await using association = await acceptAssociation(conn, {
 *   accessControl: (rq) =>
 *     rq.calledAeTitle === "MY-SCP" ? undefined : ASSOCIATION_REJECTIONS.CALLED_AE_TITLE_NOT_RECOGNIZED,
 * });
 * for await (const pdu of association.pData) console.log(pdu.values.length);
 * ```
 */
export async function acceptAssociation(
  transport: Transport,
  options: AcceptAssociationOptions = {},
): Promise<Association> {
  const settings = _resolve(options);
  const remoteAddress = options.remoteAddress ?? netAddress(transport);
  const ul = new _UpperLayer({
    ...settings,
    requestor: false,
    peer: remoteAddress ? `${remoteAddress.hostname}:${remoteAddress.port}` : "transport",
    events: options.events,
    onReleaseRequest: options.onReleaseRequest,
  });
  _noDelay(transport);
  ul.accept(transport);
  _abortOnSignal(ul, options.signal);
  let rq: AssociateRqPdu;
  try {
    rq = await ul.establishment as AssociateRqPdu;
  } catch (error) {
    await ul.closed;
    throw error;
  }
  // Sta3: the A-ASSOCIATE indication; the local user decides.
  const info: AssociationRequestInfo = {
    callingAeTitle: rq.callingAeTitle,
    calledAeTitle: rq.calledAeTitle,
    remoteAddress,
    request: rq,
  };
  const answer = await decide(info, options, settings);
  if (ul.state === "Sta3") ul.respond(answer.pdu);
  if (answer.pdu.type === "A-ASSOCIATE-AC" && ul.state === "Sta6") {
    return _createAssociation(ul, {
      ...answer,
      role: "acceptor",
      request: rq,
      response: answer.pdu,
    });
  }
  const outcome = await ul.closed;
  throw outcome.how === "released" ? new Error("unreachable: released in Sta3") : outcome.error;
}

interface Answer {
  readonly pdu: AssociateAcPdu | AssociateRjPdu;
  readonly presentationContexts: ReturnType<typeof negotiatePresentationContexts>["contexts"];
  readonly maxPduLength: number;
  readonly peerMaxPduLength: number;
  readonly asynchronousOperationsWindow: AsynchronousOperationsWindow;
  readonly userIdentity: UserIdentityRequest | undefined;
}

/** The local user's A-ASSOCIATE response (Evt7 or Evt8), from the policies. */
async function decide(
  info: AssociationRequestInfo,
  options: AcceptAssociationOptions,
  settings: _Resolved,
): Promise<Answer> {
  const rq = info.request;
  const reject = (codes: AssociationRejection): Answer => ({
    pdu: { type: "A-ASSOCIATE-RJ", ...codes },
    presentationContexts: [],
    maxPduLength: settings.maxPduLength,
    peerMaxPduLength: 0,
    asynchronousOperationsWindow: DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW,
    userIdentity: undefined,
  });
  if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT_NAME) {
    return reject(ASSOCIATION_REJECTIONS.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED);
  }
  let serverResponse: Uint8Array | undefined;
  let userIdentity: UserIdentityRequest | undefined;
  try {
    const rejection = await options.accessControl?.(info);
    if (rejection !== undefined) return reject(rejection);
    const identity = rq.userInformation.userIdentity;
    if (identity === undefined && options.requireUserIdentity) {
      return reject(ASSOCIATION_REJECTIONS.NO_REASON_GIVEN);
    }
    if (identity !== undefined && options.userIdentity !== undefined) {
      const decision = await options.userIdentity(identity, info);
      if (!decision.accepted) return reject(ASSOCIATION_REJECTIONS.NO_REASON_GIVEN);
      userIdentity = identity;
      if (identity.positiveResponseRequested) {
        serverResponse = decision.serverResponse ?? new Uint8Array(0);
      }
    }
  } catch {
    return reject(ASSOCIATION_REJECTIONS.NO_REASON_GIVEN);
  }
  const user = rq.userInformation;
  const negotiated = negotiatePresentationContexts(
    rq.presentationContexts,
    user.roleSelections ?? [],
    options.supportedAbstractSyntaxes ?? DEFAULT_SUPPORTED,
  );
  const window = negotiateAsynchronousOperationsWindow(
    user.asynchronousOperationsWindow,
    options.asynchronousOperationsWindow ?? DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW,
  );
  const accepted = new Set(
    negotiated.contexts.filter((c) => c.result === PRESENTATION_CONTEXT_RESULT.ACCEPTANCE).map((
      c,
    ) => c.abstractSyntax),
  );
  const extended: SopClassExtendedNegotiation[] = [];
  for (const item of user.sopClassExtendedNegotiations ?? []) {
    if (!accepted.has(item.sopClassUid)) continue;
    const answer = options.extendedNegotiation?.(item);
    if (answer !== undefined) {
      extended.push({ sopClassUid: item.sopClassUid, serviceClassApplicationInformation: answer });
    }
  }
  const ac: AssociateAcPdu = {
    type: "A-ASSOCIATE-AC",
    protocolVersion: PROTOCOL_VERSION,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts: negotiated.items,
    userInformation: {
      maxPduLength: settings.maxPduLength,
      implementationClassUid: settings.implementationClassUid,
      implementationVersionName: settings.implementationVersionName,
      ...(window && { asynchronousOperationsWindow: window }),
      ...(negotiated.roleSelections.length > 0 && { roleSelections: negotiated.roleSelections }),
      ...(extended.length > 0 && { sopClassExtendedNegotiations: extended }),
      ...(serverResponse && { userIdentity: { serverResponse } }),
    },
  };
  return {
    pdu: ac,
    presentationContexts: negotiated.contexts,
    maxPduLength: settings.maxPduLength,
    peerMaxPduLength: user.maxPduLength ?? 0,
    asynchronousOperationsWindow: window ?? DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW,
    userIdentity,
  };
}

function netAddress(transport: Transport): Deno.NetAddr | undefined {
  const addr = (transport as Partial<Deno.Conn>).remoteAddr;
  return addr?.transport === "tcp" ? addr : undefined;
}
