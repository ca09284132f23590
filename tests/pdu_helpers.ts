/**
 * Helpers for the PDU codec tests: hex literals annotated like the
 * standard's tables, and assertions that check {@linkcode decodePdu} and
 * {@linkcode PduDecoderStream} on the same bytes, split at every offset.
 *
 * @module
 */

import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { DicomError } from "../errors.ts";
import {
  decodePdu,
  type DecodePduOptions,
  encodePdu,
  type Pdu,
  PduDecodeError,
  type PduDecodeErrorCode,
  PduDecoderStream,
} from "../pdu/mod.ts";

/**
 * Bytes from hex text. Whitespace is ignored, and so is everything from `#`
 * to the end of a line, so byte ranges can be annotated with their fields.
 * `"abc"` inside double quotes stands for the bytes of that ASCII text.
 */
export function hex(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const line of text.split("\n")) {
    const code = line.replace(/#.*/, "");
    for (const token of code.match(/"[^"]*"|[0-9a-fA-F]{2}|\S+/g) ?? []) {
      if (token.startsWith('"')) {
        for (const char of token.slice(1, -1)) bytes.push(char.charCodeAt(0));
      } else if (/^[0-9a-fA-F]{2}$/.test(token)) {
        bytes.push(parseInt(token, 16));
      } else {
        throw new Error(`hex(): bad token ${token}`);
      }
    }
  }
  return new Uint8Array(bytes);
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Runs `chunks` through a {@linkcode PduDecoderStream} and collects the PDUs. */
export async function decodeStream(
  chunks: Uint8Array[],
  options?: DecodePduOptions,
): Promise<Pdu[]> {
  const stream = ReadableStream.from(chunks).pipeThrough(new PduDecoderStream(options));
  return await Array.fromAsync(stream);
}

/** Every way of feeding `bytes` to a stream that the tests use: one cut at each offset, then 1-byte chunks. */
export function* splits(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let cut = 0; cut <= bytes.length; cut++) {
    yield [bytes.subarray(0, cut), bytes.subarray(cut)];
  }
  yield Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

/**
 * Asserts that `bytes` hold exactly the PDUs `expected`: through
 * {@linkcode decodePdu} (every prefix reporting "need more bytes") and
 * through a {@linkcode PduDecoderStream} for every split of the bytes.
 */
export async function assertDecodes(
  bytes: Uint8Array,
  expected: Pdu[],
  options?: DecodePduOptions,
): Promise<void> {
  const pdus: Pdu[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const result = decodePdu(bytes, offset, options);
    assert(result.complete, `decodePdu() found an incomplete PDU at ${offset}`);
    for (let end = offset; end < offset + result.byteLength; end++) {
      const partial = decodePdu(bytes.subarray(0, end), offset, options);
      assertEquals(partial.complete, false, `a prefix of ${end} bytes decoded`);
    }
    pdus.push(result.pdu);
    offset += result.byteLength;
  }
  assertEquals(pdus, expected);
  for (const chunks of splits(bytes)) {
    assertEquals(await decodeStream(chunks, options), expected);
  }
}

/**
 * Asserts that `pdu` encodes to `bytes` and that `bytes` decode back to
 * `pdu` (also through the stream, split at every offset).
 */
export async function assertRoundTrip(pdu: Pdu, bytes: Uint8Array): Promise<void> {
  assertEquals(encodePdu(pdu), bytes);
  await assertDecodes(bytes, [pdu]);
}

/**
 * Asserts that decoding `bytes` fails with a {@linkcode PduDecodeError}
 * whose message matches `message`, with the given code and offset, both
 * through {@linkcode decodePdu} and through the stream for every split.
 */
export async function assertMalformed(
  bytes: Uint8Array,
  expected: { message: RegExp; code?: PduDecodeErrorCode; offset?: number },
  options?: DecodePduOptions,
): Promise<void> {
  const check = (error: unknown) => {
    assert(error instanceof PduDecodeError, `not a PduDecodeError: ${error}`);
    assert(error instanceof DicomError);
    assertEquals(error.name, "PduDecodeError");
    assert(expected.message.test(error.message), `unexpected message: ${error.message}`);
    assertEquals(error.code, expected.code ?? "malformed");
    if (expected.offset !== undefined) assertEquals(error.offset, expected.offset);
    return true;
  };
  assertThrows(() => decodePdu(bytes, 0, options), check);
  for (const chunks of splits(bytes)) {
    await assertRejects(decodeStream(chunks, options), check);
  }
}
