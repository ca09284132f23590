/**
 * Validation and defaults of the options shared by both roles.
 *
 * @module
 */

import { ABORT_REASON, ABORT_SOURCE } from "../pdu/mod.ts";
import type { _UpperLayer } from "./_upper_layer.ts";
import {
  DEFAULT_MAX_PDU_LENGTH,
  DEFAULT_TIMEOUT,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
} from "./constants.ts";
import { AssociationAbortedError } from "./errors.ts";
import type { AssociationOptions } from "./options.ts";

/** {@linkcode AssociationOptions} with every default applied. */
export interface _Resolved {
  readonly maxPduLength: number;
  readonly artimTimeout: number;
  readonly associationTimeout: number;
  readonly idleTimeout: number;
  readonly writeTimeout: number;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;
}

function milliseconds(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Invalid ${name}: ${value} (a number of milliseconds >= 0 expected)`);
  }
  return value;
}

/** Applies defaults and checks ranges. */
export function _resolve(options: AssociationOptions): _Resolved {
  const maxPduLength = options.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH;
  if (!Number.isInteger(maxPduLength) || maxPduLength < 0 || maxPduLength > 0xffff_ffff) {
    throw new RangeError(`Invalid maxPduLength: ${maxPduLength}`);
  }
  const artimTimeout = milliseconds(options.artimTimeout, DEFAULT_TIMEOUT, "artimTimeout");
  if (artimTimeout === 0) throw new RangeError("Invalid artimTimeout: 0");
  const versionName = options.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME;
  if (versionName.length < 1 || versionName.length > 16) {
    throw new RangeError(`Invalid implementationVersionName: "${versionName}" (1–16 characters)`);
  }
  return {
    maxPduLength,
    artimTimeout,
    associationTimeout: milliseconds(
      options.associationTimeout,
      DEFAULT_TIMEOUT,
      "associationTimeout",
    ),
    idleTimeout: milliseconds(options.idleTimeout, 0, "idleTimeout"),
    writeTimeout: milliseconds(options.writeTimeout, DEFAULT_TIMEOUT, "writeTimeout"),
    implementationClassUid: options.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
    implementationVersionName: versionName,
  };
}

/**
 * Checks an AE title (PS3.5 §6.2 AE: 1–16 characters of the default
 * repertoire, no backslash or control character, not only spaces) and
 * returns it without leading and trailing spaces (not significant).
 */
export function _checkAeTitle(title: string, name: string): string {
  const trimmed = title.trim();
  if (trimmed.length === 0 || title.length > 16 || !/^[\x20-\x5b\x5d-\x7e]+$/.test(title)) {
    throw new RangeError(
      `Invalid ${name} "${title}": 1–16 printable ASCII characters, no backslash`,
    );
  }
  return trimmed;
}

/**
 * Aborts the machine when `signal` does (at once if it already has), until
 * it is back in Sta1: an A-ABORT request where Table 9-10 allows one,
 * otherwise (Sta2) closing the transport.
 */
export function _abortOnSignal(ul: _UpperLayer, signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  const onAbort = () =>
    ul.abort(ABORT_SOURCE.SERVICE_USER, ABORT_REASON.REASON_NOT_SPECIFIED, _signalError(signal));
  if (signal.aborted) return onAbort();
  signal.addEventListener("abort", onAbort, { once: true });
  ul.closed.then(() => signal.removeEventListener("abort", onAbort));
}

/** The error for an association ended by an `AbortSignal`: a local abort caused by its reason. */
export function _signalError(signal: AbortSignal): AssociationAbortedError {
  return new AssociationAbortedError("Aborted by the signal", {
    origin: "local",
    source: ABORT_SOURCE.SERVICE_USER,
    cause: signal.reason,
  });
}

/** Sets `TCP_NODELAY` on transports that are TCP connections: one PDU, one segment train. */
export function _noDelay(transport: object): void {
  const conn = transport as Partial<Deno.TcpConn>;
  if (typeof conn.setNoDelay === "function") {
    try {
      conn.setNoDelay(true);
    } catch { /* Not a TCP socket after all, or already closed. */ }
  }
}
