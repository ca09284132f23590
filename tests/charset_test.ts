/**
 * Specific Character Set (0008,0005): the worked examples of PS3.5 Annexes H,
 * I, J and K byte for byte, the pydicom character set corpus checked against
 * DCMTK, and the code extension rules of PS3.5 §6.1.2.5.
 */
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import {
  SpecificCharacterSet,
  type SpecificCharacterSetOptions,
  SUPPORTED_CHARACTER_SET_TERMS,
} from "../dataset/charset.ts";

/** Bytes in the standard's column/row notation, e.g. "05/09 01/11" (PS3.5 Annexes H and I). */
function columnRow(text: string): Uint8Array {
  return new Uint8Array(
    text.trim().split(/\s+/).map((cr) => {
      const [column, row] = cr.split("/").map(Number);
      return column! * 16 + row!;
    }),
  );
}

/** Bytes in hex, e.g. "57 61 0x6e" (PS3.5 Annexes J and K). */
function hex(text: string): Uint8Array {
  return new Uint8Array(text.trim().split(/\s+/).map((h) => parseInt(h.replace(/^0x/, ""), 16)));
}

/** Bytes of ASCII strings and byte arrays, concatenated. */
function bytes(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "string") { for (const c of p) out.push(c.charCodeAt(0)); }
    else out.push(...p);
  }
  return new Uint8Array(out);
}

const ESC = 0x1b;

/** A character set whose warnings are collected. */
function charset(
  terms: readonly string[] | string | undefined,
  options: SpecificCharacterSetOptions = {},
): { cs: SpecificCharacterSet; warnings: string[] } {
  const warnings: string[] = [];
  const cs = new SpecificCharacterSet(terms, { ...options, onWarning: (m) => warnings.push(m) });
  return { cs, warnings };
}

// --- The standard's worked examples ----------------------------------------

interface Example {
  name: string;
  terms: string[];
  vr: string;
  text: string;
  encoded: Uint8Array;
}

const EXAMPLES: Example[] = [
  {
    // PS3.5 Example H.3-1: value 1 empty, JIS X 0208 designated to G0 and back to ASCII.
    name: "H.3-1",
    terms: ["", "ISO 2022 IR 87"],
    vr: "PN",
    text: "Yamada^Tarou=山田^太郎=やまだ^たろう",
    encoded: columnRow(
      "05/09 06/01 06/13 06/01 06/04 06/01 5/14 05/04 06/01 07/02 06/15 07/05 03/13 01/11 02/04 04/02 " +
        "03/11 03/03 04/05 04/04 01/11 02/08 04/02 05/14 01/11 02/04 04/02 04/02 04/00 04/15 03/10 " +
        "01/11 02/08 04/02 03/13 01/11 02/04 04/02 02/04 06/04 02/04 05/14 02/04 04/00 01/11 02/08 " +
        "04/02 05/14 01/11 02/04 04/02 02/04 03/15 02/04 06/13 02/04 02/06 01/11 02/08 04/02",
    ),
  },
  {
    // PS3.5 Example H.3-2: JIS X 0201 katakana in G1; G0 returns to ISO-IR 14 (ESC ( J).
    name: "H.3-2",
    terms: ["ISO 2022 IR 13", "ISO 2022 IR 87"],
    vr: "PN",
    text: "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
    encoded: columnRow(
      "13/04 12/15 12/00 13/14 05/14 12/00 13/11 11/03 03/13 01/11 02/04 04/02 03/11 03/03 04/05 " +
        "04/04 01/11 02/08 04/10 05/14 01/11 02/04 04/02 04/02 04/00 04/15 03/10 01/11 02/08 04/10 " +
        "03/13 01/11 02/04 04/02 02/04 06/04 02/04 05/14 02/04 04/00 01/11 02/08 04/10 05/14 01/11 " +
        "02/04 04/02 02/04 03/15 02/04 06/13 02/04 02/06 01/11 02/08 04/10",
    ),
  },
  {
    // PS3.5 Example I.2-1: KS X 1001 designated to G1 in each component that uses it.
    name: "I.2-1",
    terms: ["", "ISO 2022 IR 149"],
    vr: "PN",
    text: "Hong^Gildong=洪^吉洞=홍^길동",
    encoded: columnRow(
      "04/08 06/15 06/14 06/07 05/14 04/07 06/09 06/12 06/04 06/15 06/14 06/07 03/13 01/11 02/04 " +
        "02/09 04/03 15/11 15/03 05/14 01/11 02/04 02/09 04/03 13/01 12/14 13/04 13/07 03/13 01/11 " +
        "02/04 02/09 04/03 12/08 10/11 05/14 01/11 02/04 02/09 04/03 11/01 14/06 11/05 11/15",
    ),
  },
  {
    // PS3.5 Annex J, ISO_IR 192 (UTF-8) person name.
    name: "J (UTF-8 PN)",
    terms: ["ISO_IR 192"],
    vr: "PN",
    text: "Wang^XiaoDong=王^小東=",
    encoded: hex(
      "57 61 6e 67 5e 58 69 61 6f 44 6f 6e 67 3d e7 8e 8b 5e e5 b0 8f e6 9d b1 3d",
    ),
  },
  {
    // PS3.5 Annex J, ISO_IR 192 (UTF-8) long text.
    name: "J (UTF-8 LT)",
    terms: ["ISO_IR 192"],
    vr: "LT",
    text:
      "The first line includes中文.\r\nThe second line includes中文, too.\r\nThe third line.\r\n",
    encoded: bytes(
      "The first line includes",
      [0xe4, 0xb8, 0xad, 0xe6, 0x96, 0x87],
      ".\r\nThe second line includes",
      [0xe4, 0xb8, 0xad, 0xe6, 0x96, 0x87],
      ", too.\r\nThe third line.\r\n",
    ),
  },
  {
    // PS3.5 Example J.3: GB18030 person name.
    name: "J.3",
    terms: ["GB18030"],
    vr: "PN",
    text: "Wang^XiaoDong=王^小东=",
    encoded: hex(
      "0x57 0x61 0x6e 0x67 0x5e 0x58 0x69 0x61 0x6f 0x44 0x6f 0x6e 0x67 0x3d 0xcd 0xf5 0x5e 0xd0 " +
        "0xa1 0xb6 0xab 0x3d",
    ),
  },
  {
    // PS3.5 Annex J, GB18030 long text.
    name: "J (GB18030 LT)",
    terms: ["GB18030"],
    vr: "LT",
    text:
      "The first line includes中文.\r\nThe second line includes中文, too.\r\nThe third line.\r\n",
    encoded: bytes(
      "The first line includes",
      [0xd6, 0xd0, 0xce, 0xc4],
      ".\r\nThe second line includes",
      [0xd6, 0xd0, 0xce, 0xc4],
      ", too.\r\nThe third line.\r\n",
    ),
  },
  {
    // PS3.5 Example K.2-1 without its final SPACE pad: GB 2312 designated to G1.
    name: "K.2-1",
    terms: ["", "ISO 2022 IR 58"],
    vr: "PN",
    text: "Zhang^XiaoDong=张^小东=",
    encoded: hex(
      "5A 68 61 6E 67 5E 58 69 61 6F 44 6F 6E 67 3D 1B 24 29 41 D5 C5 5E 1B 24 29 41 D0 A1 B6 AB 3D",
    ),
  },
  {
    // PS3.5 Annex K, GB 2312 long text: G1 designated again on each line.
    name: "K (GB 2312 LT)",
    terms: ["", "ISO 2022 IR 58"],
    vr: "LT",
    text: "1.第一行文字。\r\n2.第二行文字。\r\n3.第三行文字。\r\n",
    encoded: hex(
      "31 2e 1B 24 29 41 B5 DA D2 BB D0 D0 CE C4 D7 D6 A1 A3 0D 0A " +
        "32 2e 1B 24 29 41 B5 DA B6 FE D0 D0 CE C4 D7 D6 A1 A3 0D 0A " +
        "33 2e 1B 24 29 41 B5 DA C8 FD D0 D0 CE C4 D7 D6 A1 A3 0D 0A",
    ),
  },
];

for (const ex of EXAMPLES) {
  Deno.test(`decode() reads PS3.5 example ${ex.name} (${ex.terms.join("\\")})`, () => {
    const { cs, warnings } = charset(ex.terms);
    assertEquals(cs.decode(ex.encoded, ex.vr), ex.text);
    assertEquals(warnings, []);
  });

  Deno.test(`encode() writes PS3.5 example ${ex.name} byte for byte`, () => {
    const { cs, warnings } = charset(ex.terms);
    assertEquals(cs.encode(ex.text, ex.vr), ex.encoded);
    assertEquals(warnings, []);
  });

  Deno.test(`encode(decode(x)) returns the bytes of PS3.5 example ${ex.name}`, () => {
    const { cs } = charset(ex.terms);
    assertEquals(cs.encode(cs.decode(ex.encoded, ex.vr), ex.vr), ex.encoded);
  });
}

Deno.test("decode() keeps the SPACE pad of PS3.5 Example K.2-1 for the caller to strip", () => {
  const { cs } = charset(["", "ISO 2022 IR 58"]);
  const padded = hex(
    "5A 68 61 6E 67 5E 58 69 61 6F 44 6F 6E 67 3D 1B 24 29 41 D5 C5 5E 1B 24 29 41 D0 A1 B6 AB 3D 20",
  );
  assertEquals(cs.decode(padded, "PN"), "Zhang^XiaoDong=张^小东= ");
});

Deno.test("decode() reads the 2015 form of PS3.5 Example K.3-1, with ESC ( B before each CR LF", () => {
  const { cs, warnings } = charset(["", "ISO 2022 IR 58"]);
  const encoded = hex(
    "31 2e 1B 24 29 41 B5 DA D2 BB D0 D0 CE C4 D7 D6 A1 A3 1B 28 42 0D 0A " +
      "32 2e 1B 24 29 41 B5 DA B6 FE D0 D0 CE C4 D7 D6 A1 A3 1B 28 42 0D 0A " +
      "33 2e 1B 24 29 41 B5 DA C8 FD D0 D0 CE C4 D7 D6 A1 A3 1B 28 42 0D 0A 20",
  );
  assertEquals(cs.decode(encoded, "LT"), "1.第一行文字。\r\n2.第二行文字。\r\n3.第三行文字。\r\n ");
  assertEquals(warnings, []);
});

Deno.test("decode() reads PS3.5 Example I.3-1's form: KS X 1001 designated at the head of each line", () => {
  const { cs, warnings } = charset(["", "ISO 2022 IR 149"]);
  const hangul = [0xc7, 0xd1, 0xb1, 0xdb]; // 한글 in KS X 1001
  const encoded = bytes(
    [ESC],
    "$)CThe first line includes ",
    hangul,
    ".\r\n",
    [ESC],
    "$)CThe second line includes ",
    hangul,
    ", too.\r\nThe third line",
  );
  assertEquals(
    cs.decode(encoded, "LT"),
    "The first line includes 한글.\r\nThe second line includes 한글, too.\r\nThe third line",
  );
  assertEquals(warnings, []);
});

// --- pydicom's character set corpus, checked against DCMTK -------------------

const CORPUS = new URL("./data/pydicom/charset_files/", import.meta.url);

/** The value of the first `tag` element with `vr`, explicit or implicit VR little endian. */
function findValue(file: Uint8Array, group: number, element: number, vr: string, from = 132) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  for (let i = from; i + 8 <= file.length; i++) {
    if (view.getUint16(i, true) !== group || view.getUint16(i + 2, true) !== element) continue;
    const explicit = file[i + 4] === vr.charCodeAt(0) && file[i + 5] === vr.charCodeAt(1);
    const length = explicit ? view.getUint16(i + 6, true) : view.getUint32(i + 4, true);
    const start = i + 8;
    if (length % 2 === 0 && start + length <= file.length) {
      return { at: i, value: file.subarray(start, start + length) };
    }
  }
  return undefined;
}

/** The PN element and the nearest Specific Character Set before it (a sequence item's own). */
function readName(file: Uint8Array, element: number): { terms: string[]; name: Uint8Array } {
  const pn = findValue(file, 0x0010, element, "PN");
  assert(pn, `no (0010,${element.toString(16).padStart(4, "0")}) found`);
  let terms: string[] = [];
  for (let from = 132;;) {
    const cs = findValue(file, 0x0008, 0x0005, "CS", from);
    if (cs === undefined || cs.at > pn.at) break;
    terms = new TextDecoder().decode(cs.value).split("\\").map((t) => t.trim());
    from = cs.at + 1;
  }
  return { terms, name: pn.value };
}

/**
 * Expected names: what `dcmdump +U8` (DCMTK 3.6.7) prints for each file, except
 * the JIS X 0208 files, which DCMTK with glibc iconv cannot convert; for those
 * the text of PS3.5 Examples H.3-1 and H.3-2, whose bytes the files hold.
 */
const CORPUS_NAMES: [file: string, element: number, terms: string, name: string][] = [
  ["chrArab.dcm", 0x0010, "ISO_IR 127", "قباني^لنزار"],
  ["chrFren.dcm", 0x0010, "ISO_IR 100", "Buc^Jérôme"],
  ["chrFrenMulti.dcm", 0x0010, "ISO_IR 100", "Buc^Jérôme"],
  ["chrFrenMulti.dcm", 0x1001, "ISO_IR 100", "Buc^Jérôme\\Buc^Jérôme"],
  ["chrGerm.dcm", 0x0010, "ISO_IR 100", "Äneas^Rüdiger"],
  ["chrGreek.dcm", 0x0010, "ISO_IR 126", "Διονυσιος"],
  ["chrHbrw.dcm", 0x0010, "ISO_IR 138", "שרון^דבורה"],
  ["chrI2.dcm", 0x0010, "\\ISO 2022 IR 149", "Hong^Gildong=洪^吉洞=홍^길동"],
  ["chrKoreanMulti.dcm", 0x0010, "\\ISO 2022 IR 149", "김희중"],
  ["chrKoreanMulti.dcm", 0x1001, "\\ISO 2022 IR 149", "김희중\\김희중"],
  ["chrRuss.dcm", 0x0010, "ISO_IR 144", "Люкceмбypг"],
  ["chrX1.dcm", 0x0010, "ISO_IR 192", "Wang^XiaoDong=王^小東="],
  ["chrX2.dcm", 0x0010, "GB18030", "Wang^XiaoDong=王^小东="],
  ["chrH31.dcm", 0x0010, "\\ISO 2022 IR 87", "Yamada^Tarou=山田^太郎=やまだ^たろう"],
  ["chrH32.dcm", 0x0010, "ISO 2022 IR 13\\ISO 2022 IR 87", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"],
  ["chrJapMulti.dcm", 0x0010, "\\ISO 2022 IR 87", "やまだ^たろう"],
  ["chrJapMulti.dcm", 0x1001, "\\ISO 2022 IR 87", "やまだ^たろう\\やまだ^たろう"],
  ["chrJapMultiExplicitIR6.dcm", 0x0010, "ISO 2022 IR 6\\ISO 2022 IR 87", "やまだ^たろう"],
  // A sequence item declaring its own set; its writer returned to G0 with ESC ( B, not ESC ( J.
  [
    "chrSQEncoding.dcm",
    0x0010,
    "ISO 2022 IR 13\\ISO 2022 IR 87",
    "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
  ],
];

for (const [file, element, terms, expected] of CORPUS_NAMES) {
  const tag = `(0010,${element.toString(16).padStart(4, "0")})`;
  Deno.test(`decode() reads ${tag} of pydicom's ${file} (${terms}) as DCMTK does`, async () => {
    const data = await Deno.readFile(new URL(file, CORPUS));
    const { terms: found, name } = readName(data, element);
    assertEquals(found.join("\\"), terms);
    const { cs, warnings } = charset(found);
    assertEquals(cs.decode(name, "PN").replace(/ +$/, ""), expected);
    assertEquals(warnings, []);
  });
}

Deno.test("encode() reproduces the PN bytes of pydicom's chrH32.dcm and chrI2.dcm", async () => {
  for (const file of ["chrH32.dcm", "chrI2.dcm"]) {
    const data = await Deno.readFile(new URL(file, CORPUS));
    const { terms, name } = readName(data, 0x0010);
    const cs = new SpecificCharacterSet(terms);
    const unpadded = name[name.length - 1] === 0x20 ? name.subarray(0, -1) : name;
    assertEquals(cs.encode(cs.decode(name, "PN").trimEnd(), "PN"), unpadded);
  }
});

// --- Code extension rules (PS3.5 §6.1.2.5.3) ---------------------------------

Deno.test("decode() restores the initial G1 after PN's ^ but not after LO's", () => {
  // ESC $ ) C 洪 ^ 洪: the second 洪 lacks its escape sequence.
  const encoded = bytes([ESC], "$)C", [0xfb, 0xf3], "^", [0xfb, 0xf3]);
  const lo = charset(["", "ISO 2022 IR 149"]);
  assertEquals(lo.cs.decode(encoded, "LO"), "洪^洪");
  assertEquals(lo.warnings, []);
  const pn = charset(["", "ISO 2022 IR 149"]);
  assertEquals(pn.cs.decode(encoded, "PN"), "洪^ûó"); // no G1 after "^": read as Latin-1
  assertEquals(pn.warnings.length, 1);
  assert(pn.warnings[0]!.includes("no G1"), pn.warnings[0]);
});

Deno.test("decode() restores the initial G1 after \\ in LO but not in LT", () => {
  const encoded = bytes([ESC], "$)C", [0xfb, 0xf3], "\\", [0xfb, 0xf3]);
  assertEquals(new SpecificCharacterSet(["", "ISO 2022 IR 149"]).decode(encoded, "LO"), "洪\\ûó");
  assertEquals(new SpecificCharacterSet(["", "ISO 2022 IR 149"]).decode(encoded, "LT"), "洪\\洪");
});

Deno.test("decode() restores the initial designations after CR, LF and TAB", () => {
  const { cs } = charset(["", "ISO 2022 IR 149"]);
  const encoded = bytes([ESC], "$)C", [0xfb, 0xf3], "\t", [0xfb, 0xf3]);
  assertEquals(cs.decode(encoded, "ST"), "洪\tûó");
});

Deno.test("decode() does not split a JIS X 0208 character whose second byte is 05/12", () => {
  // 移 is 03/00 05/12 in JIS X 0208: not a value delimiter.
  const encoded = bytes([ESC], "$B0\\", [ESC], "(B\\A");
  const cs = new SpecificCharacterSet(["", "ISO 2022 IR 87"]);
  assertEquals(cs.decode(encoded, "LO"), "移\\A");
  assertEquals(cs.decode(encoded, "LO").split("\\"), ["移", "A"]);
});

Deno.test("encode() designates a set before first use after each delimiter and restores G0 before it", () => {
  const { cs } = charset(["", "ISO 2022 IR 87"]);
  assertEquals(
    cs.encode("山\\山", "LO"),
    bytes([ESC], "$B;3", [ESC], "(B\\", [ESC], "$B;3", [ESC], "(B"),
  );
});

Deno.test("encode() uses the first declared set that has a character and restores value 1's G1", () => {
  const { cs, warnings } = charset(["ISO 2022 IR 100", "ISO 2022 IR 144"]);
  // é is in ISO-IR 100 (value 1, no escape needed); Ж only in ISO-IR 144.
  const encoded = bytes([0xe9, 0x20, ESC], "-L", [0xb6, ESC], "-A^", [0xe9]);
  assertEquals(cs.encode("é Ж^é", "PN"), encoded);
  assertEquals(cs.decode(encoded, "PN"), "é Ж^é");
  assertEquals(warnings, []);
});

Deno.test("encode() writes JIS X 0212 only for characters JIS X 0208 lacks", () => {
  const { cs } = charset(["", "ISO 2022 IR 87", "ISO 2022 IR 159"]);
  const encoded = bytes([ESC], "$B;3", [ESC], "$(D0!", [ESC], "(B");
  assertEquals(cs.encode("山丂", "LO"), encoded);
  assertEquals(cs.decode(encoded, "LO"), "山丂");
});

Deno.test("encode() uses only the rows JIS X 0208 defines, while decode() accepts NEC row 13", () => {
  const { cs } = charset(["", "ISO 2022 IR 87"]);
  assertEquals(cs.decode(bytes([ESC], "$B-!", [ESC], "(B"), "LO"), "①");
  assertThrows(() => cs.encode("①", "LO"), RangeError);
});

Deno.test("decode() accepts an escape sequence for an undeclared set, with a warning", () => {
  const { cs, warnings } = charset(["", "ISO 2022 IR 87"]);
  assertEquals(cs.decode(bytes("A", [ESC], "-A", [0xe9]), "LO"), "Aé");
  assertEquals(warnings.length, 1);
  assert(warnings[0]!.includes("undeclared ISO-IR 100"), warnings[0]);
});

Deno.test("decode() keeps an unknown escape sequence as text, with a warning", () => {
  const { cs, warnings } = charset(["", "ISO 2022 IR 87"]);
  assertEquals(cs.decode(bytes("A", [ESC], "$)ZB"), "LO"), "A\x1b$)ZB");
  assertEquals(warnings.length, 1);
  assert(warnings[0]!.includes("unknown escape sequence"), warnings[0]);
});

Deno.test("decode() of ISO-IR 6 designations is silent even when value 1 is ISO 2022 IR 13", () => {
  const { cs, warnings } = charset(["ISO 2022 IR 13", "ISO 2022 IR 87"]);
  assertEquals(cs.decode(bytes([ESC], "$B;3", [ESC], "(BA"), "LO"), "山A");
  assertEquals(warnings, []);
});

// --- Single-byte sets -----------------------------------------------------

const SINGLE_BYTE: [term: string, byte: number, char: string][] = [
  ["ISO_IR 100", 0xe9, "é"],
  ["ISO_IR 101", 0xa3, "Ł"],
  ["ISO_IR 109", 0xa1, "Ħ"],
  ["ISO_IR 110", 0xa1, "Ą"],
  ["ISO_IR 144", 0xb6, "Ж"],
  ["ISO_IR 127", 0xc1, "ء"],
  ["ISO_IR 126", 0xd9, "Ω"],
  ["ISO_IR 138", 0xe0, "א"],
  ["ISO_IR 148", 0xde, "Ş"],
  ["ISO_IR 203", 0xa4, "€"],
  ["ISO_IR 166", 0xa1, "ก"],
  ["ISO_IR 13", 0xb1, "ｱ"],
];

for (const [term, byte, char] of SINGLE_BYTE) {
  Deno.test(`${term} maps byte 0x${byte.toString(16)} to ${char} both ways`, () => {
    const { cs, warnings } = charset(term);
    assertEquals(cs.decode(bytes("A", [byte]), "LO"), `A${char}`);
    assertEquals(cs.encode(`A${char}`, "LO"), bytes("A", [byte]));
    assertEquals(warnings, []);
  });

  const extended = term.replace("ISO_IR", "ISO 2022 IR");
  Deno.test(`${extended} as value 2 is designated to G1 by its escape sequence`, () => {
    const { cs, warnings } = charset(["", extended]);
    const encoded = cs.encode(`A${char}`, "LO");
    assertEquals(encoded.subarray(0, 2), bytes("A", [ESC]));
    assertEquals(encoded[encoded.length - 1], byte);
    assertEquals(cs.decode(encoded, "LO"), `A${char}`);
    assertEquals(warnings, []);
  });
}

Deno.test("ISO_IR 13 reads 05/12 of JIS X 0201 romaji as the value delimiter \\", () => {
  const cs = new SpecificCharacterSet("ISO_IR 13");
  assertEquals(cs.decode(bytes([0xb1], "\\", [0xb2]), "LO").split("\\"), ["ｱ", "ｲ"]);
});

Deno.test("decode() marks undefined single-byte codes with U+FFFD and a warning", () => {
  const { cs, warnings } = charset("ISO_IR 109"); // 10/05 is unassigned in ISO 8859-3
  assertEquals(cs.decode(new Uint8Array([0xa5]), "LO"), "\ufffd");
  assertEquals(warnings.length, 1);
});

// --- Unicode and GB18030 ----------------------------------------------------

Deno.test("GB18030 encodes four-byte and supplementary-plane characters", () => {
  const { cs } = charset("GB18030");
  const encoded = hex("81 30 84 36 95 32 82 36 a8 b9");
  assertEquals(cs.encode("¥𠀀ü", "LO"), encoded);
  assertEquals(cs.decode(encoded, "LO"), "¥𠀀ü");
});

Deno.test("GBK encodes two-byte characters and rejects what only GB18030 has", () => {
  const { cs } = charset("GBK");
  assertEquals(cs.encode("王", "LO"), hex("cd f5"));
  assertThrows(() => cs.encode("𠀀", "LO"), RangeError);
});

Deno.test("ISO_IR 192 replaces invalid UTF-8 with U+FFFD and warns", () => {
  const { cs, warnings } = charset("ISO_IR 192");
  assertEquals(cs.decode(new Uint8Array([0x41, 0xff, 0x42]), "LO"), "A\ufffdB");
  assertEquals(warnings.length, 1);
});

Deno.test("ISO_IR 192 refuses to encode a lone surrogate", () => {
  const { cs } = charset("ISO_IR 192");
  assertThrows(() => cs.encode("A\ud800", "LO"), RangeError);
  assertEquals(
    charset("ISO_IR 192", { unencodable: "replace" }).cs.encode("A\ud800", "LO"),
    bytes("A?"),
  );
});

// --- Terms, defaults and fallbacks -------------------------------------------

Deno.test("isDefault holds for an absent, empty or ISO_IR 6 Specific Character Set only", () => {
  for (const terms of [undefined, [], "", [""], "ISO_IR 6", ["ISO 2022 IR 6"]]) {
    assert(new SpecificCharacterSet(terms).isDefault, JSON.stringify(terms));
  }
  for (const terms of ["ISO_IR 100", "ISO_IR 192", ["", "ISO 2022 IR 87"], "ISO_IR 999"]) {
    assert(!new SpecificCharacterSet(terms).isDefault, JSON.stringify(terms));
  }
});

Deno.test("the default repertoire reads non-ASCII bytes as Latin-1 without a warning", () => {
  const { cs, warnings } = charset(undefined);
  assertEquals(cs.decode(bytes("Buc^J", [0xe9, 0x72, 0xf4], "me"), "PN"), "Buc^Jérôme");
  assertEquals(warnings, []);
  assertThrows(() => cs.encode("Jérôme", "PN"), RangeError);
});

Deno.test("terms come from an array or a raw value and are trimmed", () => {
  const cs = new SpecificCharacterSet("ISO 2022 IR 13\\ISO 2022 IR 87 ");
  assertEquals(cs.terms, ["ISO 2022 IR 13", "ISO 2022 IR 87"]);
  assert(Object.isFrozen(cs.terms));
});

Deno.test("an unknown term is a warning, not an error, and its bytes round-trip as Latin-1", () => {
  const { cs, warnings } = charset("ISO_IR 999");
  assertEquals(warnings.length, 1);
  assert(warnings[0]!.includes('unknown term "ISO_IR 999"'), warnings[0]);
  const raw = new Uint8Array([0x41, 0xc4, 0xe9, 0xff]);
  assertEquals(cs.decode(raw, "LO"), "AÄéÿ");
  assertEquals(cs.encode(cs.decode(raw, "LO"), "LO"), raw);
});

Deno.test("an unknown extension term is ignored with a warning", () => {
  const { cs, warnings } = charset(["", "ISO 2022 IR 87", "ISO 2022 IR 999"]);
  assertEquals(warnings.length, 1);
  assertEquals(cs.decode(bytes([ESC], "$B;3", [ESC], "(B"), "PN"), "山");
});

Deno.test("a misspelt term is corrected with a warning", () => {
  const { cs, warnings } = charset("ISO IR 100");
  assertEquals(cs.decode(new Uint8Array([0xe9]), "LO"), "é");
  assertEquals(warnings.length, 1);
  assert(warnings[0]!.includes('assuming "ISO_IR 100"'), warnings[0]);
});

Deno.test('"ISO_IR 13" in a multi-valued list is read as "ISO 2022 IR 13", with a warning', () => {
  const { cs, warnings } = charset(["ISO_IR 13", "ISO 2022 IR 87"]);
  assertEquals(warnings.length, 1);
  assertEquals(cs.encode("ｱ=山", "PN"), bytes([0xb1], "=", [ESC], "$B;3", [ESC], "(J"));
});

Deno.test("ISO_IR 192 combined with other terms is used alone, with a warning", () => {
  const { cs, warnings } = charset(["ISO_IR 192", "ISO 2022 IR 87"]);
  assertEquals(warnings.length, 1);
  assertEquals(cs.encode("山", "LO"), hex("e5 b1 b1"));
});

Deno.test("a multi-byte value 1 falls back to ISO-IR 6 as the initial G0, with a warning", () => {
  const { cs, warnings } = charset(["ISO 2022 IR 87"]);
  assertEquals(warnings.length, 1);
  assertEquals(cs.encode("A山", "LO"), bytes("A", [ESC], "$B;3", [ESC], "(B"));
});

Deno.test("VRs that (0008,0005) does not extend use the default repertoire", () => {
  const { cs } = charset("ISO_IR 100");
  assertEquals(cs.decode(new Uint8Array([0xe9]), "CS"), "é");
  assertThrows(() => cs.encode("é", "CS"), RangeError);
  assertEquals(cs.encode("é", "LO"), new Uint8Array([0xe9]));
});

Deno.test('encode() with unencodable "replace" writes "?" and warns', () => {
  const { cs, warnings } = charset("ISO_IR 100", { unencodable: "replace" });
  assertEquals(cs.encode("a山b", "LO"), bytes("a?b"));
  assertEquals(warnings.length, 1);
  assert(warnings[0]!.includes("U+5C71"), warnings[0]);
});

Deno.test("encode() names the character and the character set it cannot encode", () => {
  const cs = new SpecificCharacterSet(["", "ISO 2022 IR 149"]);
  // KS X 1001 has Hanja such as 洪 but no half-width katakana.
  assertThrows(() => cs.encode("洪ｱ", "PN"), {
    name: "RangeError",
    message:
      'Cannot encode "ｱ" (U+FF71) at index 1 with Specific Character Set "\\ISO 2022 IR 149"',
  });
});

Deno.test("the constructor rejects an invalid unencodable policy with a TypeError", () => {
  assertThrows(
    () => new SpecificCharacterSet("ISO_IR 100", { unencodable: "drop" as "throw" }),
    TypeError,
  );
});

Deno.test("every supported term decodes and encodes ASCII unchanged", () => {
  for (const term of SUPPORTED_CHARACTER_SET_TERMS) {
    const terms = term.startsWith("ISO 2022 IR") && term !== "ISO 2022 IR 6" ? ["", term] : [term];
    const { cs, warnings } = charset(terms);
    const ascii = bytes("Doe^John=Smith\\X");
    assertEquals(cs.decode(ascii, "PN"), "Doe^John=Smith\\X", term);
    assertEquals(cs.encode("Doe^John=Smith\\X", "PN"), ascii, term);
    assertEquals(warnings, [], term);
  }
});
