// C-FIND response identifiers encoded cheaply (issue 13): what responseFor()
// builds (PS3.4 §C.4.1.1.3.2), written straight into bytes in the
// presentation context's transfer syntax. What every response of a query
// shares (the Query/Retrieve Level, the Retrieve AE Title, the empty keys)
// is encoded once per query; a record's values are copied as they were read
// (PS3.5 §7.1.2 and §7.1.3 element headers: the one header writer here that
// duplicates dataset/encode.ts's, which is not exported). Anything else
// (sequences, values set through the API, other syntaxes) takes the general
// encoder.
import { Tag, Uid } from "../dictionary/mod.ts";
import {
  type DataElement,
  Dataset,
  encodeDataset,
  hasLongHeader,
  type QueryLevel,
  type Vr,
} from "../dataset/mod.ts";
import { responseFor } from "./_query.ts";

/**
 * One element of every response: bytes of its own, or the record's element
 * of that tag (`absent`: the bytes when the record has none).
 */
type Slot = { readonly tag: number; readonly fixed: Uint8Array } | {
  readonly tag: number;
  readonly fixed?: undefined;
  readonly absent: Uint8Array;
};

/**
 * Encodes the response identifiers of one C-FIND query: `encode(record)`
 * gives the bytes `encodeDataset(responseFor(query, record, level,
 * aeTitle))` gives, or that data set when the record holds what only the
 * general encoder writes.
 */
export class FindResponseEncoder {
  readonly #query: Dataset;
  readonly #level: QueryLevel;
  readonly #aeTitle: string;
  readonly #explicit: boolean;
  readonly #slots: Slot[] | undefined;

  constructor(query: Dataset, level: QueryLevel, aeTitle: string, transferSyntax: string) {
    this.#query = query;
    this.#level = level;
    this.#aeTitle = aeTitle;
    this.#explicit = transferSyntax === Uid.ExplicitVRLittleEndian;
    const fast = this.#explicit || transferSyntax === Uid.ImplicitVRLittleEndian;
    this.#slots = fast ? this.#plan(query, transferSyntax) : undefined;
  }

  /** The slots of every response, in tag order, as responseFor() fills them. */
  #plan(query: Dataset, transferSyntax: string): Slot[] {
    // Once per query: each element as the general encoder writes it.
    const alone = (tag: number, value: string | [] | null, vr: Vr) =>
      encodeDataset(new Dataset().set(tag, value, vr), { transferSyntax });
    // The record's Specific Character Set goes with the values it decodes.
    const slots: Slot[] = [{ tag: Tag.SpecificCharacterSet, absent: new Uint8Array(0) }];
    for (const key of query) {
      const tag = key.tag;
      if (tag === Tag.SpecificCharacterSet || (tag & 0xffff) === 0) continue;
      if (tag === Tag.QueryRetrieveLevel) {
        slots.push({ tag, fixed: alone(tag, this.#level, "CS") });
      } else if (tag === Tag.RetrieveAETitle) {
        slots.push({ tag, fixed: alone(tag, this.#aeTitle, "AE") });
      } else if (key.kind === "sequence") {
        slots.push({ tag, absent: alone(tag, [], "SQ") });
      } else {
        slots.push({ tag, absent: alone(tag, null, key.vr) });
      }
    }
    // Elements go in ascending tag order (PS3.5 §7.1).
    return slots.sort((a, b) => a.tag - b.tag);
  }

  /** The response identifier of a matching record. */
  encode(record: Dataset): Uint8Array | Dataset {
    const slots = this.#slots;
    if (slots === undefined) return this.#general(record);
    const parts: (Uint8Array | DataElement)[] = [];
    let length = 0;
    for (const slot of slots) {
      if (slot.fixed !== undefined) {
        parts.push(slot.fixed);
        length += slot.fixed.length;
        continue;
      }
      const have = record.get(slot.tag);
      if (have === undefined) {
        parts.push(slot.absent);
        length += slot.absent.length;
        continue;
      }
      // A value as read, of even length, that fits its header: copied; anything else is general.
      if (have.kind !== "bytes" || (have.bytes.length & 1) !== 0) return this.#general(record);
      const long = !this.#explicit || hasLongHeader(have.vr);
      if (!long && have.bytes.length > 0xffff) return this.#general(record);
      parts.push(have);
      length += (this.#explicit && long ? 12 : 8) + have.bytes.length;
    }
    const out = new Uint8Array(length);
    const view = new DataView(out.buffer);
    let pos = 0;
    for (const part of parts) {
      if (part instanceof Uint8Array) {
        out.set(part, pos);
        pos += part.length;
        continue;
      }
      const el = part as DataElement & { kind: "bytes" };
      view.setUint16(pos, el.tag >>> 16, true);
      view.setUint16(pos + 2, el.tag & 0xffff, true);
      pos += 4;
      if (!this.#explicit) {
        view.setUint32(pos, el.bytes.length, true);
        pos += 4;
      } else {
        out[pos] = el.vr.charCodeAt(0);
        out[pos + 1] = el.vr.charCodeAt(1);
        if (hasLongHeader(el.vr)) {
          view.setUint32(pos + 4, el.bytes.length, true); // bytes 2-3 reserved, zero
          pos += 8;
        } else {
          view.setUint16(pos + 2, el.bytes.length, true);
          pos += 4;
        }
      }
      out.set(el.bytes, pos);
      pos += el.bytes.length;
    }
    return out;
  }

  #general(record: Dataset): Dataset {
    return responseFor(this.#query, record, this.#level, this.#aeTitle);
  }
}
