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
