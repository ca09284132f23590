/**
 * Sending one DIMSE message (PS3.7 §8.1, PS3.8 §9.3.5): the command set, then
 * the data set, as PDVs no longer than the peer's Maximum Length allows,
 * packed whole into as few PDUs as fit.
 *
 * @module
 */
import type { Association } from "../association/mod.ts";
import type { PresentationDataValue } from "../pdu/mod.ts";
import { Dataset, deflateDataset, encodeDataset } from "../dataset/mod.ts";
import { transferSyntaxInfo } from "../dictionary/mod.ts";
import { type Command, encodeCommand } from "./command.ts";
import { fragmentBytes, fragmentLength, fragmentStream } from "./fragment.ts";
import type { OutgoingDataset } from "./messages.ts";

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
  const pduRoom = assoc.peerMaxPduLength === 0 ? max + 6 : assoc.peerMaxPduLength;
  let bytes: Uint8Array | undefined;
  if (dataset instanceof Dataset) {
    const transferSyntax = context.transferSyntax!;
    bytes = encodeDataset(dataset, { transferSyntax });
    if (transferSyntaxInfo(transferSyntax)?.deflated) bytes = await deflateDataset(bytes);
  } else if (dataset instanceof Uint8Array) {
    bytes = dataset;
  }
  // Pack whole PDVs into PDUs up to the peer's Maximum Length: a small
  // message (command and data set) goes out in one PDU and one write.
  let batch: PresentationDataValue[] = [];
  let size = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch;
    batch = [];
    size = 0;
    await assoc.sendPData(values);
  };
  const add = async (pdv: PresentationDataValue) => {
    if (batch.length > 0 && size + 6 + pdv.data.length > pduRoom) await flush();
    batch.push(pdv);
    size += 6 + pdv.data.length;
  };
  for (const pdv of fragmentBytes(encodeCommand(command), contextId, true, max)) await add(pdv);
  if (bytes !== undefined) {
    for (const pdv of fragmentBytes(bytes, contextId, false, max)) await add(pdv);
  } else if (dataset instanceof ReadableStream) {
    await flush();
    // Keep a few PDUs in flight: writes stay in order (one writer), and the
    // next fragment is prepared while the previous one is on its way.
    const inFlight: Promise<void>[] = [];
    for await (const pdv of fragmentStream(dataset, contextId, max)) {
      inFlight.push(assoc.sendPData([pdv]));
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }
  await flush();
}
