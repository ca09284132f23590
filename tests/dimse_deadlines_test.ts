/**
 * `_Deadlines`, the one timer behind every DIMSE timeout of a channel
 * (issue 13: a timer per response cost more than a small C-STORE's work).
 */
import { _Deadlines } from "../dimse/_deadlines.ts";
import { assertEquals } from "./_assert.ts";

// Nothing else holds the event loop open in these tests: the timer does while a wait is on.
Deno.test("_Deadlines expires each wait, the sooner first, whatever order they were added in", async () => {
  const deadlines = new _Deadlines();
  const expired: string[] = [];
  const later = Promise.withResolvers<void>();
  deadlines.add(20, () => {
    expired.push("later");
    later.resolve();
  });
  deadlines.add(1, () => expired.push("sooner"));
  await later.promise;
  assertEquals(expired, ["sooner", "later"]);
  deadlines.close();
});

Deno.test("_Deadlines does not expire a wait that ended first", async () => {
  const deadlines = new _Deadlines();
  const expired: string[] = [];
  const stop = deadlines.add(1, () => expired.push("ended"));
  stop();
  const done = Promise.withResolvers<void>();
  deadlines.add(10, () => {
    expired.push("kept");
    done.resolve();
  });
  await done.promise;
  assertEquals(expired, ["kept"]);
  deadlines.close();
});

Deno.test("_Deadlines waits on when its timer fires before a deadline (a clock that runs late)", async () => {
  let now = 0;
  const deadlines = new _Deadlines(() => now);
  const done = Promise.withResolvers<void>();
  let expired = false;
  deadlines.add(1, () => {
    expired = true;
    done.resolve();
  });
  // The timer fires after ~1 ms of real time, but this clock has not moved: nothing is due yet.
  await new Promise((resolve) => setTimeout(resolve, 5));
  assertEquals(expired, false);
  now = 1;
  await done.promise;
  deadlines.close();
});

Deno.test("_Deadlines.close() forgets every wait", async () => {
  const deadlines = new _Deadlines();
  let expired = false;
  deadlines.add(0, () => expired = true);
  deadlines.close();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assertEquals(expired, false);
});
