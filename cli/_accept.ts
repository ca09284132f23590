/**
 * `--accept uncompressed|lossless|all`: which transfer syntaxes the storage
 * contexts of `dcm storescp`, `dcm qrscp` and `dcm get` accept, most
 * preferred first (issue 12; PS3.5 §A.4 for lossless and lossy).
 *
 * @module
 */
import { ACCEPT_POLICIES, type AcceptPolicy, storageTransferSyntaxes } from "../service/mod.ts";
import { type OptionSpec, UsageError } from "./_args.ts";

/** The `--accept` option with its default, saying what it applies to. */
export function acceptOption(
  fallback: AcceptPolicy,
  what: string,
): { readonly accept: { readonly type: "string"; readonly default: string } & OptionSpec } {
  return {
    accept: {
      type: "string",
      default: fallback,
      value: ACCEPT_POLICIES.join("|"),
      description: `transfer syntaxes ${what}: uncompressed only, also lossless compressed, ` +
        "or also lossy; preferred in that order (PS3.5 A.4)",
    },
  };
}

/** The transfer syntaxes an `--accept` value names, most preferred first. */
export function acceptedSyntaxes(text: string): string[] {
  if (!(ACCEPT_POLICIES as readonly string[]).includes(text)) {
    throw new UsageError(`--accept must be ${ACCEPT_POLICIES.join(", ")}, not "${text}"`);
  }
  return storageTransferSyntaxes(text as AcceptPolicy);
}
