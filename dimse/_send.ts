/**
 * Sending one DIMSE message (PS3.7 §8.1, PS3.8 §9.3.5): the command set, then
 * the data set, as PDVs no longer than the peer's Maximum Length allows,
 * packed whole into as few PDUs as fit.
 *
 * @module
 */
import type { Association } from "../association/mod.ts";
import { PDV_HEADER_LENGTH, type PresentationDataValue } from "../pdu/mod.ts";
import { Dataset, deflateDataset, encodeDataset } from "../dataset/mod.ts";
import { transferSyntaxInfo } from "../dictionary/mod.ts";
import { encodeCommand } from "./command.ts";
import type { Command } from "./command_sets.ts";
import { fragmentBytes, fragmentLength, fragmentStream } from "./fragment.ts";
import type { OutgoingDataset } from "./messages.ts";

/** PDU bytes of one message handed to the association before their writes finish. */
const IN_FLIGHT_BYTES = 1 << 20;

/** PDU bytes of one message handed to the association together, to go out in one write. */
const WRITE_BYTES = 256 << 10;

/**
 * Sends `command` and its data set, if any, on presentation context
 * `contextId`; the caller keeps messages from interleaving.
 *
 * @throws {RangeError} when the context was not accepted.
 */
export function _sendMessage(
  assoc: Association,
  contextId: number,
  command: Command,
  dataset: OutgoingDataset | undefined,
): Promise<void> {
  const context = assoc.context(contextId);
  if (context === undefined) {
    return Promise.reject(
      new RangeError(
        `Cannot send ${command.type}: presentation context ${contextId} was not accepted`,
      ),
    );
  }
  if (dataset === undefined || dataset instanceof Uint8Array) {
    let commandBytes: Uint8Array;
    try {
      commandBytes = encodeCommand(command);
    } catch (error) {
      return Promise.reject(error);
    }
    const values = onePdu(assoc, contextId, commandBytes, dataset);
    return values !== undefined
      ? assoc.sendPData(values)
      : sendPacked(assoc, contextId, commandBytes, dataset);
  }
  return encodeAndSend(assoc, contextId, context.transferSyntax!, command, dataset);
}

/**
 * The presentation data values of `command` and its data set as one
 * P-DATA-TF PDU, when they fit in one (a response, most requests; the PDU
 * {@linkcode _sendMessage} would send), for the caller to hand over whole:
 * messages handed over whole cannot interleave, so the next one may follow
 * at once. `undefined` when they do not fit, the data set is a stream or a
 * data set to encode, or the context was not accepted.
 *
 * @throws {TypeError} when a field the command requires is missing (and the
 * message would fit; otherwise {@linkcode _sendMessage} rejects with it).
 */
export function _onePduValues(
  assoc: Association,
  contextId: number,
  command: Command,
  dataset: OutgoingDataset | undefined,
): PresentationDataValue[] | undefined {
  if (dataset !== undefined && !(dataset instanceof Uint8Array)) return undefined;
  if (assoc.context(contextId) === undefined) return undefined;
  // A data set that alone overflows one PDU (a C-STORE's, mostly) goes to
  // _sendMessage() without its command encoded here first, to be again there.
  if (dataset !== undefined) {
    const { max, room } = pduLimits(assoc);
    if (dataset.length > max || 2 * PDV_HEADER_LENGTH + dataset.length > room) return undefined;
  }
  return onePdu(assoc, contextId, encodeCommand(command), dataset);
}

/**
 * The longest PDV data our PDVs carry, and the room in one PDU for PDVs
 * (the peer's Maximum Length, or one PDV's worth when it has none).
 */
function pduLimits(assoc: Association): { max: number; room: number } {
  const max = fragmentLength(assoc.maxPdvDataLength);
  return {
    max,
    room: assoc.peerMaxPduLength === 0 ? max + PDV_HEADER_LENGTH : assoc.peerMaxPduLength,
  };
}

/**
 * The common small message: one PDU with the command set and the data set,
 * if any, in one PDV each, handed over without the packing of
 * {@linkcode sendPacked} and its promise hops (the same PDU it would make);
 * `undefined` when they do not fit.
 */
function onePdu(
  assoc: Association,
  contextId: number,
  commandBytes: Uint8Array,
  dataset: Uint8Array | undefined,
): PresentationDataValue[] | undefined {
  const { max, room } = pduLimits(assoc);
  const size = PDV_HEADER_LENGTH + commandBytes.length +
    (dataset === undefined ? 0 : PDV_HEADER_LENGTH + dataset.length);
  if (
    commandBytes.length > max || (dataset !== undefined && dataset.length > max) || size > room
  ) return undefined;
  const values: PresentationDataValue[] = [
    { presentationContextId: contextId, isCommand: true, isLastFragment: true, data: commandBytes },
  ];
  if (dataset !== undefined) {
    values.push({
      presentationContextId: contextId,
      isCommand: false,
      isLastFragment: true,
      data: dataset,
    });
  }
  return values;
}

/** A data set of ours or a stream: encoded (and deflated) first, or streamed. */
async function encodeAndSend(
  assoc: Association,
  contextId: number,
  transferSyntax: string,
  command: Command,
  dataset: Dataset | ReadableStream<Uint8Array>,
): Promise<void> {
  let bytes: Uint8Array | ReadableStream<Uint8Array> = dataset as ReadableStream<Uint8Array>;
  if (dataset instanceof Dataset) {
    bytes = encodeDataset(dataset, { transferSyntax });
    if (transferSyntaxInfo(transferSyntax)?.deflated) bytes = await deflateDataset(bytes);
  }
  await sendPacked(assoc, contextId, encodeCommand(command), bytes);
}

/** Sends a command set and its data set packed as PDVs into as few PDUs as fit. */
async function sendPacked(
  assoc: Association,
  contextId: number,
  commandBytes: Uint8Array,
  dataset: Uint8Array | ReadableStream<Uint8Array> | undefined,
): Promise<void> {
  const { max, room: pduRoom } = pduLimits(assoc);
  const bytes = dataset instanceof Uint8Array ? dataset : undefined;
  // Pack whole PDVs into PDUs up to the peer's Maximum Length: a small
  // message (command and data set) goes out in one PDU and one write. PDUs
  // are handed to the association WRITE_BYTES at a time, to go out in one
  // write; up to IN_FLIGHT_BYTES of them without waiting for the writes to
  // finish: writes stay in order (one writer), and the next batch is
  // prepared while the previous ones are on their way.
  const window = Math.max(2, Math.ceil(IN_FLIGHT_BYTES / Math.max(WRITE_BYTES, pduRoom)));
  const inFlight: Promise<void>[] = [];
  let pdus: PresentationDataValue[][] = [];
  let pending = 0;
  // Each step returns a promise only when the writes in flight must be
  // waited for: a message under WRITE_BYTES is packed and handed over
  // within the call, with no promise hop per PDV (issue 13).
  const write = (): Promise<void> | undefined => {
    if (pdus.length === 0) return undefined;
    const write = pdus.length === 1 ? assoc.sendPData(pdus[0]!) : assoc.sendPDataBatch(pdus);
    pdus = [];
    pending = 0;
    write.catch(() => {}); // awaited below
    inFlight.push(write);
    return inFlight.length >= window ? inFlight.shift() : undefined;
  };
  const sendPdu = (values: PresentationDataValue[], length: number) => {
    pdus.push(values);
    pending += length;
    return pending >= WRITE_BYTES ? write() : undefined;
  };
  let batch: PresentationDataValue[] = [];
  let size = 0;
  const flush = () => {
    if (batch.length === 0) return undefined;
    const values = batch;
    const length = size;
    batch = [];
    size = 0;
    return sendPdu(values, length);
  };
  const add = (pdv: PresentationDataValue) => {
    const wait = batch.length > 0 && size + PDV_HEADER_LENGTH + pdv.data.length > pduRoom
      ? flush()
      : undefined;
    batch.push(pdv);
    size += PDV_HEADER_LENGTH + pdv.data.length;
    return wait;
  };
  try {
    // `await` only what is a promise: awaiting undefined is a hop too.
    for (const pdv of fragmentBytes(commandBytes, contextId, true, max)) {
      const wait = add(pdv);
      if (wait !== undefined) await wait;
    }
    if (bytes !== undefined) {
      for (const pdv of fragmentBytes(bytes, contextId, false, max)) {
        const wait = add(pdv);
        if (wait !== undefined) await wait;
      }
    } else if (dataset instanceof ReadableStream) {
      await flush();
      for await (const pdv of fragmentStream(dataset, contextId, max)) {
        await sendPdu([pdv], PDV_HEADER_LENGTH + pdv.data.length);
      }
    }
    const flushed = flush();
    if (flushed !== undefined) await flushed;
    const written = write();
    if (written !== undefined) await written;
  } finally {
    // Every write handed over settles before the message counts as sent.
    await Promise.allSettled(inFlight);
  }
  // The first failed write is the message's failure.
  for (const write of inFlight) await write;
}
