/**
 * P-DATA-TF PDUs written straight into a caller's buffer (PS3.8 §9.3.5
 * Table 9-22, Table 9-23, Annex E.2), so that several PDUs of a message
 * can share one buffer and one write with a single copy of their data.
 * The same bytes as {@linkcode encodePdu}.
 *
 * @module
 */
import { MESSAGE_CONTROL_HEADER, PDU_TYPE_CODES, PDV_HEADER_LENGTH } from "./constants.ts";
import type { PDataTfPdu } from "./types.ts";

/** PDU-type, reserved and PDU-length (PS3.8 Table 9-22 bytes 1–6). */
const PDU_HEADER_LENGTH = 6;

/**
 * The encoded size of a P-DATA-TF PDU, header included: the room
 * {@linkcode writePDataTf} needs.
 *
 * @example Two PDUs in one buffer, as {@linkcode encodePdu} would write each
 * ```ts
 * import { encodePdu, pDataTfLength, type PDataTfPdu, writePDataTf } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * const pdu: PDataTfPdu = {
 *   type: "P-DATA-TF",
 *   values: [{ presentationContextId: 1, isCommand: true, isLastFragment: true, data: new Uint8Array([0xaa]) }],
 * };
 * const out = new Uint8Array(2 * pDataTfLength(pdu));
 * const end = writePDataTf(pdu, out, writePDataTf(pdu, out, 0));
 * deepEqual(end, out.length);
 * deepEqual(out.subarray(0, end / 2), encodePdu(pdu));
 * ```
 *
 * @param pdu The PDU.
 * @returns Its size in bytes.
 * @throws {RangeError} If it has no presentation data value.
 */
export function pDataTfLength(pdu: PDataTfPdu): number {
  if (pdu.values.length === 0) {
    throw new RangeError("Cannot encode P-DATA-TF: it needs at least one presentation data value");
  }
  let length = PDU_HEADER_LENGTH;
  for (const value of pdu.values) length += PDV_HEADER_LENGTH + value.data.length;
  return length;
}

/**
 * Writes a P-DATA-TF PDU at `offset` of `out`, the bytes
 * {@linkcode encodePdu} returns for it, so that several PDUs share one
 * buffer (and one write) with one copy of their data. See
 * {@linkcode pDataTfLength} for an example.
 *
 * @param pdu The PDU, with at least one presentation data value.
 * @param out The buffer, with {@linkcode pDataTfLength} bytes of room at `offset`.
 * @param offset Where to write.
 * @returns The offset after the PDU.
 */
export function writePDataTf(pdu: PDataTfPdu, out: Uint8Array, offset: number): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const start = offset;
  out[offset] = PDU_TYPE_CODES["P-DATA-TF"];
  out[offset + 1] = 0;
  offset += PDU_HEADER_LENGTH;
  for (const value of pdu.values) {
    // Item-length counts the context ID and the message control header (Table 9-23).
    view.setUint32(offset, value.data.length + 2);
    out[offset + 4] = value.presentationContextId;
    out[offset + 5] = (value.isCommand ? MESSAGE_CONTROL_HEADER.COMMAND : 0) |
      (value.isLastFragment ? MESSAGE_CONTROL_HEADER.LAST_FRAGMENT : 0);
    out.set(value.data, offset + PDV_HEADER_LENGTH);
    offset += PDV_HEADER_LENGTH + value.data.length;
  }
  view.setUint32(start + 2, offset - start - PDU_HEADER_LENGTH);
  return offset;
}
