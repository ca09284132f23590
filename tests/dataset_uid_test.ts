import { assertEquals, assertMatch } from "./_assert.ts";
import { generateUid, uidProblem } from "../dataset/mod.ts";
import { Uid } from "../dictionary/mod.ts";

Deno.test("uidProblem() accepts every UID of the registry and PS3.5 §9.1's forms", () => {
  for (const uid of Object.values(Uid)) {
    assertEquals(uidProblem(uid, { strict: true }), undefined, uid);
  }
  for (const uid of ["0.0", "1.2.3", `2.25.${"9".repeat(59)}`, "1.2.0.3"]) {
    assertEquals(uidProblem(uid, { strict: true }), undefined, uid);
  }
});

Deno.test("uidProblem() names what is wrong: characters, empty components, length, leading zeros", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["1.2.3/4", /"\/"/],
    ["1.2.3_4", /"_"/],
    ["1.2.3 ", /" "/],
    [".1.2", /empty component/],
    ["1..2", /empty component/],
    ["1.2.", /empty component/],
    ["..", /empty component/],
    [`1.${"2".repeat(63)}`, /65 characters long, more than 64/],
  ];
  for (const [uid, why] of cases) assertMatch(uidProblem(uid) ?? "ok", why, JSON.stringify(uid));
  assertEquals(uidProblem("1.2.05"), undefined);
  assertMatch(uidProblem("1.2.05", { strict: true }) ?? "ok", /leading zero/);
});

Deno.test("generateUid() makes 2.25 UIDs of PS3.5 §B.2 form (no leading zero, at most 44 characters), all different", () => {
  const uids = new Set(Array.from({ length: 1000 }, () => generateUid()));
  assertEquals(uids.size, 1000);
  for (const uid of uids) {
    assertEquals(uidProblem(uid, { strict: true }), undefined);
    assertMatch(uid, /^2\.25\.[1-9]\d{0,38}$/);
  }
});
