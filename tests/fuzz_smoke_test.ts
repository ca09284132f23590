import { assertEquals } from "./_assert.ts";
import { mutate, prng, runCase, type Target } from "../fuzz/main.ts";
import { encodeCommand } from "../dimse/mod.ts";
import { Uid } from "../dictionary/mod.ts";

Deno.test("fuzz harness: 2000 mutated C-ECHO-RQ command sets give no finding (seed 7)", () => {
  const seed = encodeCommand(
    {
      type: "C-ECHO-RQ",
      messageId: 1,
      affectedSopClassUid: Uid.Verification,
    } as Parameters<typeof encodeCommand>[0],
  );
  const rand = prng(7);
  let findings = 0;
  const target: Target = "command";
  for (let i = 0; i < 2000; i++) {
    if (runCase(target, mutate(seed, seed, rand)).outcome === "finding") findings++;
  }
  assertEquals(findings, 0);
});
