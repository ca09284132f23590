/**
 * The WebAssembly codecs from npm (cornerstonejs builds of libjpeg-turbo,
 * CharLS, OpenJPEG and OpenJPH), each loaded by dynamic `import()` on first
 * use, and calls into them that turn whatever they throw (C++ exception
 * pointers as numbers, aborts) into a {@linkcode CodecError} with the
 * message the library printed. After a failure the instance is dropped and
 * the next call loads a fresh one: an aborted Emscripten module is not to be
 * trusted again.
 *
 * @module
 */
import { CodecError } from "./errors.ts";

/** Frame information as the cornerstone codecs report and take it. */
export interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
  isUsingColorTransform?: boolean;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): WasmFrameInfo;
  getDecodedBuffer(): Uint8Array;
  getInterleaveMode?(): number;
  getNearLossless?(): number;
  getIsReversible?(): boolean;
  delete(): void;
}

interface WasmEncoder {
  getDecodedBuffer(info: WasmFrameInfo): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  setNearLossless?(near: number): void;
  setInterleaveMode?(mode: number): void;
  setQuality?(lossless: boolean, quality: number): void;
  setDecompositions?(n: number): void;
  delete(): void;
}

interface WasmModule {
  [name: string]: unknown;
}

type Factory = (options: Record<string, unknown>) => Promise<WasmModule>;

/** The codecs, by what they do. */
export type WasmCodec = "libjpeg-turbo" | "charls" | "openjpeg" | "openjph";

const CLASSES: Record<WasmCodec, { decoder: string; encoder: string | undefined }> = {
  "libjpeg-turbo": { decoder: "JPEGDecoder", encoder: undefined },
  charls: { decoder: "JpegLSDecoder", encoder: "JpegLSEncoder" },
  openjpeg: { decoder: "J2KDecoder", encoder: "J2KEncoder" },
  openjph: { decoder: "HTJ2KDecoder", encoder: "HTJ2KEncoder" },
};

// The specifiers are literal so that the module graph (and deno.lock)
// knows them; they resolve through deno.json "imports" to pinned npm versions.
function importCodec(codec: WasmCodec): Promise<{ default: Factory }> {
  switch (codec) {
    case "libjpeg-turbo":
      return import("@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs");
    case "charls":
      return import("@cornerstonejs/codec-charls/wasmjs");
    case "openjpeg":
      return import("@cornerstonejs/codec-openjpeg/wasmjs");
    case "openjph":
      return import("@cornerstonejs/codec-openjph/wasmjs");
  }
}

interface Instance {
  module: WasmModule;
  /** What the library printed to stderr during the current call. */
  messages: string[];
}

const instances = new Map<WasmCodec, Promise<Instance>>();

function instance(codec: WasmCodec): Promise<Instance> {
  let p = instances.get(codec);
  if (!p) {
    p = (async () => {
      const messages: string[] = [];
      const { default: factory } = await importCodec(codec);
      const module = await factory({
        print: () => {},
        printErr: (line: string) => {
          if (messages.length < 20) messages.push(line);
        },
      });
      return { module, messages };
    })();
    p.catch(() => instances.delete(codec));
    instances.set(codec, p);
  }
  return p;
}

function failure(codec: WasmCodec, what: string, e: unknown, messages: string[]): CodecError {
  instances.delete(codec); // a module that threw or aborted is not reused
  const printed = messages.filter((m) => /error|fail|invalid|corrupt|premature|too/i.test(m));
  const detail = printed.length > 0
    ? printed.join("; ").replace(/^\[ERROR\]\s*/gm, "")
    : e instanceof Error
    ? e.message
    : typeof e === "number"
    ? "the library raised an exception"
    : String(e);
  return new CodecError(`Cannot ${what} with ${codec}: ${detail}`, { cause: e });
}

/** The result of a wasm decode: the pixels (a copy) and what the decoder reported. */
export interface WasmDecoded {
  readonly pixels: Uint8Array;
  readonly info: WasmFrameInfo;
  readonly interleaveMode: number | undefined;
  readonly nearLossless: number | undefined;
  readonly reversible: boolean | undefined;
}

/** Decodes one frame with `codec`; every failure is a {@linkcode CodecError}. */
export async function wasmDecode(codec: WasmCodec, bytes: Uint8Array): Promise<WasmDecoded> {
  const { module, messages } = await instance(codec);
  messages.length = 0;
  const Decoder = module[CLASSES[codec].decoder] as new () => WasmDecoder;
  let decoder: WasmDecoder | undefined;
  try {
    decoder = new Decoder();
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = { ...decoder.getFrameInfo() };
    if (messages.some((m) => /^\[ERROR\]/.test(m)) || info.width === 0 || info.height === 0) {
      throw new Error(messages.join("; ") || "no image decoded");
    }
    const result: WasmDecoded = {
      pixels: bytesOf(decoder.getDecodedBuffer()),
      info,
      interleaveMode: decoder.getInterleaveMode?.(),
      nearLossless: decoder.getNearLossless?.(),
      reversible: decoder.getIsReversible?.(),
    };
    decoder.delete();
    return result;
  } catch (e) {
    dropQuietly(decoder);
    throw failure(codec, "decode", e, messages);
  }
}

/** How to encode with {@linkcode wasmEncode}. */
export interface WasmEncodeSettings {
  /** JPEG-LS: 0 = by plane, 1 = by line, 2 = by sample. */
  readonly interleaveMode?: number;
  /** JPEG-LS NEAR. */
  readonly nearLossless?: number;
}

/** Encodes one frame (lossless) with `codec`; every failure is a {@linkcode CodecError}. */
export async function wasmEncode(
  codec: WasmCodec,
  pixels: Uint8Array,
  info: WasmFrameInfo,
  settings: WasmEncodeSettings = {},
): Promise<Uint8Array> {
  const name = CLASSES[codec].encoder;
  if (!name) throw new CodecError(`${codec} has no encoder here`);
  const { module, messages } = await instance(codec);
  messages.length = 0;
  const Encoder = module[name] as new () => WasmEncoder;
  let encoder: WasmEncoder | undefined;
  try {
    encoder = new Encoder();
    encoder.getDecodedBuffer(info).set(pixels);
    if (settings.nearLossless !== undefined) encoder.setNearLossless?.(settings.nearLossless);
    if (settings.interleaveMode !== undefined) encoder.setInterleaveMode?.(settings.interleaveMode);
    encoder.setQuality?.(true, 0);
    encoder.encode();
    const out = bytesOf(encoder.getEncodedBuffer());
    encoder.delete();
    return out;
  } catch (e) {
    dropQuietly(encoder);
    throw failure(codec, "encode", e, messages);
  }
}

/** Frees a codec object after a failure, ignoring its own failure: the module is dropped anyway. */
function dropQuietly(object: { delete(): void } | undefined): void {
  try {
    object?.delete();
  } catch { /* the module is dropped anyway */ }
}

/** A copy, out of the module's memory, as a plain Uint8Array (the codecs hand out Uint8ClampedArray views). */
function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}
