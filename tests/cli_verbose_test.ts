// `-v`, `-d` and `--max-pdu` of the network commands, through the real
// entry point, against SCPs in this process on the loopback interface.
import { serveAssociations } from "../association/mod.ts";
import { StorageScp, type StorageScpOptions } from "../scp/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcm } from "./_cli.ts";

const HOST = "127.0.0.1";
const VERIFICATION = "1.2.840.10008.1.1";

/** An SCP in this process that answers C-ECHO (and drops what is stored). */
function echoScp(options: Partial<StorageScpOptions> = {}): StorageScp {
  return new StorageScp({
    hostname: HOST,
    port: 0,
    handleObject: (object) => object.dataset.cancel(),
    ...options,
  });
}

/** The lines of `text` that start with `prefix`. */
function linesOf(text: string, prefix: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(prefix));
}

/** The lines of the -d block of the PDU whose header line matches `header`. */
function pduBlock(stderr: string, header: RegExp): string[] {
  const lines = stderr.split("\n");
  const start = lines.findIndex((l) => header.test(l));
  assert(start >= 0, `no ${header} in\n${stderr}`);
  const block = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("D:      ")) break;
    block.push(line.slice("D:      ".length));
  }
  return block;
}

Deno.test("dcm echo -v prints a line per association event: requested, accepted with each context, released", async () => {
  await using scp = echoScp();
  const peer = `${HOST}:${scp.port}`;
  const quiet = await dcm("echo", HOST, String(scp.port));
  assertEquals(quiet.code, 0, quiet.stderr);
  assertEquals(quiet.stderr, "");
  const r = await dcm("echo", "-v", "--aet", "ME", "--call", "YOU", HOST, String(scp.port));
  assertEquals(r.code, 0, r.stderr);
  assertEquals(linesOf(r.stderr, "D: "), []);
  assertEquals(linesOf(r.stderr, "I: "), [
    `I: association with ${peer} requested: ME -> YOU, 1 presentation context`,
    `I: association with ${peer} accepted`,
    "I:   context 1: Verification SOP Class, Explicit VR Little Endian: acceptance",
    `I: association with ${peer} released`,
  ]);
  assertMatch(r.stdout, /^C-ECHO YOU@.*: success/);
});

Deno.test("dcm echo -v says why an association was rejected, and with what source and reason", async () => {
  await using scp = echoScp({ aeTitle: "PICKY", acceptAnyCalledAeTitle: false });
  const r = await dcm("echo", "-v", "--call", "SOMEONE", HOST, String(scp.port));
  assertEquals(r.code, 1);
  assertMatch(
    r.stderr,
    new RegExp(
      `^I: association with ${HOST}:${scp.port} rejected: rejected-permanent by the DICOM UL service-user: called-AE-title-not-recognized \\(result 1, source 1, reason 7\\)$`,
      "m",
    ),
  );
});

Deno.test("dcm echo -v says who aborted an association, with source and reason", async () => {
  await using server = serveAssociations(
    { hostname: HOST, port: 0 },
    (association) => association.abort(2, 0),
    {
      supportedAbstractSyntaxes: [{
        abstractSyntax: VERIFICATION,
        transferSyntaxes: ["1.2.840.10008.1.2"],
      }],
    },
  );
  const port = server.addr.port;
  const r = await dcm("echo", "-v", HOST, String(port));
  assertEquals(r.code, 1);
  assertMatch(r.stderr, new RegExp(`^I: association with ${HOST}:${port} accepted$`, "m"));
  assertMatch(
    r.stderr,
    new RegExp(
      `^I: association with ${HOST}:${port} aborted by the DICOM UL service-provider: reason-not-specified \\(source 2, reason 0\\)$`,
      "m",
    ),
  );
});

Deno.test("dcm echo -d prints every PDU and the command sets it carries", async () => {
  await using scp = echoScp();
  const peer = `${HOST}:${scp.port}`;
  const r = await dcm("echo", "-d", HOST, String(scp.port));
  assertEquals(r.code, 0, r.stderr);
  assertEquals(
    linesOf(r.stderr, "D: ").filter((l) => /^D: [<-]/.test(l)),
    [
      `D: -> A-ASSOCIATE-RQ to ${peer}`,
      `D: <- A-ASSOCIATE-AC from ${peer}`,
      `D: -> P-DATA-TF to ${peer}`,
      `D: <- P-DATA-TF from ${peer}`,
      `D: -> A-RELEASE-RQ to ${peer}`,
      `D: <- A-RELEASE-RP from ${peer}`,
    ],
  );
  // -d includes -v.
  assertEquals(linesOf(r.stderr, "I: ").length, 4);
  const rq = pduBlock(r.stderr, /^D: -> A-ASSOCIATE-RQ/);
  assert(rq.includes("Calling AE title: DCMNET"), rq.join("\n"));
  assert(rq.includes(`Presentation context 1: ${VERIFICATION} (Verification SOP Class)`));
  assert(rq.includes("  transfer syntax: 1.2.840.10008.1.2 (Implicit VR Little Endian)"));
  const echoRq = pduBlock(r.stderr, /^D: -> P-DATA-TF/);
  assertEquals(echoRq, [
    "PDV context 1: command, last fragment, 68 bytes",
    "C-ECHO-RQ, no data set",
    `  (0000,0002) Affected SOP Class UID: ${VERIFICATION} (Verification SOP Class)`,
    "  (0000,0110) Message ID: 1",
  ]);
  const echoRsp = pduBlock(r.stderr, /^D: <- P-DATA-TF/);
  assert(echoRsp.includes("C-ECHO-RSP, no data set"), echoRsp.join("\n"));
  assert(echoRsp.includes("  (0000,0900) Status: Success (0000)"), echoRsp.join("\n"));
});

Deno.test("dcm echo --max-pdu sets the Maximum Length proposed in the A-ASSOCIATE-RQ", async () => {
  await using scp = echoScp({ maxPduLength: 32768 });
  const [byDefault, set] = await Promise.all([
    dcm("echo", "-d", HOST, String(scp.port)),
    dcm("echo", "-d", "--max-pdu", "16384", HOST, String(scp.port)),
  ]);
  assertEquals(byDefault.code, 0, byDefault.stderr);
  assertEquals(set.code, 0, set.stderr);
  const maxLength = (stderr: string, header: RegExp) =>
    pduBlock(stderr, header).filter((l) => l.startsWith("Maximum Length: "));
  assertEquals(maxLength(byDefault.stderr, /A-ASSOCIATE-RQ/), ["Maximum Length: 65536"]);
  assertEquals(maxLength(set.stderr, /A-ASSOCIATE-RQ/), ["Maximum Length: 16384"]);
  // The peer's own limit comes back in the A-ASSOCIATE-AC.
  assertEquals(maxLength(set.stderr, /A-ASSOCIATE-AC/), ["Maximum Length: 32768"]);
});
