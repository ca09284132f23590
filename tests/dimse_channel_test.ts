/**
 * How a {@linkcode DimseChannel} answers PDVs that break the message
 * structure of PS3.8 Annex E.1: it aborts the association as the
 * service-provider, with the Table 9-26 reason that names the fault. A raw
 * peer on an in-memory transport sends the PDVs and reads the A-ABORT.
 *
 * @module
 */

import { acceptAssociation } from "../association/mod.ts";
import { DimseChannel, encodeCommand } from "../dimse/mod.ts";
import {
  ABORT_REASON,
  ABORT_SOURCE,
  type AbortPdu,
  type AbortReason,
  type PresentationDataValue,
} from "../pdu/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { associateRq, pipePair, RawPeer } from "./association_helpers.ts";

const ECHO = Uid.Verification;
const IMPLICIT = Uid.ImplicitVRLittleEndian;
const EXPLICIT = Uid.ExplicitVRLittleEndian;

/** A C-ECHO-RQ command set, with or without a data set to follow. */
function echoCommand(hasDataset: boolean): Uint8Array {
  return encodeCommand({ type: "C-ECHO-RQ", hasDataset, messageId: 1, affectedSopClassUid: ECHO });
}

function pdv(
  presentationContextId: number,
  isCommand: boolean,
  isLastFragment: boolean,
  data: Uint8Array = new Uint8Array(2),
): PresentationDataValue {
  return { presentationContextId, isCommand, isLastFragment, data };
}

/**
 * Associates a raw peer with an acceptor running a DimseChannel (contexts 1
 * and 3, both Verification), sends `pdus` as P-DATA-TF PDUs, and returns the
 * A-ABORT the channel answers with and the warning it reported.
 */
async function abortFor(pdus: readonly PresentationDataValue[][]): Promise<{
  abort: AbortPdu;
  warnings: string[];
}> {
  const [a, b] = pipePair();
  const peer = new RawPeer(a);
  const accepting = acceptAssociation(b, {
    supportedAbstractSyntaxes: [{ abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT, EXPLICIT] }],
  });
  await peer.send(associateRq({
    presentationContexts: [
      { id: 1, abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] },
      { id: 3, abstractSyntax: ECHO, transferSyntaxes: [EXPLICIT] },
    ],
  }));
  const ac = await peer.next();
  assert(ac !== "end" && ac.type === "A-ASSOCIATE-AC", `expected an A-ASSOCIATE-AC, got ${ac}`);
  const association = await accepting;
  const warnings: string[] = [];
  const channel = new DimseChannel(association, { onWarning: (w) => warnings.push(w) });
  for (const values of pdus) await peer.send({ type: "P-DATA-TF", values });
  // Responses may come first (a C-ECHO with a data set is still answered).
  let abort: AbortPdu | undefined;
  for (let pdu = await peer.next(); pdu !== "end"; pdu = await peer.next()) {
    if (pdu.type === "A-ABORT") {
      abort = pdu;
      break;
    }
  }
  await peer.destroy();
  await channel.closed;
  assert(abort !== undefined, "the channel sent no A-ABORT");
  assertEquals((await association.closed).how, "aborted");
  return { abort, warnings };
}

function assertAbort(abort: AbortPdu, reason: AbortReason): void {
  assertEquals(
    { source: abort.source, reason: abort.reason },
    { source: ABORT_SOURCE.SERVICE_PROVIDER, reason },
  );
}

Deno.test("DimseChannel aborts with unexpected-PDU parameter (5) for a data set PDV before its command set", async () => {
  const { abort, warnings } = await abortFor([[pdv(1, false, true)]]);
  assertAbort(abort, ABORT_REASON.UNEXPECTED_PDU_PARAMETER);
  assertEquals(warnings, ["A data set fragment arrived before its command set"]);
});

Deno.test("DimseChannel aborts with unexpected-PDU parameter (5) for a command PDV inside a data set", async () => {
  const { abort, warnings } = await abortFor([
    [pdv(1, true, true, echoCommand(true))],
    [pdv(1, false, false)],
    [pdv(1, true, true, echoCommand(false))],
  ]);
  assertAbort(abort, ABORT_REASON.UNEXPECTED_PDU_PARAMETER);
  assert(
    warnings.includes("A command fragment arrived in the middle of a data set"),
    `${warnings}`,
  );
});

Deno.test("DimseChannel aborts with unexpected-PDU parameter (5) for a PDV of another context inside a message", async () => {
  const command = echoCommand(false);
  const { abort, warnings } = await abortFor([[
    pdv(1, true, false, command.subarray(0, 8)),
    pdv(3, true, true, command.subarray(8)),
  ]]);
  assertAbort(abort, ABORT_REASON.UNEXPECTED_PDU_PARAMETER);
  assertEquals(warnings, ["A PDV for context 3 interleaved a message on context 1"]);
});

Deno.test("DimseChannel aborts with invalid-PDU-parameter value (6) for a PDV on a context that was not accepted", async () => {
  const { abort, warnings } = await abortFor([[pdv(5, true, true, echoCommand(false))]]);
  assertAbort(abort, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  assertEquals(warnings, ["A PDV used presentation context 5, which was not accepted"]);
});
