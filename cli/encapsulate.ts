/**
 * `dcm encapsulate IN... OUT.dcm [--type T] [--title TEXT] [-k Keyword=value ...]`:
 * a PDF, CDA, STL, OBJ or MTL file as an Encapsulated Document object, or
 * JPEG or JPEG 2000 bitstreams (one per frame) as a Secondary Capture image
 * without decoding them (pdf2dcm, cda2dcm, stl2dcm and img2dcm in one). The type is found from
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
  synopsis: "IN... OUT.dcm",
  summary:
    "encapsulate a PDF, CDA, STL, OBJ, MTL file or a JPEG / JPEG 2000 bitstream in a DICOM file",
  positionals: [2, Infinity],
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
    "  dcm encapsulate f1.j2k f2.j2k f3.j2k frames.dcm   # a multi-frame image, a frame per file",
  ],
}, async (values, positionals) => {
  const inputs = positionals.slice(0, -1);
  const output = positionals.at(-1)!;
  const input = inputs[0]!;
  const type = values.type?.toLowerCase();
  if (type !== undefined && !TYPES.includes(type)) {
    throw new UsageError(`--type must be one of ${TYPES.join(", ")}, not "${values.type}"`);
  }
  const attributes = attributesOf(values.key ?? []);
  const contents: Uint8Array[] = [];
  for (const path of inputs) {
    try {
      contents.push(await Deno.readFile(path));
    } catch (e) {
      throw fileError(path, e);
    }
  }
  const bytes = contents[0]!;
  const bitstreams = type === "jpeg" || type === "j2k" ||
    (type === undefined && contents.every(isBitstream));
  if (!bitstreams && inputs.length > 1) {
    throw new UsageError(
      "several inputs make the frames of one image: JPEG or JPEG 2000 bitstreams",
    );
  }
  let file: Uint8Array;
  let what: string;
  if (bitstreams) {
    const image = encapsulateImage(contents, { attributes });
    if (type !== undefined && image.info.format !== type) {
      throw new UsageError(`--type ${type}: ${input} is a ${image.info.format} bitstream`);
    }
    file = encodePart10(image.dataset, { transferSyntax: image.transferSyntax });
    what = `${
      uidName(image.dataset.string(Tag.SOPClassUID)!)
    }, ${contents.length} frame(s) of ${image.info.columns}x${image.info.rows}, ${
      uidName(image.transferSyntax)
    }`;
  } else {
    const ds = encapsulateDocument(bytes, {
      attributes,
      fileName: input,
      ...(type !== undefined && { type: type as DocumentType }),
      ...(values.title !== undefined && { documentTitle: values.title }),
    });
    file = encodePart10(ds);
    what = `${uidName(ds.string(Tag.SOPClassUID)!)}, ${bytes.length} bytes`;
  }
  try {
    await Deno.writeFile(output, file);
  } catch (e) {
    throw fileError(output, e);
  }
  console.log(`${output}: ${what}`);
  return 0;
});
