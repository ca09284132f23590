// Options shared by the commands that call a peer: HOST PORT --aet --call.
import { parseArgs } from "./_args.ts";

/** The options every networking command accepts. */
export const PEER_OPTIONS = {
  aet: { type: "string", default: "DCMNET" },
  call: { type: "string", default: "ANY-SCP" },
  timeout: { type: "string" },
  json: { type: "boolean", default: false },
} as const;

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

/** Milliseconds from a `--timeout` in seconds. */
export function timeoutMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (!(s >= 0)) throw new TypeError(`--timeout must be a number of seconds, not "${text}"`);
  return s * 1000;
}

export { parseArgs };
