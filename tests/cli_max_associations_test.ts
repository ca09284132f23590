/**
 * `--max-associations` on `dcm storescp`: the server process rejects an
 * association over its limit with the PS3.8 transient rejection
 * local-limit-exceeded (PS3.8 Table 9-21), and a value that is not a positive
 * integer is a usage error of both server commands.
 */
import {
  ASSOCIATION_REJECTIONS,
  AssociationRejectedError,
  connect,
  type ConnectOptions,
} from "../association/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcm, MAIN, StorescpProcess } from "./_cli.ts";
import { withDeadline } from "./_storage_corpus.ts";

const HOST = "127.0.0.1";
const CONTEXTS: ConnectOptions["presentationContexts"] = [
  { abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ImplicitVRLittleEndian] },
];

Deno.test("dcm storescp --max-associations 1 rejects a second concurrent association as transient, local-limit-exceeded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_max_associations_" });
  try {
    await using scp = new StorescpProcess(dir, ["--max-associations", "1"]);
    const port = await scp.listening();
    await using first = await connect(HOST, port, { presentationContexts: CONTEXTS });
    const rejection = await connect(HOST, port, { presentationContexts: CONTEXTS }).then(
      async (second) => {
        await second.release();
        return undefined;
      },
      (e: unknown) => e,
    );
    assert(rejection instanceof AssociationRejectedError, `got ${rejection}`);
    const { result, source, reason } = ASSOCIATION_REJECTIONS.LOCAL_LIMIT_EXCEEDED;
    assertEquals([rejection.result, rejection.source, rejection.reason], [result, source, reason]);
    assertMatch(rejection.message, /local-limit-exceeded/);
    await first.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--max-associations other than a positive integer is a usage error (exit 2) of dcm storescp and dcm qrscp", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli_max_associations_" });
  try {
    for (const command of ["storescp", "qrscp"]) {
      for (const bad of ["0", "x", "1.5"]) {
        // A server that accepted the value would listen until killed: the deadline ends it.
        const r = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            MAIN,
            command,
            "--host",
            HOST,
            "--port",
            "0",
            "--dir",
            dir,
            "--max-associations",
            bad,
          ],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
          signal: AbortSignal.timeout(15_000),
        }).output().then((o) => ({ code: o.code, stderr: new TextDecoder().decode(o.stderr) }));
        assertEquals(r.code, 2, `${command} --max-associations ${bad}: ${r.stderr}`);
        assertMatch(
          r.stderr,
          new RegExp(
            `--max-associations must be a positive number, not "${bad.replace(".", "\\.")}"`,
          ),
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm storescp --timeout closes a connection that sends no A-ASSOCIATE-RQ within it (ARTIM, PS3.8 §9.1.5)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcm-timeout-" });
  try {
    await using server = new StorescpProcess(dir, ["--timeout", "0.3"]);
    const port = await server.listening();
    const conn = await Deno.connect({ hostname: HOST, port });
    try {
      // The default ARTIM timeout (30 s) is past this deadline.
      const closed = (async () => {
        const buffer = new Uint8Array(64);
        while ((await conn.read(buffer)) !== null) { /* an A-ABORT, if any */ }
      })();
      await withDeadline(closed, 10_000, "the server to close the silent connection");
    } finally {
      conn.close();
    }
    const bad = await dcm("storescp", "--port", "0", "--dir", dir, "--timeout", "soon");
    assertEquals(bad.code, 2, bad.stderr);
    assertMatch(bad.stderr, /--timeout must be a number of seconds/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
