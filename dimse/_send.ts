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
export async function _sendMessage(
  assoc: Association,
  contextId: number,
  command: Command,
  dataset: OutgoingDataset | undefined,
): Promise<void> {
  const context = assoc.context(contextId);
  if (context === undefined) {
    throw new RangeError(
      `Cannot send ${command.type}: presentation context ${contextId} was not accepted`,
    );
  }
  const max = fragmentLength(assoc.maxPdvDataLength);
  const pduRoom = assoc.peerMaxPduLength === 0 ? max + PDV_HEADER_LENGTH : assoc.peerMaxPduLength;
  let bytes: Uint8Array | undefined;
  if (dataset instanceof Dataset) {
    const transferSyntax = context.transferSyntax!;
    bytes = encodeDataset(dataset, { transferSyntax });
    if (transferSyntaxInfo(transferSyntax)?.deflated) bytes = await deflateDataset(bytes);
  } else if (dataset instanceof Uint8Array) {
    bytes = dataset;
  }
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
  const write = async () => {
    if (pdus.length === 0) return;
    const write = pdus.length === 1 ? assoc.sendPData(pdus[0]!) : assoc.sendPDataBatch(pdus);
    pdus = [];
    pending = 0;
    write.catch(() => {}); // awaited below
    inFlight.push(write);
    if (inFlight.length >= window) await inFlight.shift();
  };
  const sendPdu = async (values: PresentationDataValue[], length: number) => {
    pdus.push(values);
    pending += length;
    if (pending >= WRITE_BYTES) await write();
  };
  let batch: PresentationDataValue[] = [];
  let size = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch;
    const length = size;
    batch = [];
    size = 0;
    await sendPdu(values, length);
  };
  const add = async (pdv: PresentationDataValue) => {
    if (batch.length > 0 && size + PDV_HEADER_LENGTH + pdv.data.length > pduRoom) await flush();
    batch.push(pdv);
    size += PDV_HEADER_LENGTH + pdv.data.length;
  };
  try {
    for (const pdv of fragmentBytes(encodeCommand(command), contextId, true, max)) await add(pdv);
    if (bytes !== undefined) {
      for (const pdv of fragmentBytes(bytes, contextId, false, max)) await add(pdv);
    } else if (dataset instanceof ReadableStream) {
      await flush();
      for await (const pdv of fragmentStream(dataset, contextId, max)) {
        await sendPdu([pdv], PDV_HEADER_LENGTH + pdv.data.length);
      }
    }
    await flush();
    await write();
  } finally {
    // Every write handed over settles before the message counts as sent.
    await Promise.allSettled(inFlight);
  }
  // The first failed write is the message's failure.
  for (const write of inFlight) await write;
}
