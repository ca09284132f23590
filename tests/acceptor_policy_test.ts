// Issue 12, item 1: the Storage SCP's default preference picks an uncompressed
// syntax when the context offers one, whatever the proposer's order
// (PS3.8 9.3.3.2: the acceptor chooses one of the offered syntaxes).
import { assertEquals } from "./_assert.ts";
import { Uid } from "../dictionary/mod.ts";
import { negotiatePresentationContexts } from "../association/negotiation.ts";
import { DEFAULT_STORAGE_TRANSFER_SYNTAXES } from "../service/store_service.ts";

function chosen(offered: string[]): string | undefined {
  const answer = negotiatePresentationContexts(
    [{ id: 1, abstractSyntax: Uid.CTImageStorage, transferSyntaxes: offered }],
    [],
    [{ abstractSyntax: Uid.CTImageStorage, transferSyntaxes: DEFAULT_STORAGE_TRANSFER_SYNTAXES }],
  );
  return answer.items[0]?.transferSyntax;
}

Deno.test("the Storage SCP prefers Explicit VR LE over offered lossy JPEG syntaxes", () => {
  assertEquals(
    chosen([
      Uid.ExplicitVRLittleEndian,
      Uid.ImplicitVRLittleEndian,
      Uid.JPEGBaseline8Bit,
      Uid.JPEGExtended12Bit,
    ]),
    Uid.ExplicitVRLittleEndian,
  );
});

Deno.test("the Storage SCP prefers Explicit VR LE over JPEG Lossless, whatever the proposer's order", () => {
  assertEquals(
    chosen([Uid.ImplicitVRLittleEndian, Uid.JPEGLossless, Uid.ExplicitVRLittleEndian]),
    Uid.ExplicitVRLittleEndian,
  );
});

Deno.test("the Storage SCP accepts JPEG 2000 when it is the only syntax offered", () => {
  assertEquals(chosen([Uid.JPEG2000]), Uid.JPEG2000);
});

Deno.test("the Storage SCP prefers a lossless compressed syntax over a lossy one offered first", () => {
  assertEquals(chosen([Uid.JPEGBaseline8Bit, Uid.JPEG2000, Uid.JPEGLossless]), Uid.JPEGLossless);
  assertEquals(chosen([Uid.JPEG2000, Uid.JPEG2000Lossless]), Uid.JPEG2000Lossless);
  assertEquals(chosen([Uid.JPEGBaseline8Bit]), Uid.JPEGBaseline8Bit);
});

Deno.test("the default order is Explicit LE, Implicit LE, deflate, Explicit BE, lossless compressed, then lossy (PS3.5 A.4)", () => {
  const order = DEFAULT_STORAGE_TRANSFER_SYNTAXES;
  assertEquals(order.slice(0, 4), [
    Uid.ExplicitVRLittleEndian,
    Uid.ImplicitVRLittleEndian,
    Uid.DeflatedExplicitVRLittleEndian,
    Uid.ExplicitVRBigEndian,
  ]);
  const lastLossless = Math.max(
    ...[Uid.RLELossless, Uid.JPEGLSLossless, Uid.JPEG2000Lossless, Uid.JPEGLossless].map((t) =>
      order.indexOf(t)
    ),
  );
  const firstLossy = Math.min(
    ...[Uid.JPEGBaseline8Bit, Uid.JPEG2000, Uid.JPEGLSNearLossless, Uid.HTJ2K].map((t) =>
      order.indexOf(t)
    ),
  );
  assertEquals(
    lastLossless < firstLossy,
    true,
    `lossless at ${lastLossless}, lossy at ${firstLossy}`,
  );
});

Deno.test("StorageScp with proposerOrder takes the sender's first syntax, as an archive sending as stored needs; without it, ours", async () => {
  const { connect } = await import("../association/mod.ts");
  const { StorageScp } = await import("../scp/mod.ts");
  // What DCMTK's dcmqrscp -xb proposes for a JPEG Baseline object: the stored syntax first.
  const offered = [Uid.JPEGBaseline8Bit, Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian];
  for (
    const [proposerOrder, expected] of [[true, Uid.JPEGBaseline8Bit], [
      false,
      Uid.ExplicitVRLittleEndian,
    ]] as const
  ) {
    await using scp = new StorageScp({
      hostname: "127.0.0.1",
      port: 0,
      handleObject: () => {},
      proposerOrder,
    });
    const association = await connect("127.0.0.1", scp.port, {
      callingAeTitle: "MOVER",
      calledAeTitle: "STORE",
      presentationContexts: [{ abstractSyntax: Uid.CTImageStorage, transferSyntaxes: offered }],
    });
    try {
      assertEquals(association.acceptedContexts[0]?.transferSyntax, expected);
    } finally {
      await association.release();
    }
  }
});
