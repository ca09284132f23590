/**
 * Interoperability with DCMTK (skipped without it, required in CI):
 * echoscu and storescu against our acceptor, our requestor against
 * storescp, with the negotiation outcome compared to what DCMTK logs.
 * The DIMSE layer does not exist yet, so the few command sets needed
 * (C-ECHO-RQ/RSP, C-STORE-RSP, C-GET-RSP) are built by hand in
 * ./association_dimse_stub.ts.
 */

import { type Association, connect, serveAssociations } from "../association/mod.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dcmtkIgnore, PYDICOM_DATA } from "./_peers.ts";
import {
  CT_IMAGE_STORAGE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
  VERIFICATION,
} from "./association_helpers.ts";
import {
  answerEchoAndStore,
  type Message,
  readMessage,
  respond,
  run,
  ui,
  uidOf,
  us,
  usOf,
} from "./association_dimse_stub.ts";

import { freePort, HOST } from "./_storage_corpus.ts";

// ---- DCMTK as the requestor ----

Deno.test({
  name: "DCMTK echoscu associates with our acceptor, gets its C-ECHO-RSP and releases",
  ignore: dcmtkIgnore("echoscu"),
  async fn() {
    const received: Message[] = [];
    const ours = Promise.withResolvers<Association>();
    await using server = serveAssociations({ hostname: HOST, port: 0 }, (association) => {
      ours.resolve(association);
      return answerEchoAndStore(association, received);
    });
    const echoscu = run("echoscu", [
      "-d",
      "-aet",
      "ECHOSCU",
      "-aec",
      "DCMNET",
      "-pdu",
      "8192",
      HOST,
      `${server.addr.port}`,
    ]);
    assertEquals(await echoscu.status, 0, echoscu.output);
    const log = echoscu.output;
    assertMatch(log, /Association Accepted \(Max Send PDV: 16372\)/); // Our 16384 minus 12.
    assertMatch(log, /Received Echo Response \(Success\)/);
    assertMatch(log, /Their Implementation Version Name: DCMNET_010/);
    const association = await ours.promise;
    assertEquals([association.callingAeTitle, association.calledAeTitle], ["ECHOSCU", "DCMNET"]);
    assertEquals(association.peerMaxPduLength, 8192);
    assertEquals(association.acceptedContexts.map((c) => [c.abstractSyntax, c.transferSyntax]), [
      [VERIFICATION, IMPLICIT_VR_LE],
    ]);
    assertEquals(usOf(received[0]?.command.get(0x0100)), 0x0030); // C-ECHO-RQ
    assertEquals(await association.closed, { how: "released" });
  },
});

Deno.test({
  name: "DCMTK echoscu reports our rejection: called AE title not recognized (1, 1, 7)",
  ignore: dcmtkIgnore("echoscu"),
  async fn() {
    await using server = serveAssociations({ hostname: HOST, port: 0 }, () => {}, {
      accessControl: (rq) =>
        rq.calledAeTitle === "DCMNET" ? undefined : { result: 1, source: 1, reason: 7 },
    });
    const echoscu = run("echoscu", ["-v", "-aec", "SOMEONE", HOST, `${server.addr.port}`]);
    assert(await echoscu.status !== 0);
    assertMatch(echoscu.output, /Result: Rejected Permanent, Source: Service User/);
    assertMatch(echoscu.output, /Reason: Called AE Title Not Recognized/);
  },
});

Deno.test({
  name: "DCMTK echoscu --abort: our association ends aborted by the peer (service-user source)",
  ignore: dcmtkIgnore("echoscu"),
  async fn() {
    const ours = Promise.withResolvers<Association>();
    await using server = serveAssociations({ hostname: HOST, port: 0 }, (association) => {
      ours.resolve(association);
      return answerEchoAndStore(association, []).catch(() => {});
    });
    const echoscu = run("echoscu", ["--abort", HOST, `${server.addr.port}`]);
    assertEquals(await echoscu.status, 0, echoscu.output);
    const { how, error } = await (await ours.promise).closed;
    assertEquals([how, error?.origin, error?.source], ["aborted", "peer", 0]);
  },
});

Deno.test({
  name:
    "DCMTK storescu stores CT_small.dcm through our acceptor, with user identity and a positive response",
  ignore: dcmtkIgnore("storescu"),
  async fn() {
    const received: Message[] = [];
    const identities: string[] = [];
    await using server = serveAssociations(
      { hostname: HOST, port: 0 },
      (association) => answerEchoAndStore(association, received),
      {
        supportedAbstractSyntaxes: [{
          abstractSyntax: CT_IMAGE_STORAGE,
          transferSyntaxes: [EXPLICIT_VR_LE, IMPLICIT_VR_LE],
        }],
        userIdentity: (identity) => {
          const text = new TextDecoder();
          identities.push(
            `${identity.identityType} ${text.decode(identity.primaryField)} ${
              text.decode(identity.secondaryField)
            }`,
          );
          return { accepted: true };
        },
      },
    );
    const storescu = run("storescu", [
      "-d",
      "-usr",
      "alice",
      "-pwd",
      "s3cret",
      "-rsp",
      HOST,
      `${server.addr.port}`,
      `${PYDICOM_DATA}test_files/CT_small.dcm`,
    ]);
    assertEquals(await storescu.status, 0, storescu.output);
    // storescu proposes 128 presentation contexts; ours answers them all.
    assertMatch(storescu.output, /Context ID:\s+255 \(Abstract Syntax Not Supported\)/);
    assertMatch(
      storescu.output,
      /Message Type\s+: C-STORE RSP[^]*DIMSE Status\s+: 0x0000: Success/,
    );
    assertMatch(
      storescu.output,
      /User Identity Negotiation Response:\s+D:\s+Server Response \(not dumped\) length: 0/,
    );
    assertEquals(identities, ["2 alice s3cret"]);
    assertEquals(usOf(received[0]?.command.get(0x0100)), 0x0001); // C-STORE-RQ
    assert(received[0]!.dataSetLength > 16384, "the data set spans several P-DATA-TF PDUs");
    assertEquals(uidOf(received[0]?.command.get(0x0002)), CT_IMAGE_STORAGE);
  },
});

Deno.test({
  name:
    "DCMTK getscu negotiates the SCP role for CT Image Storage with our acceptor (role selection)",
  ignore: dcmtkIgnore("getscu"),
  async fn() {
    const GET_STUDY_ROOT = "1.2.840.10008.5.1.4.1.2.2.3";
    const received: Message[] = [];
    const ours = Promise.withResolvers<Association>();
    await using server = serveAssociations({ hostname: HOST, port: 0 }, (association) => {
      ours.resolve(association);
      return answerEchoAndStore(association, received); // A C-GET-RSP with no sub-operations.
    }, {
      supportedAbstractSyntaxes: [
        { abstractSyntax: GET_STUDY_ROOT, transferSyntaxes: [IMPLICIT_VR_LE] },
        {
          abstractSyntax: CT_IMAGE_STORAGE,
          transferSyntaxes: [EXPLICIT_VR_LE, IMPLICIT_VR_LE],
          requestorRoles: { scu: true, scp: true },
        },
      ],
    });
    const getscu = run("getscu", [
      "-d",
      "-S",
      "-k",
      "QueryRetrieveLevel=STUDY",
      "-k",
      "StudyInstanceUID=1.2.3",
      HOST,
      `${server.addr.port}`,
    ]);
    assertEquals(await getscu.status, 0, getscu.output);
    const association = await ours.promise;
    const ct = association.findContext(CT_IMAGE_STORAGE)!;
    assertEquals(ct.roles, {
      requestor: { scu: false, scp: true },
      acceptor: { scu: true, scp: false },
    });
    const log = getscu.output.slice(getscu.output.indexOf("BEGIN A-ASSOCIATE-AC"));
    assertMatch(
      log,
      new RegExp(
        `Context ID:\\s+${ct.id} \\(Accepted\\)\\s+D:\\s+Abstract Syntax: =CTImageStorage\\s+` +
          "D:\\s+Proposed SCP/SCU Role: SCP\\s+D:\\s+Accepted SCP/SCU Role: SCP",
      ),
    );
    assertEquals(usOf(received[0]?.command.get(0x0100)), 0x0010); // C-GET-RQ
    assertEquals((await association.closed).how, "released");
  },
});

// ---- DCMTK as the acceptor ----

/** Maps storescp's presentation context status words to PS3.8 Table 9-18 result codes. */
const DCMTK_RESULTS: Readonly<Record<string, number>> = {
  "Accepted": 0,
  "User Rejection": 1,
  "Provider Rejection": 2,
  "Abstract Syntax Not Supported": 3,
  "Transfer Syntaxes Not Supported": 4,
};

const DCMTK_TRANSFER_SYNTAXES: Readonly<Record<string, string>> = {
  "=LittleEndianImplicit": IMPLICIT_VR_LE,
  "=LittleEndianExplicit": EXPLICIT_VR_LE,
};

/** The A-ASSOCIATE-AC section of a DCMTK debug log, as [id, result, transfer syntax]. */
function contextsInLog(log: string): [number, number, string | undefined][] {
  const section = log.slice(log.indexOf("BEGIN A-ASSOCIATE-AC"), log.indexOf("END A-ASSOCIATE-AC"));
  const contexts: [number, number, string | undefined][] = [];
  for (const line of section.split("\n")) {
    const context = line.match(/Context ID:\s+(\d+) \((.+)\)/);
    if (context) contexts.push([Number(context[1]), DCMTK_RESULTS[context[2]!] ?? -1, undefined]);
    const ts = line.match(/Accepted Transfer Syntax: (\S+)/);
    if (ts) contexts.at(-1)![2] = DCMTK_TRANSFER_SYNTAXES[ts[1]!] ?? ts[1];
  }
  return contexts;
}

Deno.test({
  name:
    "our requestor associates with DCMTK storescp, echoes, releases, and both agree on the negotiation",
  ignore: dcmtkIgnore("storescp"),
  async fn() {
    const port = freePort();
    const storescp = run("storescp", [
      "-d",
      "--aetitle",
      "STORESCP",
      "--max-pdu",
      "32768",
      `${port}`,
    ]);
    try {
      await storescp.waitFor("private.dic"); // Dictionaries loaded; it listens next.
      let association: Association | undefined;
      while (association === undefined) {
        association = await connect(HOST, port, {
          calledAeTitle: "STORESCP",
          presentationContexts: [
            { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE, EXPLICIT_VR_LE] },
            { abstractSyntax: "1.2.3.4.5.6", transferSyntaxes: [IMPLICIT_VR_LE] },
            { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: ["1.2.840.10008.1.2.4.50"] },
          ],
        }).catch((error) => {
          // Until storescp listens, the TCP connection is refused: try again.
          if (error.cause instanceof Deno.errors.ConnectionRefused) return undefined;
          throw error;
        });
      }
      const context = association.findContext(VERIFICATION)!;
      const replies = association.pData.getReader();
      await respond(association, context.id, [
        [0x0002, ui(VERIFICATION)],
        [0x0100, us(0x0030)],
        [0x0110, us(7)],
        [0x0800, us(0x0101)],
      ]);
      const response = await readMessage(replies);
      assertEquals(usOf(response?.command.get(0x0100)), 0x8030); // C-ECHO-RSP
      assertEquals(usOf(response?.command.get(0x0120)), 7);
      assertEquals(usOf(response?.command.get(0x0900)), 0x0000);
      replies.releaseLock();
      await association.release();

      await storescp.waitFor("Association Release");
      const log = storescp.output;
      assertEquals(
        contextsInLog(log),
        association.presentationContexts.map((c) => [c.id, c.result, c.transferSyntax]),
      );
      assertMatch(log, /Our Max PDU Receive Size:\s+32768/);
      assertEquals(association.peerMaxPduLength, 32768);
      assertMatch(log, new RegExp(`Their Max PDU Receive Size:\\s+${association.maxPduLength}`));
      assertMatch(log, /Calling Application Name:\s+DCMNET/);
      assertMatch(log, /Their Implementation Version Name: DCMNET_010/);
    } finally {
      await storescp.stop();
    }
  },
});
