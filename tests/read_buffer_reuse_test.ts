/**
 * The association reads a socket into buffers it reuses, and the DIMSE
 * channel copies each data set fragment into pooled chunks the Storage
 * SCP's writer gives back (issue 13: "Storage SCP RSS <= 80 MB while
 * receiving 100 MB objects"). Reuse must never overwrite bytes a reader
 * has not taken yet: these tests check the bytes, whatever the PDU
 * boundaries and however far the reader lags, and that the buffers are in
 * fact reused.
 */
import { _Connection } from "../association/_connection.ts";
import { acceptAssociation, connect, type Transport } from "../association/mod.ts";
import { Dataset, encodeDataset } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { _chunkStats } from "../_chunks.ts";
import { DimseChannel, STATUS } from "../dimse/mod.ts";
import type { PDataTfPdu, Pdu } from "../pdu/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { storeCt } from "./association_helpers.ts";
import { HOST } from "./_storage_corpus.ts";
import { _writePart10Atomically } from "../service/file_writer.ts";

const CT = Uid.CTImageStorage;
const EXPLICIT_LE = Uid.ExplicitVRLittleEndian;

/** Bytes that repeat nowhere: a buffer overwritten too early cannot go unnoticed. */
function noise(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** A P-DATA-TF PDU of one data set PDV (PS3.8 §9.3.5, Annex E), written out by hand. */
function pDataTf(data: Uint8Array, last: boolean): Uint8Array {
  const pdu = new Uint8Array(6 + 4 + 2 + data.length);
  const view = new DataView(pdu.buffer);
  pdu[0] = 0x04; // PDU-type
  view.setUint32(2, pdu.length - 6); // PDU-length
  view.setUint32(6, 2 + data.length); // Item-length: context ID, header, data
  pdu[10] = 1; // Presentation-context-ID
  pdu[11] = last ? 0x02 : 0x00; // Message control header: data set, last fragment or not
  pdu.set(data, 12);
  return pdu;
}

/**
 * A socket as `_Connection` reads one: `read()` hands out the script's
 * bytes in reads of `readSize`, noting which buffer each went into.
 */
class ScriptedSocket {
  readonly readable = new ReadableStream<Uint8Array>();
  readonly writable = new WritableStream<Uint8Array>();
  readonly buffers: ArrayBufferLike[] = [];
  #bytes: Uint8Array;
  #at = 0;
  #readSize: number;
  constructor(bytes: Uint8Array, readSize: number) {
    this.#bytes = bytes;
    this.#readSize = readSize;
  }
  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#at >= this.#bytes.length) return Promise.resolve(null);
    const n = Math.min(buffer.length, this.#readSize, this.#bytes.length - this.#at);
    buffer.set(this.#bytes.subarray(this.#at, this.#at + n));
    this.#at += n;
    this.buffers.push(buffer.buffer);
    return Promise.resolve(n);
  }
  write(bytes: Uint8Array): Promise<number> {
    return Promise.resolve(bytes.length);
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

/**
 * Reads `pdus` PDUs of `size` data bytes each in reads of `readSize` bytes
 * (never on a PDU boundary), through a `_Connection` whose reader finishes
 * with the PDUs only as `lag` says: the PDUs, their expected data, and the
 * distinct buffers read into.
 */
async function readScripted(
  pdus: number,
  size: number,
  readSize: number,
  lag: (pushed: number) => number,
): Promise<{ got: PDataTfPdu[]; expected: Uint8Array[]; buffers: number; early: string[] }> {
  const expected = Array.from({ length: pdus }, (_, i) => noise(size, i + 1));
  const stream = new Uint8Array(pdus * (size + 12));
  expected.forEach((data, i) => stream.set(pDataTf(data, i === pdus - 1), i * (size + 12)));
  const socket = new ScriptedSocket(stream, readSize);
  const got: PDataTfPdu[] = [];
  const early: string[] = [];
  let finished = 0;
  const ended = Promise.withResolvers<void>();
  new _Connection(socket as unknown as Transport, { maxPduLength: 0, writeTimeout: 0 }, {
    pdu: (pdu: Pdu) => {
      assert(pdu.type === "P-DATA-TF");
      got.push(pdu);
      // Every PDU not yet finished with must still hold its bytes.
      for (let i = finished; i < got.length; i++) {
        if (!sameBytes(got[i]!.values[0]!.data, expected[i]!)) early.push(`PDU ${i}`);
      }
    },
    invalid: (error) => ended.reject(error),
    ended: (cause) => cause === undefined ? ended.resolve() : ended.reject(cause),
    pause: () => undefined,
    pushed: () => got.length,
    finished: () => (finished = Math.max(finished, lag(got.length))),
  });
  await ended.promise;
  return { got, expected, buffers: new Set(socket.buffers).size, early };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

Deno.test("a socket is read into one buffer, reused, while its reader keeps up, PDUs straddling reads included", async () => {
  const { got, expected, buffers, early } = await readScripted(200, 40_000, 50_000, (n) => n);
  assertEquals(early, []);
  assertEquals(got.length, expected.length);
  // The first read goes into the buffer read before the reader was known;
  // every read after it into the one reused buffer.
  assert(buffers <= 2, `${buffers} buffers read into for 200 PDUs`);
});

Deno.test("a read buffer whose PDUs the reader has not finished with is never read into", async () => {
  // The reader finishes with the PDUs 6 behind (as a busy consumer does):
  // every PDU must keep its bytes until then, across many reads.
  const { got, expected, buffers, early } = await readScripted(
    200,
    40_000,
    50_000,
    (n) => Math.max(0, n - 6),
  );
  assertEquals(early, []);
  assertEquals(got.length, expected.length);
  // Spare buffers are reused too: the lag costs a few buffers, not one per read.
  assert(buffers <= 12, `${buffers} buffers read into for 200 PDUs`);
});

Deno.test("PDUs longer than the read buffer arrive whole, the buffer grown to them and not kept after", async () => {
  const { got, expected, early } = await readScripted(5, 1_000_000, 50_000, (n) => n);
  assertEquals(early, []);
  assertEquals(got.length, expected.length);
});

Deno.test("a PDU declared 3 GiB long, with no Maximum Length set, allocates only as its bytes arrive", async () => {
  // The header of a P-DATA-TF of 3 GiB, then 2 MB of it, then the end.
  const header = new Uint8Array(12);
  header[0] = 0x04;
  new DataView(header.buffer).setUint32(2, 3 * 2 ** 30);
  const stream = new Uint8Array(12 + 2_000_000);
  stream.set(header);
  stream.set(noise(2_000_000, 5), 12);
  // The PDUs before it went to a consumer, so the socket is read into reused buffers.
  const first = pDataTf(noise(100, 1), true);
  const socket = new ScriptedSocket(new Uint8Array([...first, ...stream]), 65_536);
  const sizes: number[] = [];
  const read = socket.read.bind(socket);
  socket.read = (buffer: Uint8Array) => {
    sizes.push(buffer.buffer.byteLength);
    return read(buffer);
  };
  let pdus = 0;
  const ended = Promise.withResolvers<unknown>();
  new _Connection(socket as unknown as Transport, { maxPduLength: 0, writeTimeout: 0 }, {
    pdu: () => void pdus++,
    invalid: (error) => ended.resolve(error),
    ended: (cause) => ended.resolve(cause),
    pause: () => undefined,
    pushed: () => pdus,
    finished: () => pdus,
  });
  assertEquals(await ended.promise, undefined);
  assertEquals(pdus, 1);
  const largest = Math.max(...sizes);
  assert(largest <= 8 << 20, `a ${largest}-byte buffer for 2 MB of a PDU`);
});

/** A CT image with `pixels` as its Pixel Data, encoded in Explicit VR Little Endian. */
function ctImage(uid: string, pixels: Uint8Array): Uint8Array {
  return encodeDataset(
    new Dataset()
      .set(Tag.SOPClassUID, CT)
      .set(Tag.SOPInstanceUID, uid)
      .set(Tag.PatientID, "REUSE")
      .set(Tag.PixelData, pixels, "OW"),
    { transferSyntax: EXPLICIT_LE },
  );
}

Deno.test("a data set arrives byte for byte over a real socket while its reader lags behind every PDU", async () => {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const sent = [ctImage("2.25.1", noise(3_000_017, 7)), ctImage("2.25.2", noise(70_001, 9))];
  const received: Uint8Array[] = [];
  const serving = (async () => {
    const conn = await listener.accept();
    conn.setNoDelay(true);
    const association = await acceptAssociation(conn, {
      supportedAbstractSyntaxes: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
      // PDUs of an odd size, so that they straddle the reads.
      maxPduLength: 9_999,
    });
    const channel = new DimseChannel(association, {
      // A queue of one byte: the channel waits for the reader after every
      // fragment, so PDUs wait in the association while buffers are read.
      datasetHighWaterMark: 1,
      handlers: {
        "C-STORE-RQ": async (request, context) => {
          const parts: Uint8Array[] = [];
          for await (const chunk of request.dataset!) {
            parts.push(chunk.slice());
            // The reader lags: the event loop turns, reads go on meanwhile.
            await new Promise((resolve) => setTimeout(resolve, 0));
          }
          const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) all.set(p, (at += p.length) - p.length);
          received.push(all);
          await context.respond({ status: STATUS.SUCCESS });
        },
      },
    });
    await channel.closed;
  })();
  try {
    const association = await connect(HOST, (listener.addr as Deno.NetAddr).port, {
      presentationContexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
    });
    const channel = new DimseChannel(association);
    const contextId = association.findContext(CT)!.id;
    for (const [i, dataset] of sent.entries()) {
      const response = await storeCt(channel, contextId, `2.25.${i + 1}`, dataset);
      assertEquals(response?.status, STATUS.SUCCESS);
    }
    await association.release();
    await serving;
  } finally {
    listener.close();
  }
  assertEquals(received.length, sent.length);
  for (const [i, bytes] of received.entries()) {
    assert(sameBytes(bytes, sent[i]!), `data set ${i} arrived with other bytes`);
  }
});

Deno.test("the Storage SCP gives the chunks of a large data set back as it writes them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chunk-reuse-" });
  try {
    await using scp = new StorageScp({ hostname: HOST, port: 0, directory: dir });
    const association = await connect(HOST, scp.port, {
      presentationContexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
    });
    const channel = new DimseChannel(association);
    const contextId = association.findContext(CT)!.id;
    const dataset = ctImage("2.25.77", noise(16 << 20, 3));
    const before = _chunkStats().created;
    const response = await storeCt(channel, contextId, "2.25.77", dataset);
    assertEquals(response?.status, STATUS.SUCCESS);
    await association.release();
    await channel.closed;
    // 16 MiB is 64 chunks: a few are made, the rest are those given back.
    const created = _chunkStats().created - before;
    assert(created <= 12, `${created} chunks made for 64 chunks of data`);
    const file = await Deno.readFile(`${dir}/2.25.77.dcm`);
    assert(
      sameBytes(file.subarray(file.length - dataset.length), dataset),
      "the file's bytes differ",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the file writer writes large chunks as they are and small ones joined, giving each back once, after its bytes are on their way", async () => {
  const dir = await Deno.makeTempDir({ prefix: "writer-chunks-" });
  try {
    // Pooled-size chunks, then many small ones (a user's stream), then large again.
    const chunks = [
      ...Array.from({ length: 6 }, (_, i) => noise(256 << 10, 10 + i)),
      ...Array.from({ length: 400 }, (_, i) => noise(4000, 100 + i)),
      noise(300 << 10, 7),
    ];
    const expected = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (expected.set(c, at), at + c.length), 0);
    const queue = chunks.map((c) => c.slice());
    const given = new Set<Uint8Array>(queue);
    const back: Uint8Array[] = [];
    const path = `${dir}/2.25.5.dcm`;
    const facts = { sopClassUid: CT, sopInstanceUid: "2.25.5", transferSyntax: EXPLICIT_LE };
    await _writePart10Atomically(path, facts, {
      read: () =>
        Promise.resolve(
          queue.length > 0
            ? { done: false as const, value: queue.shift()! }
            : { done: true as const },
        ),
      cancel: () => Promise.resolve(),
      recycle: (c) => {
        // Given back, it may be overwritten at once: as the pool would.
        assert(given.has(c), "a chunk the reader did not give was handed back");
        back.push(c);
        c.fill(0xee);
      },
    });
    assertEquals(back.length, chunks.length);
    assertEquals(new Set(back).size, chunks.length);
    const file = await Deno.readFile(path);
    assert(
      sameBytes(file.subarray(file.length - expected.length), expected),
      "the file's bytes differ",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
