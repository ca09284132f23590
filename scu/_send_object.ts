// Choosing the presentation context and the bytes for one object to send by
// C-STORE, converting between uncompressed transfer syntaxes when the peer
// refused the object's own. Shared by store() and the C-GET / C-MOVE SCP.
import type { Association, NegotiatedPresentationContext } from "../association/mod.ts";
import { type Dataset, deflateDataset, encodeDataset, readPart10 } from "../dataset/mod.ts";
import { transferSyntaxInfo } from "../dictionary/mod.ts";
import type { OutgoingDataset } from "../dimse/mod.ts";

const UNCOMPRESSED = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2"];

/** An object to send: a file or a data set, with the facts read from it. */
export interface SendableObject {
  /** For messages: the path or a description. */
  readonly name: string;
  /** SOP Class UID. */
  readonly sopClassUid: string;
  /** Transfer syntax of the file, or the one to encode a data set in. */
  readonly transferSyntax: string;
  /** The file to stream, or */
  readonly path?: string | undefined;
  /** the data set to encode. */
  readonly dataset?: Dataset | undefined;
}

/** What to send on which context. */
export interface PreparedObject {
  /** The presentation context to send on. */
  readonly contextId: number;
  /** Its transfer syntax. */
  readonly transferSyntax: string;
  /** The data set: a stream from the file, or encoded bytes. */
  readonly data: OutgoingDataset;
  /** Byte size when known in advance. */
  readonly size: number | undefined;
}

/**
 * Picks the accepted context for an object (its own transfer syntax first,
 * else an uncompressed one to convert to) among those `usable` allows, and
 * opens its data.
 *
 * @throws {Error} naming the object when no usable context fits.
 */
export async function prepareObject(
  association: Association,
  object: SendableObject,
  usable: (context: NegotiatedPresentationContext) => boolean = () => true,
): Promise<PreparedObject> {
  const sop = object.sopClassUid;
  const ts = object.transferSyntax;
  const candidates = association.acceptedContexts.filter((c) =>
    c.abstractSyntax === sop && usable(c)
  );
  const own = candidates.find((c) => c.transferSyntax === ts);
  if (own) {
    if (object.dataset) {
      return { contextId: own.id, transferSyntax: ts, data: object.dataset, size: undefined };
    }
    const file = await Deno.open(object.path!);
    const { rest } = await readPart10(file.readable, { stopBefore: 0 });
    return {
      contextId: own.id,
      transferSyntax: ts,
      data: rest ?? new Uint8Array(0),
      size: undefined,
    };
  }
  // Native data converts to any uncompressed syntax, deflated included (PS3.5 §A.5).
  const native = (uid: string) =>
    UNCOMPRESSED.includes(uid) || transferSyntaxInfo(uid)?.deflated === true;
  const target = native(ts) ? candidates.find((c) => native(c.transferSyntax ?? "")) : undefined;
  if (!target) {
    const offered = association.presentationContexts.filter((c) => c.abstractSyntax === sop);
    const why = offered.length === 0
      ? "no context was negotiated for its SOP class"
      : candidates.length === 0
      ? "the peer accepted no usable context for its SOP class"
      : "the peer accepted neither its transfer syntax nor an uncompressed one";
    throw new Error(`Cannot send ${object.name} (${sop}, ${ts}): ${why}`);
  }
  const dataset = object.dataset ?? (await readPart10(await Deno.readFile(object.path!))).dataset;
  let bytes = encodeDataset(dataset, { transferSyntax: target.transferSyntax! });
  if (transferSyntaxInfo(target.transferSyntax!)?.deflated) bytes = await deflateDataset(bytes);
  return {
    contextId: target.id,
    transferSyntax: target.transferSyntax!,
    data: bytes,
    size: bytes.length,
  };
}
