/**
 * `dcm encapsulate IN OUT.dcm [--type T] [--title TEXT] [-k Keyword=value ...]`:
 * a PDF, CDA, STL, OBJ or MTL file as an Encapsulated Document object, or a
 * JPEG or JPEG 2000 bitstream as a Secondary Capture image without decoding
 * it (pdf2dcm, cda2dcm, stl2dcm and img2dcm in one). The type is found from
 * the content (and the extension, between OBJ and MTL) unless `--type`
 * says it.
 *
 * @module
 */
import { encodePart10 } from "../dataset/mod.ts";
import { Tag, uidName } from "../dictionary/mod.ts";
import {
  DOCUMENT_TYPES,
  type DocumentType,
  encapsulateDocument,
  encapsulateImage,
} from "../encapsulation/mod.ts";
import { defineCommand, UsageError } from "./_args.ts";
import { fileError } from "./_file_error.ts";
import { attributesOf } from "./_keys.ts";

const TYPES = [...Object.keys(DOCUMENT_TYPES), "jpeg", "j2k"];

function isBitstream(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && (bytes[1] === 0xd8 || bytes[1] === 0x4f)) ||
    (bytes[4] === 0x6a && bytes[5] === 0x50 && bytes[6] === 0x20 && bytes[7] === 0x20);
}

/** The `dcm encapsulate` command. */
export const encapsulate = defineCommand({
  name: "encapsulate",
  synopsis: "IN OUT.dcm",
  summary:
    "encapsulate a PDF, CDA, STL, OBJ, MTL file or a JPEG / JPEG 2000 bitstream in a DICOM file",
  positionals: [2, 2],
  options: {
    type: {
      type: "string",
      value: "TYPE",
      description: `the content's type, one of ${
        TYPES.join(", ")
      }; found from the content when not given`,
    },
    title: {
      type: "string",
      value: "TEXT",
      description: "Document Title (0042,0010) of a document",
    },
    key: {
      type: "string",
      short: "k",
      multiple: true,
      value: "KEY=VALUE",
      description:
        "set an attribute, e.g. -k PatientName=Doe^Jane -k PatientID=P1 -k StudyInstanceUID=1.2.3",
    },
  },
  notes: [
    "examples:",
    "  dcm encapsulate report.pdf report.dcm -k PatientName=Doe^Jane -k PatientID=P1",
    "  dcm encapsulate model.stl model.dcm --title 'Mandible guide'",
    "  dcm encapsulate photo.jpg photo.dcm    # JPEG Baseline, not decoded",
  ],
}, async (values, [input, output]) => {
  const type = values.type?.toLowerCase();
  if (type !== undefined && !TYPES.includes(type)) {
    throw new UsageError(`--type must be one of ${TYPES.join(", ")}, not "${values.type}"`);
  }
  const attributes = attributesOf(values.key ?? []);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(input!);
  } catch (e) {
    throw fileError(input!, e);
  }
  let file: Uint8Array;
  let what: string;
  if (type === "jpeg" || type === "j2k" || (type === undefined && isBitstream(bytes))) {
    const image = encapsulateImage(bytes, { attributes });
    if (type !== undefined && image.info.format !== type) {
      throw new UsageError(`--type ${type}: ${input} is a ${image.info.format} bitstream`);
    }
    file = encodePart10(image.dataset, { transferSyntax: image.transferSyntax });
    what = `Secondary Capture Image, ${image.info.columns}x${image.info.rows}, ${
      uidName(image.transferSyntax)
    }`;
  } else {
    const ds = encapsulateDocument(bytes, {
      attributes,
      fileName: input!,
      ...(type !== undefined && { type: type as DocumentType }),
      ...(values.title !== undefined && { documentTitle: values.title }),
    });
    file = encodePart10(ds);
    what = `${uidName(ds.string(Tag.SOPClassUID)!)}, ${bytes.length} bytes`;
  }
  try {
    await Deno.writeFile(output!, file);
  } catch (e) {
    throw fileError(output!, e);
  }
  console.log(`${output}: ${what}`);
  return 0;
});
