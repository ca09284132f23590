import { assert, assertEquals } from "./_assert.ts";
import { DicomError } from "../errors.ts";
import * as root from "../mod.ts";

const LAYERS = [
  "dictionary",
  "dataset",
  "encapsulation",
  "pdu",
  "association",
  "dimse",
  "archive",
  "media",
  "service",
  "scu",
  "scp",
  "codecs",
] as const;

Deno.test("every error class any module exports extends DicomError", async () => {
  const found: string[] = [];
  const modules: Record<string, unknown>[] = [root];
  for (const layer of LAYERS) modules.push(await import(`../${layer}/mod.ts`));
  for (const mod of modules) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== "function" || !(value.prototype instanceof Error)) continue;
      if (value === DicomError) continue;
      assert(value.prototype instanceof DicomError, `${name} does not extend DicomError`);
      found.push(name);
    }
  }
  // The known ones are there: the check above is not vacuous.
  for (
    const name of [
      "DicomDecodeError",
      "PduDecodeError",
      "AssociationRejectedError",
      "AssociationAbortedError",
      "AssociationStateError",
      "CommandSetError",
      "DimseStatusError",
      "DimseTimeoutError",
      "MatchingKeyError",
      "FileSetError",
      "EncapsulationError",
      "CodecError",
      "UnsupportedTransferSyntaxError",
    ]
  ) assert(found.includes(name), `${name} is not exported`);
});

Deno.test("the root module names at most 60 things, the errors among them", () => {
  const names = Object.keys(root);
  // Types are not runtime exports; deno doc --json mod.ts counts them too (60 in all).
  assert(names.length <= 60, `${names.length} names`);
  assertEquals(root.DicomError, DicomError);
  assert(new root.DimseStatusError("C-FIND", 0xa700) instanceof DicomError);
});
