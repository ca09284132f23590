/**
 * `dcm passwd FILE NAME`: sets a user's password in a users file (the
 * `--users FILE` of `dcm storescp` and `dcm qrscp`), as a salted
 * PBKDF2-SHA256 hash. The password comes from the environment variable
 * `--password-env` (`DCM_PASSWORD` by default) or else from the first line of
 * the standard input, never from the command line. The user's line is
 * replaced, or appended; the file is created with mode 0600.
 *
 * @module
 */
import { DEFAULT_PBKDF2_ITERATIONS, hashPassword, UserDirectory } from "../service/users.ts";
import { defineCommand, UsageError } from "./_args.ts";
import { DEFAULT_PASSWORD_ENV } from "./_common.ts";
import { fileError } from "./_file_error.ts";

async function firstLineOfStdin(): Promise<string> {
  let text = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0]!;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw fileError(path, e);
  }
}

/** `dcm passwd`: exits 0 once the file is written. */
export const passwd = defineCommand({
  name: "passwd",
  synopsis: "FILE NAME",
  summary: "Set NAME's password in a users file (for --users) from $DCM_PASSWORD or stdin.",
  positionals: [2, 2],
  options: {
    "password-env": {
      type: "string",
      default: DEFAULT_PASSWORD_ENV,
      value: "VAR",
      description: "the environment variable holding the password; unset: first line of stdin",
    },
    iterations: {
      type: "string",
      default: String(DEFAULT_PBKDF2_ITERATIONS),
      value: "N",
      description: "PBKDF2-SHA256 iterations",
    },
  },
}, async (values, positionals) => {
  const [path, name] = positionals as [string, string];
  if (name === "" || /[:\s]/.test(name)) {
    throw new UsageError(`NAME must be non-empty, without ':' or spaces, not "${name}"`);
  }
  const iterations = Number(values.iterations);
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new UsageError(`--iterations must be a positive integer, not "${values.iterations}"`);
  }
  const old = await readIfExists(path);
  // A malformed file is not made worse: it is refused whole.
  if (old !== undefined) UserDirectory.parse(old);
  const password = Deno.env.get(values["password-env"]) ?? await firstLineOfStdin();
  if (password === "") throw new UsageError("the password is empty");
  const line = `${name}:${await hashPassword(password, { iterations })}`;
  const lines = old === undefined ? [] : old.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const at = lines.findIndex((l) => !l.trim().startsWith("#") && l.trim().split(":")[0] === name);
  if (at >= 0) lines[at] = line;
  else lines.push(line);
  // Written beside the file and renamed over it, so a reader never sees half.
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(temporary, lines.join("\n") + "\n", { mode: 0o600, createNew: true });
    await Deno.chmod(temporary, 0o600);
    await Deno.rename(temporary, path);
  } catch (e) {
    await Deno.remove(temporary).catch(() => {});
    throw fileError(path, e);
  }
  console.error(at >= 0 ? `replaced ${name} in ${path}` : `added ${name} to ${path}`);
  return 0;
});
