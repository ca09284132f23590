// What the commands share: the option tables of peers, servers and
// association logging, and the checks of their values.
import {
  ASSOCIATION_REJECTIONS,
  AssociationAbortedError,
  type AssociationRejection,
  type AssociationRequestInfo,
} from "../association/mod.ts";
import { USER_IDENTITY_TYPE } from "../pdu/mod.ts";
import type { Durability, MoveDestination, ServiceProviderOptions } from "../scp/mod.ts";
import type { CommitmentServiceOptions } from "../service/mod.ts";
// Each from its own file, not service/mod.ts, which loads the store path
// (file writer, journal) into every command (issue 13: startup time).
import { DEFAULT_PORT } from "../service/service_provider.ts";
import { UserDirectory, UsersFileError } from "../service/users.ts";
import type { ScuOptions } from "../scu/mod.ts";
import { type OptionTable, UsageError } from "./_args.ts";
import { fileError } from "./_file_error.ts";
import { associationEvents } from "./_log.ts";

/** The environment variable `--user` and `dcm passwd` read the password from by default. */
export const DEFAULT_PASSWORD_ENV = "DCM_PASSWORD";

/** The options of the commands that call a peer: who we are, who they are, how long to wait. */
export const PEER_OPTIONS = {
  aet: { type: "string", default: "DCMNET", value: "AE", description: "our AE title (calling)" },
  call: {
    type: "string",
    default: "ANY-SCP",
    value: "AE",
    description: "the peer's AE title (called)",
  },
  timeout: {
    type: "string",
    value: "SECONDS",
    description:
      "seconds to wait for the connection, the association, each response, the peer to read each PDU (default: 30, 30, 60, 30)",
  },
  json: {
    type: "boolean",
    default: false,
    description: "machine-readable output: JSON, one a line",
  },
  tls: {
    type: "boolean",
    default: false,
    description: "connect over TLS 1.2 or later (PS3.15 Annex B, BCP 195)",
  },
  "tls-ca": {
    type: "string",
    value: "FILE",
    description: "trusted CA certificates, PEM, besides the system's roots (implies --tls)",
  },
  "tls-cert": {
    type: "string",
    value: "FILE",
    description: "our client certificate (chain), PEM, with --tls-key (implies --tls)",
  },
  "tls-key": { type: "string", value: "FILE", description: "the private key of --tls-cert, PEM" },
  user: {
    type: "string",
    value: "NAME",
    description:
      "present this user identity (PS3.7 D.3.3.7): with the password of --password-env if set, else the name only",
  },
  "password-env": {
    type: "string",
    default: DEFAULT_PASSWORD_ENV,
    value: "VAR",
    description: "the environment variable holding the password of --user",
  },
} as const satisfies OptionTable;

/** The options of every command that opens associations: logging and our PDU size. */
export const NETWORK_OPTIONS = {
  verbose: {
    type: "boolean",
    short: "v",
    default: false,
    description: "log association events on stderr: requested, accepted (contexts), ended",
  },
  debug: {
    type: "boolean",
    short: "d",
    default: false,
    description: "log as --verbose, and every PDU and DIMSE command set decoded",
  },
  "max-pdu": {
    type: "string",
    default: "65536",
    value: "BYTES",
    description: "the largest P-DATA-TF PDU we receive (0: no limit)",
  },
} as const satisfies OptionTable;

/** The options of every server command: where to listen, who we are, which folder. */
export const SERVER_OPTIONS = {
  port: {
    type: "string",
    default: String(DEFAULT_PORT),
    value: "PORT",
    description: "TCP port to listen on (0: any free one)",
  },
  dir: { type: "string", value: "DIR", description: "the folder received objects are written to" },
  aet: { type: "string", default: "DCMNET", value: "AE", description: "our AE title" },
  host: {
    type: "string",
    default: "0.0.0.0",
    value: "ADDRESS",
    description: "address to listen on",
  },
  allow: {
    type: "string",
    multiple: true,
    default: [],
    value: "AE",
    description: "a calling AE title that may associate (repeatable); without it, any may",
  },
  "check-called": {
    type: "boolean",
    default: false,
    description: "reject associations that call another AE title than --aet",
  },
  "idle-timeout": {
    type: "string",
    default: "60",
    value: "SECONDS",
    description: "abort an association silent (or stalled inside a PDU) this long; 0: never",
  },
  timeout: {
    type: "string",
    value: "SECONDS",
    description:
      "seconds a connection may take to ask for an association, a peer to read each PDU, a C-MOVE destination to answer each C-STORE (default: 30, 30, 60)",
  },
  "max-associations": {
    type: "string",
    default: "32",
    value: "N",
    description: "associations served at once; more are rejected (transient)",
  },
  "shutdown-timeout": {
    type: "string",
    default: "30",
    value: "SECONDS",
    description:
      "on SIGINT/SIGTERM, how long associations in progress may take before they are aborted",
  },
  "tls-cert": {
    type: "string",
    value: "FILE",
    description: "serve TLS 1.2 or later only (PS3.15 Annex B, BCP 195) with this certificate, PEM",
  },
  "tls-key": { type: "string", value: "FILE", description: "the private key of --tls-cert, PEM" },
  users: {
    type: "string",
    value: "FILE",
    description:
      "require a user identity checked against this users file (made with dcm passwd); reject others",
  },
} as const satisfies OptionTable;

function readPem(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
}

function certAndKey(
  values: { "tls-cert"?: string | undefined; "tls-key"?: string | undefined },
): { cert: string; key: string } | undefined {
  const certFile = values["tls-cert"];
  const keyFile = values["tls-key"];
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new UsageError("--tls-key needs --tls-cert");
  if (keyFile === undefined) throw new UsageError("--tls-cert needs --tls-key");
  return { cert: readPem(certFile), key: readPem(keyFile) };
}

/**
 * The TLS of a client command (PS3.15 Annex B): with `--tls`, `--tls-ca` or
 * `--tls-cert`, TLS trusting the system's roots and the `--tls-ca` file,
 * presenting the `--tls-cert`/`--tls-key` pair if given. Unreadable files
 * are named; a key without a certificate (or the reverse) is a usage error.
 */
export function clientTls(
  values: {
    tls: boolean;
    "tls-ca"?: string | undefined;
    "tls-cert"?: string | undefined;
    "tls-key"?: string | undefined;
  },
): Pick<ScuOptions, "tls"> {
  const pair = certAndKey(values);
  const ca = values["tls-ca"];
  if (!values.tls && ca === undefined && pair === undefined) return {};
  return { tls: { ...(ca !== undefined && { caCerts: [readPem(ca)] }), ...pair } };
}

/**
 * The TLS of a server command (PS3.15 Annex B): TLS only with
 * `--tls-cert`/`--tls-key`, plain TCP without them. Unreadable files are
 * named; one without the other is a usage error.
 */
export function serverTls(
  values: { "tls-cert"?: string | undefined; "tls-key"?: string | undefined },
): Pick<ServiceProviderOptions, "tls"> {
  const pair = certAndKey(values);
  return pair ? { tls: pair } : {};
}

/**
 * How a server command stops, from `--shutdown-timeout` (checked at once):
 * the associations in progress may end within it, the rest are aborted, and
 * how many were is said on stderr.
 */
export function serverStop(
  values: { "shutdown-timeout": string },
): (provider: { shutdown(options: { timeout: number }): Promise<number> }) => Promise<void> {
  const timeout = milliseconds(values["shutdown-timeout"], "--shutdown-timeout");
  return async (provider) => {
    const aborted = await provider.shutdown({ timeout });
    if (aborted > 0) {
      console.error(
        `aborted ${aborted} association${aborted === 1 ? "" : "s"} still open after ${
          timeout / 1000
        } s`,
      );
    }
  };
}

/** The limits of a server command: `--idle-timeout`, `--timeout`, `--max-associations`, checked at once. */
export function serverLimits(
  values: { "idle-timeout": string; timeout?: string | undefined; "max-associations": string },
): Pick<
  ServiceProviderOptions,
  "idleTimeout" | "maxAssociations" | "artimTimeout" | "writeTimeout" | "dimseTimeout"
> {
  const maxAssociations = positiveInteger(values["max-associations"], "--max-associations");
  const idleTimeout = milliseconds(values["idle-timeout"], "--idle-timeout");
  if (values.timeout === undefined) return { idleTimeout, maxAssociations };
  const timeout = milliseconds(values.timeout, "--timeout");
  return {
    idleTimeout,
    maxAssociations,
    artimTimeout: timeout,
    writeTimeout: timeout,
    dimseTimeout: timeout,
  };
}

/**
 * Who may associate with a server command (PS3.8 §7.1.1.7–9): the calling
 * AE titles of `--allow` (any when none is given), calling our `--aet` with
 * `--check-called`, presenting a user identity with `--users` (checked by
 * {@linkcode serverUsers}). A rejection is logged on stderr with the peer's
 * address.
 */
export function accessOptions(
  values: { aet: string; allow: string[]; "check-called": boolean; users?: string | undefined },
): Pick<ServiceProviderOptions, "accessControl" | "acceptAnyCalledAeTitle"> {
  const allowed = new Set(values.allow.map((ae) => ae.trim()));
  for (const ae of allowed) {
    if (ae === "" || ae.length > 16) {
      throw new UsageError(`--allow must be an AE title of 1 to 16 characters, not "${ae}"`);
    }
  }
  const reject = (info: AssociationRequestInfo, why: string, rejection: AssociationRejection) => {
    logRejection(info, why);
    return rejection;
  };
  return {
    // Checked here, so that the rejection is logged.
    acceptAnyCalledAeTitle: true,
    accessControl: (info) => {
      if (allowed.size > 0 && !allowed.has(info.callingAeTitle)) {
        return reject(
          info,
          "calling AE title not allowed",
          ASSOCIATION_REJECTIONS.CALLING_AE_TITLE_NOT_RECOGNIZED,
        );
      }
      if (values["check-called"] && info.calledAeTitle !== values.aet) {
        return reject(
          info,
          `called AE title is not ${values.aet}`,
          ASSOCIATION_REJECTIONS.CALLED_AE_TITLE_NOT_RECOGNIZED,
        );
      }
      if (values.users !== undefined && info.request.userInformation.userIdentity === undefined) {
        return reject(info, "no user identity", ASSOCIATION_REJECTIONS.NO_REASON_GIVEN);
      }
      return undefined;
    },
  };
}

/** Says on stderr that an association was rejected, from where and why. */
function logRejection(info: AssociationRequestInfo, why: string): void {
  const from = info.remoteAddress
    ? `${info.remoteAddress.hostname}:${info.remoteAddress.port}`
    : "an unknown address";
  console.error(`rejected ${info.callingAeTitle} -> ${info.calledAeTitle} from ${from}: ${why}`);
}

/**
 * The user identities a server command requires with `--users FILE` (PS3.7
 * D.3.3.7): the file is read at once (unreadable: named; malformed: a usage
 * error naming the line); an association with no identity, another type
 * than username and password, or a wrong password is rejected, and the
 * rejection is logged on stderr with the peer's address.
 */
export function serverUsers(
  values: { users?: string | undefined },
): Pick<ServiceProviderOptions, "userIdentity" | "requireUserIdentity"> {
  const path = values.users;
  if (path === undefined) return {};
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  let users: UserDirectory;
  try {
    users = UserDirectory.parse(text);
  } catch (e) {
    if (e instanceof UsersFileError) throw new UsageError(`--users ${path}: ${e.message}`);
    throw e;
  }
  const policy = users.policy();
  return {
    // accessOptions() rejects (and logs) a request without one first.
    requireUserIdentity: true,
    userIdentity: async (identity, info) => {
      const decision = await policy(identity, info);
      if (!decision.accepted) {
        const name = new TextDecoder().decode(identity.primaryField);
        logRejection(
          info,
          identity.identityType === USER_IDENTITY_TYPE.USERNAME_AND_PASSCODE
            ? `wrong user or password (user "${name}")`
            : `user identity type ${identity.identityType} not accepted`,
        );
      }
      return decision;
    },
  };
}

/**
 * The user identity of a client command: `--user NAME` with the password in
 * the environment variable `--password-env` (username and passcode, type
 * 2), or the name only (type 1) when that variable is unset.
 */
export function clientUser(
  values: { user?: string | undefined; "password-env": string },
): Pick<ScuOptions, "userIdentity"> {
  const name = values.user;
  if (name === undefined) return {};
  if (name === "") throw new UsageError("--user must not be empty");
  const password = Deno.env.get(values["password-env"]);
  return {
    userIdentity: password === undefined
      ? { type: USER_IDENTITY_TYPE.USERNAME, primaryField: name }
      : {
        type: USER_IDENTITY_TYPE.USERNAME_AND_PASSCODE,
        primaryField: name,
        secondaryField: password,
      },
  };
}

/**
 * The association options that {@linkcode NETWORK_OPTIONS} give: `events`
 * with a logger attached for `-v`/`-d`, and `maxPduLength`.
 */
export function networkOptions(
  values: { verbose: boolean; debug: boolean; "max-pdu": string },
): Pick<ScuOptions & ServiceProviderOptions, "events" | "maxPduLength"> {
  const maxPduLength = Number(values["max-pdu"]);
  if (!Number.isInteger(maxPduLength) || maxPduLength < 0 || maxPduLength > 0xffff_ffff) {
    throw new UsageError(`--max-pdu must be a number of bytes, not "${values["max-pdu"]}"`);
  }
  const events = associationEvents(values.debug ? "debug" : values.verbose ? "verbose" : "quiet");
  return { maxPduLength, ...(events ? { events } : {}) };
}

/**
 * Checks `--port` (0 for any free one) and `--dir` of a server command and
 * creates the folder; throws a usage error otherwise.
 */
export async function serverPortAndDir(
  values: { port?: string | undefined; dir?: string | undefined },
): Promise<{ port: number; dir: string }> {
  if (!values.dir) throw new UsageError("--dir DIR is required");
  const port = listenPortOf(String(values.port));
  await Deno.mkdir(values.dir, { recursive: true });
  return { port, dir: values.dir };
}

/** `--port` where a command listens (0 for any free one); a usage error otherwise. */
export function listenPortOf(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be 0 to 65535, not "${text}"`);
  }
  return port;
}

/** An option's whole number, 1 or more; a usage error otherwise. */
export function positiveInteger(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`${option} must be a positive number, not "${text}"`);
  }
  return n;
}

/** Reads HOST PORT from positionals; throws a usage error otherwise. */
export function hostPort(positionals: string[]): { host: string; port: number; rest: string[] } {
  const [host, portText, ...rest] = positionals;
  if (!host || portText === undefined) throw new UsageError("missing arguments: HOST PORT");
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`PORT must be 1 to 65535, not "${portText}"`);
  }
  return { host, port, rest };
}

const FSYNC: Record<string, Durability> = { each: true, deferred: "deferred", off: false };

/**
 * `--fsync each|deferred|off` as a {@linkcode Durability}: flush each file
 * before its success, flush in the background before the command ends, or
 * never; `fallback` when absent.
 */
export function durabilityOf(text: string | undefined, fallback: Durability): Durability {
  if (text === undefined) return fallback;
  const durability = FSYNC[text];
  if (durability === undefined) {
    throw new UsageError(`--fsync must be each, deferred or off, not "${text}"`);
  }
  return durability;
}

/** The SCU timeouts a `--timeout` in seconds sets: all four, or none. */
export function timeouts(
  text: string | undefined,
): Pick<ScuOptions, "connectTimeout" | "associationTimeout" | "dimseTimeout" | "writeTimeout"> {
  if (text === undefined) return {};
  const ms = milliseconds(text, "--timeout");
  return { connectTimeout: ms, associationTimeout: ms, dimseTimeout: ms, writeTimeout: ms };
}

/** An option's number of seconds (0 or more) in milliseconds; a usage error otherwise. */
export function milliseconds(text: string, option: string): number {
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`${option} must be a number of seconds, not "${text}"`);
  }
  return Math.round(seconds * 1000);
}

/**
 * Runs `run`, saying where a peer that could not be reached (or that
 * aborted) is, with the system's reason: "127.0.0.1:104: Cannot open the
 * transport connection (Connection refused)".
 */
export async function explained<T>(host: string, port: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof AssociationAbortedError)) throw e;
    const why = e.cause instanceof Error ? ` (${e.cause.message})` : "";
    throw new Error(`${host}:${port}: ${e.message}${why}`, { cause: e });
  }
}

/** Resolves on SIGINT, SIGTERM or `signal`: how the servers of the CLI end. */
export async function untilStopped(signal?: AbortSignal): Promise<void> {
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  signal?.addEventListener("abort", onSignal, { once: true });
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await stop.promise;
  } finally {
    signal?.removeEventListener("abort", onSignal);
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

/**
 * Everything a client command's options say about reaching the peer: the AE
 * titles, `--timeout`, `-v`/`-d`/`--max-pdu`, TLS and the user identity,
 * each checked at once.
 */
export function clientOptions(
  values:
    & { aet: string; call: string; timeout?: string | undefined }
    & Parameters<typeof networkOptions>[0]
    & Parameters<typeof clientTls>[0]
    & Parameters<typeof clientUser>[0],
): ScuOptions {
  return {
    callingAeTitle: values.aet,
    calledAeTitle: values.call,
    ...timeouts(values.timeout),
    ...networkOptions(values),
    ...clientTls(values),
    ...clientUser(values),
  };
}

/**
 * Everything a server command's options say about serving: `-v`/`-d`/
 * `--max-pdu`, who may associate (`--allow`, `--check-called`, `--users`),
 * the limits and timeouts, and TLS, each checked at once.
 */
export function serverOptions(
  values:
    & Parameters<typeof networkOptions>[0]
    & Parameters<typeof accessOptions>[0]
    & Parameters<typeof serverLimits>[0]
    & Parameters<typeof serverUsers>[0]
    & Parameters<typeof serverTls>[0],
): Partial<ServiceProviderOptions> {
  return {
    ...networkOptions(values),
    ...accessOptions(values),
    ...serverLimits(values),
    ...serverUsers(values),
    ...serverTls(values),
  };
}

/** Parses `NAME=HOST:PORT` (`--dest`). */
export function parseDestination(text: string): [string, MoveDestination] {
  const m = /^([^=]{1,16})=(.+):(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--dest must be NAME=HOST:PORT, not "${text}"`);
  return [m[1]!, { hostname: m[2]!, port: Number(m[3]) }];
}

/** `--commit` of the server commands: serve Storage Commitment with the `--dest` AE table. */
export const COMMIT_OPTION = {
  commit: {
    type: "boolean",
    default: false,
    description:
      "serve Storage Commitment Push Model (PS3.4 Annex J); reports that cannot go on the requesting association go to the requestor's --dest address",
  },
} as const satisfies OptionTable;

/** The `commitment` option of a server from `--commit` and the `--dest` table. */
export function commitmentOptions(
  commit: boolean,
  destinations: Readonly<Record<string, MoveDestination>>,
): { commitment?: CommitmentServiceOptions } {
  if (!commit) return {};
  return {
    commitment: {
      requestors: destinations,
      onWarning: (m) => console.error(`warning: ${m}`),
      onReport: (d) =>
        console.log(
          `storage commitment ${d.report.transactionUid} for ${d.requestor}: ${d.report.committed.length} committed, ${d.report.failed.length} failed, ${
            d.via === "undelivered" ? "report undelivered" : `reported on ${d.via}`
          }`,
        ),
    },
  };
}
