// `dcm dump`: the listing and the one-object JSON output, through the real
// entry point; values longer than --max-read are skipped, not read.
import { Dataset, encodePart10 } from "../dataset/mod.ts";
import { deflateBomb } from "./_bombs.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { PYDICOM_DATA } from "./_peers.ts";
import { dcm, MAIN } from "./_cli.ts";

Deno.test("dcm dump lists elements with tag, VR, value and keyword", async () => {
  const r = await dcm("dump", `${PYDICOM_DATA}test_files/CT_small.dcm`);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /\(0010,0010\) PN \[CompressedSamples\^CT1\]\s+#\s+\d+, 1 PatientName/);
  assertMatch(r.stdout, /\(0002,0010\) UI \[1\.2\.840\.10008\.1\.2\.1\]/);
});

Deno.test("dcm dump --json prints exactly one DICOM JSON object", async () => {
  const r = await dcm("dump", "--json", `${PYDICOM_DATA}test_files/CT_small.dcm`);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout.trim().split("\n").length, 1);
  const json = JSON.parse(r.stdout);
  assertEquals(json["00100010"], { vr: "PN", Value: [{ Alphabetic: "CompressedSamples^CT1" }] });
  assertEquals(json["00280010"], { vr: "US", Value: [128] });
});

Deno.test("dcm dump exits 1 with a one-line error naming a missing, unreadable or truncated file", async () => {
  const missing = await dcm("dump", "/nonexistent.dcm");
  assertEquals(missing.code, 1);
  assertEquals(
    missing.stderr,
    "dcm dump: /nonexistent.dcm: No such file or directory (os error 2)\n",
  );
  const folder = await dcm("dump", PYDICOM_DATA);
  assertEquals(folder.code, 1);
  assertEquals(folder.stderr.trim().split("\n").length, 1, folder.stderr);
  assertMatch(folder.stderr, new RegExp(`^dcm dump: ${PYDICOM_DATA.replaceAll(".", "\\.")}: `));
  const file = `${PYDICOM_DATA}test_files/MR_truncated.dcm`;
  const truncated = await dcm("dump", file);
  assertEquals(truncated.code, 1);
  assertEquals(truncated.stderr.trim().split("\n").length, 1, truncated.stderr);
  assertMatch(truncated.stderr, /^dcm dump: \S+MR_truncated\.dcm: Cannot decode \(7FE0,0010\)/);
});

Deno.test("dcm dump --max-read lists longer values by their length, not read", async () => {
  const file = `${PYDICOM_DATA}test_files/CT_small.dcm`;
  const [all, short] = await Promise.all([
    dcm("dump", file),
    dcm("dump", "--max-read", "4096", file),
  ]);
  assertEquals(short.code, 0, short.stderr);
  assertMatch(all.stdout, /^\(7fe0,0010\) OW [0-9a-f]{2}\\[0-9a-f]{2}\\.*# 32768, 1 PixelData$/m);
  assertMatch(short.stdout, /^\(7fe0,0010\) OW \(not loaded\) +# 32768, 1 PixelData$/m);
  // Everything else is the same.
  const without = (text: string) => text.split("\n").filter((l) => !l.includes("PixelData"));
  assertEquals(without(short.stdout), without(all.stdout));
});

/** The meta information and header of a 2-frame-per-MiB multi-frame image, before Pixel Data. */
function head(transferSyntax: string): Uint8Array {
  const ds = new Dataset()
    .set(Tag.SOPClassUID, Uid.EnhancedCTImageStorage)
    .set(Tag.SOPInstanceUID, "2.25.4")
    .set(Tag.PatientName, "Large^Dump")
    .set(Tag.Rows, 512).set(Tag.Columns, 512).set(Tag.NumberOfFrames, 512)
    .set(Tag.BitsAllocated, 16).set(Tag.BitsStored, 16).set(Tag.HighBit, 15)
    .set(Tag.SamplesPerPixel, 1).set(Tag.PixelRepresentation, 0)
    .set(Tag.PhotometricInterpretation, "MONOCHROME2");
  return encodePart10(ds, { transferSyntax });
}

/** Explicit VR LE element header bytes: tag, VR, 2 reserved bytes, 4-byte length. */
function longHeader(tag: number, vr: string, length: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  bytes.set([vr.charCodeAt(0), vr.charCodeAt(1)], 4);
  view.setUint32(8, length, true);
  return bytes;
}

/** An item (or delimiter) header: tag and 4-byte length. */
function itemHeader(tag: number, length: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  view.setUint32(4, length, true);
  return bytes;
}

/**
 * Writes `parts` to `path`: byte arrays as they are, numbers as that many
 * bytes skipped with a seek (a hole: the file is sparse, nothing is written).
 */
async function writeSparse(path: string, parts: (Uint8Array | number)[]): Promise<number> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  let size = 0;
  for (const part of parts) {
    if (typeof part === "number") {
      size += part;
      await file.seek(size, Deno.SeekMode.Start);
    } else {
      for (let done = 0; done < part.length;) done += await file.write(part.subarray(done));
      size += part.length;
    }
  }
  await file.truncate(size);
  return size;
}

/** Peak RSS of the child process, in MiB, from GNU time when it is there. */
async function peakMib(args: string[]): Promise<{ mib: number | undefined; stdout: string }> {
  const time = "/usr/bin/time";
  const hasTime = await Deno.stat(time).then(() => true, () => false);
  const out = await new Deno.Command(hasTime ? time : Deno.execPath(), {
    args: [...(hasTime ? ["-f", "%M", Deno.execPath()] : []), "run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const kib = hasTime ? Number(stderr.trim().split("\n").at(-1)) : NaN;
  return {
    mib: Number.isFinite(kib) ? kib / 1024 : undefined,
    stdout: new TextDecoder().decode(out.stdout),
  };
}

const LARGE = 256 * 2 ** 20; // 256 MiB of pixel data, more than a dump may hold in memory

Deno.test("dcm dump lists a 256 MiB Pixel Data by its length, skipping it to the element after, without reading it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_dump_" });
  try {
    const path = `${dir}/large.dcm`;
    const prefix = head(Uid.ExplicitVRLittleEndian);
    const padding = longHeader(Tag.DataSetTrailingPadding, "OB", 4);
    const size = await writeSparse(path, [
      prefix,
      longHeader(Tag.PixelData, "OW", LARGE),
      LARGE,
      padding,
      new Uint8Array([1, 2, 3, 4]),
    ]);
    assertEquals(size, prefix.length + 12 + LARGE + 16);
    const listing = await peakMib(["dump", path]);
    assertMatch(listing.stdout, /^\(0010,0010\) PN \[Large\^Dump\]/m);
    assertMatch(
      listing.stdout,
      new RegExp(`^\\(7fe0,0010\\) OW \\(not loaded\\) +# ${LARGE}, 1 PixelData$`, "m"),
    );
    assertMatch(
      listing.stdout,
      /^\(fffc,fffc\) OB 01\\02\\03\\04 +# +4, 1 DataSetTrailingPadding$/m,
    );
    if (listing.mib !== undefined) assert(listing.mib < 200, `peak RSS ${listing.mib} MiB`);

    const json = JSON.parse((await peakMib(["dump", "--json", path])).stdout);
    const url = new URL(json["7FE00010"].BulkDataURI);
    assertEquals(json["7FE00010"].vr, "OW");
    assertEquals(url.protocol + url.pathname, `file:${path}`);
    assertEquals(url.searchParams.get("offset"), String(prefix.length + 12));
    assertEquals(url.searchParams.get("length"), String(LARGE));
    assertEquals(json["FFFCFFFC"], { vr: "OB", InlineBinary: btoa("\x01\x02\x03\x04") });
    assertEquals(json["00100010"], { vr: "PN", Value: [{ Alphabetic: "Large^Dump" }] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm dump lists large encapsulated Pixel Data by its fragments' lengths, without reading them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_dump_" });
  try {
    const path = `${dir}/encapsulated.dcm`;
    const fragment = LARGE / 4;
    const item = (n: number) => [itemHeader(0xfffee000, n), n];
    await writeSparse(
      path,
      [
        head(Uid.JPEG2000),
        longHeader(Tag.PixelData, "OB", 0xffffffff),
        itemHeader(0xfffee000, 0), // an empty Basic Offset Table
        ...item(fragment),
        ...item(fragment),
        ...item(fragment + 2),
        itemHeader(0xfffee0dd, 0),
      ].flat(),
    );
    const r = await peakMib(["dump", path]);
    const lines = r.stdout.split("\n");
    const at = lines.findIndex((l) => l.startsWith("(7fe0,0010)"));
    assertMatch(
      lines[at]!,
      /^\(7fe0,0010\) OB \(PixelSequence #=4, not loaded\) +# +u\/l, 1 PixelData$/,
    );
    assertEquals(lines.slice(at + 1).filter((l) => l !== ""), [
      "  (fffe,e000) pi offset table, 0 bytes",
      `  (fffe,e000) pi fragment #1, ${fragment} bytes`,
      `  (fffe,e000) pi fragment #2, ${fragment} bytes`,
      `  (fffe,e000) pi fragment #3, ${fragment + 2} bytes`,
    ]);
    if (r.mib !== undefined) assert(r.mib < 200, `peak RSS ${r.mib} MiB`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm with an unknown command prints usage and exits 2", async () => {
  const r = await dcm("frobnicate");
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /unknown command/);
});

Deno.test("dcm dump passes over a long value of a deflated data set (a deflate bomb) instead of inflating it into memory", async () => {
  const size = 256 << 20;
  const path = await Deno.makeTempFile({ suffix: ".dcm" });
  try {
    await Deno.writeFile(path, await deflateBomb(size));
    const r = await dcm("dump", path);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /\(0010,0020\) LO \[BOMB\]/);
    assertMatch(r.stdout, new RegExp(`\\(0040,a160\\) UT \\(not loaded\\)\\s+#\\s+${size}`, "i"));
    const j = await dcm("dump", "--json", path);
    assertEquals(j.code, 0, j.stderr);
    // No file offset holds an inflated value: no BulkDataURI, and a warning says so.
    assertEquals(JSON.parse(j.stdout)["0040A160"], { vr: "UT" });
    assertMatch(j.stderr, /deflated data set has no file offset/);
  } finally {
    await Deno.remove(path);
  }
});
