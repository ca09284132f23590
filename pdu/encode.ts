/**
 * The PDU encoder: {@linkcode encodePdu}.
 *
 * @module
 */

import { _encode, type _Writer } from "./_bytes.ts";
import { _writeAssociate } from "./_associate.ts";
import { MESSAGE_CONTROL_HEADER, PDU_TYPE_CODES } from "./constants.ts";
import type { PDataTfPdu, Pdu } from "./types.ts";

/**
 * Encodes a PDU to its bytes on the wire (PS3.8 §9.3). Every length field
 * is derived from the content; the size is computed first and the result is
 * allocated once. Items are written in increasing order of their type
 * (PS3.8 §9.3); AE titles are padded with spaces to 16 bytes; UIDs are
 * written without padding (PS3.8 §9.3.2.2.1, Annex F).
 *
 * @param pdu The PDU to encode.
 * @returns A new `Uint8Array` holding the PDU, header included.
 * @throws {RangeError} If a number does not fit its field, an AE title is
 * longer than 16 characters, an item is longer than 65535 bytes or a
 * P-DATA-TF has no presentation data value.
 * @throws {TypeError} If a text field has a character above U+00FF or
 * `pdu.type` is not a PDU type.
 *
 * @example Encode an A-RELEASE-RQ
 * ```ts
 * import { encodePdu } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(encodePdu({ type: "A-RELEASE-RQ" }), new Uint8Array([5, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
 * ```
 *
 * @example Encode a P-DATA-TF carrying the last fragment of a command
 * ```ts
 * import { encodePdu } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * const bytes = encodePdu({
 *   type: "P-DATA-TF",
 *   values: [{
 *     presentationContextId: 1,
 *     isCommand: true,
 *     isLastFragment: true,
 *     data: new Uint8Array([0xaa, 0xbb]),
 *   }],
 * });
 * // PDU header, PDV item length 4, context 1, control header 03H, fragment.
 * deepEqual(bytes, new Uint8Array([4, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1, 3, 0xaa, 0xbb]));
 * ```
 */
export function encodePdu(pdu: Pdu): Uint8Array {
  const code = PDU_TYPE_CODES[pdu.type];
  if (code === undefined) throw new TypeError(`Cannot encode PDU: unknown type "${pdu.type}"`);
  return _encode((w) => {
    // PS3.8 Table 9-11 (and 9-17 ... 9-26) bytes 1–6: PDU-type, reserved, PDU-length.
    w.u8(code, "PDU-type");
    w.zeros(1);
    const start = w.beginLength32();
    writeBody(w, pdu);
    w.endLength32(start, pdu.type);
  });
}

function writeBody(w: _Writer, pdu: Pdu): void {
  switch (pdu.type) {
    case "A-ASSOCIATE-RQ":
    case "A-ASSOCIATE-AC":
      _writeAssociate(w, pdu);
      return;
    case "A-ASSOCIATE-RJ": // PS3.8 Table 9-21 bytes 7–10.
      w.zeros(1);
      w.u8(pdu.result, "Result");
      w.u8(pdu.source, "Source");
      w.u8(pdu.reason, "Reason/Diag.");
      return;
    case "P-DATA-TF":
      writePresentationDataValues(w, pdu);
      return;
    case "A-RELEASE-RQ": // PS3.8 Table 9-24 bytes 7–10.
    case "A-RELEASE-RP": // PS3.8 Table 9-25 bytes 7–10.
      w.zeros(4);
      return;
    case "A-ABORT": // PS3.8 Table 9-26 bytes 7–10.
      w.zeros(2);
      w.u8(pdu.source, "Source");
      w.u8(pdu.reason, "Reason/Diag.");
      return;
  }
}

/** Presentation Data Value Items (PS3.8 §9.3.5.1 Table 9-23, Annex E.2). */
function writePresentationDataValues(w: _Writer, pdu: PDataTfPdu): void {
  if (pdu.values.length === 0) {
    throw new RangeError("Cannot encode P-DATA-TF: it needs at least one presentation data value");
  }
  for (const value of pdu.values) {
    const start = w.beginLength32(); // Item bytes 1–4: Item-length.
    w.u8(value.presentationContextId, "Presentation-context-ID"); // byte 5
    // Message control header, Annex E.2: bit 0 command, bit 1 last fragment.
    w.u8(
      (value.isCommand ? MESSAGE_CONTROL_HEADER.COMMAND : 0) |
        (value.isLastFragment ? MESSAGE_CONTROL_HEADER.LAST_FRAGMENT : 0),
      "message control header",
    );
    w.bytes(value.data);
    w.endLength32(start, "Presentation Data Value Item");
  }
}
