/**
 * Documents and 3D models as DICOM objects and back, byte for byte: PDF,
 * CDA, STL, OBJ and MTL in the Encapsulated PDF, CDA, STL, OBJ and MTL
 * Storage IODs (PS3.3 A.45.1, A.45.2, A.85), whose Encapsulated Document
 * module (PS3.3 C.24.2) holds the file as it is.
 *
 * @module
 */
import { Dataset, generateUid } from "../dataset/mod.ts";
import { formatTag, Tag, Uid } from "../dictionary/mod.ts";
import { IMPLEMENTATION_VERSION_NAME } from "../version.ts";
import { applyAttributes, fillCommon } from "./_common.ts";
import { EncapsulationError } from "./errors.ts";
import type { EncapsulateOptions } from "./options.ts";

/** What each document type becomes: its SOP class, MIME type, modality and file extensions. */
export interface DocumentTypeInfo {
  /** The Storage SOP Class UID. */
  readonly sopClassUid: string;
  /** MIME Type of Encapsulated Document (0042,0012), PS3.3 C.24.2. */
  readonly mimeType: string;
  /** Modality (0008,0060) of the Encapsulated Document Series (C.24.1): DOC or M3D. */
  readonly modality: string;
  /** File name extensions, lower case, without the dot. */
  readonly extensions: readonly string[];
  /** Whether the IOD is one of the 3D model ones (PS3.3 A.85). */
  readonly model3d: boolean;
}

/**
 * The document types, by the name `dcm encapsulate --type` takes.
 *
 * @example
 * ```ts
 * import { DOCUMENT_TYPES } from "./mod.ts";
 * console.log(DOCUMENT_TYPES.pdf.mimeType); // "application/pdf"
 * ```
 */
export const DOCUMENT_TYPES: Readonly<Record<DocumentType, DocumentTypeInfo>> = {
  // PS3.3 A.45.1
  pdf: {
    sopClassUid: Uid.EncapsulatedPDFStorage,
    mimeType: "application/pdf",
    modality: "DOC",
    extensions: ["pdf"],
    model3d: false,
  },
  // PS3.3 A.45.2; the MIME type is "text/XML" (A.45.2.4).
  cda: {
    sopClassUid: Uid.EncapsulatedCDAStorage,
    mimeType: "text/XML",
    modality: "DOC",
    extensions: ["xml", "cda"],
    model3d: false,
  },
  // PS3.3 A.85.1
  stl: {
    sopClassUid: Uid.EncapsulatedSTLStorage,
    mimeType: "model/stl",
    modality: "M3D",
    extensions: ["stl"],
    model3d: true,
  },
  // PS3.3 A.85.2
  obj: {
    sopClassUid: Uid.EncapsulatedOBJStorage,
    mimeType: "model/obj",
    modality: "M3D",
    extensions: ["obj"],
    model3d: true,
  },
  // PS3.3 A.85.3
  mtl: {
    sopClassUid: Uid.EncapsulatedMTLStorage,
    mimeType: "model/mtl",
    modality: "M3D",
    extensions: ["mtl"],
    model3d: true,
  },
};

/** A document type: `pdf`, `cda`, `stl`, `obj` or `mtl`. */
export type DocumentType = "pdf" | "cda" | "stl" | "obj" | "mtl";

/** Options of {@linkcode encapsulateDocument}. */
export interface EncapsulateDocumentOptions extends EncapsulateOptions {
  /**
   * The type of the content; checked against the content either way.
   *
   * @default {detectDocumentType(bytes, fileName)}
   */
  type?: DocumentType;
  /** The file's name, whose extension helps tell OBJ from MTL when `type` is not given. */
  fileName?: string;
  /**
   * Document Title (0042,0010).
   *
   * @default {""} (Type 2: empty)
   */
  documentTitle?: string;
}

const ASCII = new TextDecoder("latin1");

function head(bytes: Uint8Array, n: number): string {
  return ASCII.decode(bytes.subarray(0, Math.min(n, bytes.length)));
}

function isBinaryStl(bytes: Uint8Array): boolean {
  // 80-byte header, UINT32 triangle count, 50 bytes a triangle.
  if (bytes.length < 84) return false;
  const count = new DataView(bytes.buffer, bytes.byteOffset + 80, 4).getUint32(0, true);
  return bytes.length === 84 + 50 * count;
}

function cdaRoot(text: string): boolean {
  return /<(?:[A-Za-z_][\w.-]*:)?ClinicalDocument[\s>/]/.test(text);
}

/** A geometric vertex statement, `v x y z` (Wavefront OBJ), which every OBJ model has. */
function objLines(text: string): boolean {
  return /^v[ \t]+[-+\d.eE]+[ \t]+[-+\d.eE]+[ \t]+[-+\d.eE]+/m.test(text);
}

function mtlLines(text: string): boolean {
  return /^\s*newmtl\s/m.test(text);
}

/**
 * Which document type `bytes` holds, from its content (and, between OBJ and
 * MTL, from the file name's extension): `%PDF-` in the first 1024 bytes
 * (ISO 32000-1 §7.5.2), an XML `ClinicalDocument` root (HL7 CDA), a binary
 * STL (80-byte header, triangle count, 50 bytes per triangle), an OBJ
 * vertex line (`v x y z`) or an MTL `newmtl`; `undefined` when none fits.
 *
 * @example
 * ```ts
 * import { detectDocumentType } from "./mod.ts";
 * console.log(detectDocumentType(new TextEncoder().encode("%PDF-1.7\n%%EOF\n"))); // "pdf"
 * console.log(detectDocumentType(new TextEncoder().encode("newmtl red\nKd 1 0 0\n"))); // "mtl"
 * ```
 */
export function detectDocumentType(
  bytes: Uint8Array,
  fileName?: string,
): DocumentType | undefined {
  const start = head(bytes, 4096);
  if (start.slice(0, 1024).includes("%PDF-")) return "pdf";
  if (isBinaryStl(bytes)) return "stl";
  if (cdaRoot(start)) return "cda";
  const extension = fileName?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  const text = head(bytes, 65536);
  if (extension === "mtl" && mtlLines(text)) return "mtl";
  if (extension === "obj" && objLines(text)) return "obj";
  if (objLines(text)) return "obj";
  if (mtlLines(text)) return "mtl";
  return undefined;
}

/** Why `bytes` is not a `type` document, or undefined when it is one. */
function contentProblem(bytes: Uint8Array, type: DocumentType): string | undefined {
  if (bytes.length === 0) return "it is empty";
  switch (type) {
    case "pdf":
      return head(bytes, 1024).includes("%PDF-")
        ? undefined
        : 'it has no "%PDF-" header in its first 1024 bytes';
    case "cda":
      return cdaRoot(head(bytes, 4096))
        ? undefined
        : "it has no HL7 CDA <ClinicalDocument> root element";
    case "stl":
      if (isBinaryStl(bytes)) return undefined;
      if (head(bytes, 6) === "solid ") {
        return "it is an ASCII STL; DICOM encapsulates binary STL only (PS3.3 A.85.1)";
      }
      return bytes.length < 84
        ? `it is ${bytes.length} bytes long, shorter than a binary STL's 84-byte header`
        : `its ${bytes.length} bytes are not 84 + 50 × the triangle count its header gives`;
    case "obj":
      return objLines(head(bytes, 65536)) ? undefined : 'it has no OBJ vertex ("v x y z") line';
    case "mtl":
      return mtlLines(head(bytes, 65536)) ? undefined : 'it has no MTL "newmtl" statement';
  }
}

/**
 * The HL7 Instance Identifier (0040,E001) of a CDA document: the
 * ClinicalDocument's `<id root="…" extension="…"/>` as `root^extension`
 * (PS3.3 C.24.2, Type 1C for CDA).
 */
function hl7InstanceIdentifier(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 1 << 20)));
  const root = /<(?:[A-Za-z_][\w.-]*:)?ClinicalDocument[\s>/]/.exec(text);
  const id = root && /<(?:[A-Za-z_][\w.-]*:)?id\s([^>]*)\/?>/.exec(text.slice(root.index));
  const attribute = (name: string) =>
    id && new RegExp(`(?:^|\\s)${name}\\s*=\\s*["']([^"']*)["']`).exec(id[1]!)?.[1];
  const rootValue = attribute("root");
  if (!rootValue) {
    throw new EncapsulationError(
      "Cannot encapsulate the CDA document: it has no ClinicalDocument <id root=…>, needed for HL7 Instance Identifier (0040,E001)",
    );
  }
  const extension = attribute("extension");
  return extension ? `${rootValue}^${extension}` : rootValue;
}

/**
 * An Encapsulated PDF, CDA, STL, OBJ or MTL Storage object holding `bytes`
 * as they are: the Patient, General Study, Encapsulated Document Series,
 * General Equipment, SC Equipment (documents) or Enhanced General
 * Equipment, Frame of Reference and Manufacturing 3D Model (3D models),
 * Encapsulated Document and SOP Common modules, each Type 1 and Type 2
 * attribute present. The document is padded to an even length with a zero
 * byte and its length recorded in Encapsulated Document Length
 * (0042,0015), so that {@linkcode extractDocument} gives back exactly
 * `bytes`. Write it with `encodePart10()`.
 *
 * @throws {EncapsulationError} when the content is not of its type (or of any, when none is given).
 *
 * @example A PDF as a DICOM object and back
 * ```ts
 * import { encapsulateDocument, extractDocument } from "./mod.ts";
 * import { Dataset, decodePart10, encodePart10 } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * const pdf = new TextEncoder().encode("%PDF-1.4\n%%EOF\n");
 * const ds = encapsulateDocument(pdf, {
 *   attributes: new Dataset().set(Tag.PatientName, "Doe^Jane").set(Tag.PatientID, "P1"),
 *   documentTitle: "Consent",
 * });
 * const file = encodePart10(ds);
 * const back = extractDocument(decodePart10(file).dataset);
 * console.log(back.length === pdf.length); // true
 * ```
 */
export function encapsulateDocument(
  bytes: Uint8Array,
  options: EncapsulateDocumentOptions = {},
): Dataset {
  // A file whose content fits no type but whose extension names one is
  // checked as that type, so the error says what is wrong with it.
  const type = options.type ?? detectDocumentType(bytes, options.fileName) ??
    typeOfExtension(options.fileName);
  if (type === undefined) {
    throw new EncapsulationError(
      "Cannot encapsulate the content: it is not a PDF, CDA, binary STL, OBJ or MTL file",
    );
  }
  const problem = contentProblem(bytes, type);
  if (problem) {
    throw new EncapsulationError(`Cannot encapsulate as ${type.toUpperCase()}: ${problem}`);
  }
  if (bytes.length > 0xfffffffe) {
    throw new EncapsulationError(
      `Cannot encapsulate ${bytes.length} bytes: more than a 32-bit value length holds`,
    );
  }
  const info = DOCUMENT_TYPES[type];
  const ds = new Dataset();
  const when = fillCommon(ds, info.sopClassUid, info.modality, options);
  // Encapsulated Document module, PS3.3 C.24.2.
  ds.set(Tag.AcquisitionDateTime, when.dateTime)
    .set(Tag.BurnedInAnnotation, "YES")
    .set(Tag.DocumentTitle, options.documentTitle ?? null)
    .set(Tag.ConceptNameCodeSequence, [])
    .set(Tag.MIMETypeOfEncapsulatedDocument, info.mimeType)
    .set(Tag.EncapsulatedDocument, padEvenBytes(bytes), "OB")
    .set(Tag.EncapsulatedDocumentLength, bytes.length, "UL");
  if (type === "cda") ds.set(Tag.HL7InstanceIdentifier, hl7InstanceIdentifier(bytes));
  if (info.model3d) {
    const uid = options.createUid ?? generateUid;
    // Enhanced General Equipment (C.7.5.2): all Type 1.
    ds.set(Tag.ManufacturerModelName, IMPLEMENTATION_VERSION_NAME)
      .set(Tag.DeviceSerialNumber, "0")
      // Frame of Reference (C.7.4.1).
      .set(Tag.FrameOfReferenceUID, uid())
      .set(Tag.PositionReferenceIndicator, null)
      // Manufacturing 3D Model (C.8.X.1): the units of the model's coordinates, UCUM mm.
      .set(Tag.MeasurementUnitsCodeSequence, [
        new Dataset()
          .set(Tag.CodeValue, "mm")
          .set(Tag.CodingSchemeDesignator, "UCUM")
          .set(Tag.CodeMeaning, "mm"),
      ]);
  } else {
    // SC Equipment (C.8.6.1): Conversion Type, Workstation.
    ds.set(Tag.ConversionType, "WSD");
  }
  applyAttributes(ds, options);
  return ds;
}

function typeOfExtension(fileName: string | undefined): DocumentType | undefined {
  const extension = fileName?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (extension === undefined) return undefined;
  return (Object.keys(DOCUMENT_TYPES) as DocumentType[]).find((t) =>
    DOCUMENT_TYPES[t].extensions.includes(extension)
  );
}

function padEvenBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  return padded;
}

/**
 * The document an Encapsulated Document object holds, byte for byte: the
 * value of Encapsulated Document (0042,0011) cut to Encapsulated Document
 * Length (0042,0015) when present, so that the pad byte of an odd-length
 * document is left out.
 *
 * @throws {EncapsulationError} when the object has no Encapsulated Document, its length is odd with no Encapsulated Document Length, or that length does not fit the value.
 *
 * @example
 * ```ts
 * import { encapsulateDocument, extractDocument } from "./mod.ts";
 *
 * const pdf = new TextEncoder().encode("%PDF-1.4\n%%EOF"); // 14 bytes
 * console.log(extractDocument(encapsulateDocument(pdf)).length); // 14
 * ```
 */
export function extractDocument(dataset: Dataset): Uint8Array {
  const element = dataset.get(Tag.EncapsulatedDocument);
  const where = `Encapsulated Document ${formatTag(Tag.EncapsulatedDocument)}`;
  if (element === undefined) {
    throw new EncapsulationError(`Cannot extract a document: the object has no ${where}`);
  }
  if (element.kind !== "bytes") {
    throw new EncapsulationError(`Cannot extract a document: ${where} is not a plain OB value`);
  }
  const value = element.bytes;
  const length = dataset.number(Tag.EncapsulatedDocumentLength);
  if (length === undefined) {
    if (value.length % 2 !== 0) {
      throw new EncapsulationError(
        `Cannot extract the document: ${where} has an odd length (${value.length}) and no Encapsulated Document Length (0042,0015) says how much of it is the document`,
      );
    }
    return value;
  }
  if (length > value.length || length < value.length - 1) {
    throw new EncapsulationError(
      `Cannot extract the document: Encapsulated Document Length (0042,0015) is ${length} but ${where} holds ${value.length} bytes`,
    );
  }
  return value.subarray(0, length);
}
