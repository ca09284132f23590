/**
 * Shutting a server down with a bounded wait: associations that finish in
 * time finish, the rest are aborted at the deadline (issue 11: graceful
 * shutdown), in the library and through `dcm storescp`'s SIGTERM.
 */
import { AssociationAbortedError, connect } from "../association/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { encodePdu } from "../pdu/mod.ts";
import { StorageScp } from "../scp/mod.ts";
import { echo } from "../scu/mod.ts";
import { ServiceProvider } from "../service/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { associateRq } from "./association_helpers.ts";
import { MAIN } from "./_cli.ts";
import { HOST } from "./_qr_fixtures.ts";
import { withDeadline } from "./_storage_corpus.ts";

const VERIFICATION_CONTEXT = [{
  abstractSyntax: Uid.Verification,
  transferSyntaxes: [Uid.ExplicitVRLittleEndian],
}];

Deno.test("shutdown({ timeout }) aborts an association still open at the deadline, and resolves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shutdown-" });
  try {
    const scp = new StorageScp({ hostname: HOST, port: 0, directory: dir });
    // A peer that associates and goes silent: without a deadline the server waits for it forever.
    const association = await connect(HOST, scp.port, {
      presentationContexts: VERIFICATION_CONTEXT,
    });
    const aborted = await withDeadline(scp.shutdown({ timeout: 200 }), 20_000, "shutdown");
    assertEquals(aborted, 1);
    const closed = await association.closed;
    assertEquals(closed.how, "aborted");
    assert(closed.error instanceof AssociationAbortedError);
    assertEquals(scp.activeAssociations, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shutdown({ timeout }) lets an association that releases in time end normally", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shutdown-" });
  try {
    const scp = new StorageScp({ hostname: HOST, port: 0, directory: dir });
    const association = await connect(HOST, scp.port, {
      presentationContexts: VERIFICATION_CONTEXT,
    });
    const stopping = scp.shutdown({ timeout: 10_000 });
    await association.release(); // not aborted: the deadline is far
    await withDeadline(stopping, 20_000, "shutdown");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm storescp exits 0 on SIGTERM within --shutdown-timeout though a peer stays silent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shutdown-cli-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "storescp",
        "--host",
        HOST,
        "--port",
        "0",
        "--dir",
        dir,
        "--shutdown-timeout",
        "0.2",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let port = 0;
    while (port === 0) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`storescp ended: ${text}`);
      text += value;
      const m = /listening on [\d.]+:(\d+)/.exec(text);
      if (m) port = Number(m[1]);
    }
    const association = await connect(HOST, port, { presentationContexts: VERIFICATION_CONTEXT });
    child.kill("SIGTERM");
    const status = await withDeadline(child.status, 20_000, "dcm storescp");
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      text += value;
    }
    assertEquals(status.code, 0, text);
    assertEquals((await association.closed).how, "aborted");
    assertMatch(text, /aborted 1 association/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a service provider aborts an association silent for idleTimeout, and one stalled halfway through a PDU", async () => {
  const dir = await Deno.makeTempDir({ prefix: "idle-" });
  const scp = new StorageScp({ hostname: HOST, port: 0, directory: dir, idleTimeout: 200 });
  try {
    // Silent after the association is established.
    const silent = await connect(HOST, scp.port, { presentationContexts: VERIFICATION_CONTEXT });
    const closed = await withDeadline(silent.closed, 20_000, "the silent association");
    assertEquals(closed.how, "aborted");
    // Stalled inside a PDU: associated on a raw socket, then 3 bytes of a P-DATA-TF header.
    const conn = await Deno.connect({ hostname: HOST, port: scp.port });
    await conn.write(encodePdu(associateRq()));
    const reader = conn.readable.getReader();
    await reader.read(); // the A-ASSOCIATE-AC (small: one read)
    await conn.write(new Uint8Array([0x04, 0x00, 0x00]));
    // The server sends an A-ABORT (PDU type 07H); a conformant peer then
    // closes, as this one does (a silent one is closed at the ARTIM timeout).
    const { value } = await withDeadline(reader.read(), 20_000, "the stalled connection");
    assertEquals(value?.[0], 0x07);
    reader.releaseLock();
    conn.close();
  } finally {
    await scp.shutdown({ abort: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the idle timeout does not end an association whose request is still being handled", async () => {
  // A handler that works three idle periods long while the wire stays silent.
  const scp = new ServiceProvider({
    supportedAbstractSyntaxes: [],
    handlers: {
      "C-ECHO-RQ": async (_request, context) => {
        await new Promise((resolve) => setTimeout(resolve, 600));
        await context.respond({ status: 0 });
      },
    },
  }, { hostname: HOST, port: 0, idleTimeout: 200 });
  try {
    const result = await withDeadline(echo(HOST, scp.port), 20_000, "the echo");
    assertEquals(result.status, 0);
  } finally {
    await scp.shutdown({ abort: true });
  }
});
