// Reading C-FIND/C-MOVE/C-GET responses: identifiers and sub-operation counts.
import { type Dataset, decodeDataset, inflateRaw } from "../dataset/mod.ts";
import { transferSyntaxInfo, Uid } from "../dictionary/mod.ts";
import type { DimseResponse } from "../dimse/mod.ts";
import type { RetrieveProgress } from "./retrieve_operation.ts";

function identifierBytes(response: DimseResponse): Promise<Uint8Array> | Uint8Array | undefined {
  if (response.dataset === undefined) return undefined;
  return transferSyntaxInfo(response.transferSyntax)?.deflated
    ? inflateRaw(response.dataset)
    : response.dataset;
}

export async function decodeIdentifier(response: DimseResponse): Promise<Dataset | undefined> {
  const bytes = await identifierBytes(response);
  if (bytes === undefined) return undefined;
  const deflated = transferSyntaxInfo(response.transferSyntax)?.deflated;
  return decodeDataset(bytes, {
    transferSyntax: deflated ? Uid.ExplicitVRLittleEndian : response.transferSyntax,
  });
}

/** A status as PS3.7 writes it, e.g. "B000". */
export function hex(status: number): string {
  return status.toString(16).toUpperCase().padStart(4, "0");
}

export function progressOf(response: DimseResponse): RetrieveProgress {
  const c = response.command;
  return {
    status: c.status ?? 0,
    remaining: c.remaining,
    completed: c.completed ?? 0,
    failed: c.failed ?? 0,
    warning: c.warning ?? 0,
  };
}
