/**
 * Value Representations of PS3.5 §6.2 (Table 6.2-1), as data.
 *
 * @module
 */

/** Every VR of the current PS3.5 (release 2024d), in alphabetical order. */
export const VRS = [
  "AE",
  "AS",
  "AT",
  "CS",
  "DA",
  "DS",
  "DT",
  "FD",
  "FL",
  "IS",
  "LO",
  "LT",
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "PN",
  "SH",
  "SL",
  "SQ",
  "SS",
  "ST",
  "SV",
  "TM",
  "UC",
  "UI",
  "UL",
  "UN",
  "UR",
  "US",
  "UT",
  "UV",
] as const;

/** A two-letter Value Representation code (PS3.5 Table 6.2-1). */
export type Vr = typeof VRS[number];

const VR_SET: ReadonlySet<string> = new Set(VRS);

/** Reports whether `code` is a VR of PS3.5 Table 6.2-1. */
export function isVr(code: string): code is Vr {
  return VR_SET.has(code);
}

/**
 * VRs whose explicit VR header has a 2-byte reserved field and a 4-byte length
 * (PS3.5 §7.1.2, Table 7.1-1); all others use a 2-byte length.
 */
const LONG_HEADER: ReadonlySet<Vr> = new Set<Vr>([
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "SQ",
  "SV",
  "UC",
  "UN",
  "UR",
  "UT",
  "UV",
]);

/** Reports whether `vr` uses the 12-byte explicit VR element header (PS3.5 §7.1.2). */
export function hasLongHeader(vr: Vr): boolean {
  return LONG_HEADER.has(vr);
}

/** Character string VRs (PS3.5 §6.2): their values are text. */
const TEXT: ReadonlySet<Vr> = new Set<Vr>([
  "AE",
  "AS",
  "CS",
  "DA",
  "DS",
  "DT",
  "IS",
  "LO",
  "LT",
  "PN",
  "SH",
  "ST",
  "TM",
  "UC",
  "UI",
  "UR",
  "UT",
]);

/** Reports whether `vr` holds character strings. */
export function isTextVr(vr: Vr): boolean {
  return TEXT.has(vr);
}

/**
 * Text VRs affected by the Specific Character Set (PS3.5 §6.1.2.3); the others
 * use the default repertoire only.
 */
const CHARSET: ReadonlySet<Vr> = new Set<Vr>(["LO", "LT", "PN", "SH", "ST", "UC", "UT"]);

/** Reports whether the values of `vr` are decoded with the Specific Character Set. */
export function usesCharset(vr: Vr): boolean {
  return CHARSET.has(vr);
}

/** Text VRs that hold exactly one value: backslash is not a delimiter (PS3.5 §6.2). */
const SINGLE_VALUED: ReadonlySet<Vr> = new Set<Vr>(["LT", "ST", "UR", "UT"]);

/** Reports whether a backslash in a value of `vr` separates values. */
export function isMultiValuedText(vr: Vr): boolean {
  return TEXT.has(vr) && !SINGLE_VALUED.has(vr);
}

/**
 * Size in bytes of one value of a fixed-size binary VR, used to byte-swap big
 * endian data (PS3.5 §7.3) and to count values; 0 for VRs that are not swapped.
 */
export function wordSize(vr: Vr): number {
  switch (vr) {
    case "US":
    case "SS":
    case "OW":
    case "AT":
      return 2;
    case "UL":
    case "SL":
    case "FL":
    case "OF":
    case "OL":
      return 4;
    case "FD":
    case "OD":
    case "SV":
    case "UV":
    case "OV":
      return 8;
    default:
      return 0;
  }
}

/**
 * The padding byte that makes a value even in length (PS3.5 §6.2, §7.1): NUL
 * for UI and the binary VRs, a space for the other text VRs.
 */
export function paddingByte(vr: Vr): number {
  return TEXT.has(vr) && vr !== "UI" ? 0x20 : 0x00;
}

/**
 * The VR to use for a dictionary VR that names several (PS3.5 Annex A.1
 * notes, PS3.6 "US or SS", "OB or OW", "US or OW"...): "US or SS" follows
 * Pixel Representation (1: SS); for the others `binary` says which word VR
 * bytes take (Implicit VR LE requires OW), and without it the numeric one.
 */
export function resolveDictionaryVr(
  vr: string,
  pixelRepresentation: number | undefined,
  binary: "OB" | "OW" | undefined,
): Vr {
  if (isVr(vr)) return vr;
  if (vr.startsWith("US or SS")) return pixelRepresentation === 1 ? "SS" : "US";
  if (vr === "OB or OW") return binary ?? "OW";
  if (vr === "US or OW") return binary ? "OW" : "US";
  return vr.slice(0, 2) as Vr;
}
