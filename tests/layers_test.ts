/**
 * The layering of ARCHITECTURE.md, checked on the import statements of the
 * library's folders: each imports only layers below it, `scu/` and `scp/`
 * never import each other, and no folder imports another folder's `_*.ts`.
 */
import { assertEquals } from "./_assert.ts";

/** Each folder's rank: a folder imports only folders of a lower rank. */
const RANK: Record<string, number> = {
  dictionary: 0,
  dataset: 1,
  encapsulation: 2,
  pdu: 2,
  codecs: 2,
  association: 3,
  dimse: 4,
  archive: 4,
  media: 4,
  service: 5,
  scu: 6,
  scp: 6,
  cli: 7,
};
const ROOT = new URL("../", import.meta.url);

/** The relative import specifiers of a source file (static and dynamic; not those in comments). */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) out.push(m[1]!);
  return out;
}

async function violations(): Promise<string[]> {
  const found: string[] = [];
  for (const folder of Object.keys(RANK)) {
    for await (const entry of Deno.readDir(new URL(folder, ROOT))) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      const file = `${folder}/${entry.name}`;
      for (const specifier of importsOf(await Deno.readTextFile(new URL(file, ROOT)))) {
        const target = new URL(specifier, new URL(file, ROOT)).pathname.slice(ROOT.pathname.length);
        const [dir, name] = target.includes("/") ? target.split("/") : ["", target];
        if (dir === folder || dir === "") continue; // its own folder, or errors.ts / version.ts
        if (!(dir! in RANK)) {
          found.push(`${file} imports ${target}, outside the library`);
        } else if (RANK[dir!]! >= RANK[folder]!) {
          found.push(`${file} imports ${target}: ${dir}/ is not below ${folder}/`);
        } else if (name!.startsWith("_")) {
          found.push(`${file} imports ${target}, another folder's private file`);
        }
      }
    }
  }
  return found;
}

Deno.test("each library folder imports only the layers below it, and none of their private files", async () => {
  assertEquals(await violations(), []);
});

Deno.test("importsOf() finds static, type-only and dynamic imports, not those in comments", () => {
  const source = [
    'import { a } from "../scp/mod.ts";',
    'import type { B } from "../scu/_x.ts";',
    'const m = await import("../cli/main.ts");',
    '// import { c } from "../nope/mod.ts";',
    '/** ```ts\n * import { d } from "../nope2/mod.ts";\n * ``` */',
  ].join("\n");
  assertEquals(importsOf(source), ["../scp/mod.ts", "../scu/_x.ts", "../cli/main.ts"]);
});

/** The npm modules in the import graph of `entry` (static and dynamic imports). */
async function npmModules(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  return graph.modules.map((m) => m.specifier).filter((s) => s.startsWith("npm:"));
}

Deno.test("the root module and the service layers import no npm package: only codecs/ (and cli/ through it) do", async () => {
  for (const entry of ["mod.ts", "service/mod.ts", "scu/mod.ts", "scp/mod.ts"]) {
    assertEquals(await npmModules(entry), [], entry);
  }
  assertEquals((await npmModules("codecs/mod.ts")).length, 5, "codecs/ loads the five codecs");
});
