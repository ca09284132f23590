/**
 * Negotiation: the pure functions (presentation contexts, roles,
 * asynchronous operations window), then the acceptor's policies end to end
 * over an in-memory pipe (access control, user identity, Maximum Length,
 * extended negotiation).
 */

import {
  acceptAssociation,
  type AcceptAssociationOptions,
  ASSOCIATION_REJECTIONS,
  AssociationRejectedError,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  negotiateAsynchronousOperationsWindow,
  negotiatePresentationContexts,
  readAsynchronousOperationsWindow,
  readPresentationContextAnswer,
  requestAssociation,
  type RequestAssociationOptions,
} from "../association/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import {
  associateRq,
  CT_IMAGE_STORAGE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
  pipePair,
  RawPeer,
  VERIFICATION,
} from "./association_helpers.ts";

const BIG_ENDIAN = "1.2.840.10008.1.2.2";
const GET_SOP = "1.2.840.10008.5.1.4.1.2.2.3"; // Study Root Q/R GET

Deno.test("negotiatePresentationContexts() answers results 0, 3 and 4 and picks the acceptor's preferred transfer syntax", () => {
  const answer = negotiatePresentationContexts(
    [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE, EXPLICIT_VR_LE] },
      { id: 3, abstractSyntax: "1.2.3.999", transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 5, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [BIG_ENDIAN] },
    ],
    [],
    [
      { abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_VR_LE, IMPLICIT_VR_LE] },
      { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [IMPLICIT_VR_LE] },
    ],
  );
  assertEquals(answer.items, [
    { id: 1, result: 0, transferSyntax: EXPLICIT_VR_LE },
    { id: 3, result: 3, transferSyntax: IMPLICIT_VR_LE },
    { id: 5, result: 4, transferSyntax: BIG_ENDIAN },
  ]);
  assertEquals(answer.contexts.map((c) => [c.id, c.result, c.transferSyntax]), [
    [1, 0, EXPLICIT_VR_LE],
    [3, 3, undefined],
    [5, 4, undefined],
  ]);
  assertEquals(answer.roleSelections, []);
});

Deno.test("negotiatePresentationContexts() rejects even, repeated or empty contexts with result 2 (no-reason)", () => {
  const supported = [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }];
  const answer = negotiatePresentationContexts(
    [
      { id: 2, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 3, abstractSyntax: VERIFICATION, transferSyntaxes: [] },
    ],
    [],
    supported,
  );
  assertEquals(answer.items.map((i) => i.result), [2, 0, 2, 2]);
});

Deno.test("role selection grants only the roles both proposed and allowed, once per SOP class (PS3.7 D.3.3.4)", () => {
  const answer = negotiatePresentationContexts(
    [
      { id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 3, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LE] },
      { id: 5, abstractSyntax: GET_SOP, transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 7, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
    ],
    [
      { sopClassUid: CT_IMAGE_STORAGE, scuRole: true, scpRole: true },
      { sopClassUid: GET_SOP, scuRole: false, scpRole: true },
      { sopClassUid: VERIFICATION, scuRole: true, scpRole: true },
    ],
    [
      {
        abstractSyntax: CT_IMAGE_STORAGE,
        transferSyntaxes: [IMPLICIT_VR_LE, EXPLICIT_VR_LE],
        requestorRoles: { scu: false, scp: true },
      },
      {
        abstractSyntax: GET_SOP,
        transferSyntaxes: [IMPLICIT_VR_LE],
        requestorRoles: { scu: true, scp: false },
      },
      { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
    ],
  );
  // CT: the requestor may act as SCP only, so the acceptor acts as SCU.
  assertEquals(answer.contexts[0]!.roles, {
    requestor: { scu: false, scp: true },
    acceptor: { scu: true, scp: false },
  });
  assertEquals(answer.contexts[1]!.roles, answer.contexts[0]!.roles);
  // GET: the only proposed role (SCP) is not allowed: user rejection.
  assertEquals(answer.items[2]!.result, 1);
  // Verification: no role policy, so no answer and the default roles.
  assertEquals(answer.contexts[3]!.roles.requestor, { scu: true, scp: false });
  assertEquals(answer.roleSelections, [{
    sopClassUid: CT_IMAGE_STORAGE,
    scuRole: false,
    scpRole: true,
  }]);
});

Deno.test("readPresentationContextAnswer() distrusts answers that do not match the proposal", () => {
  const contexts = readPresentationContextAnswer(
    [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 3, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 5, abstractSyntax: GET_SOP, transferSyntaxes: [IMPLICIT_VR_LE] },
      { id: 7, abstractSyntax: "1.2.3", transferSyntaxes: [IMPLICIT_VR_LE] },
    ],
    [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: true, scpRole: false }],
    [
      { id: 1, result: 0, transferSyntax: EXPLICIT_VR_LE }, // not proposed
      { id: 3, result: 0, transferSyntax: IMPLICIT_VR_LE },
      { id: 5, result: 4, transferSyntax: IMPLICIT_VR_LE },
    ],
    [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: true, scpRole: true }], // SCP not proposed
  );
  assertEquals(contexts.map((c) => c.result), [2, 0, 4, 2]);
  assertEquals(contexts[1]!.roles.requestor, { scu: true, scp: false });
});

Deno.test("the asynchronous operations window is negotiated down, 0 meaning unlimited, and defaults to 1/1", () => {
  assertEquals(
    negotiateAsynchronousOperationsWindow(
      { maxOperationsInvoked: 5, maxOperationsPerformed: 0 },
      { maxOperationsInvoked: 2, maxOperationsPerformed: 3 },
    ),
    { maxOperationsInvoked: 2, maxOperationsPerformed: 3 },
  );
  assertEquals(
    negotiateAsynchronousOperationsWindow({ maxOperationsInvoked: 0, maxOperationsPerformed: 0 }, {
      maxOperationsInvoked: 0,
      maxOperationsPerformed: 0,
    }),
    { maxOperationsInvoked: 0, maxOperationsPerformed: 0 },
  );
  assertEquals(
    negotiateAsynchronousOperationsWindow(undefined, {
      maxOperationsInvoked: 9,
      maxOperationsPerformed: 9,
    }),
    undefined,
  );
  assertEquals(
    readAsynchronousOperationsWindow(
      { maxOperationsInvoked: 4, maxOperationsPerformed: 4 },
      undefined,
    ),
    { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
  );
});

/** Associates a requestor and an acceptor over an in-memory pipe. */
async function associate(
  request: Partial<RequestAssociationOptions>,
  accept: AcceptAssociationOptions = {},
) {
  const [a, b] = pipePair();
  const accepted = acceptAssociation(b, accept);
  const requested = requestAssociation(a, {
    presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }],
    ...request,
  });
  const [requestor, acceptor] = await Promise.allSettled([requested, accepted]);
  return { requestor, acceptor };
}

async function expectRejection(
  request: Partial<RequestAssociationOptions>,
  accept: AcceptAssociationOptions,
  codes: { result: number; source: number; reason: number },
): Promise<void> {
  const { requestor, acceptor } = await associate(request, accept);
  for (const outcome of [requestor, acceptor]) {
    assert(outcome.status === "rejected");
    const error = outcome.reason;
    assert(error instanceof AssociationRejectedError, String(error));
    assertEquals({ result: error.result, source: error.source, reason: error.reason }, codes);
  }
}

Deno.test("an access control policy rejects an unknown called AE title with (1, 1, 7)", async () => {
  await expectRejection({ calledAeTitle: "WHO" }, {
    accessControl: (rq) =>
      rq.calledAeTitle === "STORE-SCP"
        ? undefined
        : ASSOCIATION_REJECTIONS.CALLED_AE_TITLE_NOT_RECOGNIZED,
  }, { result: 1, source: 1, reason: 7 });
});

Deno.test("an access control policy rejects an unknown calling AE title with (1, 1, 3)", async () => {
  await expectRejection({ callingAeTitle: "INTRUDER" }, {
    accessControl: (rq) =>
      rq.callingAeTitle === "MODALITY"
        ? undefined
        : ASSOCIATION_REJECTIONS.CALLING_AE_TITLE_NOT_RECOGNIZED,
  }, { result: 1, source: 1, reason: 3 });
});

Deno.test("an access control policy that throws rejects with no-reason-given (1, 1, 1)", async () => {
  await expectRejection({}, {
    accessControl: () => {
      throw new Error("policy database down");
    },
  }, { result: 1, source: 1, reason: 1 });
});

Deno.test("a request with another application context name is rejected with (1, 1, 2)", async () => {
  const [a, b] = pipePair();
  const accepted = acceptAssociation(b);
  const peer = new RawPeer(a);
  await peer.send(associateRq({ applicationContext: "1.2.3.4.5" }));
  assertEquals(await peer.next(), { type: "A-ASSOCIATE-RJ", result: 1, source: 1, reason: 2 });
  await peer.close();
  await assertRejects(() => accepted, AssociationRejectedError);
  await peer.destroy();
});

Deno.test("user identity: an accepted identity gets the policy's server response (59H)", async () => {
  const seen: string[] = [];
  const { requestor, acceptor } = await associate({
    userIdentity: {
      type: 2,
      primaryField: "alice",
      secondaryField: "s3cret",
      positiveResponseRequested: true,
    },
  }, {
    userIdentity: (identity, rq) => {
      const text = new TextDecoder();
      seen.push(
        `${rq.callingAeTitle}:${text.decode(identity.primaryField)}:${
          text.decode(identity.secondaryField)
        }`,
      );
      return { accepted: true, serverResponse: new TextEncoder().encode("token-42") };
    },
  });
  assert(requestor.status === "fulfilled" && acceptor.status === "fulfilled");
  assertEquals(seen, ["DCMNET:alice:s3cret"]);
  assertEquals(new TextDecoder().decode(requestor.value.userIdentityResponse), "token-42");
  assertEquals(acceptor.value.userIdentity?.identityType, 2);
  await requestor.value.release();
  await acceptor.value.closed;
});

Deno.test("user identity: a refused identity rejects the association (1, 1, 1)", async () => {
  await expectRejection(
    { userIdentity: { type: 1, primaryField: "mallory" } },
    { userIdentity: () => ({ accepted: false }) },
    { result: 1, source: 1, reason: 1 },
  );
});

Deno.test("user identity: without a policy the identity is ignored and no 59H is sent", async () => {
  const { requestor, acceptor } = await associate({
    userIdentity: { type: 1, primaryField: "bob", positiveResponseRequested: true },
  });
  assert(requestor.status === "fulfilled" && acceptor.status === "fulfilled");
  assertEquals(requestor.value.userIdentityResponse, undefined);
  assertEquals(acceptor.value.userIdentity, undefined);
  await acceptor.value.release(); // The acceptor may release too.
  assertEquals((await requestor.value.closed).how, "released");
});

Deno.test("Maximum Length: each side's advertised value limits what the other sends", async () => {
  const { requestor, acceptor } = await associate({ maxPduLength: 4096 }, { maxPduLength: 0 });
  assert(requestor.status === "fulfilled" && acceptor.status === "fulfilled");
  const [scu, scp] = [requestor.value, acceptor.value];
  assertEquals([scu.maxPduLength, scu.peerMaxPduLength, scu.maxPdvDataLength], [4096, 0, Infinity]);
  assertEquals([scp.maxPduLength, scp.peerMaxPduLength, scp.maxPdvDataLength], [0, 4096, 4090]);
  const pdv = (n: number) => ({
    presentationContextId: 1,
    isCommand: true,
    isLastFragment: true,
    data: new Uint8Array(n),
  });
  await assertRejects(() => scp.sendPData([pdv(4091)]), RangeError);
  await assertRejects(() => scp.sendPData([{ ...pdv(1), presentationContextId: 3 }]), RangeError);
  const reader = scu.pData.getReader();
  await scp.sendPData([pdv(4090)]);
  assertEquals((await reader.read()).value?.values[0]?.data.length, 4090);
  await scu.sendPData([pdv(100_000)]); // The acceptor advertised no limit.
  await scu.release();
  await scp.closed;
});

Deno.test("asynchronous operations window, implementation identity and extended negotiation reach both sides", async () => {
  const { requestor, acceptor } = await associate({
    asynchronousOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 3 },
    sopClassExtendedNegotiations: [{
      sopClassUid: VERIFICATION,
      serviceClassApplicationInformation: new Uint8Array([1]),
    }],
  }, {
    asynchronousOperationsWindow: { maxOperationsInvoked: 2, maxOperationsPerformed: 0 },
    implementationVersionName: "OTHER_SCP",
    extendedNegotiation: (item) =>
      item.sopClassUid === VERIFICATION ? new Uint8Array([0]) : undefined,
  });
  assert(requestor.status === "fulfilled" && acceptor.status === "fulfilled");
  const window = { maxOperationsInvoked: 2, maxOperationsPerformed: 3 };
  assertEquals(requestor.value.asynchronousOperationsWindow, window);
  assertEquals(acceptor.value.asynchronousOperationsWindow, window);
  assertEquals(acceptor.value.requestorImplementationClassUid, IMPLEMENTATION_CLASS_UID);
  assertEquals(
    acceptor.value.request.userInformation.implementationVersionName,
    IMPLEMENTATION_VERSION_NAME,
  );
  assertEquals(requestor.value.response.userInformation.implementationVersionName, "OTHER_SCP");
  assertEquals(requestor.value.sopClassExtendedNegotiations, [
    { sopClassUid: VERIFICATION, serviceClassApplicationInformation: new Uint8Array([0]) },
  ]);
  await requestor.value.release();
  await acceptor.value.closed;
});

Deno.test("requestAssociation() refuses invalid AE titles and context lists before sending anything", async () => {
  const [a] = pipePair();
  const contexts = [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }];
  await assertRejects(
    () => requestAssociation(a, { presentationContexts: contexts, calledAeTitle: "" }),
    RangeError,
  );
  await assertRejects(
    () =>
      requestAssociation(a, {
        presentationContexts: contexts,
        callingAeTitle: "SEVENTEEN-CHARS-X",
      }),
    RangeError,
  );
  await assertRejects(() => requestAssociation(a, { presentationContexts: [] }), RangeError);
  await assertRejects(
    () => requestAssociation(a, { presentationContexts: Array(129).fill(contexts[0]) }),
    RangeError,
  );
});
