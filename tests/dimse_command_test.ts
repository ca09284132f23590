// DIMSE command sets (PS3.7 §9.3, Annex E), checked against DCMTK's own bytes.
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { decodePdu, type PDataTfPdu } from "../pdu/mod.ts";
import { Dataset, decodeDataset, encodeDataset } from "../dataset/mod.ts";
import {
  type Command,
  COMMAND_ELEMENTS,
  COMMAND_FIELD,
  CommandSetError,
  decodeCommand,
  describeStatus,
  DimseStatusError,
  encodeCommand,
  fragmentBytes,
  fragmentStream,
  isRequest,
  REQUIRED_FIELDS,
  RESPONSE_TYPE,
  statusCategory,
} from "../dimse/mod.ts";

const FIXTURES = new URL("./fixtures/pdu/", import.meta.url).pathname;

async function pdvs(path: string) {
  const r = decodePdu(await Deno.readFile(FIXTURES + path));
  assert(r.complete);
  return (r.pdu as PDataTfPdu).values;
}

Deno.test("decodeCommand() reads echoscu's C-ECHO-RQ and encodeCommand() writes the same bytes", async () => {
  const [pdv] = await pdvs("echoscu/scu_02_p-data-tf.bin");
  assert(pdv?.isCommand && pdv.isLastFragment);
  const command = decodeCommand(pdv.data);
  assertEquals(command.type, "C-ECHO-RQ");
  assertEquals(command.affectedSopClassUid, "1.2.840.10008.1.1");
  assertEquals(command.hasDataset, false);
  assertEquals(encodeCommand(command), pdv.data);
});

Deno.test("decodeCommand() reads storescp's C-ECHO-RSP with its status", async () => {
  const [pdv] = await pdvs("echoscu/scp_02_p-data-tf.bin");
  const command = decodeCommand(pdv!.data);
  assertEquals(command.type, "C-ECHO-RSP");
  assertEquals(command.status, 0);
  assertEquals(encodeCommand(command), pdv!.data);
});

Deno.test("decodeCommand() reads storescu's C-STORE-RQ and re-encodes it byte for byte", async () => {
  const [pdv] = await pdvs("storescu_user_identity/scu_02_p-data-tf.bin");
  const command = decodeCommand(pdv!.data);
  assertEquals(command.type, "C-STORE-RQ");
  assertEquals(command.hasDataset, true);
  assertEquals(command.affectedSopClassUid, "1.2.840.10008.5.1.4.1.1.4");
  assert(command.affectedSopInstanceUid?.startsWith("1.3.6.1.4.1.5962"));
  assertEquals(command.priority, 0);
  assertEquals(encodeCommand(command), pdv!.data);
});

Deno.test("decodeCommand() names the missing required field and keeps what it read", () => {
  const bytes = encodeCommand({
    type: "C-ECHO-RQ",
    hasDataset: false,
    messageId: 3,
    affectedSopClassUid: "1.2",
  });
  // Drop (0000,0002) by rebuilding without it: a C-STORE-RQ lacking its instance UID.
  const partial: Command = {
    type: "C-FIND-RQ",
    hasDataset: true,
    messageId: 9,
    affectedSopClassUid: "1.2",
    priority: 0,
  };
  const ok = decodeCommand(encodeCommand(partial));
  assert(ok.type === "C-FIND-RQ");
  assertEquals(ok.messageId, 9);
  assertThrows(
    // @ts-expect-error: a C-STORE-RQ requires its SOP class and instance UIDs and its priority
    () => encodeCommand({ type: "C-STORE-RQ", hasDataset: true, messageId: 1 }),
    TypeError,
  );
  try {
    decodeCommand(bytes.subarray(0, bytes.length - 10));
    assert(false, "expected an error");
  } catch (e) {
    assert(e instanceof CommandSetError);
  }
});

Deno.test("decodeCommand() rejects a C-STORE-RQ without Affected SOP Instance UID, with the Message ID", () => {
  // Hand-built command set: (0000,0002) UI, (0000,0100) US 0001, (0000,0110) US 5, (0000,0700) US 0, (0000,0800) US 0.
  const el = (tag: number, value: Uint8Array) => {
    const out = new Uint8Array(8 + value.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, tag >>> 16, true);
    v.setUint16(2, tag & 0xffff, true);
    v.setUint32(4, value.length, true);
    out.set(value, 8);
    return [...out];
  };
  const us = (n: number) => new Uint8Array([n & 0xff, n >> 8]);
  const bytes = new Uint8Array([
    ...el(0x00000002, new TextEncoder().encode("1.2.840.10008.5.1.4.1.1.2\0")),
    ...el(0x00000100, us(1)),
    ...el(0x00000110, us(5)),
    ...el(0x00000700, us(0)),
    ...el(0x00000800, us(0)),
  ]);
  try {
    decodeCommand(bytes);
    assert(false);
  } catch (e) {
    assert(e instanceof CommandSetError);
    assertEquals(e.partial.messageId, 5);
    assertEquals(e.partial.type, "C-STORE-RQ");
    assert(/affectedSopInstanceUid \(0000,1000\)/.test(e.message), e.message);
  }
});

Deno.test("RESPONSE_TYPE answers each request type with its response, whose Command Field sets bit 15", () => {
  assertEquals(RESPONSE_TYPE["C-FIND-RQ"], "C-FIND-RSP");
  const requests = (Object.keys(COMMAND_FIELD) as (keyof typeof COMMAND_FIELD)[])
    .filter((t) => isRequest(t) && t !== "C-CANCEL-RQ");
  assertEquals(Object.keys(RESPONSE_TYPE).sort(), requests.sort());
  for (const [request, response] of Object.entries(RESPONSE_TYPE)) {
    assertEquals(
      COMMAND_FIELD[response],
      COMMAND_FIELD[request as keyof typeof RESPONSE_TYPE] | 0x8000,
      request,
    );
  }
});

Deno.test("decodeCommand() refuses a C-MOVE-RQ without Move Destination and a response without Status", () => {
  const move = {
    type: "C-MOVE-RQ",
    hasDataset: true,
    messageId: 4,
    affectedSopClassUid: "1.2",
    priority: 0,
    moveDestination: "DEST",
  } as const;
  const { moveDestination: _, ...noDestination } = move;
  assertThrows(
    // @ts-expect-error: a C-MOVE-RQ requires its Move Destination
    () => encodeCommand(noDestination),
    { name: "TypeError", message: /moveDestination \(0000,0600\)/ },
  );
  const rsp = {
    type: "C-FIND-RSP",
    hasDataset: false,
    messageIdBeingRespondedTo: 4,
    status: 0,
  } as const;
  for (
    const [command, tag, lacks] of [
      [move, 0x00000600, /moveDestination \(0000,0600\)/],
      [rsp, 0x00000900, /status \(0000,0900\)/],
    ] as const
  ) {
    const bytes = withoutElement(encodeCommand(command), tag);
    try {
      decodeCommand(bytes);
      assert(false, `${command.type} decoded`);
    } catch (e) {
      assert(e instanceof CommandSetError, String(e));
      assert(lacks.test(e.message), e.message);
      assertEquals(e.partial.type, command.type);
    }
  }
});

/** A command set without element `tag`, its group length fixed. */
function withoutElement(bytes: Uint8Array, tag: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 12; at < bytes.length;) {
    const length = view.getUint32(at + 4, true);
    const here = ((view.getUint16(at, true) << 16) | view.getUint16(at + 2, true)) >>> 0;
    if (here === tag) {
      const out = new Uint8Array(bytes.length - 8 - length);
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(at + 8 + length), at);
      new DataView(out.buffer).setUint32(8, out.length - 12, true);
      return out;
    }
    at += 8 + length;
  }
  throw new Error(`no element ${tag.toString(16)}`);
}

Deno.test("statusCategory() follows PS3.7 Annex C", () => {
  assertEquals(statusCategory(0x0000), "success");
  assertEquals(statusCategory(0xff00), "pending");
  assertEquals(statusCategory(0xff01), "pending");
  assertEquals(statusCategory(0xfe00), "cancel");
  assertEquals(statusCategory(0xb000), "warning");
  assertEquals(statusCategory(0x0001), "warning");
  assertEquals(statusCategory(0xa801), "failure");
  assertEquals(statusCategory(0xc123), "failure");
  assertEquals(describeStatus(0xa801), "Refused: move destination unknown (A801)");
  assertEquals(describeStatus(0xa7ff), "Refused: out of resources (A7FF)");
  assertEquals(
    new DimseStatusError("C-FIND", 0xc001, { errorComment: "bad key" }).message,
    "C-FIND failed: Error: cannot understand / unable to process (C001): bad key",
  );
});

Deno.test("fragmentBytes() splits under the limit with the last flag only on the last fragment", () => {
  const f = [...fragmentBytes(new Uint8Array(9), 3, false, 4)];
  assertEquals(f.map((p) => [p.data.length, p.isLastFragment, p.presentationContextId]), [
    [4, false, 3],
    [4, false, 3],
    [1, true, 3],
  ]);
  assertEquals([...fragmentBytes(new Uint8Array(0), 1, false, 4)].length, 1);
});

Deno.test("fragmentStream() re-chunks any chunking into exact fragments and flags the last", async () => {
  for (const chunk of [1, 3, 4, 5, 100]) {
    const data = new Uint8Array(17).map((_, i) => i);
    let pos = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pos >= data.length) return c.close();
        c.enqueue(data.slice(pos, pos + chunk));
        pos += chunk;
      },
    });
    const out = [];
    for await (const pdv of fragmentStream(stream, 1, 4)) out.push(pdv);
    assertEquals(out.map((p) => p.data.length), [4, 4, 4, 4, 1], `chunk ${chunk}`);
    assertEquals(out.map((p) => p.isLastFragment), [false, false, false, false, true]);
    assertEquals(new Uint8Array(out.flatMap((p) => [...p.data])), data);
  }
  const empty = [];
  for await (const pdv of fragmentStream(new ReadableStream({ start: (c) => c.close() }), 1, 4)) {
    empty.push(pdv);
  }
  assertEquals(empty.map((p) => [p.data.length, p.isLastFragment]), [[0, true]]);
});

/**
 * The command set a general-purpose Implicit VR LE encoder writes: every
 * field as a data element in tag order, (0000,0000) first (PS3.7 §6.3.1).
 */
function referenceEncoding(command: Command): Uint8Array {
  const ds = new Dataset()
    .set(0x00000100, COMMAND_FIELD[command.type], "US")
    .set(0x00000800, command.hasDataset ? 0x0001 : 0x0101, "US");
  for (const [name, [tag, vr]] of Object.entries(COMMAND_ELEMENTS)) {
    const value = (command as unknown as Record<string, unknown>)[name];
    if (value === undefined) continue;
    ds.set(tag, Array.isArray(value) ? [...value] : value as string | number, vr);
  }
  const body = encodeDataset(ds, { transferSyntax: "1.2.840.10008.1.2" });
  const group = new Dataset().set(0x00000000, body.length, "UL");
  const head = encodeDataset(group, { transferSyntax: "1.2.840.10008.1.2" });
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

Deno.test("encodeCommand() writes what a general Implicit VR LE encoder writes, for every field and odd and even lengths", () => {
  const commands: Command[] = [
    {
      type: "C-ECHO-RQ",
      hasDataset: false,
      messageId: 1,
      affectedSopClassUid: "1.2.840.10008.1.1",
    },
    {
      type: "C-STORE-RQ",
      hasDataset: true,
      messageId: 65535,
      affectedSopClassUid: "1.2.840.10008.5.1.4.1.1.2",
      affectedSopInstanceUid: "1.2.3.44",
      priority: 2,
      moveOriginatorAeTitle: "MOVER",
      moveOriginatorMessageId: 7,
    },
    {
      type: "C-MOVE-RSP",
      hasDataset: true,
      messageIdBeingRespondedTo: 3,
      affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.2",
      status: 0xb000,
      remaining: 0,
      completed: 10,
      failed: 2,
      warning: 1,
      errorComment: "odd",
      offendingElements: [0x00100010, 0x00080018],
    },
    {
      type: "C-MOVE-RQ",
      hasDataset: true,
      messageId: 2,
      affectedSopClassUid: "1.2",
      priority: 0,
      moveDestination: "DEST",
    },
    {
      type: "N-ACTION-RQ",
      hasDataset: true,
      messageId: 9,
      requestedSopClassUid: "1.2.840.10008.1.20.1",
      requestedSopInstanceUid: "1.2.840.10008.1.20.1.1",
      actionTypeId: 1,
    },
    {
      type: "N-GET-RSP",
      hasDataset: false,
      messageIdBeingRespondedTo: 4,
      status: 0x0107,
      errorId: 5,
      attributeIdentifierList: [0x00100020],
      affectedSopInstanceUid: "1.23",
    },
    {
      type: "N-EVENT-REPORT-RSP",
      hasDataset: false,
      messageIdBeingRespondedTo: 5,
      status: 0x0113,
      eventTypeId: 2,
      affectedSopClassUid: "1.2.840.10008.1.20.1",
    },
    { type: "C-CANCEL-RQ", hasDataset: false, messageIdBeingRespondedTo: 12 },
  ];
  for (const command of commands) {
    assertEquals(encodeCommand(command), referenceEncoding(command), command.type);
    assertEquals(decodeCommand(encodeCommand(command)), command);
  }
});

Deno.test("encodeCommand() refuses a US field out of range with a RangeError naming it", () => {
  for (const messageId of [65536, -1, 1.5]) {
    assertThrows(
      () =>
        encodeCommand({
          type: "C-ECHO-RQ",
          hasDataset: false,
          messageId,
          affectedSopClassUid: "1.2",
        }),
      RangeError,
    );
  }
});

/**
 * How a general Implicit VR LE decoder reads a command set: the data set's
 * elements by the dictionary's VRs, first values, trimmed (PS3.5 §6.2).
 * `undefined` when it cannot be decoded, or only leniently (a warning: it
 * reads an element that overruns the input to the end, as DCMTK does with
 * files, where a command set decoder refuses it).
 */
function referenceDecoding(bytes: Uint8Array): Partial<Command> | undefined {
  let ds: Dataset;
  let lenient = false;
  try {
    ds = decodeDataset(bytes, {
      transferSyntax: "1.2.840.10008.1.2",
      onWarning: () => lenient = true,
    });
  } catch {
    return undefined;
  }
  if (lenient) return undefined;
  const out: Record<string, unknown> = {};
  const field = ds.number(0x00000100);
  const type = Object.entries(COMMAND_FIELD).find(([, v]) => v === field)?.[0];
  if (type !== undefined) out["type"] = type;
  out["hasDataset"] = ds.number(0x00000800) !== 0x0101;
  for (const [name, [tag, vr]] of Object.entries(COMMAND_ELEMENTS)) {
    if (!ds.has(tag)) continue;
    if (vr === "AT") out[name] = ds.numbers(tag);
    else if (vr === "US") {
      const n = ds.number(tag);
      if (n !== undefined) out[name] = n;
    } else {
      const s = ds.string(tag);
      if (s !== undefined) out[name] = s;
    }
  }
  return out as Partial<Command>;
}

Deno.test("decodeCommand() reads what a general decoder reads from 2000 mutated command sets, and fails with CommandSetError where it fails", () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; // integer product: all 32 bits kept
    return Math.floor(seed / 2 ** 32 * n); // the high bits: an LCG's low bits repeat quickly
  };
  const types = Object.keys(COMMAND_FIELD) as Command["type"][];
  let compared = 0;
  let intactDecoded = 0;
  const text = (n: number) =>
    Array.from({ length: n }, () => " 1.2A\\\u00e9\0"[random(8)]).join("");
  for (let i = 0; i < 2000; i++) {
    const type = types[random(types.length)]!;
    const command: Record<string, unknown> = {
      type,
      hasDataset: REQUIRED_FIELDS[type].dataset ?? random(2) === 0,
    };
    for (const [name, [, vr]] of Object.entries(COMMAND_ELEMENTS)) {
      // Required fields always, others one time in two.
      const required = REQUIRED_FIELDS[command["type"] as Command["type"]]
        .fields as readonly string[];
      if (!required.includes(name) && random(2) === 0) continue;
      command[name] = vr === "US"
        ? random(65536)
        : vr === "AT"
        ? Array.from({ length: random(3) }, () => random(0xffffffff))
        : required.includes(name)
        ? `1.${random(1000)}` // a value the field can hold
        : text(random(9)); // padding, backslashes, Latin-1, nothing
    }
    let bytes = encodeCommand(command as unknown as Command);
    const intact = random(4) !== 0;
    if (!intact) {
      bytes = bytes.slice(0, random(2) === 0 ? random(bytes.length + 1) : bytes.length);
      for (let flips = 1 + random(3); flips > 0; flips--) bytes[random(bytes.length)] = random(256);
    }
    const expected = referenceDecoding(bytes);
    let got: Partial<Command>;
    try {
      got = decodeCommand(bytes);
    } catch (e) {
      assert(e instanceof CommandSetError, String(e));
      // Where the general decoder reads it, the failure is a missing or unknown field.
      if (expected !== undefined) assertEquals(e.partial, expected, e.message);
      continue;
    }
    assertEquals(got, expected);
    compared++;
    if (intact) intactDecoded++;
  }
  assert(compared > 1000, `only ${compared} command sets decoded`);
  assert(intactDecoded > 1000, `only ${intactDecoded} intact command sets decoded`);
});
