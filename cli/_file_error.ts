// Errors that name the file they are about (dump, store).

/**
 * An error for a file that cannot be opened or read, naming it:
 * "missing.dcm: No such file or directory (os error 2)".
 */
export function fileError(path: string, e: unknown): Error {
  if (!(e instanceof Error)) return new Error(`${path}: ${String(e)}`);
  // Deno's I/O errors end with the call and the path: `...: open 'missing.dcm'`.
  const reason = e.message.replace(/: \w+ '.*'$/, "");
  return new Error(`${path}: ${reason}`, { cause: e });
}
