// The codec against DCMTK on the pydicom corpus: every file DCMTK reads, we
// read, element for element and value for value the same as dcm2json does.
// compareDicomJson() (tests/_corpus.ts) normalises only what is formatting:
// number notation, empty values, trailing empty PN components, group lengths
// (dcm2json leaves them out), (0008,0005) (dcm2json says ISO_IR 192 as it
// converts to UTF-8), and the NUL that DCMTK pads odd-length binary values with.
import { assert, assertEquals } from "./_assert.ts";
import { type Dataset, DicomDecodeError, readPart10, toDicomJson } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import { sameBytes } from "./_storage_corpus.ts";
import {
  compareDicomJson,
  corpusFiles,
  dcmtkReference,
  inBatches,
  type Reference,
} from "./_corpus.ts";

/**
 * Where DCMTK's reading differs from ours and DCMTK is the one that is wrong:
 * the file, the attribute path prefix, and why. Each entry must still differ.
 */
const DCMTK_IS_WRONG: readonly { file: string; at: string; reason: string }[] = [
  {
    file: "charset_files/chrSQEncoding.dcm",
    at: "(0032,1064)[0](0010,0010)",
    reason: "the item has its own (0008,0005) ISO 2022 IR 13\\ISO 2022 IR 87, which this " +
      "DCMTK's iconv cannot convert; dcm2json leaves the item's bytes unconverted " +
      "(our value is checked against PS3.5 H.3.2 below)",
  },
  {
    file: "test_files/no_meta_group_length.dcm",
    at: "(0002,0013)",
    reason: "the SH value is padded with NUL instead of a space (PS3.5 §6.2); we strip the " +
      "padding, dcm2json keeps the NUL in the string",
  },
];

/**
 * Text of the charset files DCMTK cannot convert (ISO 2022 IR 87 needs code
 * extensions its iconv lacks): the names of the examples of PS3.5 Annex H.
 */
const ISO_2022_NAMES: Record<string, { at: number[]; values: string[] }[]> = {
  "charset_files/chrH31.dcm": [
    // PS3.5 H.3.1
    { at: [Tag.PatientName], values: ["Yamada^Tarou=山田^太郎=やまだ^たろう"] },
  ],
  "charset_files/chrH32.dcm": [
    // PS3.5 H.3.2
    { at: [Tag.PatientName], values: ["ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"] },
  ],
  "charset_files/chrJapMulti.dcm": [
    { at: [Tag.PatientName], values: ["やまだ^たろう"] },
    { at: [Tag.OtherPatientNames], values: ["やまだ^たろう", "やまだ^たろう"] },
    { at: [Tag.AdditionalPatientHistory], values: ["たろう"] },
  ],
  "charset_files/chrJapMultiExplicitIR6.dcm": [
    { at: [Tag.PatientName], values: ["やまだ^たろう"] },
    { at: [Tag.OtherPatientNames], values: ["やまだ^たろう", "やまだ^たろう"] },
    { at: [Tag.AdditionalPatientHistory], values: ["たろう"] },
  ],
  "charset_files/chrSQEncoding.dcm": [
    // An item with its own (0008,0005) under an ISO_IR 192 data set.
    {
      at: [Tag.RequestedProcedureCodeSequence, Tag.PatientName],
      values: ["ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"],
    },
  ],
  "charset_files/chrSQEncoding1.dcm": [
    // An item without (0008,0005) inherits the data set's.
    {
      at: [Tag.RequestedProcedureCodeSequence, Tag.PatientName],
      values: ["ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"],
    },
  ],
};

let references: Promise<Reference[]> | undefined;

/** DCMTK's reading of the whole corpus, computed once for this file's tests. */
function corpusReferences(): Promise<Reference[]> {
  return references ??= (async () => {
    const tmp = await Deno.makeTempDir({ prefix: "dcm_corpus_" });
    try {
      return await inBatches(await corpusFiles(), 4, (name) => dcmtkReference(name, tmp));
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  })();
}

/** Sets (0008,0005) to ISO_IR 100 wherever it is, as the DCMTK copy had it. */
function charsetAsLatin1(ds: Dataset): void {
  if (ds.has(Tag.SpecificCharacterSet)) ds.set(Tag.SpecificCharacterSet, "ISO_IR 100");
  for (const el of ds) if (el.kind === "sequence") el.items.forEach(charsetAsLatin1);
}

async function differences(ref: Reference): Promise<string[]> {
  let file;
  try {
    file = await readPart10(await Deno.readFile(PYDICOM_DATA + ref.name));
  } catch (e) {
    return [`readPart10() failed: ${e}`];
  }
  if (ref.charsetAsLatin1) charsetAsLatin1(file.dataset);
  const ours = { ...toDicomJson(file.meta), ...toDicomJson(file.dataset) };
  // dcmodify rewrote the copy's meta group and dropped its trailing padding.
  const modified = ref.pixelDataErased || ref.charsetAsLatin1;
  const ignoreTopLevel = new Set(modified ? ["FFFCFFFC"] : []);
  if (modified) {
    for (const key of Object.keys({ ...ours, ...ref.json })) {
      if (key.startsWith("0002")) ignoreTopLevel.add(key);
    }
  }
  if (ref.pixelDataErased) ignoreTopLevel.add("7FE00010");
  const diffs = compareDicomJson(ours, ref.json!, {
    // dcm2json converts text to UTF-8 and says ISO_IR 192.
    ignoreValue: new Set(["00080005"]),
    ignoreTopLevel,
  });
  if (ref.items !== undefined) {
    const pixels = file.dataset.fragments();
    const items = pixels ? [pixels.offsetTable, ...pixels.fragments] : [];
    if (items.length !== ref.items.length || items.some((f, i) => !sameBytes(f, ref.items![i]!))) {
      diffs.push(
        `(7FE0,0010): ${items.length} items, DCMTK ${ref.items.length}, or their bytes differ`,
      );
    }
  }
  let rest = diffs;
  for (const known of DCMTK_IS_WRONG.filter((k) => k.file === ref.name)) {
    const before = rest.length;
    rest = rest.filter((d) => !d.startsWith(known.at));
    if (rest.length === before) rest.push(`${known.at}: listed in DCMTK_IS_WRONG but agrees now`);
  }
  return rest;
}

Deno.test({
  name:
    "readPart10() reads every corpus file dcmdump reads, with dcm2json's elements, VRs and values",
  ignore: dcmtkIgnore("dcmdump") || dcmtkIgnore("dcm2json") || dcmtkIgnore("dcmodify"),
  async fn() {
    const refs = (await corpusReferences()).filter((r) => r.readable);
    assert(refs.length > 150, `only ${refs.length} corpus files readable by DCMTK`);
    const failures: Record<string, string[]> = {};
    for (const ref of refs) {
      const diffs = await differences(ref);
      if (diffs.length > 0) failures[ref.name] = diffs.slice(0, 10);
    }
    assertEquals(failures, {});
  },
});

Deno.test({
  name: "readPart10() rejects with a DicomDecodeError every corpus file dcmdump cannot read",
  ignore: dcmtkIgnore("dcmdump") || dcmtkIgnore("dcm2json") || dcmtkIgnore("dcmodify"),
  async fn() {
    const refused = (await corpusReferences()).filter((r) => !r.readable).map((r) => r.name);
    // Truncated files, a bad VR and a file with a stray leading byte.
    assertEquals(refused, [
      "test_files/MR_truncated.dcm",
      "test_files/SC_rgb_jpeg.dcm",
      "test_files/no_meta.dcm",
      "test_files/rtplan_truncated.dcm",
    ]);
    for (const name of refused) {
      const bytes = await Deno.readFile(PYDICOM_DATA + name);
      const error = await readPart10(bytes).then(() => undefined, (e) => e);
      assert(error instanceof DicomDecodeError, `${name}: ${error ?? "read without error"}`);
    }
  },
});

Deno.test("readPart10() decodes the ISO 2022 Japanese text of the charset files to the names of PS3.5 Annex H", async () => {
  for (const [name, checks] of Object.entries(ISO_2022_NAMES)) {
    const { dataset } = await readPart10(await Deno.readFile(PYDICOM_DATA + name));
    for (const { at, values } of checks) {
      let ds = dataset;
      for (const tag of at.slice(0, -1)) ds = ds.items(tag)[0]!;
      assertEquals(
        ds.strings(at.at(-1)!),
        values,
        `${name} ${at.map((t) => t.toString(16)).join("/")}`,
      );
    }
  }
});
