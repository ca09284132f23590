// `dcm storescp`, `dcm echo` and `dcm store` as a user runs them: real
// processes through the real entry point, on the loopback interface (issue 4).
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import { filesIn, freePort, HOST } from "./_storage_corpus.ts";
import { dcm, StorescpProcess } from "./_cli.ts";

const FILES = `${PYDICOM_DATA}test_files`;

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    n += e.isDirectory ? await countFiles(`${dir}/${e.name}`) : e.isFile ? 1 : 0;
  }
  return n;
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

Deno.test("dcm storescp receives what dcm store sends, dcm echo verifies it, and SIGTERM ends it with exit 0", async (t) => {
  const out = await Deno.makeTempDir({ prefix: "dcm_cli_storage_" });
  try {
    await using scp = new StorescpProcess(out, ["-v"]);
    const port = String(await scp.listening());
    let sent = 0;

    await t.step(
      "dcm echo exits 0 with a success line; storescp -v logs the association",
      async () => {
        const r = await dcm("echo", HOST, port);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stdout, /^C-ECHO .*success in [\d.]+ ms\n$/);
        const [, peer] = await scp.stderr.find(
          /^I: association with (\S+) requested: DCMNET -> ANY-SCP, 1 presentation context$/,
        );
        await scp.stderr.find(new RegExp(`^I: association with ${peer} released$`));
        assert(
          scp.stderr.lines.includes(
            "I:   context 1: Verification SOP Class, Explicit VR Little Endian: acceptance",
          ),
        );
      },
    );

    await t.step("dcm store sends files and folders and prints one summary line", async () => {
      const folder = `${FILES}/dicomdirtests/98892001`;
      const expected = 1 + await countFiles(folder);
      const r = await dcm("store", HOST, port, `${FILES}/CT_small.dcm`, folder);
      assertEquals(r.code, 0, r.stderr);
      const [summary, ...more] = lines(r.stdout);
      assertEquals(more, []);
      assertMatch(
        summary!,
        new RegExp(`^${expected} stored, 0 with warnings, 0 failed, [\\d.]+ MB in [\\d.]+ s$`),
      );
      sent += expected;
    });

    await t.step(
      "dcm store --json prints one JSON object per line: each result, then the summary",
      async () => {
        const files = [`${FILES}/MR_small.dcm`, `${FILES}/rtdose.dcm`];
        const r = await dcm("store", "--json", HOST, port, ...files);
        assertEquals(r.code, 0, r.stderr);
        const objects = lines(r.stdout).map((l) => JSON.parse(l));
        assertEquals(objects.length, files.length + 1);
        assertEquals(objects.slice(0, -1).map((o) => [o.file, o.status]), files.map((f) => [f, 0]));
        assert(objects.every((o, i) => i === files.length || typeof o.sopInstanceUid === "string"));
        assertEquals(objects.at(-1), { summary: { completed: 2, warning: 0, failed: 0 } });
        sent += files.length;
      },
    );

    await t.step("dcm store exits 1 when the peer refuses an object, and says why", async () => {
      const r = await dcm("store", HOST, port, `${FILES}/rtplan_truncated.dcm`);
      assertEquals(r.code, 1);
      assertMatch(r.stderr, /failed: .*rtplan_truncated\.dcm: C-STORE failed with status C000/);
      assertMatch(r.stdout, /^0 stored, 0 with warnings, 1 failed/);
    });

    await t.step(
      "dcm storescp printed one line per stored object and exits 0 on SIGTERM",
      async () => {
        assertEquals(await scp.stop(), 0);
        const stored = scp.stdout.lines.filter((l) => l !== "");
        assertEquals(stored.length, sent, stored.join("\n"));
        for (const line of stored) assertMatch(line, /^stored .+\.dcm \(\d+ bytes from DCMNET\)$/);
        assertEquals((await filesIn(out, { all: true })).length, sent);
      },
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("dcm storescp --fsync deferred stores every object, each file in place and printed by the time SIGTERM ends it", async () => {
  const out = await Deno.makeTempDir({ prefix: "dcm_cli_storage_" });
  try {
    await using scp = new StorescpProcess(out, ["--fsync", "deferred"]);
    const port = String(await scp.listening());
    const folder = `${FILES}/dicomdirtests/98892001`;
    const r = await dcm("store", HOST, port, folder);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await scp.stop(), 0);
    const stored = scp.stdout.lines.filter((l) => l !== "");
    assertEquals(stored.length, await countFiles(folder));
    assertEquals((await filesIn(out)).length, stored.length);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("dcm store to a closed port exits non-zero with a one-line error naming the peer", async () => {
  const port = String(freePort());
  const r = await dcm("store", HOST, port, `${FILES}/CT_small.dcm`);
  assert(r.code !== 0);
  const errors = lines(r.stderr);
  assertEquals(errors.length, 1, r.stderr);
  assertMatch(errors[0]!, new RegExp(`^dcm store: ${HOST.replaceAll(".", "\\.")}:${port}: `));
});

Deno.test("dcm storescp --allow and --check-called reject other AE titles with the PS3.8 reason, logged with the peer's address", async () => {
  const out = await Deno.makeTempDir({ prefix: "dcm_cli_access_" });
  try {
    await using scp = new StorescpProcess(out, [
      "--aet",
      "STORE",
      "--allow",
      "MODALITY1",
      "--allow",
      "MODALITY2",
      "--check-called",
    ]);
    const port = String(await scp.listening());
    const allowed = await dcm("echo", HOST, port, "--aet", "MODALITY2", "--call", "STORE");
    assertEquals(allowed.code, 0, allowed.stderr);
    // An unknown calling AE title: rejected-permanent, service-user, calling AE title not recognized.
    const stranger = await dcm("echo", HOST, port, "--aet", "STRANGER", "--call", "STORE");
    assertEquals(stranger.code, 1);
    assertMatch(stranger.stderr, /calling-AE-title-not-recognized/);
    // A known caller calling another title: called AE title not recognized.
    const wrongCalled = await dcm("echo", HOST, port, "--aet", "MODALITY1", "--call", "OTHER");
    assertEquals(wrongCalled.code, 1);
    assertMatch(wrongCalled.stderr, /called-AE-title-not-recognized/);
    assertEquals(await scp.stop(), 0);
    const log = scp.stderr.lines.join("\n");
    assertMatch(
      log,
      /rejected STRANGER -> STORE from 127\.0\.0\.1:\d+: calling AE title not allowed/,
    );
    assertMatch(
      log,
      /rejected MODALITY1 -> OTHER from 127\.0\.0\.1:\d+: called AE title is not STORE/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

// Issue 12: `--accept` chooses which transfer syntaxes the storage contexts
// take (PS3.5 A.4 for lossless and lossy). DCMTK's storescu -xs proposes
// JPEG Lossless SV1 in a context of its own beside the uncompressed ones
// (without -xs, one context lists them all and we pick Explicit VR LE), so
// what our SCP accepted shows in the stored file's transfer syntax.
Deno.test({
  name:
    "dcm storescp --accept lossless takes JPEG Lossless from DCMTK's storescu -xs as sent, refuses JPEG Baseline",
  ignore: dcmtkIgnore("storescu"),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "cli_accept_" });
    try {
      assertEquals(
        await acceptedBy(dir, "lossless", ["SC_rgb_jpeg_gdcm.dcm"], ["-xs"]),
        [["SC_rgb_jpeg_gdcm.dcm", "1.2.840.10008.1.2.4.70"]],
      );
      assertEquals(await acceptedBy(dir, "lossless", ["SC_rgb_jpeg_dcmtk.dcm"], ["-xy"]), []);
      assertEquals(
        await acceptedBy(dir, "all", ["SC_rgb_jpeg_dcmtk.dcm"], ["-xy"]),
        [["SC_rgb_jpeg_dcmtk.dcm", "1.2.840.10008.1.2.4.50"]],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "dcm storescp --accept uncompressed refuses the JPEG Lossless context DCMTK's storescu proposes with -xs",
  ignore: dcmtkIgnore("storescu"),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "cli_accept_" });
    try {
      // The JPEG Lossless context is refused; storescu cannot convert the
      // file to the uncompressed syntax accepted instead, so nothing arrives.
      assertEquals(await acceptedBy(dir, "uncompressed", ["SC_rgb_jpeg_gdcm.dcm"], ["-xs"]), []);
      assertEquals(
        await acceptedBy(dir, "uncompressed", ["CT_small.dcm"], ["-xs"]),
        [["CT_small.dcm", "1.2.840.10008.1.2.1"]],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Sends files with storescu to `dcm storescp --accept`; the [file, transfer syntax] stored. */
async function acceptedBy(
  base: string,
  accept: string,
  names: string[],
  storescuArgs: string[] = [],
): Promise<[string, string][]> {
  const dir = await Deno.makeTempDir({ dir: base });
  await using scp = new StorescpProcess(dir, ["--accept", accept, "--json"]);
  const port = await scp.listening();
  const out: [string, string][] = [];
  for (const name of names) {
    const before = scp.stdout.lines.length;
    const r = await new Deno.Command("storescu", {
      args: [...storescuArgs, HOST, String(port), `${FILES}/${name}`],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!r.success) continue;
    const line = await scp.stdout.find(/"transferSyntax"/);
    assertEquals(scp.stdout.lines.length, before + 1);
    out.push([name, JSON.parse(line.input!).transferSyntax]);
    scp.stdout.lines.length = 0;
  }
  return out;
}
