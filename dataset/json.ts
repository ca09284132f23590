/**
 * The DICOM JSON Model (PS3.18 Annex F): data sets to and from JSON objects.
 *
 * @module
 */
import { formatTag, Tag } from "../dictionary/mod.ts";
import { Dataset } from "./dataset.ts";
import type { DataElement } from "./element.ts";
import { isTextVr, isVr, type Vr } from "./vr.ts";
import { encodeNumbers } from "./values.ts";

/** A PN value in JSON (PS3.18 §F.2.2): one string per component group. */
export interface JsonPersonName {
  /** The alphabetic (single-byte) representation. */
  Alphabetic?: string;
  /** The ideographic representation. */
  Ideographic?: string;
  /** The phonetic representation. */
  Phonetic?: string;
}

/** One attribute of a DICOM JSON object (PS3.18 §F.2.2). */
export interface JsonAttribute {
  /** The VR. */
  vr: string;
  /** The values, when the attribute has any and is not binary. */
  Value?: (string | number | JsonPersonName | JsonDataset | null)[];
  /** Base64 of the value bytes, for binary VRs (PS3.18 §F.2.7). */
  InlineBinary?: string;
  /** A reference to bulk data held elsewhere (PS3.18 §F.2.6); kept but not fetched. */
  BulkDataURI?: string;
}

/** A data set in the DICOM JSON Model: attributes keyed by 8 upper-case hex digits. */
export type JsonDataset = { [tag: string]: JsonAttribute };

const NUMERIC: ReadonlySet<Vr> = new Set<Vr>([
  "DS",
  "FL",
  "FD",
  "IS",
  "SL",
  "SS",
  "UL",
  "US",
  "SV",
  "UV",
]);
const BINARY: ReadonlySet<Vr> = new Set<Vr>(["OB", "OD", "OF", "OL", "OV", "OW", "UN"]);

function hex8(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(8, "0");
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The encapsulated encoding of pixel data fragments (PS3.5 §A.4), for InlineBinary. */
function encapsulated(el: DataElement & { kind: "fragments" }): Uint8Array {
  const parts = [el.offsetTable, ...el.fragments];
  const size = parts.reduce((n, p) => n + 8 + p.length + (p.length & 1), 8);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const tag = (at: number, t: number) => {
    v.setUint16(at, t >>> 16, true);
    v.setUint16(at + 2, t & 0xffff, true);
  };
  let pos = 0;
  for (const p of parts) {
    tag(pos, Tag.Item);
    v.setUint32(pos + 4, p.length + (p.length & 1), true);
    out.set(p, pos + 8);
    pos += 8 + p.length + (p.length & 1);
  }
  tag(pos, Tag.SequenceDelimitationItem);
  return out;
}

function attribute(ds: Dataset, el: DataElement): JsonAttribute {
  const vr = el.vr;
  switch (el.kind) {
    case "sequence":
      return el.items.length
        ? { vr: "SQ", Value: el.items.map((i) => toDicomJson(i)) }
        : { vr: "SQ" };
    case "fragments":
      return { vr, InlineBinary: base64(encapsulated(el)) };
  }
  if (BINARY.has(vr)) {
    // Values set through the API (e.g. OW from numbers) are binary all the same (PS3.18 §F.2.7).
    const bytes = el.kind === "bytes" ? el.bytes : encodeNumbers(vr, el.values);
    return bytes.length ? { vr, InlineBinary: base64(bytes) } : { vr };
  }
  const strings = ds.strings(el.tag);
  if (strings.length === 0) return { vr };
  let Value: JsonAttribute["Value"];
  if (vr === "PN") {
    Value = strings.map((s) => {
      if (s === "") return null;
      const [a, i, p] = s.split("=");
      const pn: JsonPersonName = {};
      if (a) pn.Alphabetic = a;
      if (i) pn.Ideographic = i;
      if (p) pn.Phonetic = p;
      return pn;
    });
  } else if (vr === "AT") {
    Value = ds.numbers(el.tag).map(hex8);
  } else if (NUMERIC.has(vr)) {
    Value = strings.map((s) => {
      if (s === "") return null;
      const n = Number(s);
      if (!Number.isFinite(n)) return s;
      // PS3.18 §F.2.3.1: 64-bit integers beyond 2^53 are written as strings.
      return (vr === "SV" || vr === "UV") && !Number.isSafeInteger(n) ? s : n;
    });
  } else {
    Value = strings.map((s) => (s === "" ? null : s));
  }
  return { vr, Value };
}

/**
 * Converts a data set to the DICOM JSON Model; binary values become
 * `InlineBinary`, encapsulated pixel data its encapsulated encoding.
 *
 * @example
 * ```ts
 * import { Dataset, toDicomJson } from "./mod.ts";
 * const json = toDicomJson(new Dataset().set("PatientID", "1234"));
 * console.log(JSON.stringify(json)); // {"00100020":{"vr":"LO","Value":["1234"]}}
 * ```
 */
export function toDicomJson(ds: Dataset): JsonDataset {
  const out: JsonDataset = {};
  for (const el of ds) {
    // Group lengths (gggg,0000) are not data: PS3.18 F.2 and dcm2json leave them out.
    if ((el.tag & 0xffff) === 0) continue;
    out[hex8(el.tag)] = attribute(ds, el);
  }
  return out;
}

/**
 * Builds a data set from the DICOM JSON Model. `BulkDataURI` attributes are
 * kept as empty values, since their data is elsewhere. A `null` among the
 * values of a binary VR (US, FL, AT...) is left out, as such a value has no
 * empty form; in text VRs it is an empty value (PS3.18 §F.2.5).
 *
 * @throws {TypeError} for a key that is not 8 hex digits, an unknown VR or a value of the wrong shape.
 */
export function fromDicomJson(json: JsonDataset, parent?: Dataset): Dataset {
  const ds = new Dataset(parent ? { parent } : {});
  for (const [key, attr] of Object.entries(json)) {
    if (!/^[0-9A-Fa-f]{8}$/.test(key)) {
      throw new TypeError(`Cannot read DICOM JSON key "${key}": not 8 hex digits`);
    }
    const tag = parseInt(key, 16);
    const vr = attr?.vr;
    if (typeof vr !== "string" || !isVr(vr)) {
      throw new TypeError(`Cannot read DICOM JSON ${formatTag(tag)}: unknown VR "${String(vr)}"`);
    }
    if (attr.InlineBinary !== undefined) {
      ds.set(tag, fromBase64(attr.InlineBinary), vr);
      continue;
    }
    const values = attr.Value ?? [];
    if (!Array.isArray(values)) {
      throw new TypeError(`Cannot read DICOM JSON ${formatTag(tag)}: Value is not an array`);
    }
    if (vr === "SQ") {
      ds.set(tag, values.map((v) => fromDicomJson(v as JsonDataset, ds)), "SQ");
    } else if (vr === "PN") {
      ds.set(
        tag,
        values.map((v) => {
          if (v === null) return "";
          const pn = v as JsonPersonName;
          return [pn.Alphabetic ?? "", pn.Ideographic ?? "", pn.Phonetic ?? ""].join("=").replace(
            /=+$/,
            "",
          );
        }),
        vr,
      );
    } else if (vr === "AT") {
      ds.set(tag, values.filter((v) => v !== null).map((v) => parseInt(String(v), 16)), vr);
    } else if (BINARY.has(vr)) {
      ds.set(tag, new Uint8Array(0), vr);
    } else if (!isTextVr(vr)) {
      // A binary number has no empty form: a null among the values is left out.
      ds.set(tag, values.filter((v) => v !== null) as (string | number)[], vr);
    } else {
      ds.set(
        tag,
        values.map((v) => (v === null ? "" : typeof v === "object" ? JSON.stringify(v) : v)),
        vr,
      );
    }
  }
  return ds;
}
