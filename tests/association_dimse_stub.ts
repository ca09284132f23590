/**
 * Just enough DIMSE for the interop tests, until the DIMSE layer exists:
 * hand-built command sets (PS3.7 §9.3, §E.1: group 0000, Implicit VR Little
 * Endian), message reassembly from P-DATA-TF PDUs, a success-answering SCP,
 * and a runner for DCMTK tools that captures their logs.
 *
 * @module
 */

import type { Association, PDataTfPdu } from "../association/mod.ts";

export type Element = [element: number, value: Uint8Array];

export function us(value: number): Uint8Array {
  return new Uint8Array([value & 0xff, value >> 8]);
}

export function ui(uid: string): Uint8Array {
  const bytes = new TextEncoder().encode(uid.length % 2 ? `${uid}\0` : uid);
  return bytes;
}

/** Encodes a command set: (0000,0000) group length, then the elements in order. */
export function encodeCommand(elements: Element[]): Uint8Array {
  const body = elements.reduce((n, [, v]) => n + 8 + v.length, 0);
  const out = new Uint8Array(12 + body);
  const view = new DataView(out.buffer);
  view.setUint32(4, 4, true);
  view.setUint32(8, body, true);
  let at = 12;
  for (const [element, value] of elements) {
    view.setUint16(at + 2, element, true);
    view.setUint32(at + 4, value.length, true);
    out.set(value, at + 8);
    at += 8 + value.length;
  }
  return out;
}

/** Decodes a command set into element number → value. */
export function decodeCommand(bytes: Uint8Array): Map<number, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements = new Map<number, Uint8Array>();
  for (let at = 0; at + 8 <= bytes.length;) {
    const length = view.getUint32(at + 4, true);
    elements.set(view.getUint16(at + 2, true), bytes.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return elements;
}

export const usOf = (v: Uint8Array | undefined) => v![0]! | (v![1]! << 8);
export const uidOf = (v: Uint8Array | undefined) => new TextDecoder().decode(v).replace(/\0$/, "");

export interface Message {
  contextId: number;
  command: Map<number, Uint8Array>;
  dataSetLength: number;
}

/** Reads one DIMSE message (command, and data set if any) from P-DATA-TF PDUs. */
export async function readMessage(
  reader: ReadableStreamDefaultReader<PDataTfPdu>,
): Promise<Message | undefined> {
  const command: Uint8Array[] = [];
  let contextId = 0;
  let dataSetLength = 0;
  let commandDone = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return undefined;
    for (const pdv of value.values) {
      contextId = pdv.presentationContextId;
      if (pdv.isCommand) command.push(pdv.data.slice());
      else dataSetLength += pdv.data.length;
      if (pdv.isCommand && pdv.isLastFragment) commandDone = true;
      const parsed = commandDone ? decodeCommand(concat(command)) : undefined;
      const hasDataSet = parsed !== undefined && usOf(parsed.get(0x0800)) !== 0x0101;
      if (parsed && (!hasDataSet ? pdv.isCommand : !pdv.isCommand && pdv.isLastFragment)) {
        return { contextId, command: parsed, dataSetLength };
      }
    }
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

export async function respond(
  association: Association,
  contextId: number,
  elements: Element[],
): Promise<void> {
  const data = encodeCommand(elements);
  await association.sendPData([{
    presentationContextId: contextId,
    isCommand: true,
    isLastFragment: true,
    data,
  }]);
}

/** A tiny Verification and Storage SCP: answers C-ECHO-RQ and C-STORE-RQ with success. */
export async function answerEchoAndStore(
  association: Association,
  received: Message[],
): Promise<void> {
  const reader = association.pData.getReader();
  for (let m = await readMessage(reader); m; m = await readMessage(reader)) {
    received.push(m);
    const field = usOf(m.command.get(0x0100));
    const common: Element[] = [
      [0x0002, m.command.get(0x0002)!],
      [0x0100, us(field | 0x8000)],
      [0x0120, m.command.get(0x0110)!],
      [0x0800, us(0x0101)],
      [0x0900, us(0x0000)],
    ];
    if (field === 0x0001) common.push([0x1000, m.command.get(0x1000)!]); // C-STORE-RSP
    await respond(association, m.contextId, common);
  }
}

export interface Tool {
  /** Resolves once the output contains `text`. */
  waitFor(text: string): Promise<void>;
  /** Everything printed so far (stdout and stderr). */
  readonly output: string;
  /** Resolves with the exit code once the tool has ended and its output is read. */
  readonly status: Promise<number>;
  /** Terminates the tool and waits for it. */
  stop(): Promise<void>;
}

export function run(name: string, args: string[]): Tool {
  const child = new Deno.Command(name, { args, stdout: "piped", stderr: "piped" }).spawn();
  let output = "";
  const waiters: [string, () => void][] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      output += text;
      for (const w of [...waiters]) if (output.includes(w[0])) w[1]();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = Promise.all([child.status, pumps]).then(([s]) => s.code);
  return {
    waitFor: (text) =>
      output.includes(text)
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push([text, resolve])),
    get output() {
      return output;
    },
    status,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* Already exited. */ }
      await status;
    },
  };
}
