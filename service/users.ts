/**
 * A users file of salted PBKDF2-SHA256 hashes, checked for PS3.7 D.3.3.7
 * User Identity Negotiation (types 1 and 2).
 *
 * One line per user: `name:pbkdf2-sha256:iterations:saltBase64:hashBase64`;
 * blank lines and lines starting with `#` are ignored.
 *
 * @module
 */
import type { UserIdentityDecision, UserIdentityPolicy } from "../association/mod.ts";
import { DicomError } from "../errors.ts";
import { OperationSlots } from "../_slots.ts";
import { USER_IDENTITY_TYPE, type UserIdentityRequest } from "../pdu/mod.ts";

/** PBKDF2-SHA256 iterations by default: OWASP's 600,000 recommendation. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;

const SCHEME = "pbkdf2-sha256";
const SALT_LENGTH = 16;
const HASH_LENGTH = 32;

/**
 * A users file that cannot be read: a malformed line, named by its number
 * (`line`, from 1).
 *
 * @example Usage
 * ```ts
 * import { UserDirectory, UsersFileError } from "@dcm/net/service";
 * import { equal, throws } from "node:assert/strict";
 *
 * throws(() => UserDirectory.parse("alice\n"), (e: unknown) => {
 *   equal((e as UsersFileError).line, 1);
 *   return e instanceof UsersFileError;
 * });
 * ```
 */
export class UsersFileError extends DicomError {
  /** The line of the users file, from 1. */
  readonly line: number;

  /**
   * Constructs a new instance.
   *
   * @param message What is wrong, with the line number.
   * @param line The line, from 1.
   * @param options The cause, if any.
   */
  constructor(message: string, line: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsersFileError";
    this.line = line;
  }
}

/** Options of {@linkcode hashPassword}. */
export interface HashPasswordOptions {
  /**
   * PBKDF2 iterations.
   *
   * @default {600000}
   */
  readonly iterations?: number;
}

/** One user of a users file. */
interface UserEntry {
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function derive(
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    HASH_LENGTH * 8,
  );
  return new Uint8Array(bits);
}

/** Compares in time that depends only on the lengths. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  }
  return diff === 0;
}

/**
 * Hashes a password with a random 16-byte salt; returns the users-file entry
 * without the name (`pbkdf2-sha256:iterations:salt:hash`).
 *
 * @example Usage
 * ```ts
 * import { hashPassword } from "@dcm/net/service";
 * import { ok } from "node:assert/strict";
 *
 * ok((await hashPassword("secret", { iterations: 1000 })).startsWith("pbkdf2-sha256:1000:"));
 * ```
 */
export async function hashPassword(
  password: string,
  options: HashPasswordOptions = {},
): Promise<string> {
  const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new RangeError(
      `Cannot hash a password: iterations ${iterations} is not a positive integer`,
    );
  }
  const salt = crypto.getRandomValues(new Uint8Array(SALT_LENGTH));
  const hash = await derive(password, salt, iterations);
  return `${SCHEME}:${iterations}:${toBase64(salt)}:${toBase64(hash)}`;
}

/** Options of {@linkcode UserDirectory}. */
export interface UserDirectoryOptions {
  /**
   * Accept a username without a passcode (identity type 1) from a known user.
   *
   * @default {false}
   */
  readonly allowUsernameOnly?: boolean;
  /**
   * How many password hashes may be computed at once; further logins wait
   * their turn. Each costs a full PBKDF2 run (about 0.12 s of one core here at the
   * default iterations), so a peer that floods the server with logins takes
   * at most this many cores and never starves the associations already
   * established.
   *
   * @default {1}
   */
  readonly maxConcurrentVerifications?: number;
}

/**
 * Users and their password hashes, parsed from a users file.
 *
 * @example Usage
 * ```ts
 * import { hashPassword, UserDirectory } from "@dcm/net/service";
 * import { ok } from "node:assert/strict";
 *
 * const entry = await hashPassword("secret", { iterations: 1000 });
 * const users = UserDirectory.parse(`alice:${entry}\n`);
 * ok(await users.verify("alice", "secret"));
 * ```
 */
export class UserDirectory {
  readonly #users: Map<string, UserEntry>;
  readonly #dummy: UserEntry;
  readonly #allowUsernameOnly: boolean;
  readonly #slots: OperationSlots;

  private constructor(users: Map<string, UserEntry>, options: UserDirectoryOptions) {
    this.#users = users;
    this.#allowUsernameOnly = options.allowUsernameOnly ?? false;
    const max = options.maxConcurrentVerifications ?? 1;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`maxConcurrentVerifications must be a positive integer, not ${max}`);
    }
    this.#slots = new OperationSlots(max);
    const first = users.values().next().value;
    this.#dummy = {
      iterations: first?.iterations ?? DEFAULT_PBKDF2_ITERATIONS,
      salt: new Uint8Array(SALT_LENGTH),
      hash: new Uint8Array(HASH_LENGTH),
    };
  }

  /**
   * Parses the text of a users file; a malformed line throws a
   * {@linkcode UsersFileError} naming its line number.
   *
   * @example Usage
   * ```ts
   * import { UserDirectory, UsersFileError } from "@dcm/net/service";
   * import { throws } from "node:assert/strict";
   *
   * throws(() => UserDirectory.parse("alice:md5:1:x:y\n"), UsersFileError);
   * ```
   */
  static parse(text: string, options: UserDirectoryOptions = {}): UserDirectory {
    const users = new Map<string, UserEntry>();
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const fail = (why: string): never => {
        throw new UsersFileError(`Cannot read users file: line ${index + 1}: ${why}`, index + 1);
      };
      const fields = line.split(":");
      if (fields.length !== 5) fail(`expected 5 fields separated by ':', found ${fields.length}`);
      const [name, scheme, iterationsText, saltText, hashText] = fields as [
        string,
        string,
        string,
        string,
        string,
      ];
      if (name === "") fail("empty user name");
      if (scheme !== SCHEME) fail(`unknown scheme "${scheme}" (expected "${SCHEME}")`);
      const iterations = Number(iterationsText);
      if (!/^[1-9][0-9]*$/.test(iterationsText) || !Number.isSafeInteger(iterations)) {
        fail(`iterations "${iterationsText}" is not a positive integer`);
      }
      let salt: Uint8Array = new Uint8Array();
      let hash: Uint8Array = new Uint8Array();
      try {
        salt = fromBase64(saltText);
        hash = fromBase64(hashText);
      } catch {
        fail("salt or hash is not base64");
      }
      if (hash.length !== HASH_LENGTH) {
        fail(`hash is ${hash.length} bytes, expected ${HASH_LENGTH}`);
      }
      if (users.has(name)) fail(`user "${name}" is listed twice`);
      users.set(name, { iterations, salt, hash });
    });
    return new UserDirectory(users, options);
  }

  /**
   * Reads and parses a users file.
   *
   * @example Usage
   * ```ts ignore
   * import { UserDirectory } from "@dcm/net/service";
   * const users = await UserDirectory.read("users.txt");
   * ```
   */
  static async read(path: string, options: UserDirectoryOptions = {}): Promise<UserDirectory> {
    return UserDirectory.parse(await Deno.readTextFile(path), options);
  }

  /**
   * Whether the password is the user's. An unknown user costs one hash as
   * well, so timing does not tell which names exist.
   *
   * @example Usage
   * ```ts
   * import { hashPassword, UserDirectory } from "@dcm/net/service";
   * import { equal } from "node:assert/strict";
   *
   * const users = UserDirectory.parse(`bob:${await hashPassword("pw", { iterations: 1000 })}`);
   * equal(await users.verify("bob", "wrong"), false);
   * ```
   */
  async verify(name: string, password: string): Promise<boolean> {
    const known = this.#users.get(name);
    const entry = known ?? this.#dummy;
    await this.#slots.acquire(); // never closed: always admitted
    try {
      const hash = await derive(password, entry.salt, entry.iterations);
      return constantTimeEqual(hash, entry.hash) && known !== undefined;
    } finally {
      this.#slots.release();
    }
  }

  /**
   * The verifications running and waiting for a turn (see
   * {@linkcode UserDirectoryOptions.maxConcurrentVerifications}).
   *
   * @example Usage
   * ```ts
   * import { UserDirectory } from "@dcm/net/service";
   * import { deepEqual } from "node:assert/strict";
   *
   * deepEqual(UserDirectory.parse("").load, { verifying: 0, waiting: 0 });
   * ```
   */
  get load(): { verifying: number; waiting: number } {
    return { verifying: this.#slots.used, waiting: this.#slots.waiting };
  }

  /**
   * The acceptor's {@linkcode UserIdentityPolicy}: type 2 checks the
   * passcode; type 1 is accepted from a known user only with
   * `allowUsernameOnly`; Kerberos, SAML and JWT are rejected. A rejection is
   * A-ASSOCIATE-RJ permanent, service-user, no-reason-given (PS3.7 D.3.3.7:
   * PS3.8 §9.3.4 has no reason code for a failed identity). No server
   * response is sent for types 1 and 2 (PS3.7 Table D.3-15 defines one only
   * for Kerberos, SAML and JWT).
   *
   * @example Usage
   * ```ts
   * import { UserDirectory } from "@dcm/net/service";
   * import { equal } from "node:assert/strict";
   *
   * equal(typeof UserDirectory.parse("").policy(), "function");
   * ```
   */
  policy(): UserIdentityPolicy {
    return async (identity: UserIdentityRequest): Promise<UserIdentityDecision> => {
      const decoder = new TextDecoder("utf-8", { fatal: false });
      const name = decoder.decode(identity.primaryField);
      if (identity.identityType === USER_IDENTITY_TYPE.USERNAME_AND_PASSCODE) {
        return { accepted: await this.verify(name, decoder.decode(identity.secondaryField)) };
      }
      if (identity.identityType === USER_IDENTITY_TYPE.USERNAME) {
        return { accepted: this.#allowUsernameOnly && this.#users.has(name) };
      }
      return { accepted: false };
    };
  }
}
