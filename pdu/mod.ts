/**
 * Pure codecs for the Protocol Data Units of the DICOM Upper Layer
 * protocol (PS3.8 §9.3): A-ASSOCIATE-RQ/AC/RJ, P-DATA-TF, A-RELEASE-RQ/RP
 * and A-ABORT, with every item and sub-item of PS3.8 §9.3 and PS3.7 Annex
 * D.3.3 (user information 51H–59H).
 *
 * - {@linkcode encodePdu} turns a {@linkcode Pdu} value into bytes, deriving
 *   every length and allocating once.
 * - {@linkcode decodePdu} turns bytes into a PDU, or says how many bytes it
 *   needs; malformed bytes throw a {@linkcode PduDecodeError}.
 * - {@linkcode PduDecoderStream} does the same for a byte stream of any
 *   chunking, rejecting oversize PDUs before buffering them.
 * - Code tables ({@linkcode REJECT_RESULT}, {@linkcode ABORT_REASON},
 *   {@linkcode PRESENTATION_CONTEXT_RESULT}, ...) and
 *   {@linkcode describeReject} / {@linkcode describeAbort} explain them.
 *
 * Nothing here does I/O, reads a clock or logs.
 *
 * @example Round-trip an A-ASSOCIATE-RQ
 * ```ts
 * import {
 *   type AssociateRqPdu,
 *   decodePdu,
 *   DICOM_APPLICATION_CONTEXT_NAME,
 *   encodePdu,
 *   PROTOCOL_VERSION,
 * } from "@dcm/net/pdu";
 * import { Uid } from "@dcm/net/dictionary";
 * import { deepEqual } from "node:assert/strict";
 *
 * const request: AssociateRqPdu = {
 *   type: "A-ASSOCIATE-RQ",
 *   protocolVersion: PROTOCOL_VERSION,
 *   calledAeTitle: "ANY-SCP",
 *   callingAeTitle: "ECHOSCU",
 *   applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
 *   presentationContexts: [{
 *     id: 1,
 *     abstractSyntax: Uid.Verification,
 *     transferSyntaxes: [Uid.ImplicitVRLittleEndian],
 *   }],
 *   userInformation: { maxPduLength: 16384, implementationClassUid: "1.2.3.4" },
 * };
 * const bytes = encodePdu(request);
 * deepEqual(decodePdu(bytes), { complete: true, pdu: request, byteLength: bytes.length });
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./decode.ts";
export * from "./decoder_stream.ts";
export * from "./describe.ts";
export * from "./framer.ts";
export * from "./encode.ts";
export * from "./p_data_writer.ts";
export * from "./errors.ts";
export type * from "./types.ts";
