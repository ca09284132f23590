/**
 * The graphic character sets that DICOM's Specific Character Set (0008,0005)
 * can name, as data: the code element each one is designated to, its bytes per
 * character and its ISO/IEC 2022 escape sequence (PS3.3 Tables C.12-2 to C.12-4,
 * PS3.5 §6.1.2.3 to §6.1.2.5), plus the lazily built tables that map bytes to
 * UTF-16 code units and back.
 *
 * The tables are derived once from the runtime's `TextDecoder` (which knows
 * ISO 8859, windows-874, shift_jis, euc-jp, euc-kr and gb18030) by decoding
 * every code position, so no mapping data is shipped. A table, once built, is
 * never mutated.
 *
 * Internal module: no `Deno.*`, no I/O.
 *
 * @module
 */

/** How a set's code positions are obtained from the runtime's `TextDecoder`. */
type Source =
  | "ascii"
  | "latin1"
  | "shift_jis"
  | "iso-8859-2"
  | "iso-8859-3"
  | "iso-8859-4"
  | "iso-8859-5"
  | "iso-8859-6"
  | "iso-8859-7"
  | "iso-8859-8"
  | "iso-8859-9"
  | "iso-8859-15"
  | "windows-874"
  | "jis0208"
  | "jis0212"
  | "ksx1001"
  | "gb2312";

interface GraphicSetSpec {
  /** The code element its DICOM escape sequence designates: G0 (GL bytes) or G1 (GR bytes). */
  readonly register: 0 | 1;
  /** Bytes per character: 1 (94- or 96-character set) or 2 (94x94 set). */
  readonly width: 1 | 2;
  /** The escape sequence after ESC (01/11), as text, e.g. `"$)C"` for ESC 02/04 02/09 04/03. */
  readonly escape: string;
  readonly source: Source;
  /**
   * Rows (1-94) of a 94x94 set that `encode()` may use, as inclusive ranges: the
   * rows the named standard defines. Decoding accepts every row the runtime knows.
   */
  readonly rows?: readonly (readonly [number, number])[];
}

/**
 * Every graphic character set by ISO registration number, with the escape
 * sequences of PS3.3 Table C.12-3 (single-byte, with code extensions) and
 * Table C.12-4 (multi-byte, with code extensions). PS3.5 Annex H (Japanese),
 * Annex I (Korean) and Annex K (Chinese GB 2312) show them in use.
 */
export const GRAPHIC_SETS = {
  /** ISO 646 IRV (ASCII), the default repertoire (PS3.5 §6.1.2.1). */
  "ISO-IR 6": { register: 0, width: 1, escape: "(B", source: "ascii" },
  /**
   * JIS X 0201 romaji. Its 05/12 (YEN SIGN) and 07/14 (OVERLINE) are read as
   * `\` and `~`, as Shift_JIS decoders do: 05/12 is the value delimiter
   * whatever its glyph (PS3.5 §6.1.2.5.3), so it must survive as `\`.
   */
  "ISO-IR 14": { register: 0, width: 1, escape: "(J", source: "ascii" },
  /** JIS X 0201 katakana. */
  "ISO-IR 13": { register: 1, width: 1, escape: ")I", source: "shift_jis" },
  "ISO-IR 100": { register: 1, width: 1, escape: "-A", source: "latin1" },
  "ISO-IR 101": { register: 1, width: 1, escape: "-B", source: "iso-8859-2" },
  "ISO-IR 109": { register: 1, width: 1, escape: "-C", source: "iso-8859-3" },
  "ISO-IR 110": { register: 1, width: 1, escape: "-D", source: "iso-8859-4" },
  "ISO-IR 144": { register: 1, width: 1, escape: "-L", source: "iso-8859-5" },
  "ISO-IR 127": { register: 1, width: 1, escape: "-G", source: "iso-8859-6" },
  "ISO-IR 126": { register: 1, width: 1, escape: "-F", source: "iso-8859-7" },
  "ISO-IR 138": { register: 1, width: 1, escape: "-H", source: "iso-8859-8" },
  "ISO-IR 148": { register: 1, width: 1, escape: "-M", source: "iso-8859-9" },
  "ISO-IR 203": { register: 1, width: 1, escape: "-b", source: "iso-8859-15" },
  /** TIS 620-2533; windows-874 is its superset with the same 10/00-15/15 positions. */
  "ISO-IR 166": { register: 1, width: 1, escape: "-T", source: "windows-874" },
  /** JIS X 0208: rows 1-8 and 16-84 (kanji levels 1 and 2). */
  "ISO-IR 87": {
    register: 0,
    width: 2,
    escape: "$B",
    source: "jis0208",
    rows: [[1, 8], [16, 84]],
  },
  /** JIS X 0212 supplementary kanji. */
  "ISO-IR 159": { register: 0, width: 2, escape: "$(D", source: "jis0212" },
  /** KS X 1001 (Hangul and Hanja). */
  "ISO-IR 149": { register: 1, width: 2, escape: "$)C", source: "ksx1001" },
  /** GB 2312: rows 1-9 and 16-87. */
  "ISO-IR 58": {
    register: 1,
    width: 2,
    escape: "$)A",
    source: "gb2312",
    rows: [[1, 9], [16, 87]],
  },
} as const satisfies Record<string, GraphicSetSpec>;

/** An ISO registration of a graphic character set, e.g. `"ISO-IR 87"`. */
export type GraphicSetName = keyof typeof GRAPHIC_SETS;

/**
 * Escape sequences accepted when decoding that DICOM does not list but that
 * writers emit for a listed set: the ISO 2022 long form and the 1978 edition of
 * JIS X 0208 (ESC $ @), which shares its code positions for practical purposes.
 */
export const ESCAPE_ALIASES: Readonly<Record<string, GraphicSetName>> = {
  "$@": "ISO-IR 87",
  "$(B": "ISO-IR 87",
};

/** A graphic character set with its lazily built code tables. */
export interface GraphicSet {
  readonly name: GraphicSetName;
  readonly register: 0 | 1;
  readonly width: 1 | 2;
  /** The full designating escape sequence, ESC included. */
  readonly escape: Uint8Array;
  /**
   * Code positions to UTF-16 code units, U+FFFD where undefined.
   * Width 1: 128 entries for the byte with its high bit cleared (G0 sets use
   * 00/00-07/15, G1 sets 08/00-15/15). Width 2: 94 x 94 entries indexed by
   * `(row - 1) * 94 + (cell - 1)`.
   */
  decodeTable(): Uint16Array;
  /** The code for a code point: the byte (width 1) or the 94x94 index (width 2); -1 if none. */
  encode(codePoint: number): number;
}

const U_FFFD = 0xfffd;

const decoders = new Map<string, TextDecoder>();

/** A shared `TextDecoder` for `label`, created on first use; `fatal` ones throw on bad input. */
export function sharedDecoder(label: string, fatal = false): TextDecoder {
  const key = fatal ? `${label} fatal` : label;
  let d = decoders.get(key);
  if (d === undefined) {
    // ignoreBOM: a leading U+FEFF is content, not a signature, in a DICOM value.
    d = new TextDecoder(label, { fatal, ignoreBOM: true });
    decoders.set(key, d);
  }
  return d;
}

/** Decodes `bytes`, expecting exactly `count` BMP characters (else undefined). */
function decodeUnits(label: string, bytes: Uint8Array, count: number): Uint16Array | undefined {
  const text = sharedDecoder(label).decode(bytes);
  if (text.length !== count) return undefined;
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Single-byte sets: 128 entries for 08/00-15/15 (C1 controls map to themselves). */
function buildSingleByte(source: Source): Uint16Array {
  const table = new Uint16Array(128);
  for (let i = 0; i < 32; i++) table[i] = 0x80 + i; // C1 controls, ISO 6429
  if (source === "ascii") {
    for (let i = 0; i < 128; i++) table[i] = i;
    return table;
  }
  if (source === "latin1") {
    for (let i = 32; i < 128; i++) table[i] = 0x80 + i;
    return table;
  }
  // Decode 10/00-15/15 one byte at a time: a decoder may treat some as lead bytes.
  const d = sharedDecoder(source);
  for (let i = 32; i < 128; i++) {
    const ch = d.decode(new Uint8Array([0x80 + i]));
    table[i] = ch.length === 1 ? ch.charCodeAt(0) : U_FFFD;
  }
  if (source === "shift_jis") {
    // JIS X 0201 katakana occupies 10/01-13/15 only; the rest are Shift_JIS lead bytes.
    for (let i = 32; i < 128; i++) if (i < 0x21 || i > 0x5f) table[i] = U_FFFD;
  }
  return table;
}

/** 94x94 sets: all row/cell pairs through the runtime's EUC or GB decoder. */
function buildDoubleByte(source: Source): Uint16Array {
  const count = 94 * 94;
  const prefix = source === "jis0212" ? 1 : 0; // EUC-JP reaches JIS X 0212 through SS3 (08/15)
  const step = 2 + prefix;
  const bytes = new Uint8Array(count * step);
  for (let row = 0; row < 94; row++) {
    for (let cell = 0; cell < 94; cell++) {
      const at = (row * 94 + cell) * step;
      if (prefix) bytes[at] = 0x8f;
      bytes[at + prefix] = 0xa1 + row;
      bytes[at + prefix + 1] = 0xa1 + cell;
    }
  }
  const label = source === "ksx1001" ? "euc-kr" : source === "gb2312" ? "gb18030" : "euc-jp";
  const whole = decodeUnits(label, bytes, count);
  if (whole !== undefined) return whole;
  // Fallback: one pair at a time, so one odd position cannot shift the rest.
  const table = new Uint16Array(count);
  const d = sharedDecoder(label);
  for (let i = 0; i < count; i++) {
    const ch = d.decode(bytes.subarray(i * step, i * step + step));
    table[i] = ch.length === 1 ? ch.charCodeAt(0) : U_FFFD;
  }
  return table;
}

function isPrivateUse(unit: number): boolean {
  return unit >= 0xe000 && unit <= 0xf8ff;
}

function createSet(name: GraphicSetName): GraphicSet {
  const spec: GraphicSetSpec = GRAPHIC_SETS[name];
  const escape = new Uint8Array([0x1b, ...Array.from(spec.escape, (c) => c.charCodeAt(0))]);
  let decodeTable: Uint16Array | undefined;
  const table = (): Uint16Array =>
    decodeTable ??= spec.width === 1 ? buildSingleByte(spec.source) : buildDoubleByte(spec.source);

  if (spec.source === "ascii") {
    return {
      name,
      register: spec.register,
      width: 1,
      escape,
      decodeTable: table,
      encode: (cp) => cp < 0x80 ? cp : -1,
    };
  }
  if (spec.width === 1) {
    let reverse: Map<number, number> | undefined;
    const encode = (cp: number): number => {
      if (reverse === undefined) {
        const built = new Map<number, number>();
        const t = table();
        for (let i = 0; i < 128; i++) {
          const unit = t[i]!;
          if (unit !== U_FFFD && !built.has(unit)) built.set(unit, 0x80 + i);
        }
        reverse = built;
      }
      return reverse.get(cp) ?? -1;
    };
    return { name, register: spec.register, width: 1, escape, decodeTable: table, encode };
  }
  // 94x94: code unit -> index + 1 (0 = none), first position wins, only the defined rows.
  let reverse: Uint16Array | undefined;
  const rows = spec.rows ?? [[1, 94]];
  const encode = (cp: number): number => {
    if (cp > 0xffff) return -1;
    if (reverse === undefined) {
      const built = new Uint16Array(0x10000);
      const t = table();
      for (const [first, last] of rows) {
        for (let i = (first - 1) * 94; i < last * 94; i++) {
          const unit = t[i]!;
          if (unit !== U_FFFD && !isPrivateUse(unit) && built[unit] === 0) built[unit] = i + 1;
        }
      }
      reverse = built;
    }
    return reverse[cp]! - 1;
  };
  return { name, register: spec.register, width: 2, escape, decodeTable: table, encode };
}

const sets = new Map<GraphicSetName, GraphicSet>();

/** The graphic set registered as `name`; created once, tables built on first use. */
export function graphicSet(name: GraphicSetName): GraphicSet {
  let set = sets.get(name);
  if (set === undefined) {
    set = createSet(name);
    sets.set(name, set);
  }
  return set;
}

const ESCAPE_BY_TEXT: ReadonlyMap<string, GraphicSetName> = new Map(
  (Object.keys(GRAPHIC_SETS) as GraphicSetName[]).map((name) => [GRAPHIC_SETS[name].escape, name]),
);

/** The graphic set an escape sequence (the bytes after ESC, as text) designates. */
export function setForEscape(escape: string): GraphicSet | undefined {
  const name = ESCAPE_BY_TEXT.get(escape) ?? ESCAPE_ALIASES[escape];
  return name === undefined ? undefined : graphicSet(name);
}
