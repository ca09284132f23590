/**
 * The DICOM association layer (PS3.8 §7 and §9.2): establishing, using,
 * releasing and aborting associations over TCP or any byte stream.
 *
 * - {@linkcode connect} (or {@linkcode requestAssociation} over any
 *   {@linkcode Transport}) requests an association: presentation contexts
 *   with optional SCP/SCU role selection, Maximum Length, asynchronous
 *   operations window, user identity and extended negotiation.
 * - {@linkcode acceptAssociation} answers one on a transport, with the
 *   negotiation rules of {@linkcode negotiatePresentationContexts} and
 *   injected policies for access control and user identity;
 *   {@linkcode serveAssociations} runs it for every TCP connection, with a
 *   limit on concurrent associations.
 * - An established {@linkcode Association} exposes the negotiated facts,
 *   sends and receives P-DATA-TF PDUs, releases (handling release
 *   collisions) and aborts.
 * - Both roles are driven by the PS3.8 state machine as data:
 *   {@linkcode TRANSITION_TABLE} (Table 9-10) and {@linkcode ACTIONS}
 *   (Tables 9-6 to 9-9), with the ARTIM timer.
 * - {@linkcode AssociationEvent}s report PDUs, transitions and outcomes to an
 *   `EventTarget` of your choice.
 *
 * @example Request and accept an association on the loopback interface
 * ```ts
 * import { connect, serveAssociations } from "@dcm/net/association";
 * import { Uid } from "@dcm/net/dictionary";
 * import { deepEqual } from "node:assert/strict";
 *
 * const { Verification: VERIFICATION, ImplicitVRLittleEndian: IMPLICIT_VR_LE } = Uid;
 *
 * await using server = serveAssociations({ hostname: "127.0.0.1", port: 0 }, async (association) => {
 *   for await (const pdu of association.pData) {
 *     // The DIMSE layer reassembles messages from pdu.values here.
 *   }
 * }, {
 *   supportedAbstractSyntaxes: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }],
 * });
 *
 * await using association = await connect("127.0.0.1", server.addr.port, {
 *   callingAeTitle: "ECHOSCU",
 *   calledAeTitle: "ANY-SCP",
 *   presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }],
 * });
 * deepEqual(association.findContext(VERIFICATION)?.transferSyntax, IMPLICIT_VR_LE);
 * await association.release();
 * ```
 *
 * @module
 */

export * from "./acceptor.ts";
export { Association, type AssociationCloseInfo } from "./association.ts";
export type { PDataConsumer } from "./_p_data_inbox.ts";
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./negotiation.ts";
export * from "./options.ts";
export * from "./requestor.ts";
export * from "./server.ts";
export * from "./state_machine.ts";
export * from "./transport.ts";

// The PDU model and code tables this layer's API speaks in (from `@dcm/net/pdu`).
export type * from "../pdu/types.ts";
export {
  ABORT_SOURCE,
  type AbortSource,
  PRESENTATION_CONTEXT_RESULT,
  type PresentationContextResult,
  REJECT_RESULT,
  REJECT_SOURCE,
  type RejectResult,
  type RejectSource,
} from "../pdu/mod.ts";
