// CONFORMANCE.md (tools/conformance.ts, PS3.2) against the running SCPs: every
// SOP class and transfer syntax an SCP we ship accepts is listed, and the
// committed file is what the generator writes now.
import { Archive } from "../archive/mod.ts";
import { QueryRetrieveScp, StorageScp } from "../scp/mod.ts";
import { CONFORMANCE_PATH, renderConformance, scpEntities } from "../tools/conformance.ts";
import { ServiceProvider } from "../service/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

Deno.test("CONFORMANCE.md lists every SOP class and transfer syntax our SCPs accept", async () => {
  const text = await Deno.readTextFile(CONFORMANCE_PATH);
  const directory = await Deno.makeTempDir();
  using archive = Archive.open();
  const scps = [
    new StorageScp({ hostname: "127.0.0.1", port: 0, directory }),
    new QueryRetrieveScp({ hostname: "127.0.0.1", port: 0, directory, archive }),
  ];
  try {
    const missing: string[] = [];
    for (const scp of scps) {
      for (const context of scp.supportedAbstractSyntaxes) {
        for (const uid of [context.abstractSyntax, ...context.transferSyntaxes]) {
          if (!text.includes(`| \`${uid}\` |`)) missing.push(`${scp.constructor.name}: ${uid}`);
        }
      }
    }
    assertEquals(missing, []);
    assert(scps.every((s) => s.supportedAbstractSyntaxes.length > 1));
  } finally {
    for (const scp of scps) await scp.shutdown();
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("CONFORMANCE.md is what deno task conformance writes", async () => {
  assertEquals(await Deno.readTextFile(CONFORMANCE_PATH), await renderConformance());
});

Deno.test("the generator stops at an exported SCP it cannot start, so that none is left out", async () => {
  class FutureScp extends ServiceProvider {}
  await assertRejects(
    () => scpEntities({ FutureScp, NotAProvider: class {}, aConstant: 1 }),
    /exports FutureScp, a ServiceProvider that tools\/conformance.ts cannot start/,
  );
});
