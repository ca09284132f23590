// `dcm dump`: the listing and the one-object JSON output, through the real entry point.
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { PYDICOM_DATA } from "./_peers.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;

async function dcm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("dcm dump lists elements with tag, VR, value and keyword", async () => {
  const r = await dcm("dump", `${PYDICOM_DATA}test_files/CT_small.dcm`);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /\(0010,0010\) PN \[CompressedSamples\^CT1\]\s+#\s+\d+, 1 PatientName/);
  assertMatch(r.stdout, /\(0002,0010\) UI \[1\.2\.840\.10008\.1\.2\.1\]/);
});

Deno.test("dcm dump --json prints exactly one DICOM JSON object", async () => {
  const r = await dcm("dump", "--json", `${PYDICOM_DATA}test_files/CT_small.dcm`);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout.trim().split("\n").length, 1);
  const json = JSON.parse(r.stdout);
  assertEquals(json["00100010"], { vr: "PN", Value: [{ Alphabetic: "CompressedSamples^CT1" }] });
  assertEquals(json["00280010"], { vr: "US", Value: [128] });
});

Deno.test("dcm dump exits non-zero with a one-line error for a missing or truncated file", async () => {
  const missing = await dcm("dump", "/nonexistent.dcm");
  assert(missing.code !== 0);
  assertEquals(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  const truncated = await dcm("dump", `${PYDICOM_DATA}test_files/MR_truncated.dcm`);
  assert(truncated.code !== 0);
  assertMatch(truncated.stderr, /^dcm dump: Cannot decode/);
});

Deno.test("dcm with an unknown command prints usage and exits 2", async () => {
  const r = await dcm("frobnicate");
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /unknown command/);
});
