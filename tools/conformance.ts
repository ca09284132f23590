/**
 * Writes `CONFORMANCE.md`, the DICOM Conformance Statement (PS3.2) of
 * `@dcm/net`, from the tables the code negotiates with: each SCP that
 * `scp/mod.ts` exports is started (127.0.0.1, port 0) and asked for the
 * abstract syntaxes, transfer syntaxes, roles, requests and extended
 * negotiation of its `ServiceProvider`; the SCUs' proposals, the defaults,
 * the character sets and the objects `encapsulation/` creates come from the
 * constants their modules export. Nothing here lists a SOP class or a
 * transfer syntax by hand, so a service added to a provider appears at the
 * next `deno task conformance`; CI fails when the committed file differs.
 *
 * ```sh
 * deno task conformance          # writes CONFORMANCE.md
 * deno task conformance --check  # exit 1 if CONFORMANCE.md is not what it would write
 * ```
 *
 * @module
 */
import { Archive } from "../archive/mod.ts";
import {
  DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW,
  DEFAULT_MAX_PDU_LENGTH,
  DEFAULT_TIMEOUT,
  type SupportedAbstractSyntax,
} from "../association/mod.ts";
import { QUERY_MODELS, SUPPORTED_CHARACTER_SET_TERMS } from "../dataset/mod.ts";
import {
  RETIRED_STORAGE_SOP_CLASSES,
  STORAGE_SOP_CLASSES,
  Uid,
  uidName,
} from "../dictionary/mod.ts";
import {
  DEFAULT_DIMSE_TIMEOUT,
  DEFAULT_MAX_QUEUED_REQUESTS,
  DEFAULT_MAX_RESPONSE_DATASET_LENGTH,
} from "../dimse/mod.ts";
import { DOCUMENT_TYPES, IMAGE_SOP_CLASSES } from "../encapsulation/mod.ts";
import { MAX_PRESENTATION_CONTEXTS } from "../pdu/mod.ts";
import * as scp from "../scp/mod.ts";
import { COMMON_STORAGE_SOP_CLASSES } from "../scu/mod.ts";
import { LIKELY_STORED_SYNTAXES, STORAGE_CONTEXTS_PER_ASSOCIATION } from "../scu/_retrieve_plan.ts";
import {
  DEFAULT_MAX_IDENTIFIER_LENGTH,
  DEFAULT_PBKDF2_ITERATIONS,
  PROPOSED_TRANSFER_SYNTAXES,
  SCU_DEFAULTS,
  SERVICE_PROVIDER_DEFAULTS,
  ServiceProvider,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from "../service/mod.ts";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, VERSION } from "../version.ts";

/** Where the statement is written. */
export const CONFORMANCE_PATH: URL = new URL("../CONFORMANCE.md", import.meta.url);

/** What a shipped SCP is, as the statement describes it. */
export interface ScpEntity {
  /** The class name, e.g. `StorageScp`. */
  readonly name: string;
  /** One line on what it does. */
  readonly summary: string;
  /** Its negotiation table, Verification first. */
  readonly contexts: readonly SupportedAbstractSyntax[];
  /** The DIMSE requests it answers. */
  readonly requestTypes: readonly string[];
  /** Whether it answers SOP Class Extended Negotiation. */
  readonly extendedNegotiation: boolean;
}

/**
 * How to start each SCP `scp/mod.ts` exports with its defaults, what the
 * statement says it is for. An SCP exported without an entry here stops the
 * generator, so that none is left out of the statement.
 */
const SCP_RECIPES: Readonly<
  Record<string, {
    summary: string;
    options: (directory: string, archive: Archive) => Record<string, unknown>;
  }>
> = {
  StorageScp: {
    summary:
      "Storage SCP (PS3.4 Annex B): receives objects by C-STORE and writes each to a file, answering success once it is on disk (`dcm storescp`). With its `commitment` option (`--commit`), also the Storage Commitment Push Model SCP (PS3.4 Annex J) over the files it holds.",
    options: (directory) => ({ directory, commitment: {} }),
  },
  QueryRetrieveScp: {
    summary:
      "Query/Retrieve SCP (PS3.4 Annex C) over its archive: C-FIND, C-MOVE to configured destinations, C-GET, and C-STORE into the archive when given a folder (`dcm qrscp`). With its `commitment` option (`--commit`), also Storage Commitment Push Model SCP (PS3.4 Annex J) over what it indexes; with `mpps` (`--mpps`), also the Modality Performed Procedure Step SCP (PS3.4 F.7, F.8).",
    options: (directory, archive) => ({
      directory,
      archive,
      commitment: {},
      mpps: new scp.MppsService(),
    }),
  },
  WorklistScp: {
    summary:
      "Modality Worklist SCP (PS3.4 Annex K): C-FIND over a folder of worklist files or a callback (`dcm mwlscp`).",
    options: (directory) => ({ directory }),
  },
  MppsScp: {
    summary:
      "Modality Performed Procedure Step SCP (PS3.4 F.7, F.8): N-CREATE, N-SET and N-GET of procedure steps kept in SQLite, with the PS3.4 state rules (`dcm mppsscp`).",
    options: () => ({}),
  },
};

/**
 * Starts every SCP a module exports (by default `scp/mod.ts`), reads what
 * it negotiates, and stops it.
 *
 * @throws {Error} for an exported `ServiceProvider` class with no entry in `SCP_RECIPES`.
 */
export async function scpEntities(
  module: Readonly<Record<string, unknown>> = scp,
): Promise<ScpEntity[]> {
  const out: ScpEntity[] = [];
  const directory = await Deno.makeTempDir({ prefix: "conformance_" });
  try {
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== "function" || !(value.prototype instanceof ServiceProvider)) continue;
      const recipe = SCP_RECIPES[name];
      if (!recipe) {
        throw new Error(
          `scp/mod.ts exports ${name}, a ServiceProvider that tools/conformance.ts cannot start: add it to SCP_RECIPES`,
        );
      }
      using archive = Archive.open();
      const Provider = value as unknown as new (
        options: Record<string, unknown>,
      ) => ServiceProvider;
      const provider = new Provider({
        hostname: "127.0.0.1",
        port: 0,
        ...recipe.options(directory, archive),
      });
      try {
        out.push({
          name,
          summary: recipe.summary,
          contexts: provider.supportedAbstractSyntaxes,
          requestTypes: provider.requestTypes,
          extendedNegotiation: provider.extendedNegotiation,
        });
      } finally {
        await provider.shutdown();
      }
    }
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
  return out;
}

function uidCell(uid: string): string {
  return `${uidName(uid)} | \`${uid}\``;
}

function roleText(context: SupportedAbstractSyntax): string {
  const roles = context.requestorRoles;
  const taken = roles ? [roles.scu ? "SCU" : "", roles.scp ? "SCP" : ""].filter(Boolean) : [];
  return taken.length === 0
    ? "we are SCP, no role selection"
    : `SCP/SCU Role Selection: the requestor may be ${taken.join(" and ")}`;
}

/** Contexts grouped by identical transfer syntaxes and roles, in first-seen order. */
function groups(contexts: readonly SupportedAbstractSyntax[]): SupportedAbstractSyntax[][] {
  const byKey = new Map<string, SupportedAbstractSyntax[]>();
  for (const c of contexts) {
    const key = JSON.stringify([c.transferSyntaxes, c.requestorRoles ?? null]);
    (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(c);
  }
  return [...byKey.values()];
}

function transferSyntaxList(uids: readonly string[]): string[] {
  return [
    "| preference | transfer syntax | UID |",
    "| ---------- | --------------- | --- |",
    ...uids.map((uid, i) => `| ${i + 1} | ${uidCell(uid)} |`),
  ];
}

function abstractSyntaxList(uids: readonly string[]): string[] {
  return [
    "| SOP class | UID |",
    "| --------- | --- |",
    ...uids.map((uid) => `| ${uidCell(uid)} |`),
  ];
}

function scpSection(entity: ScpEntity, index: number): string[] {
  const lines = [
    `### 4.2.${index} ${entity.name}`,
    "",
    entity.summary,
    "",
    `DIMSE requests answered: ${entity.requestTypes.map((t) => `\`${t}\``).join(", ")}.`,
    `SOP Class Extended Negotiation: ${
      entity.extendedNegotiation
        ? "answered (relational queries for the C-FIND models, PS3.4 C.5.1.1)"
        : "not answered (the item is left out of the A-ASSOCIATE-AC)"
    }.`,
    "",
    "The acceptor picks, for each proposed context, the first transfer syntax of the list below that",
    "the requestor offers (our order of preference, not the requestor's, PS3.8 §9.3.3.2).",
    "",
  ];
  for (const [i, group] of groups(entity.contexts).entries()) {
    const first = group[0]!;
    lines.push(
      `#### 4.2.${index}.${i + 1} Contexts accepted: ${group.length} abstract syntax${
        group.length === 1 ? "" : "es"
      }, ${roleText(first)}`,
      "",
      ...abstractSyntaxList(group.map((c) => c.abstractSyntax)),
      "",
      "Transfer syntaxes, most preferred first:",
      "",
      ...transferSyntaxList(first.transferSyntaxes),
      "",
    );
  }
  return lines;
}

function scuSection(index: number): string[] {
  const storage = [...STORAGE_SOP_CLASSES, ...RETIRED_STORAGE_SOP_CLASSES];
  const queryClasses = Object.values(QUERY_MODELS).flatMap((m) => [m.find, m.move, m.get]);
  return [
    `### 4.2.${index} SCUs (association initiation)`,
    "",
    "Each SCU call opens its own associations; the Application Context Name is",
    `\`${Uid.DICOMApplicationContext}\`. Calling AE title \`${SCU_DEFAULTS.callingAeTitle}\`, called AE title`,
    `\`${SCU_DEFAULTS.calledAeTitle}\` unless given; Maximum Length ${SCU_DEFAULTS.maxPduLength} bytes.`,
    "",
    "#### Verification SCU (`echo()`, `dcm echo`)",
    "",
    ...abstractSyntaxList([Uid.Verification]),
    "",
    ...transferSyntaxList(PROPOSED_TRANSFER_SYNTAXES),
    "",
    "#### Storage SCU (`store()`, `dcm store`, the C-MOVE SCP's sub-operations)",
    "",
    `Any of the ${storage.length} Storage SOP classes accepted by the Storage SCP above, as the objects sent`,
    "require: for each SOP class, one context per transfer syntax its objects are in (so that they go",
    "unchanged), plus one context proposing the following when that syntax is not Explicit VR Little",
    "Endian, to convert to if the peer refuses the object's own:",
    "",
    ...transferSyntaxList(PROPOSED_TRANSFER_SYNTAXES),
    "",
    `Objects of more than ${MAX_PRESENTATION_CONTEXTS} contexts' worth of classes are sent over several associations.`,
    "",
    "#### Query/Retrieve SCU (`QueryRetrieveScu`, `dcm find`, `dcm move`, `dcm get`)",
    "",
    "FIND, MOVE and GET of each information model, proposed with:",
    "",
    ...abstractSyntaxList(queryClasses),
    "",
    ...transferSyntaxList(PROPOSED_TRANSFER_SYNTAXES),
    "",
    "Relational queries (PS3.4 C.5.1.1) are asked for by SOP Class Extended Negotiation when the",
    "`relational` option is set.",
    "",
    "A C-GET also proposes storage contexts, with SCP/SCU Role Selection (SCU role no, SCP role",
    "yes, PS3.4 C.4.3.1), for each SOP class it needs, found by a C-FIND first (SOP Classes in",
    "Study (0008,0062) at STUDY level, else SOP Class UID and Available Transfer Syntax UID",
    "(0008,3002) at IMAGE level). Asking for objects as stored (the default), each class gets one",
    "context of these uncompressed syntaxes:",
    "",
    ...transferSyntaxList(UNCOMPRESSED_TRANSFER_SYNTAXES),
    "",
    "and one context of its own for each stored syntax the C-FIND reported; when the peer did not",
    "report them, one for each of these likely ones:",
    "",
    ...transferSyntaxList(LIKELY_STORED_SYNTAXES),
    "",
    'With `prefer: "uncompressed"` (`dcm get --prefer uncompressed`) only the uncompressed context',
    `is proposed. More than ${STORAGE_CONTEXTS_PER_ASSOCIATION} storage contexts are split over several C-GETs, each on its`,
    "own association and narrowed to the instances its contexts can carry. When the classes cannot be",
    `found, the ${COMMON_STORAGE_SOP_CLASSES.length} common classes below are proposed first, then the other storage classes of the`,
    "registry, as many as fit.",
    "",
    "Common storage classes proposed first:",
    "",
    ...abstractSyntaxList(COMMON_STORAGE_SOP_CLASSES),
    "",
    "When a C-MOVE is used to retrieve to ourselves, the destination is a Storage SCP (`StorageScp`",
    "above), started for the operation.",
    "",
  ];
}

const MIB = 1 << 20;

/** The statement, as `CONFORMANCE.md` holds it. */
export async function renderConformance(): Promise<string> {
  const entities = await scpEntities();
  const scpClasses = new Map<string, string[]>();
  for (const e of entities) {
    for (const c of e.contexts) {
      (scpClasses.get(c.abstractSyntax) ??
        scpClasses.set(c.abstractSyntax, []).get(c.abstractSyntax)!)
        .push(e.name);
    }
  }
  const window = DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW;
  const lines = [
    "<!-- Generated by tools/conformance.ts (deno task conformance): do not edit by hand. -->",
    "",
    `# DICOM Conformance Statement: @dcm/net ${VERSION}`,
    "",
    "In the layout of PS3.2 (Conformance). Every table below is generated from the tables the code",
    "negotiates with; the SCP tables are read from the running service providers.",
    "",
    "## 1 Overview",
    "",
    "`@dcm/net` is a library and command line (`dcm`) for DICOM networking: Verification, Storage and",
    "Query/Retrieve as SCU and SCP, and the DIMSE-N calls on an association the caller holds.",
    "",
    "| network service | SCU | SCP |",
    "| --------------- | --- | --- |",
    "| Verification | yes | yes |",
    "| Storage | yes | yes |",
    "| Query/Retrieve FIND, MOVE, GET | yes | yes |",
    "",
    `SOP classes accepted by our SCPs: ${scpClasses.size}.`,
    "",
    "## 2 Implementation model",
    "",
    "### 2.1 Application data flow",
    "",
    "Each SCP is one Application Entity on one TCP (or TLS) listener; every association it accepts gets",
    "a DIMSE channel that dispatches requests to the SCP's services. A C-STORE data set streams to a",
    "temporary file that is flushed and renamed before success is answered. Each SCU call is an",
    "Application Entity that opens its own associations.",
    "",
    "### 2.2 Implementation identifying information",
    "",
    `- Implementation Class UID: \`${IMPLEMENTATION_CLASS_UID}\``,
    `- Implementation Version Name: \`${IMPLEMENTATION_VERSION_NAME}\``,
    "",
    "## 4 Networking",
    "",
    "### 4.1 Association policies (all AEs)",
    "",
    `- Application Context Name: \`${Uid.DICOMApplicationContext}\``,
    `- SCP Maximum Length advertised: ${SERVICE_PROVIDER_DEFAULTS.maxPduLength} bytes (option \`maxPduLength\`, 0 for no limit);`,
    `  association layer default: ${DEFAULT_MAX_PDU_LENGTH}. Received PDUs longer than ours are refused before buffering.`,
    `- Concurrent associations per SCP: ${SERVICE_PROVIDER_DEFAULTS.maxAssociations} (\`maxAssociations\`); more are rejected`,
    "  (rejected-transient, local limit exceeded).",
    `- Asynchronous Operations Window: ${window.maxOperationsInvoked}/${window.maxOperationsPerformed} unless negotiated; an SCP grants at most its`,
    "  `asynchronousOperationsWindow` option (PS3.7 D.3.3.3).",
    `- Requests a peer may queue beyond the window: ${DEFAULT_MAX_QUEUED_REQUESTS}.`,
    `- ARTIM, association request and release timeouts: ${
      DEFAULT_TIMEOUT / 1000
    } s; write timeout ${DEFAULT_TIMEOUT / 1000} s;`,
    `  idle timeout of an SCP's associations: ${
      SERVICE_PROVIDER_DEFAULTS.idleTimeout / 1000
    } s; DIMSE response timeout ${DEFAULT_DIMSE_TIMEOUT / 1000} s.`,
    `- Largest C-FIND/C-MOVE/C-GET identifier an SCP reads: ${
      DEFAULT_MAX_IDENTIFIER_LENGTH / MIB
    } MiB; largest response data set an`,
    `  SCU reads: ${DEFAULT_MAX_RESPONSE_DATASET_LENGTH / MIB} MiB.`,
    `- Default port: ${SERVICE_PROVIDER_DEFAULTS.port}; default SCP AE title \`${SERVICE_PROVIDER_DEFAULTS.aeTitle}\`, any called AE title accepted`,
    "  unless configured otherwise.",
    "",
    "### 4.2 Application Entity specifications",
    "",
    ...entities.flatMap((e, i) => scpSection(e, i + 1)),
    ...scuSection(entities.length + 1),
    "### 4.3 Network interfaces",
    "",
    "TCP/IP (IPv4 and IPv6, as the platform provides), TCP_NODELAY set. TLS: see section 7.",
    "",
    "## 5 Media interchange",
    "",
    "File-sets (DICOMDIR) are read by `media/`; no Media Storage Application Profile is claimed here.",
    "",
    "## 6 Support of character sets",
    "",
    "Specific Character Set (0008,0005) defined terms decoded and encoded:",
    "",
    ...SUPPORTED_CHARACTER_SET_TERMS.map((t) => `- \`${t}\``),
    "",
    "## 7 Security",
    "",
    "- TLS: the Basic TLS and BCP 195 Secure Transport Connection Profiles (PS3.15 B.1, B.9), TLS 1.2",
    "  and 1.3 only, for SCPs (`tls` option) and SCUs.",
    "- User Identity Negotiation (PS3.7 D.3.3.7): an SCP accepts username, or username and passcode,",
    `  checked against a users file of salted PBKDF2-SHA256 hashes (${DEFAULT_PBKDF2_ITERATIONS} iterations by default); an SCU`,
    "  sends one when given.",
    "- Access control by calling AE title and address (`accessControl`), and of the called AE title.",
    "",
    "## 8 Annexes",
    "",
    "### 8.1 IODs created",
    "",
    "`encapsulation/` and `dcm encapsulate` create these objects (new study, series and instance UIDs",
    "unless given):",
    "",
    "| SOP class | UID | from | MIME type |",
    "| --------- | --- | ---- | --------- |",
    ...Object.entries(DOCUMENT_TYPES).map(([type, info]) =>
      `| ${uidCell(info.sopClassUid)} | ${type.toUpperCase()} | \`${info.mimeType}\` |`
    ),
    ...Object.entries(IMAGE_SOP_CLASSES).map(([kind, uid]) =>
      `| ${uidCell(uid)} | JPEG or JPEG 2000 bitstreams, not decoded (${kind}) | |`
    ),
    "",
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const text = await renderConformance();
  if (Deno.args.includes("--check")) {
    const current = await Deno.readTextFile(CONFORMANCE_PATH).catch(() => "");
    if (current !== text) {
      console.error(
        "CONFORMANCE.md is not what tools/conformance.ts writes: run deno task conformance",
      );
      Deno.exit(1);
    }
  } else {
    await Deno.writeTextFile(CONFORMANCE_PATH, text);
  }
}
