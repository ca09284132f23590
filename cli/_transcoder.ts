// Transcoding for the commands that send objects (store, qrscp): a
// transcoder that imports `@dcm/net/codecs` on the first object that needs
// decoding, so that a command whose peers take every object as it is never
// loads the codecs, and the option that turns it off.
import type { Transcoder } from "../service/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import type { OptionTable } from "./_args.ts";

/**
 * What the codecs decode (kept here, not imported from them, so that asking
 * does not load them); tests/cli_transcode_test.ts checks that it equals
 * `DECODABLE_TRANSFER_SYNTAXES`.
 */
export const DECODABLE: readonly string[] = [
  Uid.RLELossless,
  Uid.JPEGBaseline8Bit,
  Uid.JPEGExtended12Bit,
  Uid.JPEGLossless,
  Uid.JPEGLosslessSV1,
  Uid.JPEGLSLossless,
  Uid.JPEGLSNearLossless,
  Uid.JPEG2000Lossless,
  Uid.JPEG2000,
  Uid.HTJ2KLossless,
  Uid.HTJ2KLosslessRPCL,
  Uid.HTJ2K,
];

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
