/**
 * The client does not buffer without limit (issue 11, item 11): a C-FIND
 * match larger than the SCU's limit aborts the association and fails the
 * query with ResponseTooLargeError, instead of being held in memory whole.
 */
import { Dataset, encodeDataset, Identifier, QUERY_MODELS } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import { ResponseTooLargeError, STATUS } from "../dimse/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { ServiceProvider } from "../service/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { HOST } from "./_qr_fixtures.ts";

Deno.test("find() fails with ResponseTooLargeError on a match over maxResponseLength; smaller ones pass", async () => {
  const FIND = QUERY_MODELS.STUDY_ROOT.find;
  // Each C-FIND answers one match of `size` bytes of text.
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [{
      abstractSyntax: FIND,
      transferSyntaxes: [Uid.ExplicitVRLittleEndian],
    }],
    handlers: {
      "C-FIND-RQ": async (request, context) => {
        const size = Number(request.command.priority === 1 ? 4 << 20 : 1000);
        const match = new Dataset()
          .set(Tag.QueryRetrieveLevel, "STUDY")
          .set(Tag.StudyInstanceUID, "2.25.1")
          .set(Tag.TextValue, "x".repeat(size), "UT");
        await context.respond({ status: STATUS.PENDING }, encodeDataset(match));
        await context.respond({ status: STATUS.SUCCESS });
      },
    },
  }, { hostname: HOST, port: 0 });
  const query = new Identifier("STUDY_ROOT", "STUDY").request(Tag.StudyInstanceUID);
  {
    await using scu = new QueryRetrieveScu(HOST, scp.port, { maxResponseLength: 1 << 20 });
    const small: Dataset[] = [];
    for await (const match of scu.find(query)) small.push(match);
    assertEquals(small.length, 1);
  }
  await using scu = new QueryRetrieveScu(HOST, scp.port, { maxResponseLength: 1 << 20 });
  // Priority HIGH (1) asks the test SCP for the 4 MiB match.
  const error = await (async () => {
    for await (const _ of scu.find(query, { priority: 1 })) { /* none arrives */ }
  })().then(() => undefined, (e) => e);
  assert(error instanceof ResponseTooLargeError, String(error));
});
