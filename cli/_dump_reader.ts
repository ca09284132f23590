// What `dcm dump` reads: a Part 10 file's top-level elements, where values
// longer than a limit (Pixel Data of a large multi-frame image, mostly) are
// not read but skipped with a seek, so the header of a file of any size is
// listed in milliseconds and little memory. The other elements are decoded
// by the data set layer, a run of consecutive ones at a time.
import {
  type DataElement,
  Dataset,
  decodeDataset,
  decodePart10Header,
  DicomDecodeError,
  encodingOf,
  hasLongHeader,
  inflateRawStream,
  isVr,
  type Part10Header,
  resolveDictionaryVr,
  UNDEFINED_LENGTH,
  type Vr,
} from "../dataset/mod.ts";
import { formatTag, lookupElement, Tag, transferSyntaxInfo, Uid } from "../dictionary/mod.ts";

/** Bytes asked of the file at a time. */
const CHUNK = 1 << 16;
/**
 * Bytes of a deflated data set read at a time: deflate reaches about 1000:1,
 * and each chunk read may come out of the inflater whole, so this bounds
 * what one step of inflating holds (16 MiB).
 */
const DEFLATED_CHUNK = 16 << 10;
/** A run of small elements is decoded once it is this long. */
const MAX_RUN = 1 << 24;

/** A top-level element whose value was not read: where it is and how long. */
export interface UnreadElement {
  readonly kind: "unread";
  readonly tag: number;
  readonly vr: Vr;
  /** Offset of the value field in the file (for a deflated file: in the inflated data set). */
  readonly offset: number;
  /** Length of the value field; for encapsulated pixel data its items and delimiter included. */
  readonly length: number;
  /** For encapsulated pixel data: the length of each item, the Basic Offset Table's first. */
  readonly fragments?: readonly number[];
}

/** A file as `dcm dump` reads it. */
export interface DumpRead extends Omit<Part10Header, "datasetOffset"> {
  /** The elements read. */
  readonly dataset: Dataset;
  /** The top-level elements not read, in order. */
  readonly unread: readonly UnreadElement[];
  /** Whether the data set was deflated: the offsets of `unread` are then in the inflated bytes, not the file. */
  readonly deflated: boolean;
}

/** Options of {@linkcode readForDump}. */
export interface ReadForDumpOptions {
  /** Values longer than this are not read (encapsulated pixel data: all its items together). */
  maxRead: number;
  onWarning?: (message: string) => void;
}

/** What a byte source needs: `Deno.FsFile`, or a stream reader. */
interface Input {
  read(p: Uint8Array): Promise<number | null>;
  seek?(offset: number, whence: Deno.SeekMode): Promise<number>;
}

/**
 * Bytes from an input, buffered. Bytes handed out by `peek()` are never
 * written over (a new buffer is taken instead), so decoded elements may keep
 * views into them.
 */
class Source {
  readonly #input: Input;
  /** The input's size when known: a skip past it is a truncation. */
  readonly #size: number | undefined;
  #buffer = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #position = 0;
  #eof = false;

  constructor(input: Input, size?: number) {
    this.#input = input;
    this.#size = size;
  }

  /** Offset in the input of the first byte of `peek()`. */
  get position(): number {
    return this.#position;
  }

  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Whether the input has ended (bytes may still be buffered). */
  get done(): boolean {
    return this.#eof;
  }

  peek(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  consume(n: number): void {
    this.#start += n;
    this.#position += n;
  }

  /** Reads until `n` bytes are buffered; false when the input ends first. */
  async fill(n: number): Promise<boolean> {
    if (this.buffered >= n) return true;
    if (this.#buffer.length - this.#start < n) {
      const next = new Uint8Array(Math.max(n, 2 * this.buffered, this.buffered + CHUNK));
      next.set(this.peek());
      this.#end -= this.#start;
      this.#start = 0;
      this.#buffer = next;
    }
    while (this.buffered < n && !this.#eof) {
      const got = await this.#input.read(this.#buffer.subarray(this.#end));
      if (got === null) this.#eof = true;
      else this.#end += got;
    }
    return this.buffered >= n;
  }

  /** Passes over `n` bytes, seeking when it can; false when the input ends first. */
  async skip(n: number): Promise<boolean> {
    if (n <= this.buffered) {
      this.consume(n);
      return true;
    }
    let left = n - this.buffered;
    this.consume(this.buffered);
    const seek = this.#input.seek?.bind(this.#input);
    if (seek && this.#size !== undefined) {
      this.#position += left;
      await seek(this.#position, Deno.SeekMode.Start);
      return this.#position <= this.#size;
    }
    const scratch = new Uint8Array(CHUNK);
    while (left > 0) {
      const got = await this.#input.read(scratch.subarray(0, Math.min(left, CHUNK)));
      if (got === null) {
        this.#eof = true;
        return false;
      }
      left -= got;
      this.#position += got;
    }
    return true;
  }
}

/** A stream as an {@linkcode Input}. */
function streamInput(stream: ReadableStream<Uint8Array>): Input {
  const reader = stream.getReader();
  let chunk: Uint8Array = new Uint8Array(0);
  return {
    async read(p) {
      while (chunk.length === 0) {
        const { value, done } = await reader.read();
        if (done) return null;
        chunk = value;
      }
      const n = Math.min(p.length, chunk.length);
      p.set(chunk.subarray(0, n));
      chunk = chunk.subarray(n);
      return n;
    },
  };
}

/**
 * Reads the Part 10 file `file` (of `size` bytes) for listing: every
 * top-level value longer than `maxRead` is skipped and described instead.
 * A deflated data set is inflated as it is walked and a long value is
 * passed over by reading and dropping it, so a small file that inflates to
 * a huge value (a deflate bomb) costs no more memory than a plain one.
 *
 * @throws {DicomDecodeError} for malformed or truncated input, offsets counted in the file.
 */
export async function readForDump(
  file: Deno.FsFile,
  size: number,
  options: ReadForDumpOptions,
): Promise<DumpRead> {
  const first = new Source(file, size);
  let source = first;
  let header: Part10Header;
  const warnings: string[] = [];
  for (let want = 1024;; want *= 2) {
    await source.fill(want);
    warnings.length = 0;
    try {
      header = decodePart10Header(source.peek(), { onWarning: (m) => warnings.push(m) });
      // A meta group that ends exactly where the bytes do may go on: read more first.
      if (header.datasetOffset < source.buffered || source.done) break;
    } catch (e) {
      if (source.done || !(e instanceof DicomDecodeError && e.truncated)) throw e;
      want = Math.max(want, e.needed ?? 0);
    }
  }
  for (const m of warnings) options.onWarning?.(m);
  source.consume(header.datasetOffset);
  const deflated = transferSyntaxInfo(header.transferSyntax)?.deflated === true;
  if (deflated) {
    const rest = source.peek().slice();
    const raw = new ReadableStream<Uint8Array>({
      start: (c) => {
        if (rest.length > 0) c.enqueue(rest);
      },
      pull: async (c) => {
        const chunk = new Uint8Array(DEFLATED_CHUNK);
        const n = await file.read(chunk);
        if (n === null) c.close();
        else c.enqueue(chunk.subarray(0, n));
      },
    });
    source = new Source(streamInput(inflateRawStream(raw, options.onWarning)));
  }
  // Inflated, a deflated data set is Explicit VR Little Endian (PS3.5 §A.5).
  const syntax = source === first ? header.transferSyntax : Uid.ExplicitVRLittleEndian;
  const walker = new Walker(source, syntax, options.maxRead, options.onWarning);
  await walker.walk();
  const { preamble, meta, transferSyntax } = header;
  return {
    preamble,
    meta,
    transferSyntax,
    deflated,
    dataset: walker.dataset,
    unread: walker.unread,
  };
}

/** The walk over the top-level elements of a data set. */
class Walker {
  readonly dataset: Dataset;
  readonly unread: UnreadElement[] = [];
  readonly #source: Source;
  readonly #transferSyntax: string;
  readonly #explicit: boolean;
  readonly #little: boolean;
  readonly #maxRead: number;
  readonly #onWarning: ((message: string) => void) | undefined;
  /** Bytes at the start of `peek()` holding whole elements not decoded yet. */
  #run = 0;

  constructor(
    source: Source,
    transferSyntax: string,
    maxRead: number,
    onWarning?: (m: string) => void,
  ) {
    this.#source = source;
    this.#transferSyntax = transferSyntax;
    const encoding = encodingOf(transferSyntax);
    this.#explicit = encoding.explicitVr;
    this.#little = encoding.littleEndian;
    this.#maxRead = maxRead;
    this.#onWarning = onWarning;
    this.dataset = new Dataset(onWarning ? { onWarning } : {});
  }

  async walk(): Promise<void> {
    const src = this.#source;
    for (;;) {
      if (!(await src.fill(this.#run + 8))) {
        // The end, or a header cut short that the decoder reports.
        this.#run = src.buffered;
        this.#decodeRun();
        return;
      }
      const at = this.#run;
      const tag = tagAt(src.peek(), at, this.#little);
      let vr: Vr | undefined;
      let headerLength = 8;
      let length: number;
      if (this.#explicit && tag >>> 16 !== 0xfffe) {
        const bytes = src.peek();
        const code = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!);
        vr = isVr(code) ? code : undefined;
        if (vr !== undefined && hasLongHeader(vr)) {
          headerLength = 12;
          if (!(await src.fill(at + 12))) {
            this.#run = src.buffered;
            this.#decodeRun();
            return;
          }
          length = uint32(src.peek(), at + 8, this.#little);
        } else {
          length = uint16(src.peek(), at + 6, this.#little);
        }
      } else {
        length = uint32(src.peek(), at + 4, this.#little);
      }
      if (length === UNDEFINED_LENGTH) {
        const encapsulated = this.#explicit ? vr === "OB" || vr === "OW" : tag === Tag.PixelData;
        if (encapsulated) {
          this.#decodeRun();
          await this.#fragments(tag, vr ?? this.#implicitVr(tag), headerLength);
        } else {
          const explicit = this.#explicit && vr !== "UN";
          this.#run = await this.#endOfUndefinedLength(at + headerLength, explicit);
          this.#decodeRunIfLong();
        }
        continue;
      }
      if (length > this.#maxRead && vr !== "SQ" && tag >>> 16 !== 0xfffe) {
        this.#decodeRun();
        this.unread.push({
          kind: "unread",
          tag,
          vr: vr ?? this.#implicitVr(tag),
          offset: src.position + headerLength,
          length,
        });
        if (!(await src.skip(headerLength + length))) {
          throw new DicomDecodeError(
            `Cannot decode ${
              formatTag(tag)
            }: its value of ${length} bytes ends past the end of the input`,
            src.position,
            { truncated: true },
          );
        }
        continue;
      }
      // A small element: a defined length past the end is the decoder's to report.
      await src.fill(at + headerLength + length);
      this.#run = Math.min(at + headerLength + length, src.buffered);
      this.#decodeRunIfLong();
    }
  }

  #implicitVr(tag: number): Vr {
    const info = lookupElement(tag);
    if (info === undefined) return "UN";
    return resolveDictionaryVr(info.vr, this.dataset.number(Tag.PixelRepresentation), "OW");
  }

  #decodeRunIfLong(): void {
    if (this.#run >= MAX_RUN) this.#decodeRun();
  }

  /** Decodes the run of whole elements at the start of the buffer into the data set. */
  #decodeRun(): void {
    if (this.#run === 0) return;
    const src = this.#source;
    const bytes = src.peek().subarray(0, this.#run);
    let part: Dataset;
    try {
      part = decodeDataset(bytes, {
        transferSyntax: this.#transferSyntax,
        ...(this.#onWarning ? { onWarning: this.#onWarning } : {}),
      });
    } catch (e) {
      if (!(e instanceof DicomDecodeError)) throw e;
      // Offsets in the file, not in the run.
      throw new DicomDecodeError(
        e.message.replace(/ \(at byte \d+\)$/, ""),
        src.position + e.offset,
        { cause: e, truncated: e.truncated },
      );
    }
    for (const el of part) this.dataset.setElement(el);
    src.consume(this.#run);
    this.#run = 0;
  }

  /**
   * Where a sequence of undefined length whose value starts at `pos` ends,
   * found from the item and element headers (PS3.5 §7.5), so that it can be
   * decoded whole. Input that ends first gives the end of the input: the
   * decoder says what is missing.
   */
  async #endOfUndefinedLength(pos: number, explicit: boolean): Promise<number> {
    const src = this.#source;
    // Each open sequence or item of undefined length, with how its content is encoded;
    // PS3.5 §6.2.2: a UN sequence of undefined length holds Implicit VR LE.
    const open: { explicit: boolean; little: boolean }[] = [
      { explicit, little: explicit ? this.#little : true },
    ];
    let p = pos;
    while (open.length > 0) {
      if (p + 12 > src.buffered && !(await src.fill(p + 12)) && p + 8 > src.buffered) {
        return src.buffered;
      }
      const bytes = src.peek();
      const { explicit, little } = open.at(-1)!;
      const tag = tagAt(bytes, p, little);
      if (tag === Tag.Item) {
        const length = uint32(bytes, p + 4, little);
        p += 8;
        if (length === UNDEFINED_LENGTH) open.push(open.at(-1)!);
        else p += length;
        continue;
      }
      if (tag === Tag.ItemDelimitationItem || tag === Tag.SequenceDelimitationItem) {
        p += 8;
        open.pop();
        continue;
      }
      let vr: string | undefined;
      let length: number;
      if (explicit) {
        vr = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!);
        if (isVr(vr) && hasLongHeader(vr)) {
          if (p + 12 > bytes.length) return src.buffered;
          length = uint32(bytes, p + 8, little);
          p += 12;
        } else {
          length = uint16(bytes, p + 6, little);
          p += 8;
        }
      } else {
        length = uint32(bytes, p + 4, little);
        p += 8;
      }
      if (length === UNDEFINED_LENGTH) {
        const nested = explicit && vr !== "UN";
        open.push({ explicit: nested, little: nested ? little : true });
      } else {
        p += length;
      }
    }
    return Math.min(p, src.buffered);
  }

  /**
   * Encapsulated pixel data (PS3.5 §A.4): item by item, kept as a fragments
   * element while all of them fit in `maxRead`, else only their lengths.
   */
  async #fragments(tag: number, vr: Vr, headerLength: number): Promise<void> {
    const src = this.#source;
    const offset = src.position + headerLength;
    src.consume(headerLength);
    const lengths: number[] = [];
    const kept: Uint8Array[] = [];
    let total = 0;
    let keep = true;
    const truncated = () =>
      new DicomDecodeError(
        `Cannot decode ${formatTag(tag)}: the input ends before its Sequence Delimitation Item`,
        src.position,
        { truncated: true },
      );
    for (;;) {
      if (!(await src.fill(8))) throw truncated();
      const itemTag = tagAt(src.peek(), 0, this.#little);
      const length = uint32(src.peek(), 4, this.#little);
      src.consume(8);
      total += 8;
      if (itemTag === Tag.SequenceDelimitationItem) break;
      if (itemTag !== Tag.Item || length === UNDEFINED_LENGTH) {
        throw new DicomDecodeError(
          `Cannot decode ${formatTag(tag)}: expected an item of defined length, found ${
            formatTag(itemTag)
          }`,
          src.position - 8,
        );
      }
      lengths.push(length);
      total += length;
      if (keep && total <= this.#maxRead) {
        if (!(await src.fill(length))) throw truncated();
        kept.push(src.peek().subarray(0, length));
        src.consume(length);
      } else {
        keep = false;
        kept.length = 0;
        if (!(await src.skip(length))) throw truncated();
      }
    }
    if (keep) {
      const element: DataElement = {
        tag,
        vr,
        kind: "fragments",
        offsetTable: kept[0] ?? new Uint8Array(0),
        fragments: kept.slice(1),
      };
      this.dataset.setElement(element);
    } else {
      this.unread.push({ kind: "unread", tag, vr, offset, length: total, fragments: lengths });
    }
  }
}

function uint16(bytes: Uint8Array, at: number, little: boolean): number {
  return little ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!;
}

function uint32(bytes: Uint8Array, at: number, little: boolean): number {
  return little
    ? (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
    : ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function tagAt(bytes: Uint8Array, at: number, little: boolean): number {
  return ((uint16(bytes, at, little) << 16) | uint16(bytes, at + 2, little)) >>> 0;
}
