/**
 * The DICOM Upper Layer protocol machine at run time (PS3.8 §9.2): it feeds
 * events into {@linkcode transition} (Table 9-10) and performs the actions
 * of Tables 9-6 to 9-9. One class drives both roles.
 *
 * Events are handled synchronously and in order (a run-to-completion
 * queue); actions start I/O without waiting for it, and PDUs are written in
 * order. Notifications are delivered in a later microtask, so listeners
 * never re-enter the machine.
 *
 * @module
 */

import {
  ABORT_REASON,
  ABORT_SOURCE,
  type AbortPdu,
  type AbortSource,
  type AssociateAcPdu,
  type AssociateRjPdu,
  type AssociateRqPdu,
  type PDataTfPdu,
  type Pdu,
} from "../pdu/mod.ts";
import { _Connection } from "./_connection.ts";
import {
  _aa2Error,
  _invalidPduError,
  type _Outcome,
  type _Payload,
  _peerAbortError,
  _PROTOCOL_VERSION_REJECTION,
  _providerError,
  _rejectedError,
  _timeoutError,
} from "./_outcomes.ts";
import type { Transport } from "./transport.ts";
import {
  type AssociationAbortedError,
  AssociationStateError,
  WriteTimeoutError,
} from "./errors.ts";
import {
  AssociationEvent,
  type AssociationEventInit,
  type AssociationEventType,
} from "./events.ts";
import { PDU_EVENTS, type State, type StateMachineEvent, transition } from "./state_machine.ts";
import { _PDataInbox, type PDataConsumer } from "./_p_data_inbox.ts";

export type { _Outcome, _Payload };

/** Settings of one protocol machine. */
export interface _UpperLayerOptions {
  /** The local entity is the association-requestor. */
  readonly requestor: boolean;
  /** Label of the peer used in events, e.g. `"127.0.0.1:104"`. */
  readonly peer: string;
  /** The Maximum Length we advertise: the P-DATA-TF PDU-length limit on receipt; 0 = none. */
  readonly maxPduLength: number;
  /** ARTIM timeout in ms (PS3.8 §9.1.5). */
  readonly artimTimeout: number;
  /** ms to wait for A-ASSOCIATE-AC/RJ (Sta5) or A-RELEASE-RP (after AR-1) before aborting; 0 = none. */
  readonly associationTimeout?: number | undefined;
  /** ms without any event in Sta6 before aborting; 0 = none. */
  readonly idleTimeout?: number | undefined;
  /** ms a PDU may wait to be written before the transport is closed; 0 or absent = none. */
  readonly writeTimeout?: number | undefined;
  /** Where to dispatch {@linkcode AssociationEvent}s. */
  readonly events?: EventTarget | undefined;
  /** Awaited before the A-RELEASE response primitive (Evt14) is issued. */
  readonly onReleaseRequest?: (() => void | Promise<void>) | undefined;
}

type Timer = "artim" | "association";

function deferred<T>(): PromiseWithResolvers<T> {
  const d = Promise.withResolvers<T>();
  d.promise.catch(() => {}); // Not awaiting a rejection here is not an error.
  return d;
}

/** The PS3.8 protocol machine bound to one transport connection. */
export class _UpperLayer {
  /** The settings. */
  readonly options: _UpperLayerOptions;
  #state: State = "Sta1";
  #queue: [StateMachineEvent, _Payload][] = [];
  #draining = false;
  #connection: _Connection | undefined;
  #opening: Promise<void> = Promise.resolve();
  #openAbort = new AbortController();
  #timers = new Map<Timer, ReturnType<typeof setTimeout>>();
  /** Pieces of work that suspend the idle timeout (busyWith()). */
  #busy = 0;
  /**
   * The idle timeout's one timer, and when the association last became
   * idle (an event in Sta6, or the last busy work settling): an event
   * moves the time on instead of replacing the timer (a timer per PDU cost
   * more than a small PDU's decoding), and the timer, on firing, waits on
   * for what is left (see `#armIdleTimer`).
   */
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #idleSince = 0;
  #outcome: _Outcome | undefined;
  #request: AssociateRqPdu | undefined;
  #lastWrite: Promise<void> = Promise.resolve();
  /** Where P-DATA indications go (DT-2, AR-6): the `pData` stream or a consumer. */
  readonly #inbox = new _PDataInbox();
  readonly #establishment = deferred<AssociateAcPdu | AssociateRqPdu>();
  readonly #closed = deferred<_Outcome>();

  constructor(options: _UpperLayerOptions) {
    this.options = options;
  }

  /** P-DATA indications (DT-2, AR-6); closed at release, errored at abort. */
  get pData(): ReadableStream<PDataTfPdu> {
    return this.#inbox.stream;
  }

  /** Hands the P-DATA indications to `consumer` instead of `pData` (see {@linkcode PDataConsumer}). */
  receivePData(consumer: PDataConsumer): void {
    this.#inbox.consume(consumer);
    if (!this.#draining) this.#inbox.deliver();
  }

  /** The current state. */
  get state(): State {
    return this.#state;
  }

  /** Requestor: the A-ASSOCIATE-AC (AE-3). Acceptor: the A-ASSOCIATE-RQ indication (AE-6). */
  get establishment(): Promise<AssociateAcPdu | AssociateRqPdu> {
    return this.#establishment.promise;
  }

  /** Resolves once back in Sta1 with the transport closed and every timer stopped. */
  get closed(): Promise<_Outcome> {
    return this.#closed.promise;
  }

  /** Requestor: the A-ASSOCIATE request primitive (Evt1) over a transport from `open`. */
  request(open: (signal: AbortSignal) => Promise<Transport>, rq: AssociateRqPdu): void {
    this.#request = rq;
    this.#opening = open(this.#openAbort.signal).then(
      async (transport) => {
        if (this.#state !== "Sta4") {
          // Aborted while connecting (Sta4, AA-2): close what arrived too late.
          await Promise.allSettled([transport.writable.abort(), transport.readable.cancel()]);
          return;
        }
        this.#attach(transport);
        this.dispatch("Evt2", {});
      },
      (cause) => this.dispatch("Evt17", { cause }),
    );
    this.dispatch("Evt1", {});
  }

  /** Acceptor: a transport connection indication (Evt5). */
  accept(transport: Transport): void {
    this.dispatch("Evt5", {});
    this.#attach(transport);
  }

  /** Acceptor: the A-ASSOCIATE response primitive, accept (Evt7) or reject (Evt8). */
  respond(response: AssociateAcPdu | AssociateRjPdu): void {
    const event = response.type === "A-ASSOCIATE-AC" ? "Evt7" : "Evt8";
    this.#local(event, { response }, "Cannot answer A-ASSOCIATE-RQ");
  }

  /** Bytes of PDUs sent that the transport has not taken yet. */
  get bufferedAmount(): number {
    return this.#connection?.bufferedAmount ?? 0;
  }

  /** The P-DATA request primitive (Evt9); resolves once the PDU is written. */
  sendPData(pdu: PDataTfPdu): Promise<void> {
    this.#local("Evt9", { pdu }, "Cannot send P-DATA");
    return this.#lastWrite;
  }

  /**
   * P-DATA request primitives (Evt9), one per PDU, the PDUs written together;
   * resolves once they are written.
   */
  sendPDataBatch(pdus: readonly PDataTfPdu[]): Promise<void> {
    this.#connection?.cork();
    try {
      for (const pdu of pdus) this.#local("Evt9", { pdu }, "Cannot send P-DATA");
    } finally {
      this.#connection?.uncork();
    }
    return this.#lastWrite;
  }

  /** The A-RELEASE request (Evt11), or the A-RELEASE response (Evt14) when the peer asked first. */
  release(): void {
    if (this.#state === "Sta6") this.dispatch("Evt11", {});
    else if (this.#state === "Sta8") this.dispatch("Evt14", {});
  }

  /**
   * The A-ABORT request primitive (Evt15). Table 9-10 has no cell for it in
   * Sta2 (no association yet): the transport is closed instead (then Evt17,
   * AA-5). In Sta1 and Sta13 it is ignored.
   */
  abort(source: AbortSource, reason: number, error: AssociationAbortedError): void {
    if (transition(this.#state, "Evt15", this.options) !== undefined) {
      this.dispatch("Evt15", { abort: { source, reason, error } });
      // An association not yet established is over for whoever waits for it
      // now, not once a silent peer has closed the connection (Sta13 waits up
      // to the ARTIM timeout, PS3.8 §9.1.5); no-op once established.
      this.#establishment.reject(error);
    } else if (this.#state === "Sta2") {
      this.#end({ how: "aborted", error });
      void this.#connection?.close(false);
    }
  }

  #local(event: StateMachineEvent, payload: _Payload, what: string): void {
    if (transition(this.#state, event, this.options) === undefined) {
      throw new AssociationStateError(what, this.#state);
    }
    this.dispatch(event, payload);
  }

  /** Queues an event and, unless already doing so, handles the queue to its end. */
  dispatch(event: StateMachineEvent, payload: _Payload): void {
    this.#queue.push([event, payload]);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let item = this.#queue.shift(); item; item = this.#queue.shift()) {
        this.#handle(item[0], item[1]);
      }
    } finally {
      this.#draining = false;
    }
    // Outside the machine's run, so that a consumer may send and abort.
    this.#inbox.deliver();
  }

  #handle(event: StateMachineEvent, payload: _Payload): void {
    const from = this.#state;
    const acceptable = payload.rejection === undefined;
    const step = transition(from, event, { requestor: this.options.requestor, acceptable });
    if (step === undefined) return; // A blank cell: only late transport news in Sta1.
    this.#perform(step.action, event, payload);
    this.#state = step.next;
    // Per-PDU notifications are built only for someone listening.
    if (this.options.events) {
      this.#emit("transition", { transition: { from, event, action: step.action, to: step.next } });
    }
    if (from === "Sta5" && step.next !== "Sta5") this.#stopTimer("association");
    if (step.next === "Sta6") this.#restartIdleTimer();
    else {
      this.#stopIdleTimer();
      this.#inbox.releaseSpace();
    }
    if (step.next === "Sta1") this.#finish();
  }

  #perform(action: string, event: StateMachineEvent, p: _Payload): void {
    switch (action) {
      case "AE-1": // request() started the transport connect.
        return;
      case "AE-2": {
        this.#send(this.#request!);
        const ms = this.options.associationTimeout;
        if (ms) this.#startTimer("association", ms, () => this.#timeout("A-ASSOCIATE-AC", ms));
        return;
      }
      case "AE-3":
        this.#emit("established", {});
        return this.#establishment.resolve(p.pdu as AssociateAcPdu);
      case "AE-4":
        this.#end({ how: "rejected", error: _rejectedError(p.pdu as AssociateRjPdu) });
        return void this.#connection?.close(true);
      case "AE-5":
        return this.#startArtim();
      case "AE-6":
        this.#stopTimer("artim");
        if (p.rejection === undefined) return this.#establishment.resolve(p.pdu as AssociateRqPdu);
        this.#send(p.rejection);
        this.#end({ how: "rejected", error: _rejectedError(p.rejection) });
        return this.#startArtim();
      case "AE-7":
        this.#send(p.response!);
        return this.#emit("established", {});
      case "AE-8":
        this.#send(p.response!);
        this.#end({ how: "rejected", error: _rejectedError(p.response as AssociateRjPdu) });
        return this.#startArtim();
      case "DT-1":
      case "AR-7":
        return this.#send(p.pdu!);
      case "DT-2":
      case "AR-6":
        return this.#inbox.push(p.pdu as PDataTfPdu);
      case "AR-1": {
        this.#send({ type: "A-RELEASE-RQ" });
        const ms = this.options.associationTimeout;
        if (ms) this.#startTimer("association", ms, () => this.#timeout("A-RELEASE-RP", ms));
        return;
      }
      case "AR-2":
      case "AR-8":
      case "AR-10":
        // A-RELEASE indication (AR-2, AR-8) or confirmation (AR-10): no more
        // P-DATA will come. The A-RELEASE response (Evt14) follows once the
        // user is done (Sta8, Sta9, Sta12); Sta10 waits for the peer's RP.
        this.#inbox.end(undefined);
        if (action !== "AR-8" || this.options.requestor) this.#answerRelease();
        return;
      case "AR-3":
        this.#end({ how: "released" });
        return void this.#connection?.close(true);
      case "AR-4":
        this.#send({ type: "A-RELEASE-RP" });
        this.#end({ how: "released" });
        return this.#startArtim();
      case "AR-5":
        return this.#stopTimer("artim");
      case "AR-9":
        return this.#send({ type: "A-RELEASE-RP" });
      case "AA-1": // Service-user source: a local abort, or a PDU before A-ASSOCIATE-RQ.
        this.#send({
          type: "A-ABORT",
          source: p.abort?.source ?? ABORT_SOURCE.SERVICE_USER,
          reason: p.abort?.reason ?? ABORT_REASON.REASON_NOT_SPECIFIED,
        });
        this.#end({
          how: "aborted",
          error: p.abort?.error ?? _invalidPduError(this.#state, event, p),
        });
        return this.#startArtim();
      case "AA-2":
        this.#stopTimer("artim");
        this.#end({ how: "aborted", error: _aa2Error(this.#state, event, p) });
        return void this.#connection?.close(false);
      case "AA-3": {
        const pdu = p.pdu as AbortPdu;
        this.#end({ how: "aborted", error: _peerAbortError(pdu) });
        return void this.#connection?.close(false);
      }
      case "AA-4": {
        // Our own write timeout closed the transport (A-P-ABORT, PS3.8 §7.4).
        if (p.cause instanceof WriteTimeoutError) {
          return this.#end({ how: "aborted", error: p.cause });
        }
        const message = this.#state === "Sta4"
          ? "Cannot open the transport connection"
          : "Transport connection closed by the peer (A-P-ABORT)";
        return this.#end({
          how: "aborted",
          error: _providerError(message, ABORT_REASON.REASON_NOT_SPECIFIED, p.cause),
        });
      }
      case "AA-5":
        this.#stopTimer("artim");
        return this.#end({
          how: "aborted",
          error: _providerError(
            "Transport connection closed before A-ASSOCIATE-RQ",
            ABORT_REASON.REASON_NOT_SPECIFIED,
            p.cause,
          ),
        });
      case "AA-6": // Ignore PDU.
        return;
      case "AA-7":
      case "AA-8": {
        const error = _invalidPduError(this.#state, event, p);
        this.#send({
          type: "A-ABORT",
          source: ABORT_SOURCE.SERVICE_PROVIDER,
          reason: error.reason,
        });
        if (action === "AA-7") return;
        this.#end({ how: "aborted", error });
        return this.#startArtim();
      }
    }
  }

  /** A local timeout is a local abort: Evt15 with a TimeoutError as the cause. */
  #timeout(what: string, ms: number): void {
    this.abort(
      ABORT_SOURCE.SERVICE_USER,
      ABORT_REASON.REASON_NOT_SPECIFIED,
      _timeoutError(what, ms),
    );
  }

  /** Issues the A-RELEASE response primitive (Evt14) once the user's hook has settled. */
  #answerRelease(): void {
    const hook = this.options.onReleaseRequest;
    Promise.resolve().then(() => hook?.()).catch(() => {}).then(() => {
      if (this.#state === "Sta8" || this.#state === "Sta9" || this.#state === "Sta12") {
        this.dispatch("Evt14", {});
      }
    });
  }

  #attach(transport: Transport): void {
    const { maxPduLength, writeTimeout = 0 } = this.options;
    this.#connection = new _Connection(transport, { maxPduLength, writeTimeout }, {
      pdu: (pdu) => {
        if (this.options.events) this.#emit("pdu-received", { pdu });
        this.dispatch(PDU_EVENTS[pdu.type], { pdu });
      },
      invalid: (decodeError) => {
        // PS3.8 Table 9-21: a request without protocol version 1 is still an
        // A-ASSOCIATE-RQ, answered by A-ASSOCIATE-RJ (1, 2, 2) in Sta2 (AE-6).
        if (decodeError.code === "unsupported-protocol-version") {
          this.dispatch("Evt6", { decodeError, rejection: _PROTOCOL_VERSION_REJECTION });
        } else this.dispatch("Evt19", { decodeError });
      },
      ended: (cause) => this.dispatch("Evt17", { cause }),
      pause: () => this.#inbox.pause(this.#state === "Sta6"),
      // Listeners of "pdu-received" may keep the PDUs they are given.
      pushed: () => this.options.events ? undefined : this.#inbox.pushed,
      finished: () => this.#inbox.finished,
    });
  }

  #send(pdu: Pdu): void {
    if (this.#connection === undefined) return;
    this.#lastWrite = this.#connection.send(pdu);
    this.#lastWrite.catch(() => {}); // Reported as Evt17 by the connection.
    if (this.options.events) this.#emit("pdu-sent", { pdu });
  }

  /** Entering Sta1: stop timers, close the transport and settle everything. */
  #finish(): void {
    for (const id of this.#timers.values()) clearTimeout(id);
    this.#timers.clear();
    this.#stopIdleTimer();
    this.#openAbort.abort();
    const closing = this.#connection?.close(false);
    const outcome = this.#outcome ?? { how: "aborted", error: _providerError("Ended", 0) };
    if (outcome.how === "released") this.#inbox.end(undefined);
    else {
      this.#inbox.end(outcome.error);
      this.#establishment.reject(outcome.error);
    }
    Promise.allSettled([this.#opening, closing]).then(() => this.#closed.resolve(outcome));
  }

  #end(outcome: _Outcome): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    this.#emit(outcome.how, outcome.how === "released" ? {} : { error: outcome.error });
  }

  #startArtim(): void {
    this.#startTimer("artim", this.options.artimTimeout, () => this.dispatch("Evt18", {}));
  }

  #startTimer(name: Timer, ms: number, fire: () => void): void {
    this.#stopTimer(name);
    this.#timers.set(name, setTimeout(() => (this.#timers.delete(name), fire()), ms));
  }

  #stopTimer(name: Timer): void {
    clearTimeout(this.#timers.get(name));
    this.#timers.delete(name);
  }

  /** Sta6 saw an event, or its work settled: the idle timeout counts from now. */
  #restartIdleTimer(): void {
    const ms = this.options.idleTimeout;
    // An association whose service is still working is not idle, however
    // long its work keeps the wire silent (see busyWith()).
    if (!ms || this.#busy !== 0) return;
    this.#idleSince = performance.now();
    if (this.#idleTimer === undefined) this.#armIdleTimer(ms);
  }

  /**
   * On firing, the timer aborts only if the association has been idle for
   * the whole timeout (in Sta6, no busy work, no event since); otherwise it
   * waits on for what is left, or stops while work is in progress (the
   * work's end restarts it).
   */
  #armIdleTimer(delay: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      const ms = this.options.idleTimeout;
      if (!ms || this.#state !== "Sta6" || this.#busy !== 0) return;
      const idle = performance.now() - this.#idleSince;
      if (idle < ms) return this.#armIdleTimer(ms - idle);
      this.#timeout("PDU", ms);
    }, delay);
  }

  #stopIdleTimer(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Work in progress that suspends the idle timeout until it settles. */
  busyWith(work: Promise<unknown>): void {
    // The timer is left running: it does nothing while work is in progress.
    this.#busy++;
    work.then(this.#workDone, this.#workDone);
  }

  readonly #workDone = (): void => {
    this.#busy--;
    if (this.#state === "Sta6") this.#restartIdleTimer();
  };

  #emit(type: AssociationEventType, init: Omit<AssociationEventInit, "peer">): void {
    const target = this.options.events;
    if (target === undefined) return;
    const event = new AssociationEvent(type, { peer: this.options.peer, ...init });
    queueMicrotask(() => target.dispatchEvent(event));
  }
}
