/**
 * The Q/R SCP's services as units: each on a service provider of its own,
 * with nothing of QueryRetrieveScp around it.
 */
import { Archive, generateSampleStudies } from "../archive/mod.ts";
import { encodePart10, Identifier, QUERY_MODELS } from "../dataset/mod.ts";
import { STORAGE_SOP_CLASSES, Tag, Uid } from "../dictionary/mod.ts";
import { DimseStatusError, STATUS } from "../dimse/mod.ts";
import { FindService, GetService, MoveService } from "../scp/mod.ts";
import { QueryRetrieveScu } from "../scu/mod.ts";
import { ServiceProvider } from "../service/mod.ts";
import { assert, assertEquals } from "./_assert.ts";
import { HOST } from "./_qr_fixtures.ts";

const SYNTAXES = [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian];

async function sampleArchive(): Promise<Archive & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "qr-units-" });
  const archive = Archive.open();
  for (
    const ds of generateSampleStudies({
      patients: 2,
      studiesPerPatient: 1,
      seriesPerStudy: 1,
      instancesPerSeries: 3,
    })
  ) {
    const path = `${dir}/${ds.string(Tag.SOPInstanceUID)}.dcm`;
    await Deno.writeFile(path, encodePart10(ds));
    archive.index(ds, path, Uid.ExplicitVRLittleEndian);
  }
  return Object.assign(archive, {
    async [Symbol.asyncDispose]() {
      archive.close();
      await Deno.remove(dir, { recursive: true });
    },
  });
}

Deno.test("FindService alone answers C-FIND on a provider of its own, and refuses a C-FIND of a MOVE class", async () => {
  await using archive = await sampleArchive();
  const find = new FindService(archive, { aeTitle: "UNIT" });
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [QUERY_MODELS.STUDY_ROOT.find].map((abstractSyntax) => ({
      abstractSyntax,
      transferSyntaxes: SYNTAXES,
    })),
    handlers: { "C-FIND-RQ": find.handler },
  }, { hostname: HOST, port: 0 });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const studies: string[] = [];
  for await (
    const match of scu.find(
      new Identifier("STUDY_ROOT", "STUDY").request(Tag.StudyInstanceUID, Tag.RetrieveAETitle),
    )
  ) {
    studies.push(match.string(Tag.StudyInstanceUID)!);
    assertEquals(match.string(Tag.RetrieveAETitle), "UNIT");
  }
  assertEquals(studies.length, 2);
});

Deno.test("MoveService alone answers A801 for a destination it does not know", async () => {
  await using archive = await sampleArchive();
  const move = new MoveService(archive, { destinations: {} });
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [{
      abstractSyntax: QUERY_MODELS.STUDY_ROOT.move,
      transferSyntaxes: SYNTAXES,
    }],
    handlers: { "C-MOVE-RQ": move.handler },
  }, { hostname: HOST, port: 0 });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const error = await scu.move(
    new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, "*"),
    { destination: "NOWHERE" },
  ).then(() => undefined, (e) => e);
  assert(error instanceof DimseStatusError, String(error));
  assertEquals(error.status, STATUS.MOVE_DESTINATION_UNKNOWN);
});

Deno.test("GetService alone sends every matching instance back on the requestor's association", async () => {
  await using archive = await sampleArchive();
  const get = new GetService(archive);
  await using scp = new ServiceProvider({
    supportedAbstractSyntaxes: [
      { abstractSyntax: QUERY_MODELS.STUDY_ROOT.get, transferSyntaxes: SYNTAXES },
      ...STORAGE_SOP_CLASSES.map((abstractSyntax) => ({
        abstractSyntax,
        transferSyntaxes: SYNTAXES,
        requestorRoles: { scu: false, scp: true },
      })),
    ],
    handlers: { "C-GET-RQ": get.handler },
  }, { hostname: HOST, port: 0 });
  await using scu = new QueryRetrieveScu(HOST, scp.port);
  const received: string[] = [];
  const all = await scu.get(new Identifier("STUDY_ROOT", "STUDY").set(Tag.StudyInstanceUID, "*"), {
    sopClasses: [Uid.CTImageStorage],
    handleObject: async (object) => {
      await object.readDataset();
      received.push(object.sopInstanceUid);
    },
  });
  assertEquals(all.completed, 6);
  assertEquals(received.length, 6);
});
