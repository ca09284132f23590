/**
 * The SCP of the Modality Performed Procedure Step SOP Class (PS3.4 F.7):
 * N-CREATE and N-SET over a {@linkcode ProcedureStepStore}, enforcing the
 * state rules of F.1.5 and F.7.2 and telling subscribers of each change.
 *
 * @module
 */
import { Dataset, generateUid, uidProblem } from "../dataset/mod.ts";
import { formatTag, Tag, Uid } from "../dictionary/mod.ts";
import { formatStatus, STATUS, statusCategory } from "../dimse/mod.ts";
import {
  type NHandler,
  type NHandlers,
  type NRequest,
  type NResponse,
  NService,
  type NServiceOptions,
  type ServiceDefinition,
} from "../service/mod.ts";
import {
  applyModifications,
  emptyInSet,
  lackingAtCreate,
  lackingAtFinalState,
  notAllowedInSet,
} from "./_mpps_rules.ts";
import {
  PROCEDURE_STEP_STATUSES,
  type ProcedureStep,
  type ProcedureStepStatus,
  ProcedureStepStore,
} from "./mpps_store.ts";

/**
 * Status 0110's Error Comment and Error ID for an N-SET on a step that is no
 * longer IN PROGRESS (PS3.4 F.7.2.2.4, Table F.7.2-2).
 */
export const MPPS_NO_LONGER_UPDATABLE = {
  errorComment: "Performed Procedure Step Object may no longer be updated",
  errorId: 0xa710,
} as const;

/** What happened to a procedure step. */
export type ProcedureStepEventType = "created" | "updated" | "completed" | "discontinued";

/** A change of a procedure step, told to the subscribers of {@linkcode MppsService}. */
export interface ProcedureStepEvent {
  /**
   * `created` by N-CREATE; `updated` by an N-SET that left it IN PROGRESS;
   * `completed` or `discontinued` by the N-SET that set that status.
   */
  readonly type: ProcedureStepEventType;
  /** The step as stored after the change, with its full current data set. */
  readonly step: ProcedureStep;
  /** The Calling AE Title of the association the change came on. */
  readonly callingAeTitle: string;
}

/** Options of {@linkcode MppsService}. */
export interface MppsServiceOptions extends NServiceOptions {
  /**
   * The store of procedure steps. The service closes it when it is closed.
   *
   * @default {a store in memory: steps are lost when the process ends}
   */
  store?: ProcedureStepStore;
  /** A subscriber from the start, as {@linkcode MppsService.subscribe} adds one. */
  onChange?: (event: ProcedureStepEvent) => void;
  /**
   * Told of each refused request (its status, the step, the calling AE
   * title and why), and when a subscriber throws (the change stays made
   * and answered).
   */
  onWarning?: (message: string) => void;
}

function tagList(tags: readonly number[]): string {
  return tags.map(formatTag).join(" ");
}

/** The request's Calling AE Title, or "" outside an association (a test's direct call). */
function callingAeTitleOf(request: Pick<NRequest, "channel"> | undefined): string {
  return request?.channel?.association.callingAeTitle ?? "";
}

/**
 * The MPPS SCP as a service unit (PS3.4 F.7, F.8): answers N-CREATE and
 * N-SET of the Modality Performed Procedure Step SOP Class and N-GET of its
 * Retrieve SOP Class ({@linkcode MppsService.retrieve}), keeping each step in a
 * {@linkcode ProcedureStepStore}. Serve it with a `ServiceProvider` (it is a
 * `ServiceDefinition`), with {@linkcode MppsScp}, or in a
 * `QueryRetrieveScp` (its `mpps` option).
 *
 * - N-CREATE (F.7.2.1.3): Performed Procedure Step Status must be IN
 *   PROGRESS (else 0106 with the attribute in the response's Attribute
 *   List); the type 1 attributes of Table F.7.2-1 must be there (0120 with
 *   the Attribute Identifier List) with values (0121); a UID already
 *   created is 0111; a malformed UID 0117. Without a SOP Instance UID in
 *   the request the SCP assigns one and answers it (PS3.7 §10.1.5.1.2).
 * - N-SET (F.7.2.2.3): an unknown step is 0112; a step no longer IN
 *   PROGRESS is 0110 with Error Comment "Performed Procedure Step Object may
 *   no longer be updated" and Error ID A710 (Table F.7.2-2); attributes
 *   Table F.7.2-1 does not allow to set are 0105 (No such attribute, with
 *   the Attribute Identifier List); a status other than IN PROGRESS,
 *   COMPLETED or DISCONTINUED is 0106; setting COMPLETED or DISCONTINUED
 *   without the Final State attributes (end date and time, a Performed
 *   Series Sequence item with Protocol Name and Series Instance UID) is 0121
 *   with the Attribute Identifier List. A refused N-SET changes nothing.
 *
 * A change is in the store (on the disk, with a file database) before
 * subscribers are told and before it is answered.
 *
 * @example Keep steps in a file and print each change
 * ```ts
 * import { MppsService, ProcedureStepStore } from "./mod.ts";
 * import { ServiceProvider } from "../service/mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const mpps = new MppsService({ store: ProcedureStepStore.open({ database: `${dir}/mpps.sqlite` }) });
 * mpps.subscribe(({ type, step }) => console.log(type, step.sopInstanceUid, step.status));
 * {
 *   await using scp = new ServiceProvider(mpps, { hostname: "127.0.0.1", port: 0 });
 *   console.log(scp.port > 0); // true
 * }
 * mpps.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class MppsService implements ServiceDefinition, Disposable {
  /** The MPPS and MPPS Retrieve SOP classes, with the transfer syntaxes of the options. */
  readonly supportedAbstractSyntaxes: ServiceDefinition["supportedAbstractSyntaxes"];
  /** The N-CREATE, N-SET and N-GET handlers (other N requests: 0211). */
  readonly handlers: ServiceDefinition["handlers"];
  /**
   * The handlers by SOP class, for an `NService` that serves other SOP
   * classes too (e.g. Storage Commitment beside MPPS on one provider).
   */
  readonly sopClasses: Readonly<Record<string, NHandlers>>;
  /** Where the steps are kept. */
  readonly store: ProcedureStepStore;
  readonly #listeners = new Set<(event: ProcedureStepEvent) => void>();
  readonly #onWarning: ((message: string) => void) | undefined;

  /** Creates the service over `options.store` (in memory by default). */
  constructor(options: MppsServiceOptions = {}) {
    this.store = options.store ?? ProcedureStepStore.open();
    this.#onWarning = options.onWarning;
    if (options.onChange) this.#listeners.add(options.onChange);
    const create: NHandler<"N-CREATE-RQ"> = (request) =>
      this.#logged(
        "N-CREATE",
        request,
        this.create(request.sopInstanceUid, request.dataset, request),
      );
    const set: NHandler<"N-SET-RQ"> = (request) =>
      this.#logged(
        "N-SET",
        request,
        this.set(request.sopInstanceUid ?? "", request.dataset, request),
      );
    const get: NHandler<"N-GET-RQ"> = (request) =>
      this.#logged(
        "N-GET",
        request,
        this.retrieve(request.sopInstanceUid ?? "", request.command.attributeIdentifierList),
      );
    this.sopClasses = {
      [Uid.ModalityPerformedProcedureStep]: { "N-CREATE-RQ": create, "N-SET-RQ": set },
      [Uid.ModalityPerformedProcedureStepRetrieve]: { "N-GET-RQ": get },
    };
    const service = new NService(
      this.sopClasses,
      options.transferSyntaxes ? { transferSyntaxes: options.transferSyntaxes } : {},
    );
    this.supportedAbstractSyntaxes = service.supportedAbstractSyntaxes;
    this.handlers = service.handlers;
  }

  /**
   * Adds a subscriber, told of each change once it is stored and before it
   * is answered; returns the function that removes it. A subscriber that
   * throws is reported to `onWarning` and changes nothing.
   */
  subscribe(listener: (event: ProcedureStepEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The step with this SOP Instance UID, or `undefined`. */
  get(sopInstanceUid: string): ProcedureStep | undefined {
    return this.store.get(sopInstanceUid);
  }

  /**
   * Handles an N-CREATE (PS3.4 F.7.2.1.3): checks and stores the step,
   * returning the response. `request` gives the association, for events.
   */
  create(
    sopInstanceUid: string | undefined,
    dataset: Dataset | undefined,
    request?: Pick<NRequest, "channel">,
  ): NResponse {
    if (sopInstanceUid !== undefined) {
      const problem = uidProblem(sopInstanceUid.replace(/\0+$/, ""));
      if (problem) {
        return {
          status: STATUS.INVALID_SOP_INSTANCE,
          errorComment: `Affected SOP Instance UID ${problem}`,
        };
      }
    }
    const attributes = dataset ?? new Dataset();
    const { absent, empty } = lackingAtCreate(attributes);
    if (absent.length > 0) {
      return {
        status: STATUS.MISSING_ATTRIBUTE,
        attributeIdentifierList: absent,
        errorComment: `Missing type 1 attributes ${tagList(absent)}`,
      };
    }
    if (empty.length > 0) {
      return {
        status: STATUS.MISSING_ATTRIBUTE_VALUE,
        attributeIdentifierList: empty,
        errorComment: `Type 1 attributes without a value ${tagList(empty)}`,
      };
    }
    const status = attributes.string(Tag.PerformedProcedureStepStatus);
    if (status !== "IN PROGRESS") {
      // F.7.2.1.3: 0106 "with an Attribute List" holding the invalid value.
      return {
        status: STATUS.INVALID_ATTRIBUTE_VALUE,
        dataset: new Dataset().set(Tag.PerformedProcedureStepStatus, status ?? ""),
        errorComment: `Performed Procedure Step Status ${status}, not IN PROGRESS`,
      };
    }
    const uid = sopInstanceUid?.replace(/\0+$/, "") ?? generateUid();
    if (!this.store.insert(uid, attributes)) {
      return {
        status: STATUS.DUPLICATE_SOP_INSTANCE,
        errorComment: `Procedure step ${uid} already exists`,
      };
    }
    this.#tell("created", uid, request);
    return { status: STATUS.SUCCESS, affectedSopInstanceUid: uid };
  }

  /**
   * Handles an N-SET (PS3.4 F.7.2.2.3): checks the Modification List
   * against the step and stores the merged step, returning the response.
   * Sequences are replaced whole (F.7.2.2.2: an N-SET carries every item).
   */
  set(
    sopInstanceUid: string,
    modifications: Dataset | undefined,
    request?: Pick<NRequest, "channel">,
  ): NResponse {
    const uid = sopInstanceUid.replace(/\0+$/, "");
    const step = this.store.get(uid);
    if (step === undefined) {
      return { status: STATUS.NO_SUCH_SOP_INSTANCE, errorComment: `No procedure step ${uid}` };
    }
    if (step.status !== "IN PROGRESS") {
      return { status: STATUS.PROCESSING_FAILURE, ...MPPS_NO_LONGER_UPDATABLE };
    }
    if (modifications === undefined) {
      return { status: STATUS.PROCESSING_FAILURE, errorComment: "N-SET without Modification List" };
    }
    const notAllowed = notAllowedInSet(modifications);
    if (notAllowed.length > 0) {
      return {
        status: STATUS.NO_SUCH_ATTRIBUTE,
        attributeIdentifierList: notAllowed,
        errorComment: `N-SET may not set ${tagList(notAllowed)}`,
      };
    }
    const empty = emptyInSet(modifications);
    if (empty.length > 0) {
      return {
        status: STATUS.MISSING_ATTRIBUTE_VALUE,
        attributeIdentifierList: empty,
        errorComment: `Type 1 attributes without a value ${tagList(empty)}`,
      };
    }
    const newStatus = modifications.has(Tag.PerformedProcedureStepStatus)
      ? modifications.string(Tag.PerformedProcedureStepStatus)!
      : step.status;
    if (!(PROCEDURE_STEP_STATUSES as readonly string[]).includes(newStatus)) {
      return {
        status: STATUS.INVALID_ATTRIBUTE_VALUE,
        dataset: new Dataset().set(Tag.PerformedProcedureStepStatus, newStatus),
        attributeIdentifierList: [Tag.PerformedProcedureStepStatus],
        errorComment: `No Performed Procedure Step Status ${newStatus}`,
      };
    }
    const merged = applyModifications(step.dataset, modifications);
    if (newStatus !== "IN PROGRESS") {
      const lacking = lackingAtFinalState(merged);
      if (lacking.length > 0) {
        return {
          status: STATUS.MISSING_ATTRIBUTE_VALUE,
          attributeIdentifierList: lacking,
          errorComment: `${newStatus} needs ${tagList(lacking)}`,
        };
      }
    }
    this.store.update(uid, newStatus as ProcedureStepStatus, merged);
    const type = newStatus === "COMPLETED"
      ? "completed"
      : newStatus === "DISCONTINUED"
      ? "discontinued"
      : "updated";
    this.#tell(type, uid, request);
    return { status: STATUS.SUCCESS, affectedSopInstanceUid: uid };
  }

  /**
   * Handles an N-GET of the Modality Performed Procedure Step Retrieve SOP
   * Class (PS3.4 F.8): the step's attributes, or those of `tags` (each
   * requested attribute the step lacks is returned empty, PS3.4 Table
   * F.8.2-1 giving the SCP type 1 or 2 for each); an unknown step is 0112
   * ("No such Object Instance", F.8.1). A requested tag the dictionary does
   * not know is left out with warning 0107 (Attribute list error).
   */
  retrieve(sopInstanceUid: string, tags?: readonly number[]): NResponse {
    const uid = sopInstanceUid.replace(/\0+$/, "");
    const step = this.store.get(uid);
    if (step === undefined) {
      return { status: STATUS.NO_SUCH_SOP_INSTANCE, errorComment: `No procedure step ${uid}` };
    }
    if (tags === undefined || tags.length === 0) {
      return { status: STATUS.SUCCESS, affectedSopInstanceUid: uid, dataset: step.dataset };
    }
    const dataset = new Dataset();
    const charset = step.dataset.get(Tag.SpecificCharacterSet);
    if (charset) dataset.setElement(charset);
    const unknown: number[] = [];
    for (const tag of tags) {
      const element = step.dataset.get(tag);
      if (element !== undefined) {
        dataset.setElement(element);
        continue;
      }
      try {
        dataset.set(tag, null);
      } catch {
        unknown.push(tag);
      }
    }
    return unknown.length === 0
      ? { status: STATUS.SUCCESS, affectedSopInstanceUid: uid, dataset }
      : {
        status: STATUS.ATTRIBUTE_LIST_ERROR,
        affectedSopInstanceUid: uid,
        dataset,
        attributeIdentifierList: unknown,
      };
  }

  /** Passes `response` through, telling `onWarning` when it is a refusal. */
  #logged(operation: string, request: NRequest, response: NResponse): NResponse {
    if (this.#onWarning && statusCategory(response.status) === "failure") {
      this.#onWarning(
        `MPPS ${operation} ${request.sopInstanceUid ?? "(no UID)"} from ${
          callingAeTitleOf(request) || "?"
        } refused ${formatStatus(response.status)}: ${response.errorComment ?? ""}`,
      );
    }
    return response;
  }

  #tell(
    type: ProcedureStepEventType,
    uid: string,
    request: Pick<NRequest, "channel"> | undefined,
  ): void {
    if (this.#listeners.size === 0) return;
    const step = this.store.get(uid)!;
    const event: ProcedureStepEvent = { type, step, callingAeTitle: callingAeTitleOf(request) };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (e) {
        this.#onWarning?.(
          `An MPPS subscriber failed on ${type} ${uid}: ${e instanceof Error ? e.message : e}`,
        );
      }
    }
  }

  /** Closes the store. */
  close(): void {
    this.store.close();
  }

  /** Closes the store. */
  [Symbol.dispose](): void {
    this.close();
  }
}
