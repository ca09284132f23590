/**
 * The SCP side of the DIMSE-N services (PS3.7 §10.1): handlers registered
 * per SOP class and per message type, dispatched by the request's
 * Affected or Requested SOP Class UID. Each handler returns its response
 * (a status and optionally a data set); Storage Commitment (N-ACTION, and
 * N-EVENT-REPORT on the SCU's side), MPPS (N-CREATE, N-SET) or Print plug
 * in as entries of the map.
 *
 * @module
 */
import { Uid } from "../dictionary/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import type { Roles, SupportedAbstractSyntax } from "../association/mod.ts";
import {
  type CommandFields,
  type DimseChannel,
  type IncomingRequest,
  type RequestCommand,
  type RequestContext,
  type RequestHandler,
  type RequestHandlers,
  STATUS,
} from "../dimse/mod.ts";
import { readIdentifier } from "./identifier.ts";
import type { NRequestType } from "./n_services.ts";
import type { ServiceDefinition } from "./service_provider.ts";

/** A DIMSE-N request as a handler of {@linkcode NService} sees it. */
export interface NRequest<T extends NRequestType = NRequestType> {
  /** The command set, e.g. with `actionTypeId` for an N-ACTION-RQ. */
  readonly command: RequestCommand<T>;
  /** The SOP class: the Affected or Requested SOP Class UID. */
  readonly sopClassUid: string;
  /** The SOP instance, when the request names one (an N-CREATE-RQ may leave it to the SCP). */
  readonly sopInstanceUid: string | undefined;
  /** The request's data set (Modification List, Action or Event Information, Attribute List), decoded. */
  readonly dataset: Dataset | undefined;
  /**
   * The channel it came on, e.g. to send an N-EVENT-REPORT back with
   * `nEventReport()` once answered (Storage Commitment, PS3.4 J.3);
   * `channel.association` is the association.
   */
  readonly channel: DimseChannel;
  /** Aborted when the association ends. */
  readonly signal: AbortSignal;
}

/** What a handler answers: the response's status and fields, and its data set if any. */
export interface NResponse {
  /** Status (0000,0900): `STATUS.SUCCESS`, or a failure of PS3.7 Annex C. */
  readonly status: number;
  /** The response's data set (e.g. N-GET's Attribute List, N-ACTION's Action Reply). */
  readonly dataset?: Dataset;
  /**
   * Affected SOP Instance UID (0000,1000); the request's instance by
   * default. An N-CREATE handler that assigns the UID must give it here.
   */
  readonly affectedSopInstanceUid?: string;
  /** Error Comment (0000,0902), up to 64 characters. */
  readonly errorComment?: string;
  /** Error ID (0000,0903), e.g. MPPS's A710 with 0110 (PS3.4 Table F.7.2-2). */
  readonly errorId?: number;
  /** Attribute Identifier List (0000,1005), with an attribute list error. */
  readonly attributeIdentifierList?: readonly number[];
}

/** Handles DIMSE-N requests of type `T` for one SOP class. */
export type NHandler<T extends NRequestType = NRequestType> = (
  request: NRequest<T>,
) => NResponse | Promise<NResponse>;

/** A SOP class's handlers, by message type: those absent are answered 0211. */
export type NHandlers = { readonly [T in NRequestType]?: NHandler<T> };

/** Options of {@linkcode NService}. */
export interface NServiceOptions {
  /**
   * Transfer syntaxes accepted for each registered SOP class.
   *
   * @default {[Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian]}
   */
  transferSyntaxes?: readonly string[];
  /**
   * The roles an association-requestor may take for the registered SOP
   * classes when it proposes SCP/SCU role selection (PS3.7 D.3.3.4). Set it
   * where the requestor is the SOP class's SCP, e.g. `{ scu: true, scp: true }`
   * on a Storage Commitment SCU's listener, which a Storage Commitment SCP
   * calls proposing the SCP role to send its N-EVENT-REPORT (PS3.4
   * J.3.3.1.3). Without it role selection is not answered and the default
   * roles apply.
   */
  requestorRoles?: Roles;
}

const N_REQUEST_TYPES: readonly NRequestType[] = [
  "N-EVENT-REPORT-RQ",
  "N-GET-RQ",
  "N-SET-RQ",
  "N-ACTION-RQ",
  "N-CREATE-RQ",
  "N-DELETE-RQ",
];

/**
 * DIMSE-N handlers by SOP class, as a {@linkcode ServiceDefinition}: the
 * SOP classes become supported abstract syntaxes and every N request type
 * is dispatched by its SOP class. A SOP class not registered is answered
 * 0122 (SOP Class not supported), a message type its entry lacks 0211
 * (Unrecognized Operation), and a handler that throws 0110 (Processing
 * failure) with its message as Error Comment: the association goes on
 * (PS3.7 §10.1, Annex C).
 *
 * `handlers` also serve a requestor's own {@linkcode DimseChannel}, e.g. to
 * take Storage Commitment's N-EVENT-REPORT on the association that sent
 * the N-ACTION.
 *
 * @example Serve N-CREATE and N-SET for MPPS, assigning UIDs
 * ```ts
 * import { nCreate, NService, ServiceProvider } from "./mod.ts";
 * import { connect } from "../association/mod.ts";
 * import { DimseChannel, STATUS } from "../dimse/mod.ts";
 * import { Uid } from "../dictionary/mod.ts";
 *
 * const service = new NService({
 *   [Uid.ModalityPerformedProcedureStep]: {
 *     "N-CREATE-RQ": (request) => ({
 *       status: STATUS.SUCCESS,
 *       affectedSopInstanceUid: request.sopInstanceUid ?? "2.25.42",
 *     }),
 *   },
 * });
 * await using scp = new ServiceProvider(service, { hostname: "127.0.0.1", port: 0 });
 * await using association = await connect("127.0.0.1", scp.port, {
 *   presentationContexts: [{
 *     abstractSyntax: Uid.ModalityPerformedProcedureStep,
 *     transferSyntaxes: [Uid.ExplicitVRLittleEndian],
 *   }],
 * });
 * const result = await nCreate(new DimseChannel(association), {
 *   sopClassUid: Uid.ModalityPerformedProcedureStep,
 * });
 * console.log(result.affectedSopInstanceUid); // "2.25.42"
 * await association.release();
 * ```
 */
export class NService implements ServiceDefinition {
  /** The registered SOP classes, each with the transfer syntaxes of the options. */
  readonly supportedAbstractSyntaxes: readonly SupportedAbstractSyntax[];
  /** A handler for each N request type, dispatching by SOP class. */
  readonly handlers: RequestHandlers;
  readonly #classes: ReadonlyMap<string, NHandlers>;

  /**
   * Registers `sopClasses`, a map from SOP Class UID to its handlers.
   *
   * @param sopClasses The handlers of each SOP class, by message type.
   * @param options The transfer syntaxes to accept.
   */
  constructor(
    sopClasses: Readonly<Record<string, NHandlers>> | ReadonlyMap<string, NHandlers>,
    options: NServiceOptions = {},
  ) {
    this.#classes = sopClasses instanceof Map
      ? new Map(sopClasses)
      : new Map(Object.entries(sopClasses));
    const transferSyntaxes = options.transferSyntaxes ??
      [Uid.ExplicitVRLittleEndian, Uid.ImplicitVRLittleEndian];
    this.supportedAbstractSyntaxes = [...this.#classes.keys()].map((abstractSyntax) => ({
      abstractSyntax,
      transferSyntaxes: [...transferSyntaxes],
      ...(options.requestorRoles ? { requestorRoles: options.requestorRoles } : {}),
    }));
    // Only the message types some class serves: the channel answers any
    // other with 0211 itself, and `handlers` says what this service does.
    const handlers: { [T in NRequestType]?: RequestHandler<T> } = {};
    for (const type of N_REQUEST_TYPES) {
      if (![...this.#classes.values()].some((h) => h[type] !== undefined)) continue;
      (handlers as Record<NRequestType, RequestHandler>)[type] = (request, context) =>
        this.#dispatch(request, context);
    }
    this.handlers = handlers;
  }

  async #dispatch(request: IncomingRequest, context: RequestContext): Promise<void> {
    const command: RequestCommand & CommandFields = request.command;
    const type = command.type as NRequestType;
    const sopClassUid = command.affectedSopClassUid ?? command.requestedSopClassUid ?? "";
    const entry = this.#classes.get(sopClassUid);
    if (entry === undefined) {
      await request.dataset?.cancel();
      return context.respond({
        status: STATUS.SOP_CLASS_NOT_SUPPORTED,
        errorComment: `No ${type} service for SOP class ${sopClassUid}`.slice(0, 64),
      });
    }
    const handler = entry[type] as NHandler | undefined;
    if (handler === undefined) {
      await request.dataset?.cancel();
      return context.respond({ status: STATUS.UNRECOGNIZED_OPERATION });
    }
    const sopInstanceUid = command.affectedSopInstanceUid ?? command.requestedSopInstanceUid;
    let response: NResponse;
    try {
      const dataset = request.dataset === undefined
        ? undefined
        : await readIdentifier(request.dataset, request.transferSyntax);
      response = await handler({
        command: command as RequestCommand<NRequestType>,
        sopClassUid,
        sopInstanceUid,
        dataset,
        channel: context.channel,
        signal: context.signal,
      });
    } catch (e) {
      return context.respond({
        affectedSopClassUid: sopClassUid,
        status: STATUS.PROCESSING_FAILURE,
        errorComment: String(e instanceof Error ? e.message : e).slice(0, 64),
      });
    }
    const instance = response.affectedSopInstanceUid ?? sopInstanceUid;
    await context.respond({
      // U(=) in every N response (PS3.7 Tables 10.3-2 to 10.3-12); DCMTK-based
      // peers, Orthanc's Storage Commitment SCU among them, require it.
      affectedSopClassUid: sopClassUid,
      status: response.status,
      ...(instance !== undefined ? { affectedSopInstanceUid: instance } : {}),
      ...(command.actionTypeId !== undefined ? { actionTypeId: command.actionTypeId } : {}),
      ...(command.eventTypeId !== undefined ? { eventTypeId: command.eventTypeId } : {}),
      ...(response.errorComment !== undefined
        ? { errorComment: response.errorComment.slice(0, 64) }
        : {}),
      ...(response.errorId !== undefined ? { errorId: response.errorId } : {}),
      ...(response.attributeIdentifierList !== undefined
        ? { attributeIdentifierList: response.attributeIdentifierList }
        : {}),
    }, response.dataset);
  }
}
