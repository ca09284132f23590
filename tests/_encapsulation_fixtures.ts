/**
 * Documents made for the encapsulation tests, from their formats' own
 * layouts (ISO 32000-1, binary STL, HL7 CDA R2) rather than from our encoder.
 *
 * @module
 */
const text = (s: string) => new TextEncoder().encode(s);

/** A minimal PDF of `n` bytes (ISO 32000-1 §7.5: header, body, trailer). */
export function pdfOfLength(n: number): Uint8Array {
  const headAndTail = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
  const pad = n - headAndTail.length - 2;
  if (pad < 0) throw new RangeError(`a PDF of ${n} bytes is too short`);
  return text(headAndTail.replace("trailer", `%${"x".repeat(pad)}\ntrailer`));
}

/** A binary STL of `triangles` facets: 80-byte header, UINT32 count, 50 bytes each. */
export function binaryStl(triangles: number): Uint8Array {
  const out = new Uint8Array(84 + 50 * triangles);
  out.set(text("binary STL made by the test"));
  const view = new DataView(out.buffer);
  view.setUint32(80, triangles, true);
  for (let t = 0; t < triangles; t++) {
    const at = 84 + 50 * t;
    view.setFloat32(at + 8, 1, true); // normal (0, 0, 1)
    view.setFloat32(at + 24, t + 1, true); // second vertex x
    view.setFloat32(at + 40, t + 1, true); // third vertex y
  }
  return out;
}

/** A CDA document with its ClinicalDocument id (HL7 CDA R2). */
export const CDA = text(
  '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">' +
    '<typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>' +
    '<id root="2.16.840.1.113883.19.4" extension="c266"/><title>Report</title></ClinicalDocument>\n',
);
