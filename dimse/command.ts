/**
 * DIMSE command sets (PS3.7 §6.3, §9.3, §10.3, Annex E): the command fields
 * of every DIMSE-C and DIMSE-N message, encoded in Implicit VR Little Endian
 * with the Command Group Length first.
 *
 * @module
 */
import { DicomError } from "../errors.ts";
import { paddingByte, UNDEFINED_LENGTH, type Vr } from "../dataset/mod.ts";
// The value codecs of the data set layer: one set of padding and trimming rules (PS3.5 §6.2).
import { decodeAscii, decodeNumbers, encodeNumbers, splitText } from "../dataset/mod.ts";
import { formatTag, Tag } from "../dictionary/mod.ts";
import type {
  Command,
  CommandFieldName,
  CommandOf,
  PartialCommand,
  RequestType,
} from "./command_sets.ts";

/** Command Field (0000,0100) values (PS3.7 Annex E, Table E.1-1). */
export const COMMAND_FIELD = {
  "C-STORE-RQ": 0x0001,
  "C-STORE-RSP": 0x8001,
  "C-GET-RQ": 0x0010,
  "C-GET-RSP": 0x8010,
  "C-FIND-RQ": 0x0020,
  "C-FIND-RSP": 0x8020,
  "C-MOVE-RQ": 0x0021,
  "C-MOVE-RSP": 0x8021,
  "C-ECHO-RQ": 0x0030,
  "C-ECHO-RSP": 0x8030,
  "N-EVENT-REPORT-RQ": 0x0100,
  "N-EVENT-REPORT-RSP": 0x8100,
  "N-GET-RQ": 0x0110,
  "N-GET-RSP": 0x8110,
  "N-SET-RQ": 0x0120,
  "N-SET-RSP": 0x8120,
  "N-ACTION-RQ": 0x0130,
  "N-ACTION-RSP": 0x8130,
  "N-CREATE-RQ": 0x0140,
  "N-CREATE-RSP": 0x8140,
  "N-DELETE-RQ": 0x0150,
  "N-DELETE-RSP": 0x8150,
  "C-CANCEL-RQ": 0x0fff,
} as const;

/** The name of a DIMSE message, e.g. `"C-STORE-RQ"`. */
export type CommandType = keyof typeof COMMAND_FIELD;

const TYPE_BY_FIELD = new Map<number, CommandType>(
  Object.entries(COMMAND_FIELD).map(([k, v]) => [v, k as CommandType]),
);

/** Priority (0000,0700) values (PS3.7 §9.1.1.1.6). */
export const PRIORITY = { MEDIUM: 0x0000, HIGH: 0x0001, LOW: 0x0002 } as const;

/** Command Data Set Type (0000,0800) meaning "no data set" (PS3.7 §E.1). */
export const NO_DATASET = 0x0101;

/**
 * The Command Data Set Type we write when a data set follows: PS3.7 §E.1
 * allows any value but 0101H; 0001H is what DCMTK writes.
 */
export const DATASET_PRESENT = 0x0001;

/** Tag and VR of each command field (PS3.7 Annex E, Table E.1-1). */
export const COMMAND_ELEMENTS: { readonly [K in CommandFieldName]: readonly [number, Vr] } = {
  affectedSopClassUid: [Tag.AffectedSOPClassUID, "UI"],
  requestedSopClassUid: [Tag.RequestedSOPClassUID, "UI"],
  messageId: [Tag.MessageID, "US"],
  messageIdBeingRespondedTo: [Tag.MessageIDBeingRespondedTo, "US"],
  moveDestination: [Tag.MoveDestination, "AE"],
  priority: [Tag.Priority, "US"],
  status: [Tag.Status, "US"],
  offendingElements: [Tag.OffendingElement, "AT"],
  errorComment: [Tag.ErrorComment, "LO"],
  errorId: [Tag.ErrorID, "US"],
  affectedSopInstanceUid: [Tag.AffectedSOPInstanceUID, "UI"],
  requestedSopInstanceUid: [Tag.RequestedSOPInstanceUID, "UI"],
  eventTypeId: [Tag.EventTypeID, "US"],
  attributeIdentifierList: [Tag.AttributeIdentifierList, "AT"],
  actionTypeId: [Tag.ActionTypeID, "US"],
  remaining: [Tag.NumberOfRemainingSuboperations, "US"],
  completed: [Tag.NumberOfCompletedSuboperations, "US"],
  failed: [Tag.NumberOfFailedSuboperations, "US"],
  warning: [Tag.NumberOfWarningSuboperations, "US"],
  moveOriginatorAeTitle: [Tag.MoveOriginatorApplicationEntityTitle, "AE"],
  moveOriginatorMessageId: [Tag.MoveOriginatorMessageID, "US"],
};

/** The required properties of a message type's interface, besides `type` and `hasDataset`. */
export type RequiredField<T extends CommandType> = {
  [K in CommandFieldName & keyof CommandOf<T>]-?: undefined extends CommandOf<T>[K] ? never : K;
}[CommandFieldName & keyof CommandOf<T>];

/** What {@linkcode REQUIRED_FIELDS} says of one message type. */
export interface MessageRules<T extends CommandType> {
  /** The fields the message requires (M in its PS3.7 table). */
  readonly fields: readonly RequiredField<T>[];
  /** Whether a data set must (`true`) or must not (`false`) follow; `undefined`: either. */
  readonly dataset?: boolean;
}

const RQ = ["messageId"] as const;
const RSP = ["messageIdBeingRespondedTo", "status"] as const;

const RULES = {
  "C-STORE-RQ": {
    fields: [...RQ, "affectedSopClassUid", "priority", "affectedSopInstanceUid"],
    dataset: true,
  },
  "C-STORE-RSP": { fields: RSP, dataset: false },
  "C-GET-RQ": { fields: [...RQ, "affectedSopClassUid", "priority"], dataset: true },
  "C-GET-RSP": { fields: RSP },
  "C-FIND-RQ": { fields: [...RQ, "affectedSopClassUid", "priority"], dataset: true },
  "C-FIND-RSP": { fields: RSP },
  "C-MOVE-RQ": {
    fields: [...RQ, "affectedSopClassUid", "priority", "moveDestination"],
    dataset: true,
  },
  "C-MOVE-RSP": { fields: RSP },
  "C-ECHO-RQ": { fields: [...RQ, "affectedSopClassUid"], dataset: false },
  "C-ECHO-RSP": { fields: RSP, dataset: false },
  "C-CANCEL-RQ": { fields: ["messageIdBeingRespondedTo"], dataset: false },
  "N-EVENT-REPORT-RQ": {
    fields: [...RQ, "affectedSopClassUid", "affectedSopInstanceUid", "eventTypeId"],
  },
  "N-EVENT-REPORT-RSP": { fields: RSP },
  "N-GET-RQ": {
    fields: [...RQ, "requestedSopClassUid", "requestedSopInstanceUid"],
    dataset: false,
  },
  "N-GET-RSP": { fields: RSP },
  "N-SET-RQ": {
    fields: [...RQ, "requestedSopClassUid", "requestedSopInstanceUid"],
    dataset: true,
  },
  "N-SET-RSP": { fields: RSP },
  "N-ACTION-RQ": {
    fields: [...RQ, "requestedSopClassUid", "requestedSopInstanceUid", "actionTypeId"],
  },
  "N-ACTION-RSP": { fields: RSP },
  "N-CREATE-RQ": { fields: [...RQ, "affectedSopClassUid"] },
  "N-CREATE-RSP": { fields: RSP },
  "N-DELETE-RQ": {
    fields: [...RQ, "requestedSopClassUid", "requestedSopInstanceUid"],
    dataset: false,
  },
  "N-DELETE-RSP": { fields: RSP, dataset: false },
} as const;

// The table lists exactly the required properties of each interface: what
// decodeCommand() checks is what the types promise (a compile-time proof).
type Listed<T extends CommandType> = (typeof RULES)[T]["fields"][number];
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _tableMatchesTypes: { [T in CommandType]: Exact<Listed<T>, RequiredField<T>> } = {
  "C-STORE-RQ": true,
  "C-STORE-RSP": true,
  "C-GET-RQ": true,
  "C-GET-RSP": true,
  "C-FIND-RQ": true,
  "C-FIND-RSP": true,
  "C-MOVE-RQ": true,
  "C-MOVE-RSP": true,
  "C-ECHO-RQ": true,
  "C-ECHO-RSP": true,
  "C-CANCEL-RQ": true,
  "N-EVENT-REPORT-RQ": true,
  "N-EVENT-REPORT-RSP": true,
  "N-GET-RQ": true,
  "N-GET-RSP": true,
  "N-SET-RQ": true,
  "N-SET-RSP": true,
  "N-ACTION-RQ": true,
  "N-ACTION-RSP": true,
  "N-CREATE-RQ": true,
  "N-CREATE-RSP": true,
  "N-DELETE-RQ": true,
  "N-DELETE-RSP": true,
};

/**
 * The fields each message requires (M in PS3.7 §9.3, Tables 9.3-1 to
 * 9.3-13, and §10.3, Tables 10.3-1 to 10.3-12), exactly the required
 * properties of its interface, and whether a data set must (`true`) or must
 * not (`false`) follow; `undefined` means either.
 */
export const REQUIRED_FIELDS: { readonly [T in CommandType]: MessageRules<T> } = RULES;

/** Options of {@linkcode CommandSetError}. */
export interface CommandSetErrorOptions extends ErrorOptions {
  /** What could be read of the command set, so that a response can still be sent. */
  partial?: PartialCommand;
}

/**
 * A command set that cannot be decoded or lacks a required field. `partial`
 * holds what could be read (often the type and Message ID), so that an SCP
 * can answer with a failure status instead of aborting.
 */
export class CommandSetError extends DicomError {
  /** What could be read of the command set. */
  readonly partial: PartialCommand;
  /** Creates the error. */
  constructor(message: string, options: CommandSetErrorOptions = {}) {
    super(message, options);
    this.name = "CommandSetError";
    this.partial = options.partial ?? {};
  }
}

function missing(command: PartialCommand): string[] {
  const rules: { fields: readonly CommandFieldName[]; dataset?: boolean } | undefined = command.type
    ? REQUIRED_FIELDS[command.type]
    : undefined;
  if (!rules) return [];
  const out: string[] = rules.fields.filter((f: CommandFieldName) => command[f] === undefined);
  if (rules.dataset !== undefined && command.hasDataset !== rules.dataset) {
    out.push(rules.dataset ? "a data set" : "no data set");
  }
  return out;
}

function describeMissing(command: PartialCommand, names: string[]): string {
  return `${command.type} lacks ${
    names.map((n) => {
      const el = COMMAND_ELEMENTS[n as CommandFieldName];
      return el ? `${n} ${formatTag(el[0])}` : n;
    }).join(", ")
  }`;
}

/**
 * Encodes a command set in Implicit VR Little Endian with (0000,0000) Command
 * Group Length first (PS3.7 §6.3.1).
 *
 * @example A C-ECHO-RQ
 * ```ts
 * import { Uid } from "@dcm/net/dictionary";
 * import { encodeCommand } from "./mod.ts";
 * const bytes = encodeCommand({
 *   type: "C-ECHO-RQ",
 *   hasDataset: false,
 *   messageId: 1,
 *   affectedSopClassUid: Uid.Verification,
 * });
 * console.log(bytes.length); // 68
 * ```
 *
 * @throws {TypeError} when a field the message type requires is missing.
 */
export function encodeCommand(command: Command): Uint8Array {
  const lacking = missing(command).filter((n) => !n.includes("data set"));
  if (lacking.length > 0) throw new TypeError(`Cannot encode ${describeMissing(command, lacking)}`);
  // Each element is written directly (all are group 0000, Implicit VR LE:
  // tag, 4-byte length, value): sized first, then one allocation.
  // Any field present is written, the ones the type does not list too (a decoded command re-encodes as read).
  const fields: PartialCommand = command;
  // One US value (most fields) and text are written straight into the
  // output; anything else (AT, several values, a number out of range, which
  // then throws) goes through the data set layer's encoder.
  const present: [tag: number, vr: Vr, value: number | string | Uint8Array][] = [];
  let size = 12; // (0000,0000) UL
  for (const [name, tag, vr] of ENCODE_ORDER) {
    const value = name === COMMAND_FIELD_NAME
      ? COMMAND_FIELD[command.type]
      : name === DATASET_TYPE_NAME
      ? (command.hasDataset ? DATASET_PRESENT : NO_DATASET)
      : fields[name];
    if (value === undefined) continue;
    let entry: number | string | Uint8Array;
    let length: number;
    if (vr === "US" || vr === "AT") {
      if (vr === "US" && typeof value === "number" && (value & 0xffff) === value) {
        entry = value;
        length = 2;
      } else {
        entry = encodeNumbers(vr, Array.isArray(value) ? value : [value as number]);
        length = entry.length;
      }
    } else {
      // Command sets have no Specific Character Set: text is the default repertoire.
      entry = String(value);
      length = entry.length + (entry.length & 1);
    }
    present.push([tag, vr, entry]);
    size += 8 + length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const header = (at: number, tag: number, length: number) => {
    view.setUint16(at, tag >>> 16, true);
    view.setUint16(at + 2, tag & 0xffff, true);
    view.setUint32(at + 4, length, true);
  };
  header(0, Tag.CommandGroupLength, 4);
  view.setUint32(8, size - 12, true);
  let at = 12;
  for (const [tag, vr, value] of present) {
    if (typeof value === "number") {
      header(at, tag, 2);
      view.setUint16(at + 8, value, true);
      at += 10;
    } else if (typeof value === "string") {
      const length = value.length + (value.length & 1);
      header(at, tag, length);
      at += 8;
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        out[at + i] = c > 0xff ? 0x3f : c;
      }
      if (length > value.length) out[at + value.length] = paddingByte(vr);
      at += length;
    } else {
      header(at, tag, value.length);
      out.set(value, at + 8);
      at += 8 + value.length;
    }
  }
  return out;
}

const COMMAND_FIELD_NAME = "commandField";
const DATASET_TYPE_NAME = "commandDataSetType";

/** Every element a command set may hold, in tag order (PS3.5 §7.1: ascending). */
const ENCODE_ORDER: readonly (readonly [
  CommandFieldName | typeof COMMAND_FIELD_NAME | typeof DATASET_TYPE_NAME,
  number,
  Vr,
])[] = [
  [COMMAND_FIELD_NAME, Tag.CommandField, "US"] as const,
  [DATASET_TYPE_NAME, Tag.CommandDataSetType, "US"] as const,
  ...Object.entries(COMMAND_ELEMENTS).map(([name, [tag, vr]]) =>
    [name as CommandFieldName, tag, vr] as const
  ),
].sort((a, b) => a[1] - b[1]);

/**
 * Decodes a command set and checks the fields its type requires.
 *
 * @throws {CommandSetError} for malformed bytes, an unknown command field or a missing field.
 */
export function decodeCommand(bytes: Uint8Array): Command {
  // Implicit VR LE elements of group 0000, read directly: tag, 4-byte
  // length, value (PS3.5 §7.1.3); the VR of each field is known.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const partial: { -readonly [K in keyof PartialCommand]: PartialCommand[K] } = {};
  let field: number | undefined;
  let datasetType: number | undefined;
  const malformed = (message: string) =>
    new CommandSetError(`Cannot decode a command set: ${message}`, { partial });
  for (let at = 0; at < bytes.length;) {
    if (bytes.length - at < 8) {
      throw malformed(`an element header at offset ${at} needs 8 bytes, ${bytes.length - at} left`);
    }
    const tag = ((view.getUint16(at, true) << 16) | view.getUint16(at + 2, true)) >>> 0;
    const length = view.getUint32(at + 4, true);
    if (length === UNDEFINED_LENGTH) {
      throw malformed(`element ${formatTag(tag)} at offset ${at} has an undefined length`);
    }
    if (length > bytes.length - at - 8) {
      throw malformed(
        `element ${formatTag(tag)} at offset ${at} has length ${length}, but ${
          bytes.length - at - 8
        } bytes are left`,
      );
    }
    const valueAt = at + 8;
    at = valueAt + length;
    // The first US value, read in place (none in fewer than 2 bytes).
    if (tag === Tag.CommandField) field = length >= 2 ? view.getUint16(valueAt, true) : undefined;
    else if (tag === Tag.CommandDataSetType) {
      datasetType = length >= 2 ? view.getUint16(valueAt, true) : undefined;
    } else {
      const known = FIELD_BY_TAG.get(tag);
      if (known === undefined) continue;
      const [name, vr] = known;
      const out = partial as Record<string, unknown>;
      // First values, as a data set's getters give them (PS3.5 §6.2 trimming).
      const first = vr === "AT"
        ? decodeNumbers(vr, bytes.subarray(valueAt, at))
        : vr === "US"
        ? (length >= 2 ? view.getUint16(valueAt, true) : undefined)
        : firstText(vr, bytes.subarray(valueAt, at));
      if (first !== undefined) out[name] = first;
    }
  }
  const type = field === undefined ? undefined : TYPE_BY_FIELD.get(field);
  if (type !== undefined) partial.type = type;
  partial.hasDataset = datasetType !== NO_DATASET;
  if (type === undefined) {
    throw new CommandSetError(
      field === undefined
        ? "Cannot decode a command set without Command Field (0000,0100)"
        : `Cannot decode a command set: unknown Command Field 0x${
          field.toString(16).padStart(4, "0")
        }`,
      { partial },
    );
  }
  const lacking = missing(partial);
  if (lacking.length > 0) {
    throw new CommandSetError(`Cannot accept a command set: ${describeMissing(partial, lacking)}`, {
      partial,
    });
  }
  // Every field the type requires is there (checked just above against
  // REQUIRED_FIELDS, which lists exactly the required properties of each type).
  return partial as Command;
}

/**
 * The first value of a text element, as `splitText()` gives it. A UI or AE
 * value of one value (no backslash, PS3.5 §6.4) is trimmed and read in
 * place (PS3.5 Table 6.2-1: UI padded with NUL, AE with spaces, leading
 * spaces insignificant in both): the UIDs of every command set.
 */
function firstText(vr: Vr, value: Uint8Array): string | undefined {
  if ((vr !== "UI" && vr !== "AE") || value.length > 256) {
    return splitText(vr, decodeAscii(value))[0];
  }
  let end = value.length;
  while (end > 0 && (value[end - 1] === 0 || value[end - 1] === 0x20)) end--;
  let start = 0;
  while (start < end && value[start] === 0x20) start++;
  let text = "";
  for (let i = start; i < end; i++) {
    const c = value[i]!;
    if (c === 0x5c) return splitText(vr, decodeAscii(value))[0]; // Several values.
    text += String.fromCharCode(c);
  }
  return text.length === 0 ? undefined : text;
}

/** Each field by its tag. */
const FIELD_BY_TAG: ReadonlyMap<number, readonly [CommandFieldName, Vr]> = new Map(
  Object.entries(COMMAND_ELEMENTS).map((
    [name, [tag, vr]],
  ) => [tag, [name as CommandFieldName, vr]]),
);

/** Reports whether a command type is a request (its Command Field has bit 15 clear). */
export function isRequest(type: CommandType): type is RequestType | "C-CANCEL-RQ" {
  return (COMMAND_FIELD[type] & 0x8000) === 0;
}
