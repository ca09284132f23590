/**
 * The messages a {@linkcode DimseChannel} carries (PS3.7 §6, §9) and the
 * shape of the handlers it dispatches requests to.
 *
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";
import type { DimseChannel } from "./channel.ts";
import type { Command, RequestCommand, RequestType, ResponseCommand } from "./command_sets.ts";

/** What every incoming message carries besides its data set. */
export interface DimseMessage<C extends Command = Command> {
  /** The presentation context it came on. */
  readonly presentationContextId: number;
  /** The context's abstract syntax (SOP class). */
  readonly abstractSyntax: string;
  /** The context's transfer syntax: the data set's encoding. */
  readonly transferSyntax: string;
  /** The command set. */
  readonly command: C;
}

/**
 * A request as it arrives: its data set, if any, streams in with
 * back-pressure. `IncomingRequest<"C-STORE-RQ">` has a C-STORE-RQ command;
 * the default is any request, which `command.type` narrows.
 */
export interface IncomingRequest<T extends RequestType = RequestType>
  extends DimseMessage<RequestCommand<T>> {
  /** The data set bytes in `transferSyntax` as they arrive; `undefined` when none. */
  readonly dataset: ReadableStream<Uint8Array> | undefined;
}

/**
 * A response to one of our requests, with its (small) data set whole.
 * `DimseResponse<"C-FIND-RQ">` is a response to a C-FIND-RQ: its command is
 * a C-FIND-RSP.
 */
export interface DimseResponse<T extends RequestType = RequestType>
  extends DimseMessage<ResponseCommand<T>> {
  /** The data set bytes in `transferSyntax`; `undefined` when none. */
  readonly dataset: Uint8Array | undefined;
}

/** A data set to send: bytes already in the context's transfer syntax, a stream of them, or a Dataset. */
export type OutgoingDataset = Uint8Array | ReadableStream<Uint8Array> | Dataset;

/**
 * The fields any response may carry: its status and the fields PS3.7
 * Annex C attaches to failure statuses.
 */
export interface StatusFields {
  /** Status (0000,0900). */
  readonly status: number;
  /** Error Comment (0000,0902), up to 64 characters. */
  readonly errorComment?: string;
  /** Error ID (0000,0903). */
  readonly errorId?: number;
  /** Offending Element (0000,0901): tags. */
  readonly offendingElements?: readonly number[];
}

/**
 * The fields a handler gives for a response to a request of type `T`: those
 * of its response type (`status` required) but the type, the data set flag
 * and Message ID Being Responded To, which the channel fills in; or, for
 * any request, just the {@linkcode StatusFields}.
 */
export type ResponseFields<T extends RequestType = RequestType> =
  | StatusFields
  | (T extends RequestType
    ? Omit<ResponseCommand<T>, "type" | "hasDataset" | "messageIdBeingRespondedTo">
    : never);

/** What a handler of requests of type `T` gets besides the request. */
export interface RequestContext<T extends RequestType = RequestType> {
  /** The channel, e.g. to send sub-operations on the same association (C-GET). */
  readonly channel: DimseChannel;
  /** Aborted when the peer sends C-CANCEL-RQ for this request or the association ends. */
  readonly signal: AbortSignal;
  /**
   * Sends a response of type `ResponseTypeOf<T>` to this request; call it
   * once per pending response and once for the final one.
   */
  respond(fields: ResponseFields<T>, dataset?: OutgoingDataset): Promise<void>;
}

/**
 * Handles one request of type `T`. It answers through `context.respond()`;
 * if it returns without a final response, or throws, the channel sends a
 * failure status.
 */
export type RequestHandler<T extends RequestType = RequestType> = (
  request: IncomingRequest<T>,
  context: RequestContext<T>,
) => void | Promise<void>;

/**
 * Handlers by request type, each given requests of its own type:
 * `{ "C-STORE-RQ": (request) => ... }` sees `request.command` as a C-STORE-RQ.
 */
export type RequestHandlers = { readonly [T in RequestType]?: RequestHandler<T> };

/**
 * A request we sent, as {@linkcode DimseChannel.request} returns it (as
 * dcm4che's `DimseRSP`): it owns its Message ID, allocated when the request
 * was made, and its cancel, and is an async iterable of the responses to
 * it, ending after the final (non-pending) one.
 *
 * Responses are kept as they arrive, whether or not anybody iterates yet;
 * leaving a `for await` early does not end the request: iterate again to
 * go on where it stopped (e.g. to drain to the final response after
 * `cancel()`). One iteration at a time.
 */
export interface OutgoingRequest<T extends RequestType = RequestType>
  extends AsyncIterable<DimseResponse<T>> {
  /** Message ID (0000,0110) of the request. */
  readonly messageId: number;
  /** The presentation context it was sent on. */
  readonly presentationContextId: number;
  /** The command set sent, with its Message ID. */
  readonly command: RequestCommand<T>;
  /**
   * Sends C-CANCEL-RQ for this request's Message ID (PS3.7 §9.3.2.3,
   * §9.3.3.3, §9.3.4.3), once, while responses are pending (PS3.7
   * §9.1.2.1); after the final response, or once the request has failed, it
   * does nothing. The peer still sends a final response (Cancel, FE00, or
   * another): iterate to it.
   *
   * @throws {TypeError} for a request other than C-FIND, C-GET or C-MOVE.
   */
  cancel(): Promise<void>;
  /**
   * Yields the responses in order, ending after the final one.
   *
   * @throws {DimseTimeoutError} when a response takes longer than the channel's `dimseTimeout` (the association is aborted).
   * @throws {AssociationAbortedError} when the association ends first.
   */
  [Symbol.asyncIterator](): AsyncIterator<DimseResponse<T>, void, undefined>;
}
