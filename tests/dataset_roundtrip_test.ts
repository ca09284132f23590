// Writing the pydicom corpus back: read -> write -> read gives the same data
// set in every uncompressed transfer syntax, DCMTK reads what we write without
// a warning, and our encoding is DCMTK's byte for byte.
import { assert, assertEquals } from "./_assert.ts";
import {
  decodePart10Header,
  encodeDataset,
  type Part10Read,
  readPart10,
  writePart10,
} from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import {
  chunked,
  compareDatasets,
  complaints,
  corpusFiles,
  inBatches,
  runTool,
} from "./_corpus.ts";

const DEFLATED = "1.2.840.10008.1.2.1.99";

/** The transfer syntaxes a file with native (or no) pixel data is written in. */
const NATIVE_SYNTAXES = [
  Uid.ImplicitVRLittleEndian,
  Uid.ExplicitVRLittleEndian,
  Uid.ExplicitVRBigEndian,
  DEFLATED,
] as const;

/**
 * DCMTK warnings that a written file repeats because of what the original
 * holds, by file name prefix: each is the original's own oddity, which we
 * write back as read.
 */
const INHERITED_WARNINGS: readonly { files: string; warning: RegExp; reason: string }[] = [
  ...[
    "test_files/693_J2KI.dcm",
    "test_files/MR_small_jp2klossless.dcm",
    "test_files/MR_small_jpeg_ls_lossless.dcm",
    "test_files/SC_rgb_rle_16bit.dcm",
    "test_files/SC_rgb_rle_16bit_2frame.dcm",
    "test_files/rtdose_rle.dcm",
    "test_files/rtdose_rle_1frame.dcm",
  ].map((files) => ({
    files,
    warning: /Length of element \(7fe0,0010\) is not a multiple of 2 \(VR=OW\)/,
    reason: "the original declares its encapsulated Pixel Data OW rather than OB (PS3.5 §A.4)",
  })),
  {
    files: "test_files/UN_sequence.dcm",
    warning: /VR UN and undefined length, reading a sequence .*\(CP-246\)/,
    reason: "the original holds a sequence as UN of undefined length (PS3.5 §6.2.2), kept as UN",
  },
  ...["test_files/nested_priv_SQ.dcm", "test_files/meta_missing_tsyntax.dcm"].map((files) => ({
    files,
    warning: /Invalid Element \(0001,000[12]\)|\(0001,0001\) with VR UN and undefined length/,
    reason: "the original has private elements in group 0001, which PS3.5 §7.8.1 forbids",
  })),
  {
    files: "test_files/dicomdirtests/98892001/",
    warning: /\(0049,1001\) with VR UN and undefined length, reading a sequence .*\(CP-246\)/,
    reason: "a private sequence unknown to DCMTK's dictionary, written in Implicit VR, which " +
      "has no VR field; DCMTK notes that it guesses SQ",
  },
];

/**
 * Known encoder bugs that make a round trip fail, by file and transfer syntax.
 * Remove an entry when the bug is fixed: the test fails while an entry is stale.
 */
const KNOWN_ENCODER_BUGS: readonly { file: string; transferSyntax: string; bug: string }[] = [];

interface Corpus {
  name: string;
  bytes: Uint8Array;
  file: Part10Read;
}

let corpus: Promise<Corpus[]> | undefined;

/** Every corpus file we read (DCMTK refuses the others: see dataset_corpus_test.ts). */
function readCorpus(): Promise<Corpus[]> {
  return corpus ??= (async () => {
    const out: Corpus[] = [];
    for (const name of await corpusFiles()) {
      const bytes = await Deno.readFile(PYDICOM_DATA + name);
      const file = await readPart10(bytes).catch(() => undefined);
      if (file !== undefined) out.push({ name, bytes, file });
    }
    return out;
  })();
}

function isEncapsulated(entry: Corpus): boolean {
  return entry.file.dataset.get(Tag.PixelData)?.kind === "fragments";
}

/** The syntaxes a corpus file is written in: encapsulated pixel data keeps its own. */
function syntaxesOf(entry: Corpus): readonly string[] {
  return isEncapsulated(entry) ? [entry.file.transferSyntax] : NATIVE_SYNTAXES;
}

/** Writes a corpus data set; files without SOP UIDs (DICOMDIRs, no meta) get placeholders. */
function write(entry: Corpus, transferSyntax: string): Promise<Uint8Array> {
  const ds = entry.file.dataset;
  return writePart10(ds, {
    transferSyntax,
    sopClassUid: ds.string(Tag.SOPClassUID) ||
      entry.file.meta.string(Tag.MediaStorageSOPClassUID) ||
      "1.2.840.10008.1.3.10",
    sopInstanceUid: ds.string(Tag.SOPInstanceUID) || "2.25.1",
  });
}

function knownBug(name: string, transferSyntax: string): boolean {
  return KNOWN_ENCODER_BUGS.some((b) => b.file === name && b.transferSyntax === transferSyntax);
}

Deno.test("writePart10() then readPart10() gives back every corpus data set, in each transfer syntax it can take", async () => {
  const failures: Record<string, string[]> = {};
  let count = 0;
  for (const entry of await readCorpus()) {
    for (const ts of syntaxesOf(entry)) {
      const key = `${entry.name} in ${ts}`;
      let diffs: string[];
      try {
        const again = await readPart10(await write(entry, ts));
        assertEquals(again.transferSyntax, ts);
        diffs = compareDatasets(entry.file.dataset, again.dataset, {
          implicit: ts === Uid.ImplicitVRLittleEndian,
        });
      } catch (e) {
        diffs = [String(e)];
      }
      count++;
      if (knownBug(entry.name, ts)) {
        if (diffs.length === 0) failures[key] = ["listed in KNOWN_ENCODER_BUGS but passes now"];
      } else if (diffs.length > 0) {
        failures[key] = diffs.slice(0, 10);
      }
    }
  }
  assert(count > 500, `only ${count} round trips`);
  assertEquals(failures, {});
});

Deno.test({
  name: "dcmdump reads every file writePart10() writes from the corpus without a warning",
  ignore: dcmtkIgnore("dcmdump"),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "dcm_roundtrip_" });
    try {
      const jobs = (await readCorpus()).flatMap((entry) =>
        syntaxesOf(entry).filter((ts) => !knownBug(entry.name, ts)).map((ts) => ({ entry, ts }))
      );
      const used = new Set<typeof INHERITED_WARNINGS[number]>();
      const results = await inBatches(jobs, 4, async ({ entry, ts }) => {
        const path = `${tmp}/${entry.name.replaceAll("/", "_")}.${ts}.dcm`;
        await Deno.writeFile(path, await write(entry, ts));
        const dump = await runTool("dcmdump", [path]);
        await Deno.remove(path);
        const allowed = INHERITED_WARNINGS.filter((w) => entry.name.startsWith(w.files));
        const unexpected = complaints(dump.stderr).filter((line) => {
          const excuse = allowed.find((w) => w.warning.test(line));
          if (excuse !== undefined) used.add(excuse);
          return excuse === undefined;
        });
        return { key: `${entry.name} in ${ts}`, code: dump.code, unexpected };
      });
      const failures = Object.fromEntries(
        results.filter((r) => r.code !== 0 || r.unexpected.length > 0)
          .map((r) => [r.key, [`exit ${r.code}`, ...r.unexpected.slice(0, 5)]]),
      );
      assertEquals(failures, {});
      const stale = INHERITED_WARNINGS.filter((w) => !used.has(w)).map((w) => w.files);
      assertEquals(stale, [], "INHERITED_WARNINGS entries no longer needed");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

/**
 * Files whose encoding by DCMTK differs from ours by design, and why.
 */
const DCMTK_ENCODES_OTHERWISE: Record<string, string> = {
  "test_files/UN_sequence.dcm": "DCMTK turns a UN sequence of undefined length into SQ (CP-246); " +
    "we write the element as read",
};

Deno.test({
  name:
    "encodeDataset() with defined lengths is dcmconv's encoding byte for byte in Implicit VR LE, Explicit VR LE and BE",
  ignore: dcmtkIgnore("dcmconv"),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "dcm_dcmconv_" });
    try {
      // dcmconv -g drops group lengths and +e writes sequences and items with
      // defined lengths (its default), as encodeDataset() does with "defined".
      const options = [
        ["+ti", Uid.ImplicitVRLittleEndian],
        ["+te", Uid.ExplicitVRLittleEndian],
        ["+tb", Uid.ExplicitVRBigEndian],
      ] as const;
      const jobs = (await readCorpus())
        .filter((entry) => !isEncapsulated(entry) && !(entry.name in DCMTK_ENCODES_OTHERWISE))
        .flatMap((entry) => options.map(([flag, ts]) => ({ entry, flag, ts })));
      const failures = (await inBatches(jobs, 4, async ({ entry, flag, ts }) => {
        const out = `${tmp}/${entry.name.replaceAll("/", "_")}${flag}.dcm`;
        const run = await runTool("dcmconv", [flag, "-g", "+e", PYDICOM_DATA + entry.name, out]);
        if (run.code !== 0) return `${entry.name} ${flag}: dcmconv failed: ${run.stderr}`;
        const theirs = await Deno.readFile(out);
        await Deno.remove(out);
        const dataset = theirs.subarray(decodePart10Header(theirs).datasetOffset);
        const ours = encodeDataset(entry.file.dataset, {
          transferSyntax: ts,
          sequenceLength: "defined",
        });
        const at = ours.findIndex((b, i) => b !== dataset[i]);
        if (at === -1 && ours.length === dataset.length) return undefined;
        return `${entry.name} ${flag}: ${ours.length} bytes, dcmconv ${dataset.length}; first difference at ${
          at === -1 ? Math.min(ours.length, dataset.length) : at
        }`;
      })).filter((f) => f !== undefined);
      assert(jobs.length > 400, `only ${jobs.length} conversions`);
      assertEquals(failures, []);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("readPart10() reads every corpus file the same from a stream of 997-byte chunks as from bytes, warnings included", async () => {
  const failures: Record<string, string[]> = {};
  for (const { name, bytes, file } of await readCorpus()) {
    const whole: string[] = [];
    const streamed: string[] = [];
    const a = await readPart10(bytes, { onWarning: (m) => whole.push(m) });
    const b = await readPart10(chunked(bytes, 997), { onWarning: (m) => streamed.push(m) });
    const diffs = compareDatasets(a.dataset, b.dataset);
    diffs.push(...compareDatasets(a.meta, b.meta));
    if (b.transferSyntax !== file.transferSyntax) diffs.push(`transfer syntax ${b.transferSyntax}`);
    if (JSON.stringify(whole) !== JSON.stringify(streamed)) {
      diffs.push(`warnings ${JSON.stringify(whole)}, streamed ${JSON.stringify(streamed)}`);
    }
    if (new Set(whole).size !== whole.length) {
      diffs.push(`a warning repeated: ${JSON.stringify(whole)}`);
    }
    if (diffs.length > 0) failures[name] = diffs.slice(0, 10);
  }
  assertEquals(failures, {});
});
