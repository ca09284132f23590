/**
 * Retrieval as stored (issue 12, item 2): get(), retrieve() and `dcm get`
 * receive JPEG Baseline, JPEG Extended, JPEG Lossless, JPEG-LS, JPEG 2000
 * and RLE objects in the transfer syntax the archive holds them in, byte for
 * byte, from our Q/R SCP (in process and `dcm qrscp`); with
 * `prefer: "uncompressed"` only uncompressed contexts are proposed; a study
 * needing more contexts than one association holds (PS3.8 §9.3.2.2: 128)
 * arrives whole over several; C-MOVE into our StorageScp takes every
 * syntax; a folder that cannot be written fails before any association.
 * Orthanc's side is in tests/get_stored_orthanc_test.ts.
 */
import { Archive } from "../archive/mod.ts";
import { negotiatePresentationContexts } from "../association/mod.ts";
import { STORAGE_SOP_CLASSES, Uid } from "../dictionary/mod.ts";
import { QueryRetrieveScp, type QueryRetrieveScpOptions, StorageScp } from "../scp/mod.ts";
import { QueryRetrieveScu, RetrieveDirectoryError } from "../scu/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { contextsForClasses, LIKELY_STORED_SYNTAXES } from "../scu/_retrieve_plan.ts";
import { dcm, ServerProcess } from "./_cli.ts";
import { datasetBytesOf, freePort, HOST, startDcmqrscp } from "./_qr_fixtures.ts";
import { dcmtkIgnore } from "./_peers.ts";
import { sameBytes } from "./_storage_corpus.ts";
import {
  pixelBytesOf,
  type StoredObject,
  type StoredStudy,
  storedSyntaxOf,
  studyQuery,
  TWENTY_IMAGE_CLASSES,
  writeAcrossClasses,
  writeStoredStudy,
} from "./_stored_study.ts";

interface Fixture extends AsyncDisposable {
  readonly root: string;
  readonly study: StoredStudy;
  readonly archive: Archive;
  readonly scp: QueryRetrieveScp;
  /** A fresh folder to retrieve into. */
  out(name: string): string;
  /** A further Q/R SCP ("QRSCP") over the fixture's archive, with these options too. */
  serve(options: Partial<QueryRetrieveScpOptions>): QueryRetrieveScp;
}

async function openFixture(): Promise<Fixture> {
  const root = await Deno.makeTempDir({ prefix: "get_stored_" });
  const study = await writeStoredStudy(`${root}/archive`);
  const archive = Archive.open();
  await archive.ingestDirectory(`${root}/archive`);
  const scp = new QueryRetrieveScp({ hostname: HOST, port: 0, aeTitle: "QRSCP", archive });
  return {
    root,
    study,
    archive,
    scp,
    out: (name) => `${root}/${name}`,
    serve: (options) =>
      new QueryRetrieveScp({ hostname: HOST, port: 0, aeTitle: "QRSCP", archive, ...options }),
    async [Symbol.asyncDispose]() {
      await scp.shutdown();
      archive.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

const UNCOMPRESSED: readonly string[] = [
  Uid.ExplicitVRLittleEndian,
  Uid.ImplicitVRLittleEndian,
  Uid.ExplicitVRBigEndian,
];

/**
 * Asserts that `dir` holds every object of the study as `<SOP Instance UID>.dcm`,
 * each in its stored transfer syntax with the stored data set byte for byte.
 */
async function assertReceivedAsStored(dir: string, objects: readonly StoredObject[]) {
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => !n.startsWith("."));
  assertEquals(names.sort(), objects.map((o) => `${o.sopInstanceUid}.dcm`).sort());
  for (const o of objects) {
    const got = `${dir}/${o.sopInstanceUid}.dcm`;
    assertEquals(await storedSyntaxOf(got), o.transferSyntax, `${o.source}: transfer syntax`);
    const a = await datasetBytesOf(got), b = await datasetBytesOf(o.path);
    assert(sameBytes(a, b), `${o.source}: the data set differs from the stored one`);
  }
}

Deno.test("get() receives JPEG, JPEG-LS, JPEG 2000, RLE and uncompressed objects from our Q/R SCP as stored, byte for byte", async () => {
  await using f = await openFixture();
  await using scu = new QueryRetrieveScu(HOST, f.scp.port, { calledAeTitle: "QRSCP" });
  const result = await scu.get(studyQuery(f.study), { directory: f.out("got") });
  assertEquals([result.completed, result.failed, result.warning], [f.study.objects.length, 0, 0]);
  await assertReceivedAsStored(f.out("got"), f.study.objects);
});

Deno.test("get() proposes each stored syntax in a context of its own, within 128, and retrieve() by C-GET receives as stored too", async () => {
  await using f = await openFixture();
  const proposed: string[][] = [];
  await using scp = f.serve({
    onAssociation: (a) => {
      for (const c of a.presentationContexts) {
        if (c.roles.requestor.scp) proposed.push([c.abstractSyntax, c.transferSyntax ?? ""]);
      }
      assert(a.presentationContexts.length <= 128);
    },
  });
  await using scu = new QueryRetrieveScu(HOST, scp.port, { calledAeTitle: "QRSCP" });
  const result = await scu.retrieve(studyQuery(f.study), { directory: f.out("nested/got") });
  assertEquals([result.method, result.completed, result.failed], ["C-GET", 10, 0]);
  await assertReceivedAsStored(f.out("nested/got"), f.study.objects);
  // Every object's (class, stored syntax) had a context accepted in that syntax.
  for (const o of f.study.objects) {
    if (o.transferSyntax === Uid.ExplicitVRLittleEndian) continue;
    assert(
      proposed.some(([c, ts]) => c === o.sopClassUid && ts === o.transferSyntax),
      `no context accepted for ${o.source}`,
    );
  }
});

Deno.test('get() with prefer: "uncompressed" proposes uncompressed syntaxes only; what the archive cannot decompress fails, named by SOP class and syntax', async () => {
  await using f = await openFixture();
  const proposed = new Set<string>();
  await using scp = f.serve({
    onAssociation: (a) => {
      for (const c of a.presentationContexts) {
        if (c.roles.requestor.scp && c.transferSyntax) proposed.add(c.transferSyntax);
      }
    },
  });
  const warnings: string[] = [];
  await using scu = new QueryRetrieveScu(HOST, scp.port, {
    calledAeTitle: "QRSCP",
    onWarning: (m) => warnings.push(m),
  });
  const result = await scu.get(studyQuery(f.study), {
    directory: f.out("got"),
    prefer: "uncompressed",
  });
  assertEquals([...proposed].sort(), [Uid.ExplicitVRLittleEndian]);
  const native = f.study.objects.filter((o) => !o.source.match(/jpeg|JPG|JPEG|RLE|jp2k/));
  assertEquals([result.completed, result.failed], [native.length, 10 - native.length]);
  // The final response's Error Comment (at most 64 characters) names the syntax by keyword.
  assert(
    warnings.some((w) => /: 7 failed: no accepted context for (JPEG|RLE)\w+/.test(w)),
    warnings.join(" | "),
  );
  // Our archive does not transcode: each compressed object fails, and says why.
  for (const o of f.study.objects.filter((o) => !native.includes(o))) {
    assert(
      warnings.some((w) =>
        w.includes(o.sopInstanceUid) && w.includes("accepted no context for") &&
        w.includes(" in ") && w.includes(o.transferSyntax === Uid.RLELossless ? "RLE" : "JPEG")
      ),
      `no warning names ${o.source}: ${warnings.join(" | ")}`,
    );
  }
});

Deno.test("a study needing more than 128 contexts arrives whole, as stored, over several associations", async () => {
  const root = await Deno.makeTempDir({ prefix: "get_stored_many_" });
  try {
    const study = await writeStoredStudy(`${root}/base`);
    // 20 image storage classes × the 7 compressed objects: 140 class × syntax pairs
    // and 20 uncompressed contexts, 160 in all.
    const objects = await writeAcrossClasses(study, `${root}/archive`, TWENTY_IMAGE_CLASSES);
    using archive = Archive.open();
    await archive.ingestDirectory(`${root}/archive`);
    let associations = 0;
    await using scp = new QueryRetrieveScp({
      hostname: HOST,
      port: 0,
      archive,
      onAssociation: (a) => {
        if (a.presentationContexts.some((c) => c.roles.requestor.scp)) associations++;
        assert(a.presentationContexts.length <= 128);
      },
    });
    await using scu = new QueryRetrieveScu(HOST, scp.port);
    const result = await scu.get(studyQuery(study), { directory: `${root}/got` });
    assertEquals([result.completed, result.failed, result.warning], [objects.length, 0, 0]);
    assertEquals(result.received.length, objects.length);
    assert(associations >= 2, `${associations} association(s)`);
    await assertReceivedAsStored(`${root}/got`, objects);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("C-MOVE into our StorageScp keeps every object as stored", async () => {
  await using f = await openFixture();
  await Deno.mkdir(f.out("moved"));
  await using storage = new StorageScp({
    hostname: HOST,
    port: 0,
    aeTitle: "MOVEDEST",
    directory: f.out("moved"),
  });
  await using scp = f.serve({
    destinations: { MOVEDEST: { hostname: HOST, port: storage.port } },
  });
  await using scu = new QueryRetrieveScu(HOST, scp.port, { calledAeTitle: "QRSCP" });
  const result = await scu.move(studyQuery(f.study), { destination: "MOVEDEST" });
  assertEquals([result.completed, result.failed], [10, 0]);
  await assertReceivedAsStored(f.out("moved"), f.study.objects);
});

Deno.test("retrieve() and get() into a folder that cannot be used fail before any association, naming it", async () => {
  await using f = await openFixture();
  let associations = 0;
  await using scp = new QueryRetrieveScp({
    hostname: HOST,
    port: 0,
    archive: f.archive,
    onAssociation: () => associations++,
  });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const file = f.out("a-file");
  await Deno.writeTextFile(file, "not a folder");
  const e = await scu.retrieve(studyQuery(f.study), { directory: file }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert(e instanceof RetrieveDirectoryError, String(e));
  assertEquals(e.directory, file);
  assertEquals(e.message, `Cannot retrieve into ${file}: it is a file, not a folder`);
  await assertRejects(
    async () => await scu.get(studyQuery(f.study), { directory: `${file}/below` }),
    RetrieveDirectoryError,
    "part of its path is a file",
  );
  assertEquals(associations, 0);
});

Deno.test("dcm get receives every object as stored from dcm qrscp after one C-FIND (SOP Classes in Study); with --prefer uncompressed, dcm qrscp decodes them", async () => {
  await using f = await openFixture();
  await using server = new ServerProcess("qrscp", `${f.root}/archive`, ["--aet", "QRSCP"]);
  const port = await server.listening();
  const key = `StudyInstanceUID=${f.study.studyInstanceUid}`;
  const level = "QueryRetrieveLevel=STUDY";
  // dcm get of the study from dcm qrscp ("QRSCP") into `dir`.
  const dcmGet = (dir: string, ...options: string[]) =>
    dcm(
      "get",
      HOST,
      String(port),
      "--call",
      "QRSCP",
      "--dir",
      dir,
      "-k",
      level,
      "-k",
      key,
      ...options,
    );
  const got = await dcmGet(f.out("got"), "-d");
  assertEquals(got.code, 0, got.stderr);
  await assertReceivedAsStored(f.out("got"), f.study.objects);
  // dcm qrscp answers SOP Classes in Study: one C-FIND told the classes, none per series.
  assertEquals(
    got.stderr.split("\n").filter((l) => /C-FIND-RQ, with a data set/.test(l)).length,
    1,
  );
  const plain = await dcmGet(f.out("plain"), "--prefer", "uncompressed");
  // dcm qrscp decodes (codecs/, on by default) for a requestor that takes
  // uncompressed syntaxes only: every object arrives, none compressed.
  assertEquals(plain.code, 0, plain.stderr);
  for (const o of f.study.objects) {
    const ts = await storedSyntaxOf(`${f.out("plain")}/${o.sopInstanceUid}.dcm`);
    assert(
      UNCOMPRESSED.includes(ts),
      `${o.source} arrived in ${ts}`,
    );
  }
  const bad = await dcm(
    "get",
    HOST,
    String(port),
    "--dir",
    f.out("x"),
    "-k",
    level,
    "-k",
    key,
    "--prefer",
    "lossy",
  );
  assertEquals(bad.code, 2, bad.stderr);
});

Deno.test("without the instances, the storage contexts stay within 127: every likely stored syntax for few classes, for the first three of many", () => {
  const few = contextsForClasses([Uid.CTImageStorage, Uid.MRImageStorage], "stored", [
    Uid.ExplicitVRLittleEndian,
  ]);
  assertEquals(few.length, 2 * (1 + LIKELY_STORED_SYNTAXES.length));
  const many = contextsForClasses(STORAGE_SOP_CLASSES, "stored", [Uid.ExplicitVRLittleEndian]);
  assertEquals(many.length, 127);
  const rich = new Set(
    many.filter((c) => c.transferSyntaxes[0] === Uid.JPEGBaseline8Bit).map((c) => c.abstractSyntax),
  );
  assertEquals([...rich], STORAGE_SOP_CLASSES.slice(0, 3));
  assert(many.every((c) => c.roles?.scp === true && c.roles.scu === false));
  const plain = contextsForClasses(STORAGE_SOP_CLASSES, "uncompressed", [
    Uid.ExplicitVRLittleEndian,
  ]);
  assertEquals(plain.length, 127);
  assert(
    plain.every((c) =>
      c.transferSyntaxes.length === 1 && c.transferSyntaxes[0] === Uid.ExplicitVRLittleEndian
    ),
  );
});

// dcmqrscp proposes the uncompressed syntaxes and one compressed syntax, chosen on
// its command line, for its C-MOVE sub-operations: one run per syntax.
const DCMQRSCP_PROPOSING: readonly [string, string][] = [
  ["-xy", Uid.JPEGBaseline8Bit],
  ["-xs", Uid.JPEGLosslessSV1],
  ["-xt", Uid.JPEGLSLossless],
  ["-xv", Uid.JPEG2000Lossless],
  ["-xr", Uid.RLELossless],
];

Deno.test({
  name:
    "retrieve() from DCMTK's dcmqrscp without C-GET: C-MOVE into our Storage SCP keeps JPEG, JPEG-LS, JPEG 2000 and RLE objects as stored",
  ignore: dcmtkIgnore("dcmqrscp"),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "get_stored_dcmqrscp_" });
    try {
      const study = await writeStoredStudy(`${root}/study`);
      for (const [flag, syntax] of DCMQRSCP_PROPOSING) {
        const listenPort = freePort();
        await using dcmqrscp = await startDcmqrscp(`${root}/study`, {
          args: ["--disable-get", flag],
          destinations: { RETRIEVER: listenPort },
        });
        await using scu = new QueryRetrieveScu(HOST, dcmqrscp.port, {
          callingAeTitle: "RETRIEVER",
          calledAeTitle: dcmqrscp.aeTitle,
        });
        const out = `${root}/got${flag}`;
        const result = await scu.retrieve(studyQuery(study), {
          directory: out,
          listenHostname: HOST,
          listenPort,
        });
        assertEquals(result.method, "C-MOVE");
        const wanted = study.objects.filter((o) => o.transferSyntax === syntax);
        assertEquals(wanted.length, 1);
        for (const o of wanted) {
          const got = `${out}/${o.sopInstanceUid}.dcm`;
          assertEquals(await storedSyntaxOf(got), o.transferSyntax, o.source);
          const a = await pixelBytesOf(got), b = await pixelBytesOf(o.path);
          assert(sameBytes(a, b), o.source);
        }
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("an acceptor with proposerOrder takes the proposer's first syntax it supports, as retrieve()'s C-MOVE destination does", () => {
  const chosen = (proposerOrder: boolean, offered: string[]) =>
    negotiatePresentationContexts(
      [{ id: 1, abstractSyntax: Uid.CTImageStorage, transferSyntaxes: offered }],
      [],
      [{
        abstractSyntax: Uid.CTImageStorage,
        transferSyntaxes: [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian, Uid.RLELossless],
        proposerOrder,
      }],
    ).items[0]?.transferSyntax;
  // DCMTK's dcmqrscp -xr proposes RLE first, then the uncompressed syntaxes.
  const dcmtk = [Uid.RLELossless, Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian];
  assertEquals(chosen(true, dcmtk), Uid.RLELossless);
  assertEquals(chosen(false, dcmtk), Uid.ExplicitVRLittleEndian);
  // Syntaxes the acceptor does not support are passed over.
  assertEquals(
    chosen(true, [Uid.JPEG2000, Uid.ImplicitVRLittleEndian]),
    Uid.ImplicitVRLittleEndian,
  );
});
