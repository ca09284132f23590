import { UID_TABLE } from "./_uid_table.ts";
import { UID_TYPES, type UidType } from "./uid.ts";

/** What the PS3.6 Table A-1 registry says about a UID. */
export interface UidInfo {
  /** The UID, e.g. `"1.2.840.10008.1.2"`. */
  readonly uid: string;
  /** The name, e.g. `"Implicit VR Little Endian"`; `""` for two retired SOP classes that lost theirs. */
  readonly name: string;
  /** The type, e.g. `"SOP Class"` or `"Transfer Syntax"`. */
  readonly type: UidType;
  /** The keyword, e.g. `"ImplicitVRLittleEndian"`, or `""` if it has none. */
  readonly keyword: string;
  /** Whether the standard has retired the UID. */
  readonly retired: boolean;
  /** The registry's remark, e.g. `"Default Transfer Syntax for DICOM"`, or `""`. */
  readonly info: string;
}

let byUid: ReadonlyMap<string, UidInfo> | undefined;

/** Parses the generated table once, on the first lookup. */
function load(): ReadonlyMap<string, UidInfo> {
  const map = new Map<string, UidInfo>();
  for (const line of UID_TABLE.split("\n")) {
    const [uid, type, retired, keyword, name, info] = line.split("|") as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    map.set(uid, {
      uid,
      name,
      type: UID_TYPES[Number(type)] as UidType,
      keyword,
      retired: retired === "R",
      info,
    });
  }
  return byUid = map;
}

/**
 * Looks up a UID in the PS3.6 Table A-1 registry.
 *
 * The UID must be exact: strip the trailing NUL that pads a UI value to an
 * even length (PS3.5 §9.1) before looking it up.
 *
 * @example Usage
 * ```ts
 * import { lookupUid } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * const info = lookupUid("1.2.840.10008.5.1.4.1.1.2");
 * assert.equal(info?.name, "CT Image Storage");
 * assert.equal(info?.type, "SOP Class");
 * assert.equal(lookupUid("1.2.3.4"), undefined);
 * ```
 *
 * @param uid The UID.
 * @returns The registry entry, or `undefined` for an unregistered (e.g. private) UID.
 */
export function lookupUid(uid: string): UidInfo | undefined {
  return (byUid ?? load()).get(uid);
}

/**
 * Returns the registered name of a UID, or the UID itself if the registry has
 * no name for it. Handy for log messages.
 *
 * @example Usage
 * ```ts
 * import { uidName } from "@dcm/net/dictionary";
 * import assert from "node:assert/strict";
 *
 * assert.equal(uidName("1.2.840.10008.1.1"), "Verification SOP Class");
 * assert.equal(uidName("1.2.3.4"), "1.2.3.4");
 * ```
 *
 * @param uid The UID.
 * @returns Its name, or `uid`.
 */
export function uidName(uid: string): string {
  return lookupUid(uid)?.name || uid;
}
