/**
 * Running the `dcm` command line from tests, as a user would: a process of
 * its own, its exit code and what it printed.
 *
 * @module
 */

/** The command line's entry point. */
export const MAIN: string = new URL("../cli/main.ts", import.meta.url).pathname;

/** What a run of `dcm` printed, and its exit code. */
export interface CliRun {
  /** The exit code. */
  code: number;
  /** What it printed on stdout. */
  stdout: string;
  /** What it printed on stderr. */
  stderr: string;
}

/** Runs `dcm ...args` to its end, with no standard input. */
export async function dcm(...args: string[]): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}
