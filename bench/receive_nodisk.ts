/**
 * The receive path with no disk at all (issue 13): DCMTK `storescu` sending
 * N small files to our `StorageScp`, whose `handleObject` reads each data
 * set and discards it, and to DCMTK's `storescp --ignore`, in the same run,
 * each round in a different order, medians of the rounds. What is left is
 * the cost of the connection, association and DIMSE layers per object.
 *
 * With `BASELINE=<folder of another checkout>`, that checkout's
 * `StorageScp` runs as a third side in the same rounds. With `LAYERS=true`,
 * two more sides split the cost by layer: `association` (our association
 * layer alone: `receivePData()` and a C-STORE-RSP written as each data set's
 * last fragment arrives) and `channel` (the association and a
 * `DimseChannel` whose C-STORE handler reads the data set and answers; no
 * `service/`).
 *
 * Run: `[BASELINE=dir] [LAYERS=true] deno run -A bench/receive_nodisk.ts [N] [rounds] [size]`
 * (size in pixels per side, 16 by default: 1.4 KB objects).
 *
 * @module
 */
import { type IncomingObject, StorageScp } from "../scp/mod.ts";
import { serveAssociations } from "../association/mod.ts";
import { type Command, decodeCommand, DimseChannel, encodeCommand, STATUS } from "../dimse/mod.ts";
import { STORAGE_SOP_CLASSES, Uid } from "../dictionary/mod.ts";
import { alternateSides, dcmtk, median, printRatios, ratioPairs, type Side } from "./_compare.ts";
import { DcmtkServer } from "../tests/_storage_corpus.ts";
import { makeFiles } from "./_files.ts";

const n = Number(Deno.args[0] ?? 1000);
const rounds = Number(Deno.args[1] ?? 7);
const size = Number(Deno.args[2] ?? 16);
const baselineDir = Deno.env.get("BASELINE");
const layers = Deno.env.get("LAYERS") === "true";
const Baseline: typeof StorageScp | undefined = baselineDir === undefined
  ? undefined
  : (await import(`file://${await Deno.realPath(baselineDir)}/scp/mod.ts`)).StorageScp;

/** Reads the data set to its end and drops it. */
async function discard(object: IncomingObject): Promise<void> {
  const reader = object.dataset.getReader();
  while (!(await reader.read()).done);
}

/** What the layer sides accept: every storage SOP class, in the usual uncompressed syntaxes. */
const SUPPORTED = {
  supportedAbstractSyntaxes: STORAGE_SOP_CLASSES.map((abstractSyntax) => ({
    abstractSyntax,
    transferSyntaxes: [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian],
  })),
};

/** The association layer alone: a C-STORE-RSP per C-STORE-RQ once its data set has come. */
function associationOnly(): { port: number } & AsyncDisposable {
  const server = serveAssociations({ hostname: "127.0.0.1", port: 0 }, async (association) => {
    const ended = Promise.withResolvers<void>();
    let command: Command | undefined;
    association.receivePData({
      pData: (pdu) => {
        for (const pdv of pdu.values) {
          if (pdv.isCommand) command = decodeCommand(pdv.data);
          else if (pdv.isLastFragment && command?.type === "C-STORE-RQ") {
            const data = encodeCommand({
              type: "C-STORE-RSP",
              hasDataset: false,
              messageIdBeingRespondedTo: command.messageId,
              status: STATUS.SUCCESS,
              affectedSopClassUid: command.affectedSopClassUid,
              affectedSopInstanceUid: command.affectedSopInstanceUid,
            });
            const id = pdv.presentationContextId;
            association.sendPData([
              { presentationContextId: id, isCommand: true, isLastFragment: true, data },
            ]).catch(() => {});
          }
        }
        return undefined;
      },
      end: () => ended.resolve(),
    });
    await ended.promise;
  }, SUPPORTED);
  return { port: server.addr.port, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** The association and a DimseChannel, whose C-STORE handler reads the data set and answers. */
function channelOnly(): { port: number } & AsyncDisposable {
  const server = serveAssociations({ hostname: "127.0.0.1", port: 0 }, async (association) => {
    const channel = new DimseChannel(association, {
      handlers: {
        "C-STORE-RQ": async (request, context) => {
          const reader = request.dataset!.getReader();
          while (!(await reader.read()).done);
          await context.respond({ status: STATUS.SUCCESS });
        },
      },
    });
    await channel.closed;
  }, SUPPORTED);
  return { port: server.addr.port, [Symbol.asyncDispose]: () => server.shutdown() };
}

const root = await Deno.makeTempDir({ prefix: "bench-receive-nodisk-" });
try {
  const { files, bytes } = await makeFiles(root, n, size);
  console.log(`${files.length} files of ${Math.round(bytes / files.length)} bytes, no disk`);
  const send = (port: number) => dcmtk("storescu", ["-R", "127.0.0.1", String(port), ...files]);
  const storescp = async () => {
    await using server = await DcmtkServer.start("storescp", (p) => ["--ignore", String(p)]);
    return await send(server.port);
  };
  const scp = (Scp: typeof StorageScp) => async () => {
    await using server = new Scp({ hostname: "127.0.0.1", port: 0, handleObject: discard });
    return await send(server.port);
  };
  const sides: Side[] = [
    ["storescp", storescp],
    ["ours", scp(StorageScp)],
    ...Baseline ? [["baseline", scp(Baseline)] as Side] : [],
    ...layers
      ? [
        ["association", async () => {
          await using server = associationOnly();
          return await send(server.port);
        }] as Side,
        ["channel", async () => {
          await using server = channelOnly();
          return await send(server.port);
        }] as Side,
      ]
      : [],
  ];
  const { values: ms, ratios } = await alternateSides(sides, rounds, [
    ...ratioPairs("ours", "storescp", Baseline ? "baseline" : undefined),
    ...layers
      ? [["association / storescp", "association", "storescp"], [
        "channel / storescp",
        "channel",
        "storescp",
      ]] as const
      : [],
  ]);
  const perObject = [...ms].map(([side, v]) => `${side} ${(median(v) / n).toFixed(3)}`);
  console.log(`  ms/object ${perObject.join(", ")}`);
  printRatios(ratios, "    ", 24);
} finally {
  await Deno.remove(root, { recursive: true });
}
