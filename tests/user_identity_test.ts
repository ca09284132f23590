import {
  assert as ok,
  assertRejects as rejects,
  assertStrictEquals as equal,
  assertThrows as throws,
} from "./_assert.ts";
import { DicomError } from "../errors.ts";
import { AssociationRejectedError } from "../association/mod.ts";
import { echo } from "../scu/mod.ts";
import { hashPassword, ServiceProvider, UserDirectory, UsersFileError } from "../service/mod.ts";

const FAST = { iterations: 1000 };
const HOST = "127.0.0.1";

Deno.test("UserDirectory.verify() accepts the right password and rejects a wrong one or an unknown user", async () => {
  const users = UserDirectory.parse(`# users\n\nalice:${await hashPassword("secret", FAST)}\n`);
  ok(await users.verify("alice", "secret"));
  equal(await users.verify("alice", "Secret"), false);
  equal(await users.verify("mallory", "secret"), false);
});

Deno.test("UserDirectory.parse() names the line of a malformed entry", () => {
  throws(() => UserDirectory.parse("\n# c\nalice:md5:1:AA==:AA==\n"), /line 3: unknown scheme/);
  throws(() => UserDirectory.parse("alice:pbkdf2-sha256:0:AA==:AA==\n"), /line 1: iterations/);
  throws(() => UserDirectory.parse("alice\n"), /line 1: expected 5 fields/);
  throws(() => UserDirectory.parse("a:pbkdf2-sha256:1:AA==:!!\n"), /line 1: salt or hash/);
});

Deno.test("UserDirectory.parse() throws a UsersFileError, a DicomError, with the line number", () => {
  throws(() => UserDirectory.parse("# c\nalice\n"), (e: unknown) => {
    ok(e instanceof UsersFileError && e instanceof DicomError);
    equal(e.line, 2);
    equal(e.name, "UsersFileError");
    return true;
  });
});

Deno.test("UserDirectory.policy() rejects username-only unless allowed, and other identity types", async () => {
  const text = `bob:${await hashPassword("pw", FAST)}`;
  const request = {} as never;
  const id = (identityType: number, secondary = "") => ({
    identityType,
    positiveResponseRequested: false,
    primaryField: new TextEncoder().encode("bob"),
    secondaryField: new TextEncoder().encode(secondary),
  });
  const strict = UserDirectory.parse(text).policy();
  equal((await strict(id(2, "pw"), request)).accepted, true);
  equal((await strict(id(2, "no"), request)).accepted, false);
  equal((await strict(id(1), request)).accepted, false);
  equal((await strict(id(5), request)).accepted, false);
  const lax = UserDirectory.parse(text, { allowUsernameOnly: true }).policy();
  equal((await lax(id(1), request)).accepted, true);
});

Deno.test("hashPassword() rejects a non-positive iteration count", async () => {
  await rejects(hashPassword("x", { iterations: 0 }), RangeError);
});

Deno.test("a ServiceProvider with a UserDirectory and requireUserIdentity accepts the right password and rejects a wrong one or none", async () => {
  const users = UserDirectory.parse(`alice:${await hashPassword("secret", FAST)}\n`);
  await using provider = new ServiceProvider({ supportedAbstractSyntaxes: [], handlers: {} }, {
    hostname: HOST,
    port: 0,
    userIdentity: users.policy(),
    requireUserIdentity: true,
  });
  const as = (secondaryField?: string) =>
    echo(HOST, provider.port, {
      ...(secondaryField !== undefined && {
        userIdentity: { type: 2, primaryField: "alice", secondaryField },
      }),
    });
  equal((await as("secret")).status, 0);
  await rejects(as("wrong"), AssociationRejectedError);
  await rejects(as(), AssociationRejectedError);
});
