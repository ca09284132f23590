/**
 * Reading a file to send, synchronously while the disk answers quickly
 * ({@linkcode _SyncBudget}): shared by `store()`'s header scan and
 * `sendObjects()`.
 *
 * @module
 */
import type { _SyncBudget } from "./_sync_budget.ts";

/**
 * Files up to this size are read with one synchronous call while the disk
 * answers quickly ({@linkcode _SyncBudget}): an asynchronous read costs
 * thread hops through Deno's blocking pool worth several times the read of
 * a small file from the page cache.
 */
export const _SYNC_READ_LIMIT = 256 * 1024;

/** The whole file, read synchronously when it is small and `budget` allows. */
export function _readSmallFile(
  path: string,
  size: number,
  budget: _SyncBudget | undefined,
): Promise<Uint8Array> {
  if (budget?.allowed && size <= _SYNC_READ_LIMIT) {
    try {
      return Promise.resolve(budget.run(() => Deno.readFileSync(path)));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return Deno.readFile(path);
}

/** A file's size, synchronously while `budget` allows. */
export async function _fileSize(path: string, budget: _SyncBudget | undefined): Promise<number> {
  if (budget?.allowed) return budget.run(() => Deno.statSync(path)).size;
  return (await Deno.stat(path)).size;
}
