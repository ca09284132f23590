// Options shared by the commands that call a peer: HOST PORT --aet --call.
import { AssociationAbortedError } from "../association/mod.ts";
import type { Durability } from "../service/mod.ts";
import { parseArgs } from "./_args.ts";

/** The options every networking command accepts. */
export const PEER_OPTIONS = {
  aet: { type: "string", default: "DCMNET" },
  call: { type: "string", default: "ANY-SCP" },
  timeout: { type: "string" },
  json: { type: "boolean", default: false },
} as const;

/** The options every server command accepts: where to listen, who we are, which folder. */
export const SERVER_OPTIONS = {
  port: { type: "string" },
  dir: { type: "string" },
  aet: { type: "string", default: "DCMNET" },
  host: { type: "string", default: "0.0.0.0" },
} as const;

/**
 * Checks `--port` (0 for any free one) and `--dir` of a server command and
 * creates the folder; throws a usage error otherwise.
 */
export async function serverPortAndDir(
  values: { port?: string | undefined; dir?: string | undefined },
  usage: string,
): Promise<{ port: number; dir: string }> {
  const port = Number(values.port);
  if (!values.dir || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`usage: ${usage}`);
  }
  await Deno.mkdir(values.dir, { recursive: true });
  return { port, dir: values.dir };
}

/** Reads HOST PORT from positionals; throws a usage error otherwise. */
export function hostPort(
  positionals: string[],
  usage: string,
): { host: string; port: number; rest: string[] } {
  const [host, portText, ...rest] = positionals;
  const port = Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`usage: ${usage}`);
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
    throw new TypeError(`--fsync must be each, deferred or off, not "${text}"`);
  }
  return durability;
}

/** Milliseconds from a `--timeout` in seconds. */
export function timeoutMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (!(s >= 0)) throw new TypeError(`--timeout must be a number of seconds, not "${text}"`);
  return s * 1000;
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

export { parseArgs };
