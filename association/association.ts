/**
 * An established association: the negotiated facts and the P-DATA service
 * the DIMSE layer builds on, with release and abort.
 *
 * @module
 */

import {
  ABORT_REASON,
  ABORT_SOURCE,
  type AbortSource,
  type AssociateAcPdu,
  type AssociateRqPdu,
  type AsynchronousOperationsWindow,
  type PDataTfPdu,
  PDV_HEADER_LENGTH,
  type PresentationDataValue,
  type SopClassExtendedNegotiation,
  type UserIdentityRequest,
} from "../pdu/mod.ts";
import type { _UpperLayer } from "./_upper_layer.ts";
import type { PDataConsumer } from "./_p_data_inbox.ts";
import { AssociationAbortedError, AssociationStateError } from "./errors.ts";
import type { NegotiatedPresentationContext } from "./negotiation.ts";
import type { State } from "./state_machine.ts";

/** How an association ended, once {@linkcode Association.closed} settles. */
export interface AssociationCloseInfo {
  /** `"released"` after an A-RELEASE exchange, `"aborted"` otherwise. */
  readonly how: "released" | "aborted";
  /** Why it was aborted; absent when released. */
  readonly error?: AssociationAbortedError;
}

/** The negotiated facts an {@linkcode Association} is made from (internal). */
export interface _AssociationFacts {
  readonly role: "requestor" | "acceptor";
  readonly request: AssociateRqPdu;
  readonly response: AssociateAcPdu;
  readonly presentationContexts: readonly NegotiatedPresentationContext[];
  readonly maxPduLength: number;
  readonly peerMaxPduLength: number;
  readonly asynchronousOperationsWindow: AsynchronousOperationsWindow;
  readonly userIdentity: UserIdentityRequest | undefined;
}

let create: (ul: _UpperLayer, facts: _AssociationFacts) => Association;

/** Makes an {@linkcode Association} from a machine in Sta6 (used by the requestor and acceptor). */
export function _createAssociation(ul: _UpperLayer, facts: _AssociationFacts): Association {
  return create(ul, facts);
}

/**
 * An established DICOM association (PS3.8 §7.1), requested with
 * {@linkcode connect} or accepted with {@linkcode acceptAssociation}.
 *
 * It exposes what was negotiated, sends P-DATA-TF PDUs whose PDVs the
 * caller has already fragmented, and yields the P-DATA-TF PDUs received.
 * Either side may release it or abort it; `await using` releases it (or
 * waits for it to end) when the scope exits.
 *
 * @example Associate, look at the outcome, release
 * ```ts
 * import { acceptAssociation, connect } from "@dcm/net/association";
 * import { Uid } from "@dcm/net/dictionary";
 * import { deepEqual } from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept().then((conn) => acceptAssociation(conn));
 * await using association = await connect("127.0.0.1", listener.addr.port, {
 *   presentationContexts: [
 *     { abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ImplicitVRLittleEndian] },
 *   ],
 * });
 * await using peer = await accepted;
 * deepEqual(association.acceptedContexts.map((c) => c.abstractSyntax), [Uid.Verification]);
 * deepEqual(peer.callingAeTitle, "DCMNET");
 * await association.release();
 * deepEqual((await peer.closed).how, "released");
 * ```
 */
export class Association implements AsyncDisposable {
  static {
    create = (ul, facts) => new Association(ul, facts);
  }

  readonly #ul: _UpperLayer;
  readonly #facts: _AssociationFacts;
  #accepted: readonly NegotiatedPresentationContext[] | undefined;

  private constructor(ul: _UpperLayer, facts: _AssociationFacts) {
    this.#ul = ul;
    this.#facts = facts;
  }

  /** Whether this side requested the association or accepted it. */
  get role(): "requestor" | "acceptor" {
    return this.#facts.role;
  }

  /** The Calling-AE-title: the requestor's AE title. */
  get callingAeTitle(): string {
    return this.#facts.request.callingAeTitle;
  }

  /** The Called-AE-title: the acceptor's AE title as the requestor addressed it. */
  get calledAeTitle(): string {
    return this.#facts.request.calledAeTitle;
  }

  /** Every proposed presentation context with its result (PS3.8 §9.3.3.2). */
  get presentationContexts(): readonly NegotiatedPresentationContext[] {
    return this.#facts.presentationContexts;
  }

  /** The accepted presentation contexts (result 0), each with its transfer syntax. */
  get acceptedContexts(): readonly NegotiatedPresentationContext[] {
    return this.#accepted ??= this.#facts.presentationContexts.filter((c) => c.result === 0);
  }

  /**
   * The Maximum Length this side advertised (PS3.8 Annex D.1): the largest
   * P-DATA-TF PDU-length it accepts. 0 means no limit.
   */
  get maxPduLength(): number {
    return this.#facts.maxPduLength;
  }

  /**
   * The Maximum Length the peer advertised: the largest P-DATA-TF
   * PDU-length {@linkcode Association.sendPData} may send. 0 means no limit.
   */
  get peerMaxPduLength(): number {
    return this.#facts.peerMaxPduLength;
  }

  /**
   * Bytes of PDUs sent on the association that the transport has not taken
   * yet: those of the write under way and those queued behind it (PDUs sent
   * while a write is under way go out together in the next one). A sender
   * that does not wait for each write can keep this bounded.
   */
  get bufferedAmount(): number {
    return this.#ul.bufferedAmount;
  }

  /**
   * The largest fragment a single PDV of one P-DATA-TF PDU can carry under
   * the peer's Maximum Length (PS3.8 §9.3.5), or `Infinity` if unlimited.
   */
  get maxPdvDataLength(): number {
    const max = this.#facts.peerMaxPduLength;
    return max === 0 ? Infinity : max - PDV_HEADER_LENGTH;
  }

  /**
   * The negotiated Asynchronous Operations Window, from the requestor's point
   * of view (PS3.7 D.3.3.3): 1/1 (synchronous) unless both sides negotiated it.
   */
  get asynchronousOperationsWindow(): AsynchronousOperationsWindow {
    return this.#facts.asynchronousOperationsWindow;
  }

  /** The requestor's Implementation Class UID (52H). */
  get requestorImplementationClassUid(): string | undefined {
    return this.#facts.request.userInformation.implementationClassUid;
  }

  /** The acceptor's Implementation Class UID (52H). */
  get acceptorImplementationClassUid(): string | undefined {
    return this.#facts.response.userInformation.implementationClassUid;
  }

  /** The requestor's user identity (58H), as proposed; on the acceptor, as accepted by its policy. */
  get userIdentity(): UserIdentityRequest | undefined {
    return this.#facts.userIdentity;
  }

  /** The acceptor's server response to the user identity (59H), if it sent one. */
  get userIdentityResponse(): Uint8Array | undefined {
    return this.#facts.response.userInformation.userIdentity?.serverResponse;
  }

  /** The SOP Class Extended Negotiation answers of the acceptor (56H, PS3.7 D.3.3.5). */
  get sopClassExtendedNegotiations(): readonly SopClassExtendedNegotiation[] {
    return this.#facts.response.userInformation.sopClassExtendedNegotiations ?? [];
  }

  /** The A-ASSOCIATE-RQ PDU, as sent or received. */
  get request(): AssociateRqPdu {
    return this.#facts.request;
  }

  /** The A-ASSOCIATE-AC PDU, as sent or received. */
  get response(): AssociateAcPdu {
    return this.#facts.response;
  }

  /** The current state of the protocol machine (PS3.8 §9.2.1). */
  get state(): State {
    return this.#ul.state;
  }

  /** The accepted presentation context with this ID, if any. */
  context(id: number): NegotiatedPresentationContext | undefined {
    return this.acceptedContexts.find((c) => c.id === id);
  }

  /** The first accepted presentation context for an abstract syntax (and transfer syntax), if any. */
  findContext(
    abstractSyntax: string,
    transferSyntax?: string,
  ): NegotiatedPresentationContext | undefined {
    return this.acceptedContexts.find((c) =>
      c.abstractSyntax === abstractSyntax &&
      (transferSyntax === undefined || c.transferSyntax === transferSyntax)
    );
  }

  /**
   * The P-DATA-TF PDUs received (the P-DATA indications of PS3.8 §7.6), in
   * order. It closes when the peer asks to release the association or
   * answers our release, and errors with an
   * {@linkcode AssociationAbortedError} when the association is aborted.
   * Not reading it stops reading from the transport (backpressure).
   *
   * @throws {TypeError} once {@linkcode Association.receivePData} was called.
   */
  get pData(): ReadableStream<PDataTfPdu> {
    return this.#ul.pData;
  }

  /**
   * Hands the P-DATA-TF PDUs received to `consumer` as they are framed,
   * instead of {@linkcode Association.pData}: each one synchronously, in
   * order, with no promise hop per PDU (the DIMSE channel reads this way).
   * PDUs received before the call are handed over first. A promise the
   * consumer returns stops reading from the transport until it settles
   * (backpressure); `end()` says when no more will come. A PDU's bytes are
   * the association's read buffer, read into again once the consumer
   * returns (or its promise settles): it copies what it keeps, and gets a
   * reused buffer in return, no garbage per read.
   *
   * @example Count the PDUs of an association until it ends
   * ```ts ignore
   * let count = 0;
   * association.receivePData({
   *   pData: () => void count++,
   *   end: (error) => console.log(count, error === undefined ? "released" : error.message),
   * });
   * ```
   *
   * @param consumer Takes each PDU, then the end.
   * @throws {TypeError} if `pData` was read, or a consumer set, before.
   */
  receivePData(consumer: PDataConsumer): void {
    this.#ul.receivePData(consumer);
  }

  /**
   * Sends one P-DATA-TF PDU holding `values`, in a single write (PS3.8
   * §9.3.5). Fragmenting messages into PDVs is the caller's job; the PDU
   * must fit the peer's Maximum Length and use accepted contexts.
   *
   * @param values The presentation data values, in order.
   * @returns Resolves when the PDU has been written.
   * @throws {RangeError} If the PDU would exceed the peer's Maximum Length,
   * `values` is empty or a PDV uses a context that was not accepted.
   * @throws {AssociationStateError} If P-DATA cannot be sent in the current
   * state (only Sta6 and Sta8 allow it).
   * @throws {AssociationAbortedError} If the transport fails.
   */
  async sendPData(values: readonly PresentationDataValue[]): Promise<void> {
    this.#checkPData(values);
    try {
      await this.#ul.sendPData({ type: "P-DATA-TF", values });
    } catch (error) {
      if (!(error instanceof Error) || error instanceof AssociationStateError) throw error;
      throw new AssociationAbortedError("Cannot send P-DATA: the transport failed", {
        cause: error,
      });
    }
  }

  /**
   * Sends several P-DATA-TF PDUs, in order, together in as few writes as
   * the transport allows: a message fragmented under a small Maximum Length
   * costs one write per batch rather than one per PDU. Each PDU is checked
   * as {@linkcode Association.sendPData} checks it, all before any is sent.
   *
   * @example Two PDUs of one C-ECHO-RQ command set, in one write
   * ```ts ignore
   * await association.sendPDataBatch([
   *   [{ presentationContextId: 1, isCommand: true, isLastFragment: false, data: head }],
   *   [{ presentationContextId: 1, isCommand: true, isLastFragment: true, data: tail }],
   * ]);
   * ```
   *
   * @param pdus The PDUs, each as its presentation data values in order.
   * @returns Resolves when the PDUs have been written.
   * @throws {RangeError} If a PDU would exceed the peer's Maximum Length,
   * has no values or a PDV uses a context that was not accepted.
   * @throws {AssociationStateError} If P-DATA cannot be sent in the current
   * state (only Sta6 and Sta8 allow it).
   * @throws {AssociationAbortedError} If the transport fails.
   */
  async sendPDataBatch(pdus: readonly (readonly PresentationDataValue[])[]): Promise<void> {
    for (const values of pdus) this.#checkPData(values);
    try {
      await this.#ul.sendPDataBatch(pdus.map((values) => ({ type: "P-DATA-TF", values })));
    } catch (error) {
      if (!(error instanceof Error) || error instanceof AssociationStateError) throw error;
      throw new AssociationAbortedError("Cannot send P-DATA: the transport failed", {
        cause: error,
      });
    }
  }

  /** Checks one P-DATA-TF PDU against the accepted contexts and the peer's Maximum Length. */
  #checkPData(values: readonly PresentationDataValue[]): void {
    if (values.length === 0) throw new RangeError("Cannot send P-DATA: no presentation data value");
    let length = 0;
    for (const pdv of values) {
      if (this.context(pdv.presentationContextId) === undefined) {
        throw new RangeError(
          `Cannot send P-DATA: presentation context ${pdv.presentationContextId} was not accepted`,
        );
      }
      length += PDV_HEADER_LENGTH + pdv.data.length;
    }
    const max = this.#facts.peerMaxPduLength;
    if (max !== 0 && length > max) {
      throw new RangeError(
        `Cannot send P-DATA: PDU-length ${length} exceeds the peer's Maximum Length ${max}`,
      );
    }
  }

  /**
   * Releases the association (A-RELEASE, PS3.8 §7.2): sends an A-RELEASE-RQ
   * and waits for the A-RELEASE-RP and the transport to close. When the peer
   * asked first, answers it instead. Handles a release collision (Sta9–Sta12).
   *
   * @returns Resolves once released.
   * @throws {AssociationAbortedError} If the association was aborted instead.
   */
  async release(): Promise<void> {
    this.#ul.release();
    const outcome = await this.#ul.closed;
    if (outcome.how !== "released") throw outcome.error;
  }

  /**
   * Aborts the association (A-ABORT, PS3.8 §7.3) and waits until the
   * transport is closed. Does nothing more if it already ended.
   *
   * @param source The A-ABORT source: 0 service-user (default) or 2 service-provider.
   * @param reason The A-ABORT reason, significant with source 2 (default 0).
   */
  async abort(
    source: AbortSource = ABORT_SOURCE.SERVICE_USER,
    reason: number = ABORT_REASON.REASON_NOT_SPECIFIED,
  ): Promise<void> {
    const error = new AssociationAbortedError("Aborted by the local user", {
      origin: "local",
      source,
      reason,
    });
    this.#ul.abort(source, reason, error);
    await this.#ul.closed;
  }

  /** Settles once the association has ended and its transport is closed. Never rejects. */
  get closed(): Promise<AssociationCloseInfo> {
    return this.#ul.closed.then((outcome): AssociationCloseInfo =>
      outcome.how === "aborted" ? { how: "aborted", error: outcome.error } : { how: "released" }
    );
  }

  /**
   * Tells the association that its service is at work until `work` settles
   * (a request being handled, a response awaited), so that the idle timeout
   * (`idleTimeout`) does not end it meanwhile, however long the wire stays
   * silent. The DIMSE channel does this for every message in progress.
   *
   * @example Keep an association alive during a long local task
   * ```ts ignore
   * association.busyWith(longTask());
   * ```
   */
  busyWith(work: Promise<unknown>): void {
    this.#ul.busyWith(work);
  }

  /** Releases the association if it is established, then waits for it to end; never throws. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#ul.state === "Sta6" || this.#ul.state === "Sta8") {
      await this.release().catch(() => {});
    }
    await this.#ul.closed;
  }
}
