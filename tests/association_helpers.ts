/**
 * Helpers for the association tests: in-memory transports, a scripted raw
 * peer that speaks PDUs (or garbage) on the other end, and ready-made PDUs.
 *
 * @module
 */

import type { Transport } from "../association/mod.ts";
import type { DimseChannel, DimseResponse } from "../dimse/mod.ts";
import {
  type AssociateAcPdu,
  type AssociateRqPdu,
  decodePdu,
  DICOM_APPLICATION_CONTEXT_NAME,
  encodePdu,
  type Pdu,
  PROTOCOL_VERSION,
} from "../pdu/mod.ts";

export const VERIFICATION = "1.2.840.10008.1.1";
export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
export const IMPLICIT_VR_LE = "1.2.840.10008.1.2";
export const EXPLICIT_VR_LE = "1.2.840.10008.1.2.1";

/** Two transports joined back to back in memory. */
export function pipePair(): [Transport, Transport] {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

/** A requestor's A-ASSOCIATE-RQ proposing Verification (context 1). */
export function associateRq(overrides: Partial<AssociateRqPdu> = {}): AssociateRqPdu {
  return {
    type: "A-ASSOCIATE-RQ",
    protocolVersion: PROTOCOL_VERSION,
    calledAeTitle: "ANY-SCP",
    callingAeTitle: "RAW-PEER",
    applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts: [{
      id: 1,
      abstractSyntax: VERIFICATION,
      transferSyntaxes: [IMPLICIT_VR_LE],
    }],
    userInformation: { maxPduLength: 16384, implementationClassUid: "1.2.3.4" },
    ...overrides,
  };
}

/** An acceptor's A-ASSOCIATE-AC accepting context 1 of {@linkcode associateRq}. */
export function associateAc(overrides: Partial<AssociateAcPdu> = {}): AssociateAcPdu {
  return {
    type: "A-ASSOCIATE-AC",
    protocolVersion: PROTOCOL_VERSION,
    calledAeTitle: "ANY-SCP",
    callingAeTitle: "DCMNET",
    applicationContext: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT_VR_LE }],
    userInformation: { maxPduLength: 16384, implementationClassUid: "1.2.3.4" },
    ...overrides,
  };
}

/** A one-PDV P-DATA-TF on context 1. */
export function pData(bytes = 4): Pdu {
  return {
    type: "P-DATA-TF",
    values: [{
      presentationContextId: 1,
      isCommand: true,
      isLastFragment: true,
      data: new Uint8Array(bytes),
    }],
  };
}

/** What the raw peer read: a PDU, or the end of the stream. */
export type Received = Pdu | "end";

/**
 * The far end of a transport, driven by the test: writes PDUs or raw bytes
 * and reads the PDUs the association layer sends.
 */
export class RawPeer {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = new Uint8Array(0);
  #ended = false;

  constructor(transport: Transport) {
    this.#writer = transport.writable.getWriter();
    this.#reader = transport.readable.getReader();
  }

  /** Sends a PDU (encoded) or raw bytes, in one write. Failures (peer gone) are ignored. */
  async send(pdu: Pdu | Uint8Array): Promise<void> {
    const bytes = pdu instanceof Uint8Array ? pdu : encodePdu(pdu);
    await this.#writer.write(bytes).catch(() => {});
  }

  /** Reads the next PDU the other side sent, or `"end"` once its stream ended. */
  async next(): Promise<Received> {
    for (;;) {
      if (this.#buffer.length > 0) {
        const result = decodePdu(this.#buffer, 0, { maxPduLength: 0 });
        if (result.complete) {
          const pdu = result.pdu;
          this.#buffer = this.#buffer.slice(result.byteLength);
          return pdu;
        }
      }
      if (this.#ended) return "end";
      const { value, done } = await this.#reader.read().catch(() => ({
        value: undefined,
        done: true,
      }));
      if (done || value === undefined) {
        this.#ended = true;
        continue;
      }
      const joined = new Uint8Array(this.#buffer.length + value.length);
      joined.set(this.#buffer);
      joined.set(value, this.#buffer.length);
      this.#buffer = joined;
    }
  }

  /** Reads everything until the stream ends. */
  async rest(): Promise<Pdu[]> {
    const all: Pdu[] = [];
    for (let r = await this.next(); r !== "end"; r = await this.next()) all.push(r);
    return all;
  }

  /** Ends our side: closes the stream we write (the other side sees end of stream). */
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }

  /** Closes both directions and reads nothing more. */
  async destroy(): Promise<void> {
    await this.#writer.abort().catch(() => {});
    await this.#reader.cancel().catch(() => {});
  }
}

/** Records the events dispatched on an `EventTarget` and waits for a given one. */
export class EventLog {
  readonly target: EventTarget = new EventTarget();
  readonly events: Event[] = [];
  readonly #waiters: { test: (e: Event) => boolean; resolve: (e: Event) => void }[] = [];

  constructor(types: readonly string[] = [
    "transition",
    "pdu-sent",
    "pdu-received",
    "established",
    "rejected",
    "released",
    "aborted",
  ]) {
    for (const type of types) {
      this.target.addEventListener(type, (event) => {
        this.events.push(event);
        for (const w of [...this.#waiters]) {
          if (w.test(event)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      });
    }
  }

  /** How many events were recorded so far (a mark for {@linkcode EventLog.wait}). */
  get length(): number {
    return this.events.length;
  }

  /** Resolves with the first event from index `from` on (recorded or future) that passes `test`. */
  wait(test: (e: Event) => boolean, from = 0): Promise<Event> {
    const seen = this.events.slice(from).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }
}

/**
 * Sends a CT Image Storage C-STORE-RQ for `sopInstanceUid` with `dataset`
 * on `channel` and returns the final response's command (`undefined` if
 * none came).
 */
export async function storeCt(
  channel: DimseChannel,
  contextId: number,
  sopInstanceUid: string,
  dataset: Uint8Array,
): Promise<DimseResponse<"C-STORE-RQ">["command"] | undefined> {
  let last: DimseResponse<"C-STORE-RQ">["command"] | undefined;
  for await (
    const response of channel.request(contextId, {
      type: "C-STORE-RQ",
      hasDataset: true,
      affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: sopInstanceUid,
      priority: 0,
    }, dataset)
  ) last = response.command;
  return last;
}
