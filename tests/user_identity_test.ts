import {
  assert as ok,
  assertEquals as deepEqual,
  assertMatch as match,
  assertRejects as rejects,
  assertStrictEquals as equal,
  assertThrows as throws,
} from "./_assert.ts";
import { dcm, dcmWith, LineReader, MAIN, StorescpProcess } from "./_cli.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
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

/** A users file made by `dcm passwd` (1,000 iterations, for speed) with alice's password "secret". */
async function usersFile(): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/users.txt`;
  const r = await dcmWith(
    { env: { DCM_PASSWORD: "secret" } },
    "passwd",
    "--iterations",
    "1000",
    path,
    "alice",
  );
  equal(r.code, 0, r.stderr);
  return { dir, path };
}

Deno.test("dcm passwd writes a 0600 users file from DCM_PASSWORD or stdin, replacing the user's line", async () => {
  const { dir, path } = await usersFile();
  try {
    equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const fast = ["passwd", "--iterations", "1000", path];
    equal((await dcmWith({ stdin: "bobs-pw\nignored\n" }, ...fast, "bob")).code, 0);
    const r = await dcmWith({ env: { MY_PW: "new" } }, ...fast, "--password-env", "MY_PW", "alice");
    equal(r.code, 0, r.stderr);
    match(r.stderr, /replaced alice/);
    const users = UserDirectory.parse(await Deno.readTextFile(path));
    ok(await users.verify("alice", "new"));
    ok(await users.verify("bob", "bobs-pw"));
    equal((await Deno.readTextFile(path)).split("\n").length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm storescp --users accepts dcm echo --user with the right password; a wrong one or none is rejected and logged with the peer's address", async () => {
  const { dir, path } = await usersFile();
  try {
    await using scp = new StorescpProcess(`${dir}/in`, ["--users", path]);
    const port = String(await scp.listening());
    const right = await dcmWith(
      { env: { DCM_PASSWORD: "secret" } },
      "echo",
      "--user",
      "alice",
      HOST,
      port,
    );
    equal(right.code, 0, right.stderr);
    const wrong = await dcmWith(
      { env: { PW: "guess" } },
      "echo",
      "--user",
      "alice",
      "--password-env",
      "PW",
      HOST,
      port,
    );
    equal(wrong.code, 1);
    match(wrong.stderr, /rejected/i);
    await scp.stderr.find(
      /^rejected DCMNET -> ANY-SCP from 127\.0\.0\.1:\d+: wrong user or password \(user "alice"\)$/,
    );
    const none = await dcm("echo", HOST, port);
    equal(none.code, 1);
    await scp.stderr.find(/^rejected DCMNET -> ANY-SCP from 127\.0\.0\.1:\d+: no user identity$/);
    // No DCM_PASSWORD: the name only (type 1), which a users file does not accept.
    const nameOnly = await dcmWith(
      {},
      "echo",
      "--user",
      "alice",
      "--password-env",
      "UNSET_VAR",
      HOST,
      port,
    );
    equal(nameOnly.code, 1);
    await scp.stderr.find(/from 127\.0\.0\.1:\d+: user identity type 1 not accepted$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dcm storescp --users with a malformed file exits 2 naming the line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/users.txt`, "# users\nalice:md5:1:AA==:AA==\n");
    const r = await dcm("storescp", "--port", "0", "--dir", dir, "--users", `${dir}/users.txt`);
    equal(r.code, 2);
    match(r.stderr, /--users .*users\.txt: Cannot read users file: line 2: unknown scheme/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "DCMTK storescu with -usr/-pwd is accepted by dcm storescp --users with the right password, rejected with a wrong one or none",
  ignore: dcmtkIgnore("storescu"),
  async fn() {
    const { dir, path } = await usersFile();
    try {
      await using scp = new StorescpProcess(`${dir}/in`, ["--users", path]);
      const port = String(await scp.listening());
      const storescu = (...identity: string[]) =>
        new Deno.Command("storescu", {
          args: [...identity, HOST, port, `${PYDICOM_DATA}test_files/CT_small.dcm`],
          stdout: "null",
          stderr: "piped",
        }).output();
      equal((await storescu("-usr", "alice", "-pwd", "secret")).code, 0);
      await scp.stdout.find(/^stored .*\.dcm/);
      ok(!(await storescu("-usr", "alice", "-pwd", "wrong")).success);
      await scp.stderr.find(/wrong user or password \(user "alice"\)$/);
      ok(!(await storescu()).success);
      await scp.stderr.find(/: no user identity$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("dcm qrscp --users answers dcm find --user with the right password and rejects a wrong one", async () => {
  const { dir, path } = await usersFile();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "qrscp",
      "--host",
      HOST,
      "--port",
      "0",
      "--dir",
      `${dir}/archive`,
      "--users",
      path,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new LineReader(child.stderr);
  try {
    const port = (await stderr.find(/listening on [\d.]+:(\d+)/))[1]!;
    const find = (password: string) =>
      dcmWith(
        { env: { DCM_PASSWORD: password } },
        "find",
        "--user",
        "alice",
        "-k",
        "QueryRetrieveLevel=STUDY",
        HOST,
        port,
      );
    const right = await find("secret");
    equal(right.code, 0, right.stderr);
    equal((await find("wrong")).code, 1);
    await stderr.find(/^rejected DCMNET -> ANY-SCP from 127\.0\.0\.1:\d+: wrong user or password/);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await stderr.done;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UserDirectory computes at most maxConcurrentVerifications hashes at once; the others wait their turn", async () => {
  const line = `alice:${await hashPassword("secret", FAST)}\n`;
  const users = UserDirectory.parse(line, { maxConcurrentVerifications: 2 });
  const results = [
    users.verify("alice", "secret"),
    users.verify("alice", "wrong"),
    users.verify("mallory", "x"),
    users.verify("alice", "secret"),
    users.verify("alice", "secret"),
  ];
  deepEqual(users.load, { verifying: 2, waiting: 3 });
  deepEqual(await Promise.all(results), [true, false, false, true, true]);
  deepEqual(users.load, { verifying: 0, waiting: 0 });
  deepEqual(UserDirectory.parse(line).load, { verifying: 0, waiting: 0 });
  throws(() => UserDirectory.parse(line, { maxConcurrentVerifications: 0 }), RangeError);
});
