/**
 * Identifiers are bounded (issue 11, item 5): a C-FIND whose identifier is
 * larger than the limit, plain or deflated (a deflate bomb), is answered A700
 * without reading or inflating it whole, and the association goes on.
 */
import { Archive } from "../archive/mod.ts";
import { connect } from "../association/mod.ts";
import { Dataset, deflateDataset, encodeDataset, QUERY_MODELS } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { DimseChannel, STATUS } from "../dimse/mod.ts";
import { QueryRetrieveScp } from "../scp/mod.ts";
import { IdentifierTooLargeError, readIdentifier } from "../service/mod.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { HOST } from "./_qr_fixtures.ts";

const FIND = QUERY_MODELS.STUDY_ROOT.find;

/** A Study Root identifier carrying `size` bytes of text in a UT key. */
function bigIdentifier(size: number): Dataset {
  return new Dataset()
    .set(Tag.QueryRetrieveLevel, "STUDY")
    .set(Tag.StudyInstanceUID, "")
    .set(Tag.TextValue, " ".repeat(size - 1) + "x", "UT");
}

Deno.test("readIdentifier() stops at maxLength, plain or while inflating", async () => {
  const bytes = encodeDataset(bigIdentifier(1 << 20), {
    transferSyntax: Uid.ExplicitVRLittleEndian,
  });
  await assertRejects(
    () => readIdentifier(bytes, Uid.ExplicitVRLittleEndian, { maxLength: 1000 }),
    IdentifierTooLargeError,
  );
  const deflated = await deflateDataset(bytes);
  assert(deflated.length < 1 << 16, `${deflated.length} bytes deflated`);
  await assertRejects(
    () => readIdentifier(deflated, Uid.DeflatedExplicitVRLittleEndian, { maxLength: 1000 }),
    IdentifierTooLargeError,
  );
  const small = await readIdentifier(deflated, Uid.DeflatedExplicitVRLittleEndian);
  assertEquals(small.string(Tag.QueryRetrieveLevel), "STUDY");
});

Deno.test("the Q/R SCP answers A700 to an identifier over its limit, plain or a deflate bomb, and serves the next request", async () => {
  using archive = Archive.open();
  await using scp = new QueryRetrieveScp({
    hostname: HOST,
    port: 0,
    archive,
    maxIdentifierLength: 64 << 10,
  });
  await using association = await connect(HOST, scp.port, {
    presentationContexts: [
      { abstractSyntax: FIND, transferSyntaxes: [Uid.ExplicitVRLittleEndian] },
      { abstractSyntax: FIND, transferSyntaxes: [Uid.DeflatedExplicitVRLittleEndian] },
      { abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ExplicitVRLittleEndian] },
    ],
  });
  const channel = new DimseChannel(association);
  const contextOf = (ts: string, abstractSyntax: string = FIND) =>
    association.acceptedContexts.find((c) =>
      c.abstractSyntax === abstractSyntax && c.transferSyntax === ts
    )!.id;
  const find = async (contextId: number, identifier: Uint8Array) => {
    const statuses: number[] = [];
    for await (
      const r of channel.request(contextId, {
        type: "C-FIND-RQ",
        hasDataset: true,
        affectedSopClassUid: FIND,
        priority: 0,
      }, identifier)
    ) statuses.push(r.command.status);
    return statuses;
  };
  // 4 MiB plain: 64 times the limit, more than the channel's queue holds.
  const plain = encodeDataset(bigIdentifier(4 << 20), {
    transferSyntax: Uid.ExplicitVRLittleEndian,
  });
  assertEquals(await find(contextOf(Uid.ExplicitVRLittleEndian), plain), [STATUS.OUT_OF_RESOURCES]);
  // 64 MiB once inflated, about 64 KB on the wire.
  const bomb = await deflateDataset(
    encodeDataset(bigIdentifier(256 << 20), { transferSyntax: Uid.ExplicitVRLittleEndian }),
  );
  assertEquals(
    await find(contextOf(Uid.DeflatedExplicitVRLittleEndian), bomb),
    [STATUS.OUT_OF_RESOURCES],
  );
  // The association still serves: an ordinary C-FIND and a C-ECHO.
  const ordinary = encodeDataset(bigIdentifier(16), { transferSyntax: Uid.ExplicitVRLittleEndian });
  assertEquals(await find(contextOf(Uid.ExplicitVRLittleEndian), ordinary), [STATUS.SUCCESS]);
  let echoed = -1;
  for await (
    const r of channel.request(contextOf(Uid.ExplicitVRLittleEndian, Uid.Verification), {
      type: "C-ECHO-RQ",
      hasDataset: false,
      affectedSopClassUid: Uid.Verification,
    })
  ) echoed = r.command.status;
  assertEquals(echoed, STATUS.SUCCESS);
  await association.release();
  await channel.closed;
});
