/**
 * The PDU decoder: {@linkcode decodePdu}, which returns a PDU or says how
 * many bytes it needs, and never blocks or buffers.
 *
 * @module
 */

import { _hex, _Reader } from "./_bytes.ts";
import { _readAssociateAc, _readAssociateRq } from "./_associate.ts";
import {
  ABORT_SOURCE,
  type AbortSource,
  MESSAGE_CONTROL_HEADER,
  PDU_HEADER_LENGTH,
  PDU_TYPE_CODES,
  type PduType,
  PDV_HEADER_LENGTH,
  REJECT_RESULT,
  REJECT_SOURCE,
  type RejectResult,
  type RejectSource,
} from "./constants.ts";
import { PduDecodeError } from "./errors.ts";
import type { PDataTfPdu, Pdu, PresentationDataValue } from "./types.ts";

/**
 * Default of {@linkcode DecodePduOptions.maxPduLength}: 16 MiB, far above
 * the Maximum Length any implementation advertises (DCMTK accepts at most
 * 128 KiB) yet small enough that a hostile header cannot make a receiver
 * allocate gigabytes.
 */
export const DEFAULT_DECODE_MAX_PDU_LENGTH: number = 16 * 1024 * 1024;

/**
 * Default of {@linkcode DecodePduOptions.maxAssociatePduLength}: 1 MiB,
 * enough for 128 presentation contexts with dozens of transfer syntaxes each.
 */
export const DEFAULT_MAX_ASSOCIATE_PDU_LENGTH: number = 1024 * 1024;

/** Options of {@linkcode decodePdu} and {@linkcode PduDecoderStream}. */
export interface DecodePduOptions {
  /**
   * The largest PDU-length (the bytes after the 6-byte header) accepted for
   * a P-DATA-TF PDU: normally the Maximum Length this side advertised in
   * its 51H sub-item (PS3.8 Annex D.1), whose semantics it shares. `0`
   * means no limit, as in the 51H sub-item. A larger declared length fails
   * with a {@linkcode PduDecodeError} of code `"oversize"` as soon as the
   * 6-byte header is seen, before the body is buffered.
   *
   * @default {DEFAULT_DECODE_MAX_PDU_LENGTH}
   */
  maxPduLength?: number;
  /**
   * The largest PDU-length accepted for an A-ASSOCIATE-RQ or -AC, which the
   * negotiated Maximum Length does not bound. `0` means no limit.
   * A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT have a fixed PDU-length of 4.
   *
   * @default {DEFAULT_MAX_ASSOCIATE_PDU_LENGTH}
   */
  maxAssociatePduLength?: number;
}

/** A whole PDU was decoded. */
export interface PduDecoded {
  /** Discriminant: a PDU was decoded. */
  readonly complete: true;
  /** The decoded PDU. P-DATA-TF fragments are views into the input. */
  readonly pdu: Pdu;
  /** Bytes the PDU took from `offset`: 6 plus its PDU-length. */
  readonly byteLength: number;
}

/** The input ends before the PDU does; nothing was consumed. */
export interface PduIncomplete {
  /** Discriminant: more bytes are needed. */
  readonly complete: false;
  /**
   * Bytes needed from `offset` before the next call can make progress: 6
   * while the header is incomplete, then 6 plus the PDU-length.
   */
  readonly needed: number;
}

/** What {@linkcode decodePdu} returns: a PDU, or how many bytes it needs. */
export type PduDecodeResult = PduDecoded | PduIncomplete;

const PDU_TYPES: ReadonlyMap<number, PduType> = new Map(
  Object.entries(PDU_TYPE_CODES).map(([name, code]) => [code, name as PduType]),
);

/**
 * Decodes the PDU that starts at `offset` of `bytes` (PS3.8 §9.3).
 *
 * Incomplete input is not an error: the result then says how many bytes are
 * needed. Malformed input throws. The header is checked as soon as it is
 * there: an unknown PDU type (first byte) or a PDU-length above the limits
 * of `options` fails before the body arrives, so a caller never buffers an
 * oversize PDU. Reserved fields are not tested (PS3.8 §9.3.2 and after).
 *
 * @param bytes Bytes received, possibly holding several PDUs or part of one.
 * @param offset Where the PDU starts in `bytes`.
 * @param options Limits on the declared PDU-length.
 * @returns The PDU and its size in bytes, or the number of bytes needed.
 * @throws {PduDecodeError} If the bytes are not a valid PDU; its `offset`
 * is the position in `bytes` of the offending field and its `code` says
 * whether the type is unknown, the PDU too long, the protocol version
 * unsupported or the PDU otherwise malformed.
 * @throws {RangeError} If `offset` or an option is out of range.
 *
 * @example Decode a PDU, then find the next one incomplete
 * ```ts
 * import { decodePdu } from "@dcm/net/pdu";
 * import { deepEqual } from "node:assert/strict";
 *
 * const bytes = new Uint8Array([7, 0, 0, 0, 0, 4, 0, 0, 2, 6, 5, 0, 0]);
 * const result = decodePdu(bytes);
 * deepEqual(result, {
 *   complete: true,
 *   pdu: { type: "A-ABORT", source: 2, reason: 6 },
 *   byteLength: 10,
 * });
 * deepEqual(decodePdu(bytes, 10), { complete: false, needed: 6 });
 * ```
 *
 * @example Reject a PDU longer than the local limit from its header alone
 * ```ts
 * import { decodePdu, PduDecodeError } from "@dcm/net/pdu";
 * import { throws } from "node:assert/strict";
 *
 * // A P-DATA-TF header declaring 4 GiB - 1 bytes.
 * const header = new Uint8Array([4, 0, 0xff, 0xff, 0xff, 0xff]);
 * throws(() => decodePdu(header, 0, { maxPduLength: 16384 }), PduDecodeError);
 * ```
 */
export function decodePdu(
  bytes: Uint8Array,
  offset = 0,
  options: DecodePduOptions = {},
): PduDecodeResult {
  if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new RangeError(`Cannot decode PDU: offset ${offset} is outside 0–${bytes.length}`);
  }
  const available = bytes.length - offset;
  if (available === 0) return { complete: false, needed: PDU_HEADER_LENGTH };
  const type = PDU_TYPES.get(bytes[offset]!);
  if (type === undefined) {
    throw new PduDecodeError(
      `Cannot decode PDU: unknown PDU type ${_hex(bytes[offset]!)}`,
      offset,
      { code: "unknown-pdu-type" },
    );
  }
  if (available < PDU_HEADER_LENGTH) return { complete: false, needed: PDU_HEADER_LENGTH };
  const r = new _Reader(bytes, type);
  const length = r.u32(offset + 2);
  checkLength(r, type, length, offset + 2, options);
  const byteLength = PDU_HEADER_LENGTH + length;
  if (available < byteLength) return { complete: false, needed: byteLength };
  const pdu = readBody(r, type, offset + PDU_HEADER_LENGTH, offset + byteLength);
  return { complete: true, pdu, byteLength };
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`Cannot decode PDU: ${name} ${value} is not a non-negative integer`);
  }
  return value === 0 ? Infinity : value;
}

/** Checks the PDU-length (bytes 3–6) against the PDU type and the local limits. */
function checkLength(
  r: _Reader,
  type: PduType,
  length: number,
  at: number,
  options: DecodePduOptions,
): void {
  let max: number;
  switch (type) {
    case "A-ASSOCIATE-RQ":
    case "A-ASSOCIATE-AC":
      max = limit(
        options.maxAssociatePduLength,
        DEFAULT_MAX_ASSOCIATE_PDU_LENGTH,
        "maxAssociatePduLength",
      );
      break;
    case "P-DATA-TF":
      max = limit(options.maxPduLength, DEFAULT_DECODE_MAX_PDU_LENGTH, "maxPduLength");
      break;
    default:
      // PS3.8 Tables 9-21, 9-24, 9-25, 9-26: "fixed value of 00000004H".
      if (length !== 4) r.fail(`PDU length ${length} is not the fixed 4`, at);
      return;
  }
  if (length > max) r.fail(`PDU length ${length} exceeds the limit of ${max}`, at, "oversize");
}

// The codes PS3.8 defines; any other value is malformed. A-ABORT's source 1
// is reserved but defined, so it is accepted.
const REJECT_RESULTS: ReadonlySet<number> = new Set(Object.values(REJECT_RESULT));
const REJECT_SOURCES: ReadonlySet<number> = new Set(Object.values(REJECT_SOURCE));
const ABORT_SOURCES: ReadonlySet<number> = new Set(Object.values(ABORT_SOURCE));

function readBody(r: _Reader, type: PduType, start: number, end: number): Pdu {
  switch (type) {
    case "A-ASSOCIATE-RQ":
      return _readAssociateRq(r, start, end);
    case "A-ASSOCIATE-AC":
      return _readAssociateAc(r, start, end);
    case "A-ASSOCIATE-RJ": { // PS3.8 Table 9-21 bytes 7–10.
      const result = r.u8(start + 1);
      const source = r.u8(start + 2);
      if (!REJECT_RESULTS.has(result)) r.fail(`result ${result} is not 1 or 2`, start + 1);
      if (!REJECT_SOURCES.has(source)) r.fail(`source ${source} is not 1, 2 or 3`, start + 2);
      return {
        type,
        result: result as RejectResult,
        source: source as RejectSource,
        reason: r.u8(start + 3),
      };
    }
    case "P-DATA-TF":
      return readPresentationDataValues(r, start, end);
    case "A-RELEASE-RQ":
    case "A-RELEASE-RP":
      return { type };
    case "A-ABORT": { // PS3.8 Table 9-26 bytes 7–10.
      const source = r.u8(start + 2);
      if (!ABORT_SOURCES.has(source)) r.fail(`source ${source} is not 0, 1 or 2`, start + 2);
      return { type, source: source as AbortSource, reason: r.u8(start + 3) };
    }
  }
}

/**
 * Presentation Data Value Items (PS3.8 §9.3.5.1 Table 9-23) with their
 * message control header (Annex E.2). Fragments are views, not copies.
 */
function readPresentationDataValues(r: _Reader, start: number, end: number): PDataTfPdu {
  const values: PresentationDataValue[] = [];
  for (let at = start; at < end;) {
    r.need(at, 4, end, "a Presentation Data Value Item header");
    const length = r.u32(at);
    if (length < 2) {
      r.fail(`PDV item length ${length} is too short for its context ID and control header`, at);
    }
    if (length > end - at - 4) {
      r.fail(`PDV item length ${length} exceeds the ${end - at - 4} bytes left in the PDU`, at);
    }
    const header = r.u8(at + 5);
    values.push({
      presentationContextId: r.u8(at + 4),
      isCommand: (header & MESSAGE_CONTROL_HEADER.COMMAND) !== 0,
      isLastFragment: (header & MESSAGE_CONTROL_HEADER.LAST_FRAGMENT) !== 0,
      data: r.bytes.subarray(at + PDV_HEADER_LENGTH, at + 4 + length),
    });
    at += 4 + length;
  }
  if (values.length === 0) r.fail("no Presentation Data Value Item", start);
  return { type: "P-DATA-TF", values };
}
