/**
 * Fragmentation of DIMSE messages into Presentation Data Values (PS3.8
 * Annex E, PS3.7 §8.1): a command set, then its data set, each split into
 * fragments no larger than the peer's Maximum Length allows, the last
 * fragment of each flagged.
 *
 * @module
 */
import type { PresentationDataValue } from "../pdu/mod.ts";

/**
 * Fragment size used when the peer advertised no limit (Maximum Length 0):
 * large enough that per-PDU overhead vanishes, small enough to stream.
 */
export const UNLIMITED_FRAGMENT_LENGTH = 1 << 20;

/** The largest fragment to put in one PDV, given the peer's per-PDV room. */
export function fragmentLength(maxPdvDataLength: number): number {
  return Number.isFinite(maxPdvDataLength)
    ? Math.max(1, maxPdvDataLength)
    : UNLIMITED_FRAGMENT_LENGTH;
}

/**
 * Splits bytes into PDVs of at most `max` bytes (views, no copies); an empty
 * input gives one empty last fragment, as a data set of length 0 needs.
 *
 * @example
 * ```ts
 * import { fragmentBytes } from "./mod.ts";
 * const pdvs = [...fragmentBytes(new Uint8Array(10), 1, false, 4)];
 * console.log(pdvs.map((p) => [p.data.length, p.isLastFragment])); // [[4,false],[4,false],[2,true]]
 * ```
 */
export function* fragmentBytes(
  bytes: Uint8Array,
  presentationContextId: number,
  isCommand: boolean,
  max: number,
): Generator<PresentationDataValue> {
  if (bytes.length === 0) {
    yield { presentationContextId, isCommand, isLastFragment: true, data: bytes };
    return;
  }
  for (let pos = 0; pos < bytes.length; pos += max) {
    const end = Math.min(pos + max, bytes.length);
    yield {
      presentationContextId,
      isCommand,
      isLastFragment: end === bytes.length,
      data: bytes.subarray(pos, end),
    };
  }
}

/**
 * Re-chunks a byte stream into data set PDVs of exactly `max` bytes (the
 * last may be shorter), reading one chunk ahead to know which is last.
 */
export async function* fragmentStream(
  stream: ReadableStream<Uint8Array>,
  presentationContextId: number,
  max: number,
): AsyncGenerator<PresentationDataValue> {
  const reader = stream.getReader();
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  const take = (n: number): Uint8Array => {
    const first = pending[0]!;
    if (first.length >= n) {
      pendingLength -= n;
      if (first.length === n) pending.shift();
      else pending[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = pending[0]!;
      const k = Math.min(c.length, n - filled);
      out.set(c.subarray(0, k), filled);
      filled += k;
      if (k === c.length) pending.shift();
      else pending[0] = c.subarray(k);
    }
    pendingLength -= n;
    return out;
  };
  let sent = false;
  try {
    let done = false;
    while (!done) {
      const r = await reader.read();
      if (r.done) done = true;
      else if (r.value.length > 0) {
        pending.push(r.value);
        pendingLength += r.value.length;
      }
      // Emit full fragments, keeping at least one byte back until the end is known.
      while (pendingLength > max || (done && pendingLength > 0)) {
        const n = Math.min(max, pendingLength);
        const last = done && n === pendingLength;
        sent = true;
        yield { presentationContextId, isCommand: false, isLastFragment: last, data: take(n) };
      }
    }
    if (!sent) {
      // An empty data set still needs its last fragment.
      yield {
        presentationContextId,
        isCommand: false,
        isLastFragment: true,
        data: new Uint8Array(0),
      };
    }
  } finally {
    pending = [];
    reader.releaseLock();
  }
}
