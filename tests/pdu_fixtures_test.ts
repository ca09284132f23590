/**
 * PDUs captured from DCMTK (see tests/fixtures/pdu/README.md) decode, and
 * re-encode to the same bytes.
 */
import { assert, assertEquals } from "./_assert.ts";
import { assertDecodes, concat } from "./pdu_helpers.ts";
import { decodePdu, encodePdu, type Pdu } from "../pdu/mod.ts";

const ROOT = new URL("./fixtures/pdu/", import.meta.url);

interface Fixture {
  readonly scenario: string;
  readonly name: string;
  readonly bytes: Uint8Array;
}

function load(): Fixture[] {
  const fixtures: Fixture[] = [];
  for (const dir of Deno.readDirSync(ROOT)) {
    if (!dir.isDirectory) continue;
    const names = [...Deno.readDirSync(new URL(`${dir.name}/`, ROOT))].map((e) => e.name).sort();
    for (const name of names.filter((n) => n.endsWith(".bin"))) {
      const bytes = Deno.readFileSync(new URL(`${dir.name}/${name}`, ROOT));
      fixtures.push({ scenario: dir.name, name, bytes });
    }
  }
  return fixtures.sort((a, b) => `${a.scenario}/${a.name}` < `${b.scenario}/${b.name}` ? -1 : 1);
}

const FIXTURES = load();

function decodeFixture(scenario: string, name: string): Pdu {
  const fixture = FIXTURES.find((f) => f.scenario === scenario && f.name === name);
  assert(fixture, `no fixture ${scenario}/${name}`);
  const result = decodePdu(fixture.bytes);
  assert(result.complete);
  return result.pdu;
}

/**
 * Offsets of byte 7 of each Presentation Context Item 20H of an
 * A-ASSOCIATE-RQ, found by walking the item headers (PS3.8 Table 9-11:
 * items start at PDU byte 75, offset 74). PS3.8 Table 9-13 reserves that
 * byte; DCMTK sends FFH there.
 */
function reservedContextBytes(bytes: Uint8Array): Set<number> {
  const offsets = new Set<number>();
  if (bytes[0] !== 0x01) return offsets;
  for (let at = 74; at < bytes.length; at += 4 + (bytes[at + 2]! << 8 | bytes[at + 3]!)) {
    if (bytes[at] === 0x20) offsets.add(at + 6);
  }
  return offsets;
}

Deno.test("tests/fixtures/pdu holds the captured scenarios", () => {
  const scenarios = new Set(FIXTURES.map((f) => f.scenario));
  assertEquals([...scenarios].sort(), [
    "echoscu",
    "echoscu_refused",
    "getscu_role_selection",
    "storescu_abort",
    "storescu_user_identity",
  ]);
});

for (const { scenario, name, bytes } of FIXTURES) {
  Deno.test(`decodePdu() and encodePdu() round-trip DCMTK's ${scenario}/${name}`, () => {
    const result = decodePdu(bytes);
    assert(result.complete);
    assertEquals(result.byteLength, bytes.length);
    assertEquals(result.pdu.type.toLowerCase(), name.replace(/^\w+_\d+_|\.bin$/g, ""));
    const encoded = encodePdu(result.pdu);
    assertEquals(encoded.length, bytes.length);
    // Byte-identical, except the reserved bytes DCMTK sets to FFH, which the
    // encoder sends as 00H as PS3.8 Table 9-13 asks.
    const reserved = reservedContextBytes(bytes);
    for (let i = 0; i < bytes.length; i++) {
      if (encoded[i] === bytes[i]) continue;
      assert(reserved.has(i), `byte ${i} differs: ${encoded[i]} instead of ${bytes[i]}`);
      assertEquals([bytes[i], encoded[i]], [0xff, 0x00]);
    }
    const normalized = bytes.slice();
    for (const i of reserved) normalized[i] = 0;
    assertEquals(encoded, normalized);
  });
}

for (const scenario of new Set(FIXTURES.map((f) => f.scenario))) {
  for (const side of ["scu", "scp"]) {
    const parts = FIXTURES.filter((f) => f.scenario === scenario && f.name.startsWith(side));
    Deno.test(`PduDecoderStream decodes DCMTK's ${scenario} ${side} stream for every chunking`, async () => {
      const expected = parts.map((f) => decodePdu(f.bytes)).map((r) => {
        assert(r.complete);
        return r.pdu;
      });
      await assertDecodes(concat(...parts.map((f) => f.bytes)), expected);
    });
  }
}

Deno.test("decodePdu() reads the user identity of storescu --user U --password P", () => {
  const pdu = decodeFixture("storescu_user_identity", "scu_01_a-associate-rq.bin");
  assert(pdu.type === "A-ASSOCIATE-RQ");
  assertEquals(pdu.userInformation.userIdentity, {
    identityType: 2,
    positiveResponseRequested: false,
    primaryField: new TextEncoder().encode("U"),
    secondaryField: new TextEncoder().encode("P"),
  });
  assertEquals(pdu.callingAeTitle, "STORESCU");
  assertEquals(pdu.userInformation.implementationVersionName, "OFFIS_DCMTK_367");
});

Deno.test("decodePdu() reads the SCP/SCU role selection sub-items of getscu", () => {
  const pdu = decodeFixture("getscu_role_selection", "scu_01_a-associate-rq.bin");
  assert(pdu.type === "A-ASSOCIATE-RQ");
  assertEquals(pdu.presentationContexts.length, 121);
  const roles = pdu.userInformation.roleSelections ?? [];
  assertEquals(roles.length, 120);
  assert(roles.every((role) => role.scpRole && !role.scuRole));
});

Deno.test("decodePdu() reads DCMTK's A-ASSOCIATE-RJ and A-ABORT codes", () => {
  assertEquals(decodeFixture("echoscu_refused", "scp_01_a-associate-rj.bin"), {
    type: "A-ASSOCIATE-RJ",
    result: 1,
    source: 1,
    reason: 1,
  });
  assertEquals(decodeFixture("storescu_abort", "scu_04_a-abort.bin"), {
    type: "A-ABORT",
    source: 0,
    reason: 0,
  });
});

Deno.test("decodePdu() reads the fragmented data set of storescu", () => {
  const fragments = ["03", "04", "05"].map((n) =>
    decodeFixture("storescu_user_identity", `scu_${n}_p-data-tf.bin`)
  );
  const values = fragments.flatMap((pdu) => pdu.type === "P-DATA-TF" ? pdu.values : []);
  assertEquals(values.map((v) => [v.isCommand, v.isLastFragment]), [
    [false, false],
    [false, false],
    [false, true],
  ]);
  // storescp advertised 4096: every PDU-length stays within it.
  for (const n of ["03", "04", "05"]) {
    const bytes = FIXTURES.find((f) =>
      f.scenario === "storescu_user_identity" && f.name === `scu_${n}_p-data-tf.bin`
    )!.bytes;
    assert(bytes.length - 6 <= 4096);
  }
});
