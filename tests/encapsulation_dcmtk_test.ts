// Direct encapsulation against DCMTK: what we encapsulate, DCMTK's dcm2pdf,
// dcm2json, dcmdump and dcmdjpeg read back exactly; what pdf2dcm, cda2dcm
// and stl2dcm encapsulate, we extract byte for byte; img2dcm, given the same
// JPEG, finds the image attributes we read from its header.
import { decodePart10, encodePart10 } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import {
  encapsulateDocument,
  encapsulateImage,
  extractDocument,
  extractFrames,
} from "../encapsulation/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { dcm } from "./_cli.ts";
import { dcmtkIgnore, PYDICOM_DATA, runDcmtk } from "./_peers.ts";
import { binaryStl, CDA, pdfOfLength } from "./_encapsulation_fixtures.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "encap_" });
}

/** dcmdump +E's complaints (E: and W: lines) about a file, or "" when it has none. */
async function dcmdumpProblems(path: string): Promise<string> {
  const out = await new Deno.Command("dcmdump", {
    args: ["+E", path],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const stderr = new TextDecoder().decode(out.stderr);
  return out.success
    ? stderr.split("\n").filter((l) => /^[EWF]:/.test(l)).join("\n")
    : `exit ${out.code}: ${stderr}`;
}

/** The value DCMTK's dcm2json gives an element (InlineBinary decoded, or the Value array). */
async function dcm2jsonValue(path: string, tag: string): Promise<unknown> {
  const json = JSON.parse(await runDcmtk("dcm2json", [path]));
  const element = json[tag];
  if (element?.InlineBinary !== undefined) {
    return Uint8Array.from(atob(element.InlineBinary), (c) => c.charCodeAt(0));
  }
  return element?.Value;
}

Deno.test({
  name: "a PDF we encapsulate comes out of DCMTK's dcm2pdf byte-identical, of even and odd length",
  ignore: dcmtkIgnore("dcm2pdf"),
  async fn() {
    const dir = await tempDir();
    try {
      for (const n of [200, 201]) {
        const pdf = pdfOfLength(n);
        await Deno.writeFile(`${dir}/ours_${n}.dcm`, encodePart10(encapsulateDocument(pdf)));
        assertEquals(await dcmdumpProblems(`${dir}/ours_${n}.dcm`), "");
        await runDcmtk("dcm2pdf", [`${dir}/ours_${n}.dcm`, `${dir}/back_${n}.pdf`]);
        assertEquals(await Deno.readFile(`${dir}/back_${n}.pdf`), pdf, `${n} bytes`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "what DCMTK's pdf2dcm, cda2dcm and stl2dcm encapsulate, extractDocument() gives back byte for byte",
  ignore: dcmtkIgnore("pdf2dcm") || dcmtkIgnore("cda2dcm") || dcmtkIgnore("stl2dcm"),
  async fn() {
    const dir = await tempDir();
    try {
      const cases: [string, string, Uint8Array][] = [
        ["pdf2dcm", "even.pdf", pdfOfLength(300)],
        ["pdf2dcm", "odd.pdf", pdfOfLength(301)],
        ["cda2dcm", "odd.xml", CDA.length % 2 ? CDA : new Uint8Array([...CDA, 0x0a])],
        ["stl2dcm", "model.stl", binaryStl(3)],
      ];
      for (const [tool, name, content] of cases) {
        await Deno.writeFile(`${dir}/${name}`, content);
        await runDcmtk(tool, ["-q", `${dir}/${name}`, `${dir}/${name}.dcm`]);
        const { dataset } = decodePart10(await Deno.readFile(`${dir}/${name}.dcm`));
        assertEquals(extractDocument(dataset), content, `${tool} ${name}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "DCMTK reads our CDA, STL, OBJ and MTL objects without complaint, the document and its length intact",
  ignore: dcmtkIgnore("dcm2json"),
  async fn() {
    const dir = await tempDir();
    try {
      const cases: [string, Uint8Array, string][] = [
        ["cda", CDA, "text/XML"],
        ["stl", binaryStl(5), "model/stl"],
        ["obj", new TextEncoder().encode("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"), "model/obj"],
        ["mtl", new TextEncoder().encode("newmtl a\nKd 1 1 1\n"), "model/mtl"],
      ];
      for (const [type, content, mime] of cases) {
        const path = `${dir}/${type}.dcm`;
        await Deno.writeFile(path, encodePart10(encapsulateDocument(content)));
        assertEquals(await dcmdumpProblems(path), "", type);
        const value = await dcm2jsonValue(path, "00420011") as Uint8Array;
        const [length] = await dcm2jsonValue(path, "00420015") as number[];
        assertEquals(length, content.length, type);
        assertEquals(value.subarray(0, length), content, type);
        assertEquals(await dcm2jsonValue(path, "00420012"), [mime], type);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "JPEG bitstreams we encapsulate decode with DCMTK's dcmdjpeg to the rows and columns of their header",
  ignore: dcmtkIgnore("dcmdjpeg"),
  async fn() {
    const dir = await tempDir();
    try {
      // Baseline 8-bit colour, extended 12-bit grey, lossless SV1 colour (GDCM), odd 3 x 3.
      for (
        const name of [
          "SC_rgb_jpeg_dcmtk.dcm",
          "JPGExtended.dcm",
          "SC_rgb_jpeg_gdcm.dcm",
          "SC_rgb_small_odd_jpeg.dcm",
        ]
      ) {
        const source =
          decodePart10(await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`)).dataset;
        const [frame] = extractFrames(source);
        const { dataset, transferSyntax } = encapsulateImage(frame!);
        const path = `${dir}/${name}`;
        await Deno.writeFile(path, encodePart10(dataset, { transferSyntax }));
        assertEquals(await dcmdumpProblems(path), "", name);
        await runDcmtk("dcmdjpeg", [path, `${path}.raw.dcm`]);
        const decoded = decodePart10(await Deno.readFile(`${path}.raw.dcm`)).dataset;
        const rows = source.number(Tag.Rows)!;
        const columns = source.number(Tag.Columns)!;
        assertEquals(
          [decoded.number(Tag.Rows), decoded.number(Tag.Columns)],
          [rows, columns],
          name,
        );
        const bytesPerSample = source.number(Tag.BitsAllocated)! / 8;
        const samples = source.number(Tag.SamplesPerPixel)!;
        const pixels = decoded.bytes(Tag.PixelData)!;
        assertEquals(
          pixels.length,
          rows * columns * samples * bytesPerSample +
            ((rows * columns * samples * bytesPerSample) % 2),
          name,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a multi-frame image of JPEG bitstreams decodes with dcmdjpeg to every frame",
  ignore: dcmtkIgnore("dcmdjpeg"),
  async fn() {
    const dir = await tempDir();
    try {
      for (const name of ["SC_rgb_jpeg_dcmtk.dcm", "JPGExtended.dcm"]) {
        const source = decodePart10(await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`))
          .dataset;
        const [frame] = extractFrames(source);
        const { dataset, transferSyntax } = encapsulateImage([frame!, frame!, frame!]);
        const path = `${dir}/${name}`;
        await Deno.writeFile(path, encodePart10(dataset, { transferSyntax }));
        assertEquals(await dcmdumpProblems(path), "", name);
        await runDcmtk("dcmdjpeg", [path, `${path}.raw.dcm`]);
        const decoded = decodePart10(await Deno.readFile(`${path}.raw.dcm`)).dataset;
        assertEquals(decoded.number(Tag.NumberOfFrames), 3, name);
        const frameBytes = source.number(Tag.Rows)! * source.number(Tag.Columns)! *
          source.number(Tag.SamplesPerPixel)! * source.number(Tag.BitsAllocated)! / 8;
        assertEquals(decoded.bytes(Tag.PixelData)!.length, 3 * frameBytes, name);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "DCMTK's img2dcm finds in a JPEG the image attributes and transfer syntax we read from its header",
  ignore: dcmtkIgnore("img2dcm"),
  async fn() {
    const dir = await tempDir();
    try {
      const source =
        decodePart10(await Deno.readFile(`${PYDICOM_DATA}test_files/SC_rgb_jpeg_dcmtk.dcm`))
          .dataset;
      const [jpeg] = extractFrames(source);
      await Deno.writeFile(`${dir}/in.jpg`, jpeg!);
      await runDcmtk("img2dcm", [`${dir}/in.jpg`, `${dir}/img2dcm.dcm`]);
      const theirs = decodePart10(await Deno.readFile(`${dir}/img2dcm.dcm`));
      const ours = encapsulateImage(jpeg!);
      assertEquals(ours.transferSyntax, theirs.meta.string(Tag.TransferSyntaxUID));
      const attributes = [
        Tag.SOPClassUID,
        Tag.SamplesPerPixel,
        Tag.Rows,
        Tag.Columns,
        Tag.BitsAllocated,
        Tag.BitsStored,
        Tag.HighBit,
        Tag.PixelRepresentation,
        Tag.PlanarConfiguration,
        Tag.LossyImageCompression,
        Tag.LossyImageCompressionMethod,
        Tag.ConversionType,
      ];
      for (const tag of attributes) {
        assertEquals(ours.dataset.string(tag), theirs.dataset.string(tag), tag.toString(16));
      }
      // img2dcm writes YBR_FULL_422 for every colour JPEG; this one is not subsampled (PS3.5 8.2.1).
      assert(
        ["YBR_FULL", "YBR_FULL_422"].includes(ours.dataset.string(Tag.PhotometricInterpretation)!),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "dcm encapsulate with -k and dcm extract give the document back, and DCMTK sees the patient",
  ignore: dcmtkIgnore("dcmdump"),
  async fn() {
    const dir = await tempDir();
    try {
      const pdf = pdfOfLength(123);
      await Deno.writeFile(`${dir}/in.pdf`, pdf);
      const made = await dcm(
        "encapsulate",
        `${dir}/in.pdf`,
        `${dir}/out.dcm`,
        "-k",
        "PatientName=Doe^Jane",
        "-k",
        "(0010,0020)=P1",
        "--title",
        "Consent",
      );
      assertEquals(made.code, 0, made.stderr);
      const dump = await runDcmtk("dcmdump", [`${dir}/out.dcm`]);
      assert(/\(0010,0010\) PN \[Doe\^Jane\]/.test(dump), dump);
      assert(/\(0010,0020\) LO \[P1\]/.test(dump), dump);
      assert(/\(0042,0010\) ST \[Consent\]/.test(dump), dump);
      const unknown = await dcm("encapsulate", `${dir}/in.pdf`, `${dir}/x.dcm`, "-k", "Bogus=1");
      assertEquals(unknown.code, 2); // a usage error
      assert(/-k Bogus/.test(unknown.stderr), unknown.stderr);
      const back = await dcm("extract", `${dir}/out.dcm`, `${dir}/back.pdf`);
      assertEquals(back.code, 0, back.stderr);
      assertEquals(await Deno.readFile(`${dir}/back.pdf`), pdf);
      // Two JPEG files make a two-frame object; extract writes them back as OUT_1, OUT_2.
      const source = decodePart10(
        await Deno.readFile(`${PYDICOM_DATA}test_files/SC_rgb_small_odd_jpeg.dcm`),
      ).dataset;
      const [jpeg] = extractFrames(source);
      await Deno.writeFile(`${dir}/a.jpg`, jpeg!);
      await Deno.writeFile(`${dir}/b.jpg`, jpeg!);
      const frames = await dcm("encapsulate", `${dir}/a.jpg`, `${dir}/b.jpg`, `${dir}/mf.dcm`);
      assertEquals(frames.code, 0, frames.stderr);
      assert(/NumberOfFrames/.test(await runDcmtk("dcmdump", [`${dir}/mf.dcm`])));
      const out = await dcm("extract", `${dir}/mf.dcm`, `${dir}/frame.jpg`);
      assertEquals(out.code, 0, out.stderr);
      assertEquals(await Deno.readFile(`${dir}/frame_1.jpg`), jpeg);
      assertEquals(await Deno.readFile(`${dir}/frame_2.jpg`), jpeg);
      await Deno.writeFile(`${dir}/ascii.stl`, new TextEncoder().encode("solid a\nendsolid a\n"));
      const refused = await dcm("encapsulate", `${dir}/ascii.stl`, `${dir}/no.dcm`);
      assertEquals(refused.code, 1);
      assert(/ASCII STL/.test(refused.stderr), refused.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
