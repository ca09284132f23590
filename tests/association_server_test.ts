/**
 * The accept loop of serveAssociations(): an error of `accept()` such as
 * EMFILE (out of file descriptors) is transient; the server reports it,
 * waits a little and accepts again, until it is shut down.
 *
 * @module
 */

import { type AssociationListener, serveAssociations } from "../association/mod.ts";
import { DimseChannel } from "../dimse/mod.ts";
import { echo } from "../scu/mod.ts";
import { assert, assertEquals } from "./_assert.ts";

const HOST = "127.0.0.1";

/** A real listener whose first `failures` calls to accept() fail as EMFILE does. */
function failingListener(failures: number): AssociationListener & { calls: number } {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  return {
    calls: 0,
    addr: listener.addr,
    accept() {
      if (this.calls++ < failures) {
        return Promise.reject(new Error("Too many open files (os error 24)"));
      }
      return listener.accept();
    },
    close: () => listener.close(),
  };
}

Deno.test("serveAssociations() keeps accepting after accept() errors (EMFILE) and reports each", async () => {
  const listener = failingListener(3);
  const errors: unknown[] = [];
  await using server = serveAssociations(listener, async (association) => {
    await new DimseChannel(association, {
      handlers: { "C-ECHO-RQ": (_request, context) => context.respond({ status: 0 }) },
    }).closed;
  }, { onError: (error) => errors.push(error) });
  // The connection waits in the kernel's backlog while accept() fails.
  const result = await echo(HOST, server.addr.port, { associationTimeout: 10_000 });
  assertEquals(result.status, 0);
  assertEquals(errors.map((e) => (e as Error).message), [
    "Too many open files (os error 24)",
    "Too many open files (os error 24)",
    "Too many open files (os error 24)",
  ]);
  assertEquals(listener.calls, 5); // 3 failures, the echo's connection, the pending accept.
});

Deno.test("serveAssociations() retries accept() after 10 ms, doubling up to 1 s; shutdown() ends the wait", async () => {
  const listener = failingListener(Infinity);
  const times: number[] = [];
  const eighth = Promise.withResolvers<void>();
  const server = serveAssociations(listener, () => {}, {
    onError: () => times.push(performance.now()) === 8 && eighth.resolve(),
  });
  await eighth.promise; // Waited 10 + 20 + ... + 640 ms; the next wait is 1 s.
  const delays = times.slice(1).map((t, i) => t - times[i]!);
  assert(delays.every((d, i) => d >= 10 * 2 ** i - 1), `retry delays ${delays}`);
  const start = performance.now();
  await server.shutdown();
  assert(performance.now() - start < 500, "shutdown() waited for the retry delay");
  assertEquals(times.length, 8);
});
