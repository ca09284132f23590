/**
 * Reading the identifiers of C-FIND, C-MOVE and C-GET (PS3.4 C.4), as the
 * SCP receives them in requests and the SCU in responses, and the relational
 * query agreement both sides read the same way.
 *
 * @module
 */
import type { Association } from "../association/mod.ts";
import { ByteQueue, type Dataset, decodeDataset, inflateRawStream } from "../dataset/mod.ts";
import { transferSyntaxInfo, Uid } from "../dictionary/mod.ts";
import { DicomError } from "../errors.ts";

/**
 * The largest identifier read by default, in bytes (after inflation when
 * deflated): far beyond any real query or match, small enough that a peer
 * cannot make us hold gigabytes.
 */
export const DEFAULT_MAX_IDENTIFIER_LENGTH: number = 4 << 20;

/** Options of {@linkcode readIdentifier}. */
export interface ReadIdentifierOptions {
  /**
   * The most bytes the identifier may have, inflated; more is an
   * {@linkcode IdentifierTooLargeError}, and reading stops there.
   *
   * @default {DEFAULT_MAX_IDENTIFIER_LENGTH}
   */
  maxLength?: number;
}

/** An identifier longer than the limit it was read with. */
export class IdentifierTooLargeError extends DicomError {
  /** The limit, in bytes. */
  readonly maxLength: number;

  /**
   * Constructs a new instance.
   *
   * @param maxLength The limit that was passed.
   * @param deflated Whether the bytes were inflated.
   */
  constructor(maxLength: number, deflated: boolean) {
    super(`The identifier is longer than ${maxLength} bytes${deflated ? " inflated" : ""}`);
    this.name = "IdentifierTooLargeError";
    this.maxLength = maxLength;
  }
}

/** Gathers a stream's bytes, up to `max`; cancels the stream and throws past it. */
async function gather(
  stream: ReadableStream<Uint8Array>,
  max: number,
  deflated: boolean,
): Promise<Uint8Array> {
  const queue = new ByteQueue();
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return queue.take(queue.length);
      queue.push(value);
      if (queue.length > max) throw new IdentifierTooLargeError(max, deflated);
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Decodes an identifier received in `transferSyntax`: read whole from a
 * stream or bytes, inflated first when the syntax is deflated (PS3.5 A.5),
 * and no longer than `options.maxLength` either way: reading (and
 * inflating) stops at the limit.
 *
 * @example Decode an identifier received as bytes
 * ```ts
 * import { readIdentifier } from "./mod.ts";
 * import { encodeDataset, Dataset } from "../dataset/mod.ts";
 * import { Tag, Uid } from "../dictionary/mod.ts";
 *
 * const bytes = encodeDataset(new Dataset().set(Tag.PatientID, "1234"), {
 *   transferSyntax: Uid.ImplicitVRLittleEndian,
 * });
 * const identifier = await readIdentifier(bytes, Uid.ImplicitVRLittleEndian);
 * console.log(identifier.string(Tag.PatientID)); // "1234"
 * ```
 *
 * @throws {DicomDecodeError} when the bytes are not a data set.
 * @throws {IdentifierTooLargeError} past `options.maxLength`.
 */
export async function readIdentifier(
  data: Uint8Array | ReadableStream<Uint8Array>,
  transferSyntax: string,
  options: ReadIdentifierOptions = {},
): Promise<Dataset> {
  const max = options.maxLength ?? DEFAULT_MAX_IDENTIFIER_LENGTH;
  const deflated = transferSyntaxInfo(transferSyntax)?.deflated === true;
  let bytes: Uint8Array;
  if (deflated) {
    const source = data instanceof Uint8Array
      ? new Blob([data as Uint8Array<ArrayBuffer>]).stream()
      : data;
    bytes = await gather(inflateRawStream(source), max, true);
  } else if (data instanceof Uint8Array) {
    if (data.length > max) throw new IdentifierTooLargeError(max, false);
    bytes = data;
  } else {
    bytes = await gather(data, max, false);
  }
  return decodeDataset(bytes, {
    transferSyntax: deflated ? Uid.ExplicitVRLittleEndian : transferSyntax,
  });
}

/**
 * Whether relational queries (or retrieval) were agreed for `sopClass` on
 * `association`: byte 0 of the accepted SOP Class Extended Negotiation is 1
 * (PS3.4 C.5.1.1.1). Read the same way by the SCP and the SCU.
 *
 * @example An association that negotiated nothing is hierarchical
 * ```ts
 * import { isRelational } from "./mod.ts";
 * import type { Association } from "../association/mod.ts";
 *
 * const association = { sopClassExtendedNegotiations: [] } as unknown as Association;
 * console.log(isRelational(association, "1.2.840.10008.5.1.4.1.2.2.1")); // false
 * ```
 */
export function isRelational(association: Association, sopClass: string): boolean {
  const answer = association.sopClassExtendedNegotiations.find((n) => n.sopClassUid === sopClass);
  return answer?.serviceClassApplicationInformation[0] === 1;
}
