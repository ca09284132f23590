/**
 * Hostile inputs built as they are streamed out, shared by the tests of
 * every reader that must not inflate them into memory.
 *
 * @module
 */
import {
  concatBytes,
  createFileMeta,
  Dataset,
  encodeDataset,
  encodeFileMeta,
} from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";

/**
 * `dataset` (Explicit VR Little Endian) followed by a Text Value (0040,A160)
 * of `size` spaces, deflated as it is made (PS3.5 §A.5) and padded to even:
 * about 1/1000 of `size`. `dataset` must hold only tags below (0040,A160).
 */
export async function deflateWithLongText(dataset: Dataset, size: number): Promise<Uint8Array> {
  const prefix = encodeDataset(dataset, { transferSyntax: Uid.ExplicitVRLittleEndian });
  // (0040,A160) Text Value, UT: tag, VR, two reserved bytes, 32-bit length.
  const header = new Uint8Array(12);
  const view = new DataView(header.buffer);
  view.setUint16(0, Tag.TextValue >>> 16, true);
  view.setUint16(2, Tag.TextValue & 0xffff, true);
  header.set([0x55, 0x54], 4);
  view.setUint32(8, size, true);
  const spaces = new Uint8Array(1 << 20).fill(0x20);
  let left = size;
  const source = new ReadableStream<BufferSource>({
    start(c) {
      c.enqueue(prefix as Uint8Array<ArrayBuffer>);
      c.enqueue(header);
    },
    pull(c) {
      if (left === 0) return c.close();
      const n = Math.min(left, spaces.length);
      c.enqueue(spaces.subarray(0, n));
      left -= n;
    },
  });
  const body = new Uint8Array(
    await new Response(source.pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer(),
  );
  return concatBytes([body, new Uint8Array(body.length & 1)]);
}

/**
 * A Part 10 file in Deflated Explicit VR Little Endian whose data set holds a
 * Patient ID then a Text Value of `size` spaces (a deflate bomb).
 */
export async function deflateBomb(size: number): Promise<Uint8Array> {
  const small = new Dataset().set(Tag.SOPClassUID, Uid.CTImageStorage)
    .set(Tag.SOPInstanceUID, "2.25.7").set(Tag.PatientID, "BOMB")
    .set(Tag.StudyInstanceUID, "2.25.7.1").set(Tag.SeriesInstanceUID, "2.25.7.2");
  const head = encodeFileMeta(
    createFileMeta(small, { transferSyntax: Uid.DeflatedExplicitVRLittleEndian }),
  );
  return concatBytes([head, await deflateWithLongText(small, size)]);
}
