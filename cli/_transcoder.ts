// Transcoding for the commands that send objects (store, qrscp): a
// transcoder that imports `@dcm/net/codecs` on the first object that needs
// decoding, so that a command whose peers take every object as it is never
// loads the codecs, and the option that turns it off.
import type { Transcoder } from "../service/mod.ts";
import { DECODABLE_TRANSFER_SYNTAXES } from "../codecs/transfer_syntaxes.ts";
import type { OptionTable } from "./_args.ts";

/**
 * What the codecs decode: their own list, from a module of theirs that
 * loads no codec (it imports only the dictionary and data sets).
 */
export const DECODABLE: readonly string[] = DECODABLE_TRANSFER_SYNTAXES;

/** Decodes through `@dcm/net/codecs`, imported on first use. */
export const lazyTranscoder: Transcoder = {
  canDecode: (ts) => DECODABLE.includes(ts),
  toNative: async (dataset, ts) =>
    (await import("../codecs/mod.ts")).transcoder.toNative(dataset, ts),
};

/** `--no-transcode`: fail `what` instead of decoding it. */
export function transcodeOption(what: string) {
  return {
    "no-transcode": {
      type: "boolean",
      default: false,
      description: `fail ${what}, instead of decoding it to Explicit VR Little Endian ` +
        "(the default, when the peer accepted only uncompressed syntaxes; the codecs load only then)",
    },
  } as const satisfies OptionTable;
}
