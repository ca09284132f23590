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
  return readWhole(path, size, budget);
}

/**
 * The whole file, read into one buffer of the size expected (`Deno.readFile`
 * of 2 MB cost twice the time, half of it on the event loop's thread). A
 * regular file's read comes back short only at its end; a file that grew
 * past `size` is read again whole.
 */
async function readWhole(
  path: string,
  size: number,
  budget: _SyncBudget | undefined,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(size + 1);
  let length = 0;
  {
    // Opened synchronously while the disk answers quickly; read in the background.
    using file = budget?.allowed ? budget.run(() => Deno.openSync(path)) : await Deno.open(path);
    for (;;) {
      const wanted = bytes.length - length;
      const n = await file.read(bytes.subarray(length));
      if (n === null) break;
      length += n;
      if (n < wanted || length === bytes.length) break;
    }
  }
  return length <= size ? bytes.subarray(0, length) : await Deno.readFile(path);
}

/** A file's size, synchronously while `budget` allows. */
export async function _fileSize(path: string, budget: _SyncBudget | undefined): Promise<number> {
  if (budget?.allowed) return budget.run(() => Deno.statSync(path)).size;
  return (await Deno.stat(path)).size;
}
