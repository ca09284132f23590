/**
 * Association negotiation as pure functions: presentation contexts with
 * SCP/SCU role selection (PS3.8 §9.3.2.2 and §9.3.3.2, PS3.7 D.3.3.4) and the
 * asynchronous operations window (PS3.7 D.3.3.3). The acceptor side computes
 * the A-ASSOCIATE-AC answer from a request and a policy; the requestor side
 * reads the outcome from the request it sent and the answer it received.
 *
 * @module
 */

import {
  type AsynchronousOperationsWindow,
  MAX_PRESENTATION_CONTEXT_ID,
  PRESENTATION_CONTEXT_RESULT,
  type PresentationContextAc,
  type PresentationContextResult,
  type PresentationContextRq,
  type RoleSelection,
} from "../pdu/mod.ts";

/** The roles one side may play for an abstract syntax (PS3.7 D.3.3.4). */
export interface Roles {
  /** May act as SCU (invoke operations, receive notifications). */
  readonly scu: boolean;
  /** May act as SCP (perform operations, invoke notifications). */
  readonly scp: boolean;
}

/** The roles of both sides for one accepted presentation context. */
export interface NegotiatedRoles {
  /** The roles of the association-requestor. */
  readonly requestor: Roles;
  /** The roles of the association-acceptor: the mirror of the requestor's. */
  readonly acceptor: Roles;
}

/** A presentation context as negotiated: what was proposed and what the acceptor answered. */
export interface NegotiatedPresentationContext {
  /** Presentation-context-ID, odd, 1–255. */
  readonly id: number;
  /** The abstract syntax (SOP Class UID) proposed. */
  readonly abstractSyntax: string;
  /** The result, see `PRESENTATION_CONTEXT_RESULT` (PS3.8 Table 9-18). */
  readonly result: PresentationContextResult;
  /** The transfer syntax to use; present only when the context is accepted. */
  readonly transferSyntax?: string;
  /** Who plays SCU and SCP; default roles (requestor SCU only) unless negotiated. */
  readonly roles: NegotiatedRoles;
}

/** One abstract syntax an acceptor supports, with its transfer syntaxes and role policy. */
export interface SupportedAbstractSyntax {
  /** The abstract syntax (SOP Class UID or Meta SOP Class UID). */
  readonly abstractSyntax: string;
  /**
   * Transfer syntaxes the acceptor accepts, most preferred first. The first
   * one also proposed by the requestor is chosen, whatever the requestor's
   * order (unless `proposerOrder`).
   */
  readonly transferSyntaxes: readonly string[];
  /**
   * Choose the requestor's first proposed syntax among `transferSyntaxes`
   * instead (PS3.8 §9.3.3.2 leaves the choice to the acceptor): for a
   * receiver that wants objects as the sender holds them, such as a
   * retrieval's C-MOVE destination, where an archive proposes the stored
   * syntax first.
   *
   * @default {false}
   */
  readonly proposerOrder?: boolean;
  /**
   * The roles the association-requestor may take when it proposes SCP/SCU
   * role selection for this abstract syntax. Without it the acceptor does
   * not answer role selection for the syntax and the default roles apply
   * (PS3.7 D.3.3.4: requestor SCU, acceptor SCP).
   */
  readonly requestorRoles?: Roles;
}

/** The acceptor's answer to the presentation contexts of an A-ASSOCIATE-RQ. */
export interface PresentationContextAnswer {
  /** One Presentation Context Item (21H) per proposed context, in the proposed order. */
  readonly items: readonly PresentationContextAc[];
  /** The SCP/SCU Role Selection Sub-Items (54H) of the A-ASSOCIATE-AC. */
  readonly roleSelections: readonly RoleSelection[];
  /** The outcome, as both sides will see it. */
  readonly contexts: readonly NegotiatedPresentationContext[];
}

const DEFAULT_ROLES: NegotiatedRoles = {
  requestor: { scu: true, scp: false },
  acceptor: { scu: false, scp: true },
};

function rolesOf(requestor: Roles): NegotiatedRoles {
  return { requestor, acceptor: { scu: requestor.scp, scp: requestor.scu } };
}

/**
 * Answers the proposed presentation contexts of an A-ASSOCIATE-RQ with an
 * acceptor policy (PS3.8 §9.3.3.2, Table 9-18; PS3.7 D.3.3.4):
 *
 * - result 3 (abstract-syntax-not-supported) when no supported entry has the
 *   abstract syntax;
 * - result 4 (transfer-syntaxes-not-supported) when none of the proposed
 *   transfer syntaxes is supported for it;
 * - result 2 (no-reason, provider rejection) for a context with an invalid
 *   (even or repeated) ID or no transfer syntax;
 * - result 1 (user-rejection) when role selection leaves the requestor no
 *   role at all;
 * - otherwise result 0 with the acceptor's most preferred transfer syntax.
 *
 * Role selection is answered, once per SOP class, only for abstract syntaxes
 * whose policy lists `requestorRoles`: a role is granted when it was both
 * proposed and allowed.
 *
 * @param proposed The Presentation Context Items of the request.
 * @param proposedRoles The SCP/SCU Role Selection Sub-Items of the request.
 * @param supported The acceptor policy.
 * @returns The AC items, the role selection sub-items and the outcome.
 *
 * @example Accept Verification with the acceptor's preferred transfer syntax
 * ```ts
 * import { negotiatePresentationContexts } from "@dcm/net/association";
 * import { Uid } from "@dcm/net/dictionary";
 * import { PRESENTATION_CONTEXT_RESULT } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * const { ImplicitVRLittleEndian: implicit, ExplicitVRLittleEndian: explicit } = Uid;
 * const answer = negotiatePresentationContexts(
 *   [
 *     { id: 1, abstractSyntax: Uid.Verification, transferSyntaxes: [implicit, explicit] },
 *     { id: 3, abstractSyntax: "1.2.3.4", transferSyntaxes: [implicit] },
 *   ],
 *   [],
 *   [{ abstractSyntax: Uid.Verification, transferSyntaxes: [explicit, implicit] }],
 * );
 * deepEqual(answer.items, [
 *   { id: 1, result: PRESENTATION_CONTEXT_RESULT.ACCEPTANCE, transferSyntax: explicit },
 *   {
 *     id: 3,
 *     result: PRESENTATION_CONTEXT_RESULT.ABSTRACT_SYNTAX_NOT_SUPPORTED,
 *     transferSyntax: implicit,
 *   },
 * ]);
 * ```
 */
export function negotiatePresentationContexts(
  proposed: readonly PresentationContextRq[],
  proposedRoles: readonly RoleSelection[],
  supported: readonly SupportedAbstractSyntax[],
): PresentationContextAnswer {
  const policy = new Map<string, SupportedAbstractSyntax>();
  for (const entry of supported) {
    if (!policy.has(entry.abstractSyntax)) policy.set(entry.abstractSyntax, entry);
  }
  const roleProposals = new Map<string, RoleSelection>();
  for (const role of proposedRoles) {
    if (!roleProposals.has(role.sopClassUid)) roleProposals.set(role.sopClassUid, role);
  }
  const grantedRoles = new Map<string, RoleSelection>();
  const seen = new Set<number>();
  const items: PresentationContextAc[] = [];
  const contexts: NegotiatedPresentationContext[] = [];

  for (const pc of proposed) {
    const echo = pc.transferSyntaxes[0] ?? "";
    const reject = (result: PresentationContextResult): void => {
      items.push({ id: pc.id, result, transferSyntax: echo });
      contexts.push({
        id: pc.id,
        abstractSyntax: pc.abstractSyntax,
        result,
        roles: DEFAULT_ROLES,
      });
    };
    const validId = pc.id % 2 === 1 && pc.id <= MAX_PRESENTATION_CONTEXT_ID && !seen.has(pc.id);
    seen.add(pc.id);
    if (!validId || pc.transferSyntaxes.length === 0) {
      reject(PRESENTATION_CONTEXT_RESULT.NO_REASON);
      continue;
    }
    const entry = policy.get(pc.abstractSyntax);
    if (entry === undefined) {
      reject(PRESENTATION_CONTEXT_RESULT.ABSTRACT_SYNTAX_NOT_SUPPORTED);
      continue;
    }
    const transferSyntax = entry.proposerOrder
      ? pc.transferSyntaxes.find((ts) => entry.transferSyntaxes.includes(ts))
      : entry.transferSyntaxes.find((ts) => pc.transferSyntaxes.includes(ts));
    if (transferSyntax === undefined) {
      reject(PRESENTATION_CONTEXT_RESULT.TRANSFER_SYNTAXES_NOT_SUPPORTED);
      continue;
    }
    let roles = DEFAULT_ROLES;
    const proposal = roleProposals.get(pc.abstractSyntax);
    if (proposal !== undefined && entry.requestorRoles !== undefined) {
      const granted = {
        sopClassUid: pc.abstractSyntax,
        scuRole: proposal.scuRole && entry.requestorRoles.scu,
        scpRole: proposal.scpRole && entry.requestorRoles.scp,
      };
      if (!granted.scuRole && !granted.scpRole) {
        reject(PRESENTATION_CONTEXT_RESULT.USER_REJECTION);
        continue;
      }
      grantedRoles.set(pc.abstractSyntax, granted);
      roles = rolesOf({ scu: granted.scuRole, scp: granted.scpRole });
    }
    items.push({ id: pc.id, result: PRESENTATION_CONTEXT_RESULT.ACCEPTANCE, transferSyntax });
    contexts.push({
      id: pc.id,
      abstractSyntax: pc.abstractSyntax,
      result: PRESENTATION_CONTEXT_RESULT.ACCEPTANCE,
      transferSyntax,
      roles,
    });
  }
  return { items, roleSelections: [...grantedRoles.values()], contexts };
}

/**
 * Reads the outcome of presentation context negotiation on the requestor
 * side, from the contexts and role selections it proposed and the
 * A-ASSOCIATE-AC items it received (PS3.8 §9.3.3.2, PS3.7 D.3.3.4).
 *
 * A context the acceptor did not answer counts as rejected with result 2.
 * A role the acceptor grants without it being proposed is not granted;
 * without a role selection answer for a SOP class the default roles apply.
 * An accepted context without a transfer syntax, or with one that was not
 * proposed, counts as rejected with result 2.
 *
 * @param proposed The Presentation Context Items sent.
 * @param proposedRoles The SCP/SCU Role Selection Sub-Items sent.
 * @param answer The Presentation Context Items of the A-ASSOCIATE-AC.
 * @param answerRoles The SCP/SCU Role Selection Sub-Items of the A-ASSOCIATE-AC.
 * @returns The outcome, one entry per proposed context in the proposed order.
 *
 * @example Read an answer
 * ```ts
 * import { readPresentationContextAnswer } from "@dcm/net/association";
 * import { Uid } from "@dcm/net/dictionary";
 * import { deepEqual } from "node:assert/strict";
 *
 * const [context] = readPresentationContextAnswer(
 *   [{ id: 1, abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ImplicitVRLittleEndian] }],
 *   [],
 *   [{ id: 1, result: 0, transferSyntax: Uid.ImplicitVRLittleEndian }],
 *   [],
 * );
 * deepEqual(context?.transferSyntax, Uid.ImplicitVRLittleEndian);
 * deepEqual(context?.roles.requestor, { scu: true, scp: false });
 * ```
 */
export function readPresentationContextAnswer(
  proposed: readonly PresentationContextRq[],
  proposedRoles: readonly RoleSelection[],
  answer: readonly PresentationContextAc[],
  answerRoles: readonly RoleSelection[],
): NegotiatedPresentationContext[] {
  const answers = new Map(answer.map((item) => [item.id, item] as const));
  return proposed.map((pc): NegotiatedPresentationContext => {
    const item = answers.get(pc.id);
    const accepted = item !== undefined &&
      item.result === PRESENTATION_CONTEXT_RESULT.ACCEPTANCE &&
      item.transferSyntax !== undefined && pc.transferSyntaxes.includes(item.transferSyntax);
    if (!accepted) {
      const result = item === undefined || item.result === PRESENTATION_CONTEXT_RESULT.ACCEPTANCE
        ? PRESENTATION_CONTEXT_RESULT.NO_REASON
        : item.result;
      return { id: pc.id, abstractSyntax: pc.abstractSyntax, result, roles: DEFAULT_ROLES };
    }
    const proposal = proposedRoles.find((r) => r.sopClassUid === pc.abstractSyntax);
    const granted = answerRoles.find((r) => r.sopClassUid === pc.abstractSyntax);
    const roles = proposal !== undefined && granted !== undefined
      ? rolesOf({
        scu: proposal.scuRole && granted.scuRole,
        scp: proposal.scpRole && granted.scpRole,
      })
      : DEFAULT_ROLES;
    return {
      id: pc.id,
      abstractSyntax: pc.abstractSyntax,
      result: PRESENTATION_CONTEXT_RESULT.ACCEPTANCE,
      transferSyntax: item.transferSyntax,
      roles,
    } as NegotiatedPresentationContext;
  });
}

/** The default window when none is negotiated: synchronous operation (PS3.7 D.3.3.3). */
export const DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW: AsynchronousOperationsWindow = {
  maxOperationsInvoked: 1,
  maxOperationsPerformed: 1,
};

function minLimit(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

/**
 * Computes the acceptor's Asynchronous Operations Window answer (PS3.7
 * D.3.3.3): each proposed value negotiated down to the acceptor's limit, 0
 * meaning unlimited on either side. Returns `undefined` when the request had
 * no window, since the answer must then omit it.
 *
 * @param proposed The window of the A-ASSOCIATE-RQ, if any.
 * @param limits The most the acceptor allows for each value.
 * @returns The window to put in the A-ASSOCIATE-AC, or `undefined`.
 *
 * @example Negotiate an unlimited proposal down
 * ```ts
 * import { negotiateAsynchronousOperationsWindow } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(
 *   negotiateAsynchronousOperationsWindow(
 *     { maxOperationsInvoked: 0, maxOperationsPerformed: 5 },
 *     { maxOperationsInvoked: 4, maxOperationsPerformed: 0 },
 *   ),
 *   { maxOperationsInvoked: 4, maxOperationsPerformed: 5 },
 * );
 * ```
 */
export function negotiateAsynchronousOperationsWindow(
  proposed: AsynchronousOperationsWindow | undefined,
  limits: AsynchronousOperationsWindow,
): AsynchronousOperationsWindow | undefined {
  if (proposed === undefined) return undefined;
  return {
    maxOperationsInvoked: minLimit(proposed.maxOperationsInvoked, limits.maxOperationsInvoked),
    maxOperationsPerformed: minLimit(
      proposed.maxOperationsPerformed,
      limits.maxOperationsPerformed,
    ),
  };
}

/**
 * The window in effect once the association is established, from the
 * requestor's point of view (PS3.7 D.3.3.3): the acceptor's answer
 * (clamped to what was proposed), or 1/1 when either side left it out.
 *
 * @param proposed The window of the A-ASSOCIATE-RQ, if any.
 * @param answered The window of the A-ASSOCIATE-AC, if any.
 * @returns The negotiated window.
 *
 * @example No window proposed means synchronous operation
 * ```ts
 * import { readAsynchronousOperationsWindow } from "@dcm/net/association";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(readAsynchronousOperationsWindow(undefined, undefined), {
 *   maxOperationsInvoked: 1,
 *   maxOperationsPerformed: 1,
 * });
 * ```
 */
export function readAsynchronousOperationsWindow(
  proposed: AsynchronousOperationsWindow | undefined,
  answered: AsynchronousOperationsWindow | undefined,
): AsynchronousOperationsWindow {
  if (proposed === undefined || answered === undefined) {
    return DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW;
  }
  return negotiateAsynchronousOperationsWindow(proposed, answered) ??
    DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW;
}
