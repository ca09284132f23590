// TLS (PS3.15 Annex B, BCP 195): our requestor and our providers over TLS,
// with each other, with DCMTK both ways and through the command line. The
// certificates are the test-only ones of tests/data/tls (see its README).
import { assert, assertEquals, assertMatch, assertRejects } from "./_assert.ts";
import { AssociationAbortedError, connect } from "../association/mod.ts";
import { echo } from "../scu/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { store } from "../service/mod.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import { DCMTK_ENV, DcmtkServer, filesIn, HOST } from "./_storage_corpus.ts";
import { dcm } from "./_cli.ts";

const TLS = new URL("./data/tls/", import.meta.url).pathname;
const CA = `${TLS}ca.pem`;
const SERVER_CERT = `${TLS}server.pem`;
const SERVER_KEY = `${TLS}server.key`;
const CLIENT_CERT = `${TLS}client.pem`;
const CLIENT_KEY = `${TLS}client.key`;
const read = (path: string) => Deno.readTextFileSync(path);
const CA_PEM = read(CA);
const SERVER_TLS = { cert: read(SERVER_CERT), key: read(SERVER_KEY) };
const CLIENT_TLS = { caCerts: [CA_PEM], cert: read(CLIENT_CERT), key: read(CLIENT_KEY) };

function tlsScp(directory: string): StorageScp {
  return new StorageScp({ hostname: HOST, port: 0, directory, tls: SERVER_TLS });
}

/** Checks that the provider on `port` serves TLS only: plain TCP gets no association. */
async function assertTlsOnly(port: number): Promise<void> {
  await assertRejects(() => echo(HOST, port, { associationTimeout: 5000 }));
}

Deno.test("echo() over TLS reaches a StorageScp serving TLS, trusting the test CA", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scp = tlsScp(dir);
    const result = await echo(HOST, scp.port, { tls: { caCerts: [CA_PEM] } });
    assertEquals(result.status, 0x0000);
    await assertTlsOnly(scp.port);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("echo() over TLS rejects a server whose CA it does not trust", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scp = tlsScp(dir);
    await assertRejects(() => echo(HOST, scp.port, { tls: {}, connectTimeout: 5000 }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store() over TLS stores a data set on a StorageScp serving TLS", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scp = tlsScp(dir);
    const summary = await store(HOST, scp.port, [`${PYDICOM_DATA}test_files/CT_small.dcm`], {
      tls: CLIENT_TLS,
    });
    assertEquals(summary.failed, 0, summary.results.find((r) => r.error)?.error?.message);
    assertEquals(summary.completed, 1);
    assertEquals((await filesIn(dir)).length, 1);
    await assertTlsOnly(scp.port);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a plain TCP client fails cleanly against a TLS server, which keeps serving", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scp = tlsScp(dir);
    await assertTlsOnly(scp.port);
    const result = await echo(HOST, scp.port, { tls: { caCerts: [CA_PEM] } });
    assertEquals(result.status, 0x0000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "DCMTK's echoscu +tls reaches our StorageScp serving TLS",
  ignore: dcmtkIgnore("echoscu"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await using scp = tlsScp(dir);
      const out = await new Deno.Command("echoscu", {
        args: ["+tls", CLIENT_KEY, CLIENT_CERT, "+cf", CA, HOST, String(scp.port)],
        env: DCMTK_ENV,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(out.success, new TextDecoder().decode(out.stderr));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "echo() and dcm echo over TLS reach DCMTK's storescp +tls, which requires our certificate",
  ignore: dcmtkIgnore("storescp"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await using server = await DcmtkServer.start(
        "storescp",
        (port) => ["+tls", SERVER_KEY, SERVER_CERT, "+cf", CA, "-od", dir, String(port)],
      );
      const result = await echo(HOST, server.port, { tls: CLIENT_TLS });
      assertEquals(result.status, 0x0000);
      const run = await dcm(
        "echo",
        "--tls-ca",
        CA,
        "--tls-cert",
        CLIENT_CERT,
        "--tls-key",
        CLIENT_KEY,
        HOST,
        String(server.port),
      );
      assertEquals(run.code, 0, run.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("dcm echo --tls --tls-ca reaches a StorageScp serving TLS", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using scp = tlsScp(dir);
    const run = await dcm("echo", "--tls", "--tls-ca", CA, HOST, String(scp.port));
    assertEquals(run.code, 0, run.stderr);
    assertMatch(run.stdout, /success/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm storescp with --tls-key but no --tls-cert is a usage error", async () => {
  const run = await dcm("storescp", "--tls-key", SERVER_KEY, "--port", "0", "--dir", "/tmp");
  assertEquals(run.code, 2, run.stderr);
  assertMatch(run.stderr, /--tls-key needs --tls-cert/);
});

Deno.test("dcm echo names a TLS file it cannot read", async () => {
  const run = await dcm("echo", "--tls-ca", "/nonexistent/ca.pem", HOST, "104");
  assertEquals(run.code, 1, run.stderr);
  assertMatch(run.stderr, /\/nonexistent\/ca\.pem/);
});

Deno.test("connect() over TLS gives up on a silent handshake after connectTimeout, or when aborted", async () => {
  using listener = Deno.listen({ hostname: HOST, port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // Never answers the ClientHello.
  })();
  const contexts = [{
    abstractSyntax: "1.2.840.10008.1.1",
    transferSyntaxes: ["1.2.840.10008.1.2"],
  }];
  const start = performance.now();
  await assertRejects(
    () =>
      connect(HOST, listener.addr.port, {
        presentationContexts: contexts,
        tls: {},
        connectTimeout: 200,
      }),
    AssociationAbortedError,
  );
  const controller = new AbortController();
  const connecting = connect(HOST, listener.addr.port, {
    presentationContexts: contexts,
    tls: {},
    signal: controller.signal,
  });
  controller.abort();
  await assertRejects(() => connecting, AssociationAbortedError);
  assert(performance.now() - start < 10_000, "gave up within the timeout, not the 30 s default");
  listener.close();
  await accepting.catch(() => {});
  for (const conn of held) conn.close();
});
