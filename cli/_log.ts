// `-v` and `-d`: the association layer's notification events as lines on
// stderr, with the prefixes DCMTK and pynetdicom use ("I: ", "D: ").
import {
  AssociationAbortedError,
  AssociationEvent,
  type AssociationEventType,
  AssociationRejectedError,
} from "../association/mod.ts";
import { formatTag, lookupElement, uidName } from "../dictionary/mod.ts";
import { type Command, COMMAND_ELEMENTS, decodeCommand, describeStatus } from "../dimse/mod.ts";
import {
  type AssociateAcPdu,
  type AssociateRqPdu,
  describeAbort,
  describePresentationContextResult,
  describeReject,
  type PDataTfPdu,
  type Pdu,
  type UserInformationBase,
} from "../pdu/mod.ts";

/** How much `-v`/`-d` asked for. */
export type LogLevel = "quiet" | "verbose" | "debug";

const TYPES: readonly AssociationEventType[] = [
  "pdu-sent",
  "pdu-received",
  "rejected",
  "released",
  "aborted",
];

/**
 * An `EventTarget` to pass as the `events` option of SCUs and SCPs, with a
 * listener that writes the events `level` asks for; `undefined` when quiet.
 */
export function associationEvents(
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
): EventTarget | undefined {
  if (level === "quiet") return undefined;
  const target = new EventTarget();
  const log = new AssociationLog(level === "debug", write);
  for (const type of TYPES) {
    target.addEventListener(type, (e) => {
      if (e instanceof AssociationEvent) log.on(e);
    });
  }
  return target;
}

/** A UID's registered name, or the UID. */
function named(uid: string): string {
  return uidName(uid) || uid;
}

/** A UID and its registered name, if any: `1.2.840.10008.1.1 (Verification SOP Class)`. */
function described(uid: string): string {
  const name = uidName(uid);
  return name && name !== uid ? `${uid} (${name})` : uid;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The state the log keeps between events: requests awaiting answers, command fragments. */
class AssociationLog {
  readonly #debug: boolean;
  readonly #write: (line: string) => void;
  /**
   * A-ASSOCIATE-RQs not yet answered, by peer, to name the abstract syntax
   * of each context of the answer (which gives only context IDs).
   */
  readonly #requests = new Map<string, AssociateRqPdu[]>();
  /** Command fragments of messages in progress, by peer, direction and context. */
  readonly #fragments = new Map<string, Uint8Array[]>();

  constructor(debug: boolean, write: (line: string) => void) {
    this.#debug = debug;
    this.#write = write;
  }

  #info(line: string): void {
    this.#write(`I: ${line}`);
  }

  on(event: AssociationEvent): void {
    const peer = event.peer;
    const who = `association with ${peer}`;
    const pdu = event.pdu;
    if (pdu !== undefined) {
      const sent = event.type === "pdu-sent";
      if (this.#debug) {
        this.#write(`D: ${sent ? "->" : "<-"} ${pdu.type} ${sent ? "to" : "from"} ${peer}`);
        for (const line of pduLines(pdu)) this.#write(`D:      ${line}`);
        if (pdu.type === "P-DATA-TF") this.#commands(pdu, `${peer} ${event.type}`);
      }
      if (pdu.type === "A-ASSOCIATE-RQ") {
        const pending = this.#requests.get(peer) ?? [];
        pending.push(pdu);
        this.#requests.set(peer, pending);
        this.#info(
          `${who} requested: ${pdu.callingAeTitle} -> ${pdu.calledAeTitle}, ${
            plural(pdu.presentationContexts.length, "presentation context")
          }`,
        );
      } else if (pdu.type === "A-ASSOCIATE-AC") {
        const request = this.#answered(peer, pdu);
        this.#info(`${who} accepted`);
        for (const c of pdu.presentationContexts) {
          const proposed = request?.presentationContexts.find((p) => p.id === c.id);
          const syntaxes = [
            proposed ? named(proposed.abstractSyntax) : "(not proposed)",
            ...(c.result === 0 && c.transferSyntax ? [named(c.transferSyntax)] : []),
          ];
          this.#info(
            `  context ${c.id}: ${syntaxes.join(", ")}: ${
              describePresentationContextResult(c.result)
            }`,
          );
        }
      } else if (pdu.type === "A-ASSOCIATE-RJ") this.#answered(peer, undefined);
      return;
    }
    switch (event.type) {
      case "released":
        this.#info(`${who} released`);
        break;
      case "rejected": {
        const e = event.error;
        this.#info(
          `${who} rejected: ${
            e instanceof AssociationRejectedError ? describeReject(e) : e?.message
          }`,
        );
        break;
      }
      case "aborted": {
        this.#answered(peer, undefined);
        const e = event.error;
        const cause = e?.cause instanceof Error ? ` (${e.cause.message})` : "";
        // A-ABORT from the peer: its source and reason; else who ended it and why.
        this.#info(
          e instanceof AssociationAbortedError && e.origin === "peer"
            ? `${who} ${describeAbort(e)}`
            : `${who} aborted (${
              e instanceof AssociationAbortedError ? e.origin : "provider"
            }): ${e?.message}${cause}`,
        );
        break;
      }
    }
  }

  /** Takes the oldest pending request of `peer` that `ac` answers (all of them if absent). */
  #answered(peer: string, ac: AssociateAcPdu | undefined): AssociateRqPdu | undefined {
    const pending = this.#requests.get(peer) ?? [];
    const ids = (pdus: readonly { id: number }[]) => pdus.map((c) => c.id).join(" ");
    const i = ac === undefined ? 0 : Math.max(
      0,
      pending.findIndex((rq) => ids(rq.presentationContexts) === ids(ac.presentationContexts)),
    );
    const [request] = pending.splice(i, 1);
    if (pending.length === 0) this.#requests.delete(peer);
    return request;
  }

  /** Decodes and prints each command set a P-DATA-TF completes. */
  #commands(pdu: PDataTfPdu, direction: string): void {
    for (const pdv of pdu.values) {
      if (!pdv.isCommand) continue;
      const key = `${direction} ${pdv.presentationContextId}`;
      const parts = this.#fragments.get(key) ?? [];
      parts.push(pdv.data.slice());
      if (!pdv.isLastFragment) {
        this.#fragments.set(key, parts);
        continue;
      }
      this.#fragments.delete(key);
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) bytes.set(p, (at += p.length) - p.length);
      try {
        for (const line of commandLines(decodeCommand(bytes))) this.#write(`D:      ${line}`);
      } catch (e) {
        this.#write(`D:      command set: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
}

/** The fields of a command set, one a line, with the dictionary's names. */
export function commandLines(command: Command): string[] {
  const lines = [`${command.type}${command.hasDataset ? ", with a data set" : ", no data set"}`];
  const fields = Object.entries(COMMAND_ELEMENTS).sort((a, b) => a[1][0] - b[1][0]);
  for (const [field, [tag, vr]] of fields) {
    // Every field of every command type, in tag order: most are absent from this one.
    const value: unknown = Reflect.get(command, field);
    if (value === undefined) continue;
    const name = lookupElement(tag)?.name ?? field;
    const text = field === "status"
      ? describeStatus(value as number)
      : vr === "UI"
      ? described(String(value))
      : vr === "AT"
      ? (value as readonly number[]).map(formatTag).join(" ")
      : String(value);
    lines.push(`  ${formatTag(tag)} ${name}: ${text}`);
  }
  return lines;
}

/** The fields of a PDU, one a line, UIDs with their names (for `-d`). */
export function pduLines(pdu: Pdu): string[] {
  switch (pdu.type) {
    case "A-ASSOCIATE-RQ":
      return [
        `Called AE title: ${pdu.calledAeTitle}`,
        `Calling AE title: ${pdu.callingAeTitle}`,
        `Application context: ${described(pdu.applicationContext)}`,
        ...pdu.presentationContexts.flatMap((c) => [
          `Presentation context ${c.id}: ${described(c.abstractSyntax)}`,
          ...c.transferSyntaxes.map((ts) => `  transfer syntax: ${described(ts)}`),
        ]),
        ...userInformationLines(pdu.userInformation),
        ...(pdu.userInformation.sopClassCommonExtendedNegotiations ?? []).map((n) =>
          `SOP class common extended negotiation: ${described(n.sopClassUid)}, service class ${
            described(n.serviceClassUid)
          }`
        ),
        ...(pdu.userInformation.userIdentity
          ? [
            `User identity: type ${pdu.userInformation.userIdentity.identityType}${
              pdu.userInformation.userIdentity.positiveResponseRequested
                ? ", positive response requested"
                : ""
            }`,
          ]
          : []),
      ];
    case "A-ASSOCIATE-AC":
      return [
        `Called AE title: ${pdu.calledAeTitle}`,
        `Calling AE title: ${pdu.callingAeTitle}`,
        `Application context: ${described(pdu.applicationContext)}`,
        ...pdu.presentationContexts.map((c) =>
          `Presentation context ${c.id}: ${describePresentationContextResult(c.result)}${
            c.result === 0 && c.transferSyntax ? `, ${described(c.transferSyntax)}` : ""
          }`
        ),
        ...userInformationLines(pdu.userInformation),
        ...(pdu.userInformation.userIdentity
          ? [`User identity: ${pdu.userInformation.userIdentity.serverResponse.length} bytes`]
          : []),
      ];
    case "A-ASSOCIATE-RJ":
      return [describeReject(pdu)];
    case "A-ABORT":
      return [describeAbort(pdu)];
    case "P-DATA-TF":
      return pdu.values.map((v) =>
        `PDV context ${v.presentationContextId}: ${v.isCommand ? "command" : "data set"}, ${
          v.isLastFragment ? "last" : "more"
        } fragment, ${plural(v.data.length, "byte")}`
      );
    case "A-RELEASE-RQ":
    case "A-RELEASE-RP":
      return [];
  }
}

function userInformationLines(info: UserInformationBase): string[] {
  const window = info.asynchronousOperationsWindow;
  return [
    `Maximum Length: ${info.maxPduLength ?? "(none)"}`,
    `Implementation Class UID: ${info.implementationClassUid ?? "(none)"}`,
    `Implementation Version Name: ${info.implementationVersionName ?? "(none)"}`,
    ...(window
      ? [
        `Asynchronous operations window: ${window.maxOperationsInvoked} invoked, ${window.maxOperationsPerformed} performed`,
      ]
      : []),
    ...(info.roleSelections ?? []).map((r) =>
      `Role selection: ${described(r.sopClassUid)}: SCU ${r.scuRole ? "yes" : "no"}, SCP ${
        r.scpRole ? "yes" : "no"
      }`
    ),
    ...(info.sopClassExtendedNegotiations ?? []).map((n) =>
      `SOP class extended negotiation: ${described(n.sopClassUid)}: ${
        plural(n.serviceClassApplicationInformation.length, "byte")
      }`
    ),
    ...(info.unknownSubItems ?? []).map((u) =>
      `Unknown sub-item type ${u.type}: ${plural(u.bytes.length, "byte")}`
    ),
  ];
}
