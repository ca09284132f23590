// Part 10 files: meta information (PS3.10 §7.1), streaming reads, deflate.
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import {
  concatBytes,
  Dataset,
  decodePart10,
  DicomDecodeError,
  encodeDataset,
  encodeFileMeta,
  encodePart10,
  inflateRaw,
  readPart10,
  writePart10,
} from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "../version.ts";
import { PYDICOM_DATA } from "./_peers.ts";

function sample(): Dataset {
  return new Dataset()
    .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
    .set(Tag.SOPInstanceUID, "2.25.123456789")
    .set(Tag.PatientName, "Doe^Jane")
    .set(Tag.PatientID, 1234)
    .set(Tag.Rows, 2)
    .set(Tag.Columns, 2)
    .set(Tag.PixelSpacing, [0.5, 0.25])
    .set(Tag.ReferencedImageSequence, [
      new Dataset().set(Tag.ReferencedSOPInstanceUID, "1.2.3"),
    ])
    .set(Tag.PixelData, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), "OW");
}

/** A stream that delivers `bytes` in chunks of `size`. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream({
    pull(c) {
      if (pos >= bytes.length) return c.close();
      c.enqueue(bytes.slice(pos, pos + size));
      pos += size;
    },
  });
}

Deno.test("encodePart10() writes preamble, DICM and a meta group with a correct group length", () => {
  const bytes = encodePart10(sample(), { transferSyntax: Uid.ExplicitVRLittleEndian });
  assertEquals(new TextDecoder().decode(bytes.subarray(128, 132)), "DICM");
  const file = decodePart10(bytes);
  const groupLength = file.meta.number(Tag.FileMetaInformationGroupLength)!;
  // The group length counts the bytes after (0002,0000) up to the data set (PS3.10 §7.1).
  assertEquals(144 + groupLength, bytes.length - encodeDataset(sample()).length);
  assertEquals(file.meta.bytes(Tag.FileMetaInformationVersion), new Uint8Array([0, 1]));
  assertEquals(file.meta.string(Tag.MediaStorageSOPClassUID), Uid.SecondaryCaptureImageStorage);
  assertEquals(file.meta.string(Tag.MediaStorageSOPInstanceUID), "2.25.123456789");
  assertEquals(file.meta.string(Tag.ImplementationClassUID), IMPLEMENTATION_CLASS_UID);
  assertEquals(file.meta.string(Tag.ImplementationVersionName), IMPLEMENTATION_VERSION_NAME);
  assertEquals(file.transferSyntax, Uid.ExplicitVRLittleEndian);
});

for (
  const ts of ["ImplicitVRLittleEndian", "ExplicitVRLittleEndian", "ExplicitVRBigEndian"] as const
) {
  Deno.test(`read -> write -> read is identical in ${ts}`, () => {
    const first = decodePart10(encodePart10(sample(), { transferSyntax: Uid[ts] }));
    const again = decodePart10(encodePart10(first.dataset, { transferSyntax: Uid[ts] }));
    assertEquals(again.dataset.string(Tag.PatientID), "1234");
    assertEquals(again.dataset.numbers(Tag.PixelSpacing), [0.5, 0.25]);
    assertEquals(again.dataset.numbers(Tag.PixelData), [0x0201, 0x0403, 0x0605, 0x0807]);
    assertEquals(
      encodeDataset(again.dataset, { transferSyntax: Uid[ts] }),
      encodeDataset(first.dataset, { transferSyntax: Uid[ts] }),
    );
  });
}

Deno.test("writePart10() deflates and readPart10() inflates Deflated Explicit VR LE (PS3.5 §A.5)", async () => {
  const bytes = await writePart10(sample(), { transferSyntax: Uid.DeflatedExplicitVRLittleEndian });
  assertThrows(() => decodePart10(bytes), DicomDecodeError);
  const file = await readPart10(chunked(bytes, 7));
  assertEquals(file.transferSyntax, Uid.DeflatedExplicitVRLittleEndian);
  assertEquals(file.dataset.string(Tag.PatientName), "Doe^Jane");
  assertEquals(file.dataset.items(Tag.ReferencedImageSequence).length, 1);
});

Deno.test("readPart10() refuses a deflated data set whose DEFLATE stream is cut short, even where what inflates looks whole", async () => {
  const bytes = await writePart10(sample(), { transferSyntax: Uid.DeflatedExplicitVRLittleEndian });
  // The last bytes of a DEFLATE stream end its final block: without them the
  // data set may still inflate completely, but the file is truncated. (Two
  // bytes at least: the last may be the NUL that pads the stream to even length.)
  for (const cut of [2, 3, 8, bytes.length >> 2]) {
    await assertRejects(
      () => readPart10(chunked(bytes.subarray(0, bytes.length - cut), 7)),
      DicomDecodeError,
      `cut ${cut}`,
    );
  }
  await assertRejects(() => inflateRaw(bytes.subarray(0, bytes.length - 2)), DicomDecodeError);
});

Deno.test("readPart10() reads a deflated data set followed by stray bytes, with a warning; more than 64 are an error", async () => {
  const bytes = await writePart10(sample(), { transferSyntax: Uid.DeflatedExplicitVRLittleEndian });
  const warnings: string[] = [];
  const padded = concatBytes([bytes, new Uint8Array(6)]);
  const file = await readPart10(chunked(padded, 5), { onWarning: (m) => warnings.push(m) });
  assertEquals(file.dataset.string(Tag.PatientName), "Doe^Jane");
  assert(warnings.some((w) => /[67] bytes after the end/.test(w)), warnings.join("\n"));
  await assertRejects(
    () => readPart10(chunked(concatBytes([bytes, new Uint8Array(100)]), 5)),
    DicomDecodeError,
  );
});

Deno.test("readPart10() inflates a deflated data set as it reads: stopping before Pixel Data reads only the start of a 16 MB file", async () => {
  // Pixel data that does not compress, so that the file is as large as its data set.
  const pixels = new Uint8Array(16 << 20);
  let seed = 1;
  for (let i = 0; i < pixels.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    pixels[i] = seed >>> 24;
  }
  const bytes = await writePart10(sample().set(Tag.PixelData, pixels, "OB"), {
    transferSyntax: Uid.DeflatedExplicitVRLittleEndian,
  });
  let pulled = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= bytes.length) return controller.close();
      const n = Math.min(4096, bytes.length - pulled);
      controller.enqueue(bytes.slice(pulled, pulled + n));
      pulled += n;
    },
  }, { highWaterMark: 0 });
  const file = await readPart10(source, { stopBefore: Tag.PixelData });
  assertEquals(file.dataset.string(Tag.PatientName), "Doe^Jane");
  assert(pulled < 1 << 20, `${pulled} of ${bytes.length} bytes read to stop before Pixel Data`);
  await file.rest?.cancel();
});

Deno.test("readPart10() gives the same data set for any chunk size", async () => {
  const bytes = encodePart10(sample());
  const whole = encodeDataset(decodePart10(bytes).dataset);
  for (const size of [1, 2, 3, 5, 8, 13, 100, 1 << 16]) {
    const file = await readPart10(chunked(bytes, size));
    assertEquals(encodeDataset(file.dataset), whole, `chunk size ${size}`);
  }
});

Deno.test("readPart10() stops before Pixel Data and hands over the rest as a stream", async () => {
  const bytes = encodePart10(sample());
  const file = await readPart10(chunked(bytes, 10), { stopBefore: Tag.PixelData });
  assertEquals(file.dataset.has(Tag.PixelData), false);
  assertEquals(file.dataset.string(Tag.PatientID), "1234");
  const rest = new Uint8Array(await new Response(file.rest).arrayBuffer());
  // (7FE0,0010) OW, 4-byte length, then 8 bytes of value.
  assertEquals(rest.length, 12 + 8);
  assertEquals([...rest.subarray(0, 4)], [0xe0, 0x7f, 0x10, 0x00]);
});

Deno.test("readPart10() reads a header of a file with a huge pixel data element without buffering it", async () => {
  // A declared 1 GiB pixel data element after the header: only the header is ever pulled.
  const ds = sample();
  ds.delete(Tag.PixelData);
  const meta = encodePart10(ds);
  const head = new Uint8Array(meta.length + 12);
  head.set(meta);
  head.set([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0, 0, 0, 0x40], meta.length);
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      const chunk = pulled === 0 ? head : new Uint8Array(1 << 16);
      pulled += chunk.length;
      c.enqueue(chunk);
    },
  });
  const file = await readPart10(stream, { stopBefore: Tag.PixelData });
  await file.rest?.cancel();
  assertEquals(file.dataset.string(Tag.PatientID), "1234");
  assert(pulled < 1 << 20, `pulled ${pulled} bytes`);
});

Deno.test("readPart10() rejects a truncated stream with DicomDecodeError", async () => {
  const bytes = encodePart10(sample());
  for (const cut of [100, 140, 200, bytes.length - 3]) {
    await assertRejects(() => readPart10(chunked(bytes.subarray(0, cut), 64)), DicomDecodeError);
  }
});

Deno.test("decodePart10() reads files without preamble and without meta group", () => {
  const bytes = encodePart10(sample(), { transferSyntax: Uid.ExplicitVRLittleEndian });
  const noPreamble = decodePart10(bytes.subarray(128));
  assertEquals(noPreamble.preamble, undefined);
  assertEquals(noPreamble.dataset.string(Tag.PatientID), "1234");
  for (
    const ts of ["ImplicitVRLittleEndian", "ExplicitVRLittleEndian", "ExplicitVRBigEndian"] as const
  ) {
    const bare = decodePart10(encodeDataset(sample(), { transferSyntax: Uid[ts] }));
    assertEquals(bare.transferSyntax, Uid[ts]);
    assertEquals(bare.meta.size, 0);
    assertEquals(bare.dataset.number(Tag.Rows), 2);
  }
});

Deno.test("decodePart10() reads the pydicom corpus's no-preamble and big endian files", async () => {
  for (
    const name of ["ExplVR_BigEndNoMeta.dcm", "ExplVR_LitEndNoMeta.dcm", "MR_small_bigendian.dcm"]
  ) {
    const file = decodePart10(await Deno.readFile(`${PYDICOM_DATA}test_files/${name}`));
    assert(file.dataset.size > 10, name);
    assert(file.dataset.string(Tag.SOPInstanceUID)?.startsWith("1."), name);
  }
});

Deno.test("truncating a Part 10 file at every offset only ever raises DicomDecodeError", () => {
  const bytes = encodePart10(sample());
  let decoded = 0;
  for (let cut = 0; cut < bytes.length; cut++) {
    try {
      decodePart10(bytes.subarray(0, cut));
      decoded++;
    } catch (e) {
      assert(e instanceof DicomDecodeError, `cut at ${cut}: ${e}`);
    }
  }
  // Only cuts between elements (a few dozen at most) leave something valid.
  assert(decoded < bytes.length / 10, `${decoded} of ${bytes.length} truncations decoded`);
});

Deno.test("random byte flips only ever raise DicomDecodeError, in bounded time", async () => {
  const bytes = await Deno.readFile(`${PYDICOM_DATA}test_files/CT_small.dcm`);
  let seed = 12345;
  // Math.imul: a float product would lose the low bits the generator needs.
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 500; round++) {
    const copy = bytes.slice();
    for (let i = 0; i < 4; i++) {
      copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
    }
    try {
      const file = decodePart10(copy);
      for (const el of file.dataset) if (el.kind === "bytes") file.dataset.strings(el.tag);
    } catch (e) {
      assert(e instanceof DicomDecodeError, `round ${round}: ${e}`);
    }
  }
});

Deno.test("encodeFileMeta() of meta read back from a file writes one group length, the right one", () => {
  const original = encodePart10(
    new Dataset()
      .set(Tag.SOPClassUID, Uid.SecondaryCaptureImageStorage)
      .set(Tag.SOPInstanceUID, "2.25.31"),
  );
  const { meta } = decodePart10(original);
  assert(meta.has(Tag.FileMetaInformationGroupLength), "the decoded meta keeps its group length");
  const again = encodeFileMeta(meta);
  // (0002,0000) UL, length 4, at byte 132; then the rest of the group: 12 bytes on.
  const view = new DataView(again.buffer, again.byteOffset, again.byteLength);
  assertEquals(view.getUint16(132, true), 0x0002);
  assertEquals(view.getUint16(134, true), 0x0000);
  assertEquals(view.getUint32(140, true), again.length - 144);
  // No second (0002,0000) after it.
  assertEquals(view.getUint16(144, true), 0x0002);
  assert(view.getUint16(146, true) !== 0x0000, "a second group length follows the first");
  assertEquals(again, original.subarray(0, again.length));
});
