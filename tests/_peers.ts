/**
 * Detection of DCMTK, our interoperability reference peer.
 *
 * Tests that need a DCMTK binary call {@linkcode dcmtkIgnore} for their
 * `ignore` option. On a developer machine without DCMTK such a test is skipped
 * with a message saying why; in CI (`CI=true`) a missing DCMTK is a failure,
 * never a silent skip.
 *
 * @module
 */

const found = new Map<string, boolean>();

/** Reports whether the DCMTK tool `name` (e.g. `"dcmdump"`) is on the PATH. */
export function hasDcmtk(name = "dcmdump"): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    try {
      const out = new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
        .outputSync();
      ok = out.success;
    } catch {
      ok = false;
    }
    found.set(name, ok);
  }
  return ok;
}

/**
 * Returns `true` (skip) when the DCMTK tool is missing outside CI, printing why.
 * Throws in CI, where the interop tests must run.
 */
export function dcmtkIgnore(name = "dcmdump"): boolean {
  if (hasDcmtk(name)) return false;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`CI=true but DCMTK's ${name} is not installed: interop tests must run in CI`);
  }
  console.warn(
    `skipping: DCMTK's ${name} is not installed (apt-get install -y dcmtk); interop tests need it`,
  );
  return true;
}

/** Runs a DCMTK tool and returns its stdout as text; throws with stderr on failure. */
export async function runDcmtk(name: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(name, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${name} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Absolute path of pydicom's test corpus, copied into `tests/data/pydicom/` (see its README). */
export const PYDICOM_DATA: string = new URL("./data/pydicom/", import.meta.url).pathname;

/** Each item dcmdump shows in the Directory Record Sequence: "offset type refFileID", sorted. */
export async function dcmdumpRecords(path: string): Promise<string[]> {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of (await runDcmtk("dcmdump", [path])).split("\n")) {
    const item = line.match(/#\s+offset=\$(\d+)(?:\s+refFileID="([^"]*)")?/);
    if (item) current = `${item[1]} ${item[2] ?? ""}`;
    const type = line.match(/\(0004,1430\) CS \[([^\]]*)\]/);
    if (type && current !== undefined) {
      const [offset, ref] = current.split(" ");
      out.push(`${offset} ${type[1]!.trim()} ${ref}`);
      current = undefined;
    }
  }
  return out.sort();
}
