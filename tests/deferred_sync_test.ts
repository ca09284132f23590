// Deferred (group-commit) durability: files written with durable: "deferred"
// are flushed and renamed into place in the background, flush() waits for all
// of them and reports failures, and the Storage SCP and the C-GET SCU use it
// so that their operation ends only once every file is on the disk.
import { encodeDataset } from "../dataset/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import {
  createStoreHandler,
  DeferredSync,
  INCOMING_FOLDER,
  type ObjectFacts,
  TempFilePool,
  writePart10Atomically,
} from "../service/mod.ts";
import { store } from "../scu/mod.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import {
  CT_IMAGE_STORAGE,
  ctDataset,
  EXPLICIT_LE,
  filesIn,
  HOST,
  randomUid,
} from "./_storage_corpus.ts";

function facts(uid: string): ObjectFacts {
  return { sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: uid, transferSyntax: EXPLICIT_LE };
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function names(dir: string): Promise<string[]> {
  const all: string[] = [];
  for await (const e of Deno.readDir(dir)) all.push(e.name);
  return all.sort();
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dcm_deferred_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a deferred write returns before the file is in place; `placed` and flush() put it there, complete, and leave no temporary file", async () => {
  await withDir(async (dir) => {
    await using pool = new TempFilePool(dir);
    const sync = new DeferredSync();
    const uid = randomUid();
    const body = encodeDataset(ctDataset(uid, 4096), { transferSyntax: EXPLICIT_LE });
    const path = `${dir}/${uid}.dcm`;
    let placedSize = -1;
    const written = await writePart10Atomically(path, facts(uid), streamOf(body), {
      durable: "deferred",
      sync,
      temp: pool,
      onPlaced: (size) => void (placedSize = size),
    });
    // The flush is an operation of its own, still counted when the write
    // returns. (Whether the rename has happened by now is a race with the
    // background flush: on a fast disk it may have.)
    assertEquals(written.size, body.length);
    assertEquals(sync.pending, 1);
    await written.placed;
    assertEquals(placedSize, body.length);
    await sync.flush();
    assertEquals(sync.pending, 0);
    const file = await Deno.readFile(path);
    assertEquals(file.subarray(file.length - body.length), body);
    await pool.close();
    assertEquals(await names(dir), [`${uid}.dcm`]);
  });
});

Deno.test("DeferredSync keeps at most `limit` files in flight: adding one more waits", async () => {
  await withDir(async (dir) => {
    const sync = new DeferredSync({ limit: 2 });
    let most = 0;
    for (let i = 0; i < 12; i++) {
      const uid = randomUid();
      await writePart10Atomically(
        `${dir}/${uid}.dcm`,
        facts(uid),
        streamOf(encodeDataset(ctDataset(uid))),
        { durable: "deferred", sync },
      );
      most = Math.max(most, sync.pending);
    }
    assert(most <= 2, `${most} files were in flight`);
    await sync.flush();
    assertEquals((await filesIn(dir)).length, 12);
  });
});

Deno.test("a deferred file that cannot be placed makes flush() throw with the count and the cause, and its temporary file is removed", async () => {
  await withDir(async (dir) => {
    const pool = new TempFilePool(dir);
    const sync = new DeferredSync();
    const good = randomUid();
    const bad = randomUid();
    await writePart10Atomically(`${dir}/${good}.dcm`, facts(good), streamOf(new Uint8Array(8)), {
      durable: "deferred",
      sync,
      temp: pool,
    });
    // The folder it is renamed into does not exist: the rename fails after success would be answered.
    const lost = await writePart10Atomically(
      `${dir}/missing/${bad}.dcm`,
      facts(bad),
      streamOf(new Uint8Array(8)),
      { durable: "deferred", sync, temp: pool },
    );
    await assertRejects(lost.placed, Deno.errors.NotFound);
    const error = await sync.flush().then(() => undefined, (e: unknown) => e);
    assert(error instanceof Error, `flush() resolved: ${error}`);
    assert(error.message.startsWith("1 written file(s) could not be flushed"), error.message);
    assert(error.cause instanceof Deno.errors.NotFound, String(error.cause));
    // The failure is reported once; the good file is in place.
    await sync.flush();
    await pool.close();
    assertEquals(await names(dir), [`${good}.dcm`]);
  });
});

Deno.test('durable: "deferred" needs a DeferredSync: writePart10Atomically and StorageScp\'s handler say so', async () => {
  await assertRejects(
    writePart10Atomically("/nonexistent/x.dcm", facts("1.2"), streamOf(new Uint8Array(0)), {
      durable: "deferred",
    }),
    TypeError,
  );
  assertThrows(
    () =>
      createStoreHandler({ directory: "/nonexistent", durable: "deferred" }, {
        callingAeTitle: "A",
        calledAeTitle: "B",
      }),
    TypeError,
  );
});

Deno.test('a StorageScp with durable: "deferred" answers success, and flush() puts every file in place and reports each to onFileStored', async () => {
  await withDir(async (dir) => {
    const reported: string[] = [];
    await using scp = new StorageScp({
      hostname: HOST,
      port: 0,
      directory: dir,
      durable: "deferred",
      onFileStored: (file) => reported.push(file.sopInstanceUid),
    });
    const datasets = Array.from({ length: 30 }, () => ctDataset(randomUid(), 2048));
    const summary = await store(HOST, scp.port, datasets);
    assertEquals(summary.completed, 30);
    await scp.flush();
    const uids = datasets.map((d) => d.string(0x00080018)!).sort();
    assertEquals(reported.sort(), uids);
    assertEquals(
      (await filesIn(dir)).map((p) => p.slice(dir.length + 1)),
      uids.map((u) => `${u}.dcm`),
    );
    // The spares only: one per subfolder of .incoming.
    const spares = [];
    for (const folder of await names(`${dir}/${INCOMING_FOLDER}`)) {
      spares.push(...await names(`${dir}/${INCOMING_FOLDER}/${folder}`));
    }
    assertEquals(spares.length, 3);
    assert(spares.every((n) => n.endsWith(".partial")));
  });
});

Deno.test("a throwing onFileStored does not make a deferred flush fail: the files are in place", async () => {
  await withDir(async (dir) => {
    await using scp = new StorageScp({
      hostname: HOST,
      port: 0,
      directory: dir,
      durable: "deferred",
      onFileStored: () => {
        throw new Error("a callback bug");
      },
    });
    const datasets = Array.from({ length: 3 }, () => ctDataset(randomUid()));
    assertEquals((await store(HOST, scp.port, datasets)).completed, 3);
    await scp.flush();
    assertEquals((await filesIn(dir)).length, 3);
  });
});

Deno.test("two deferred writes of the same path are placed in the order they were written", async () => {
  await withDir(async (dir) => {
    const sync = new DeferredSync();
    const uid = randomUid();
    const path = `${dir}/${uid}.dcm`;
    // The first is large (slower to flush), the second small: the second must still win.
    const first = encodeDataset(ctDataset(uid, 8 << 20));
    const second = encodeDataset(ctDataset(uid, 16));
    for (const body of [first, second]) {
      await writePart10Atomically(path, facts(uid), streamOf(body), { durable: "deferred", sync });
    }
    await sync.flush();
    const file = await Deno.readFile(path);
    assertEquals(file.subarray(file.length - second.length), second);
    assertEquals(await names(dir), [`${uid}.dcm`]);
  });
});

Deno.test("a TempFilePool removes the temporary files a crash left in .incoming once they are a day old, and keeps younger ones", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/${INCOMING_FOLDER}`);
    const old = `${dir}/${INCOMING_FOLDER}/old.partial`;
    const young = `${dir}/${INCOMING_FOLDER}/young.partial`;
    await Deno.writeFile(old, new Uint8Array(10));
    await Deno.writeFile(young, new Uint8Array(10));
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await Deno.utime(old, twoDaysAgo, twoDaysAgo);
    const pool = new TempFilePool(dir);
    await pool.close(); // waits for the clean-up
    assertEquals(await names(`${dir}/${INCOMING_FOLDER}`), ["young.partial"]);
  });
});

/**
 * A written temporary file whose flush finishes only when `flushed()` is
 * called: the order in which flushes end is the test's, not the disk's.
 */
async function heldFile(path: string, bytes: Uint8Array) {
  await Deno.writeFile(path, bytes);
  const done = Promise.withResolvers<void>();
  let closed = false;
  const file = {
    syncData: () => done.promise,
    close: () => void (closed = true),
  } as unknown as Deno.FsFile;
  return { file, flushed: () => done.resolve(), closed: () => closed };
}

Deno.test("DeferredSync.add() waits while `limit` flushes are unfinished, and goes on when one ends", async () => {
  await withDir(async (dir) => {
    const sync = new DeferredSync({ limit: 2 });
    const held = await Promise.all(
      [0, 1, 2].map((i) => heldFile(`${dir}/${i}.partial`, new Uint8Array([i]))),
    );
    await sync.add(held[0]!.file, `${dir}/0.partial`, `${dir}/0.dcm`);
    await sync.add(held[1]!.file, `${dir}/1.partial`, `${dir}/1.dcm`);
    let added = false;
    const third = sync.add(held[2]!.file, `${dir}/2.partial`, `${dir}/2.dcm`).then(() =>
      added = true
    );
    await Deno.stat(dir); // an event loop turn: the third add() had its chance
    assert(!added, "a third file was taken while two were being flushed");
    assertEquals(sync.pending, 2);
    held[0]!.flushed();
    await third;
    assertEquals(sync.pending, 2);
    held[1]!.flushed();
    held[2]!.flushed();
    await sync.flush();
    assert(held.every((h) => h.closed()), "every file is closed once flushed");
    assertEquals(await names(dir), ["0.dcm", "1.dcm", "2.dcm"]);
  });
});

Deno.test("a later write of the same path is placed after an earlier one whose flush ends last", async () => {
  await withDir(async (dir) => {
    const sync = new DeferredSync();
    const path = `${dir}/x.dcm`;
    const earlier = await heldFile(`${dir}/a.partial`, new Uint8Array([1]));
    const later = await heldFile(`${dir}/b.partial`, new Uint8Array([2]));
    const first = await sync.add(earlier.file, `${dir}/a.partial`, path);
    const second = await sync.add(later.file, `${dir}/b.partial`, path);
    later.flushed(); // the later one is on the disk first...
    await Deno.stat(dir);
    assert(!(await exists(path)), "the later write was placed before the earlier one");
    earlier.flushed(); // ...but is placed only after the earlier one
    await Promise.all([first.placed, second.placed]);
    await sync.flush();
    assertEquals([...await Deno.readFile(path)], [2]);
  });
});
