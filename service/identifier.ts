/**
 * Reading the identifiers of C-FIND, C-MOVE and C-GET (PS3.4 C.4), as the
 * SCP receives them in requests and the SCU in responses, and the relational
 * query agreement both sides read the same way.
 *
 * @module
 */
import type { Association } from "../association/mod.ts";
import { type Dataset, decodeDataset, inflateRaw } from "../dataset/mod.ts";
import { transferSyntaxInfo, Uid } from "../dictionary/mod.ts";

/**
 * Decodes an identifier received in `transferSyntax`: read whole from a
 * stream or bytes, inflated first when the syntax is deflated (PS3.5 A.5).
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
 */
export async function readIdentifier(
  data: Uint8Array | ReadableStream<Uint8Array>,
  transferSyntax: string,
): Promise<Dataset> {
  let bytes = data instanceof Uint8Array
    ? data
    : new Uint8Array(await new Response(data).arrayBuffer());
  const deflated = transferSyntaxInfo(transferSyntax)?.deflated === true;
  if (deflated) bytes = await inflateRaw(bytes);
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
