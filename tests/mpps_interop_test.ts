/**
 * MPPS against an independent implementation: DCMTK and Orthanc have no
 * MPPS SCU or SCP, so the peer is dcmjs-dimse (npm), a DIMSE stack of its
 * own (its own PDU, command set and data set codecs). Its Client sends
 * N-CREATE and N-SET to our `MppsScp`; our `MppsScu` sends to its Server.
 * Skipped with a message when the package cannot be loaded outside CI.
 */
import { Dataset } from "../dataset/mod.ts";
import { Tag } from "../dictionary/mod.ts";
import { MppsScp } from "../scp/mod.ts";
import { MppsScu, MppsStatusError } from "../scu/mod.ts";
import { DimseStatusError } from "../dimse/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { orthancIgnore, startOrthanc } from "./_orthanc.ts";

const MPPS_CLASS = "1.2.840.10008.3.1.2.3.3";
const HOST = "127.0.0.1";

// deno-lint-ignore no-explicit-any
let dimse: any;
try {
  dimse = (await import("npm:dcmjs-dimse@0.3.3")).default;
} catch (e) {
  if (Deno.env.get("CI") === "true") throw e;
  console.warn(`skipping: npm:dcmjs-dimse cannot be loaded (${e}); MPPS interop tests need it`);
}
const ignore = dimse === undefined;
dimse?.log.setLevel("error");

/** What a dcmjs-dimse response says. */
interface PeerAnswer {
  status: number;
  errorComment: string | undefined;
  affectedSopInstanceUid: string | undefined;
}

/** Sends `requests` with a dcmjs-dimse Client on one association; resolves with each answer once it closes. */
// deno-lint-ignore no-explicit-any
function sendWithPeer(port: number, requests: any[]): Promise<PeerAnswer[]> {
  const { Client } = dimse;
  const client = new Client();
  const answers: PeerAnswer[] = [];
  const done = Promise.withResolvers<PeerAnswer[]>();
  for (const request of requests) {
    // deno-lint-ignore no-explicit-any
    request.on("response", (response: any) => {
      answers.push({
        status: response.getStatus(),
        errorComment: response.getErrorComment() || undefined,
        affectedSopInstanceUid: response.getAffectedSopInstanceUid() || undefined,
      });
    });
    client.addRequest(request);
  }
  client.on("networkError", (e: unknown) => done.reject(e));
  client.on("closed", () => done.resolve(answers));
  client.send(HOST, port, "PEERSCU", "DCMNET");
  return done.promise;
}

Deno.test({
  name:
    "dcmjs-dimse's N-CREATE and N-SET reach our MPPS SCP: created, completed, then refused 0110",
  ignore,
  fn: async () => {
    await using scp = new MppsScp({ hostname: HOST, port: 0 });
    const { Dataset: PeerDataset } = dimse;
    const { NCreateRequest, NSetRequest } = dimse.requests;
    const uid = "2.25.4242";
    const create = new NCreateRequest(MPPS_CLASS, uid);
    create.setDataset(
      new PeerDataset({
        // dcmjs writes text as UTF-8 whatever the declared character set.
        SpecificCharacterSet: "ISO_IR 192",
        ScheduledStepAttributesSequence: [{
          StudyInstanceUID: "2.25.4243",
          AccessionNumber: "ACC-9",
          ScheduledProcedureStepID: "SPS-9",
        }],
        PatientName: "Müller^Jörg",
        PatientID: "P-9",
        PerformedProcedureStepID: "PPS-9",
        PerformedStationAETitle: "PEERSCU",
        PerformedProcedureStepStartDate: "20261203",
        PerformedProcedureStepStartTime: "110000",
        PerformedProcedureStepStatus: "IN PROGRESS",
        Modality: "US",
        PerformedSeriesSequence: [],
      }),
    );
    const complete = new NSetRequest(MPPS_CLASS, uid);
    complete.setDataset(
      new PeerDataset({
        PerformedProcedureStepEndDate: "20261203",
        PerformedProcedureStepEndTime: "111500",
        PerformedProcedureStepStatus: "COMPLETED",
        PerformedSeriesSequence: [{ ProtocolName: "ABDOMEN", SeriesInstanceUID: "2.25.4244" }],
      }),
    );
    const late = new NSetRequest(MPPS_CLASS, uid);
    late.setDataset(new PeerDataset({ PerformedProcedureStepDescription: "late" }));

    const answers = await sendWithPeer(scp.port, [create, complete, late]);
    assertEquals(answers.map((a) => a.status), [0x0000, 0x0000, 0x0110]);
    assertEquals(answers[0]!.affectedSopInstanceUid, uid);
    assertEquals(
      answers[2]!.errorComment,
      "Performed Procedure Step Object may no longer be updated",
    );
    const step = scp.service.get(uid)!;
    assertEquals(step.status, "COMPLETED");
    assertEquals(step.dataset.string(Tag.PatientName), "Müller^Jörg");
    assertEquals(
      step.dataset.items(Tag.ScheduledStepAttributesSequence)[0]?.string(Tag.AccessionNumber),
      "ACC-9",
    );
    assertEquals(
      step.dataset.items(Tag.PerformedSeriesSequence)[0]?.string(Tag.SeriesInstanceUID),
      "2.25.4244",
    );
  },
});

/** A dcmjs-dimse MPPS SCP keeping what it receives; it assigns `2.25.777` when a request names no UID. */
async function startPeerScp() {
  const { Server } = dimse;
  const Scp = dimse.Scp as new (...args: unknown[]) => {
    sendAssociationAccept(): void;
    sendAssociationReleaseResponse(): void;
  };
  const { NCreateResponse, NSetResponse } = dimse.responses;
  const { PresentationContextResult } = dimse.constants;
  // deno-lint-ignore no-explicit-any
  const received: { type: string; uid: string; elements: any }[] = [];
  class PeerMppsScp extends Scp {
    // deno-lint-ignore no-explicit-any
    associationRequested(association: any) {
      for (const c of association.getPresentationContexts()) {
        const context = association.getPresentationContext(c.id);
        if (context.getAbstractSyntaxUid() === MPPS_CLASS) {
          context.setResult(PresentationContextResult.Accept, context.getTransferSyntaxUids()[0]);
        } else {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        }
      }
      this.sendAssociationAccept();
    }
    // deno-lint-ignore no-explicit-any
    nCreateRequest(request: any, callback: (response: any) => void) {
      const uid = request.getAffectedSopInstanceUid() || "2.25.777";
      received.push({ type: "N-CREATE", uid, elements: request.getDataset()?.getElements() });
      const response = NCreateResponse.fromRequest(request);
      response.setAffectedSopInstanceUid(uid);
      response.setStatus(0x0000);
      callback(response);
    }
    // deno-lint-ignore no-explicit-any
    nSetRequest(request: any, callback: (response: any) => void) {
      const uid = request.getRequestedSopInstanceUid();
      received.push({ type: "N-SET", uid, elements: request.getDataset()?.getElements() });
      const response = NSetResponse.fromRequest(request);
      response.setStatus(uid === "2.25.404" ? 0x0112 : 0x0000);
      callback(response);
    }
    associationReleaseRequested() {
      this.sendAssociationReleaseResponse();
    }
  }
  const server = new Server(PeerMppsScp);
  server.listen(0);
  // deno-lint-ignore no-explicit-any
  const net = (server as any).server;
  if (!net.listening) await new Promise((resolve) => net.once("listening", resolve));
  return {
    port: net.address().port as number,
    received,
    [Symbol.dispose]: () => server.close(),
  };
}

Deno.test({
  name:
    "our MppsScu's N-CREATE and N-SET are read by dcmjs-dimse's SCP; an SCP-assigned UID and a 0112 come back",
  ignore,
  fn: async () => {
    using peer = await startPeerScp();
    await using mpps = await MppsScu.connect(HOST, peer.port, { calledAeTitle: "PEERSCP" });
    const created = await mpps.create(
      new Dataset()
        .set(Tag.SpecificCharacterSet, "ISO_IR 100")
        .set(Tag.ScheduledStepAttributesSequence, [
          new Dataset().set(Tag.StudyInstanceUID, "2.25.31").set(Tag.AccessionNumber, "A-31"),
        ])
        .set(Tag.PatientName, "Ström^Åsa")
        .set(Tag.PerformedProcedureStepID, "PPS-31")
        .set(Tag.PerformedStationAETitle, "DCMNET")
        .set(Tag.PerformedProcedureStepStartDate, "20261203")
        .set(Tag.PerformedProcedureStepStartTime, "120000")
        .set(Tag.PerformedProcedureStepStatus, "IN PROGRESS")
        .set(Tag.Modality, "MR"),
      { scpAssignsUid: true },
    );
    assertEquals(created.sopInstanceUid, "2.25.777");
    await mpps.complete(
      created.sopInstanceUid,
      new Dataset()
        .set(Tag.PerformedProcedureStepEndDate, "20261203")
        .set(Tag.PerformedProcedureStepEndTime, "121500")
        .set(Tag.PerformedSeriesSequence, [
          new Dataset().set(Tag.ProtocolName, "BRAIN").set(Tag.SeriesInstanceUID, "2.25.32"),
        ]),
    );
    await assertRejects(
      mpps.complete("2.25.404"),
      (e) => e instanceof MppsStatusError && e.status === 0x0112,
    );
    assertEquals(peer.received.map((r) => [r.type, r.uid]), [
      ["N-CREATE", "2.25.777"],
      ["N-SET", "2.25.777"],
      ["N-SET", "2.25.404"],
    ]);
    const [create, set] = peer.received;
    assertEquals(create!.elements.PatientName, [{ Alphabetic: "Ström^Åsa" }]);
    assertEquals(create!.elements.PerformedProcedureStepStatus, "IN PROGRESS");
    assertEquals(create!.elements.ScheduledStepAttributesSequence[0].AccessionNumber, "A-31");
    assertEquals(set!.elements.PerformedProcedureStepStatus, "COMPLETED");
    assertEquals(set!.elements.PerformedSeriesSequence[0].ProtocolName, "BRAIN");
    assert(!("PatientName" in set!.elements));
  },
});

Deno.test({
  name:
    "Orthanc, which has no MPPS, rejects the context: MppsScu.connect() fails 0122 with a clear message",
  ignore: orthancIgnore(),
  fn: async () => {
    await using orthanc = await startOrthanc({ config: { HttpServerEnabled: false } });
    await assertRejects(
      MppsScu.connect(HOST, orthanc.port, { calledAeTitle: orthanc.aeTitle }),
      (e) =>
        e instanceof DimseStatusError && e.status === 0x0122 &&
        /refused Modality Performed Procedure Step/.test(e.message),
    );
  },
});
