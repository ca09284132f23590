/**
 * The messages a {@linkcode DimseChannel} carries (PS3.7 §6, §9) and the
 * shape of the handlers it dispatches requests to.
 *
 * @module
 */
import type { Dataset } from "../dataset/mod.ts";
import type { DimseChannel } from "./channel.ts";
import type { Command, CommandType } from "./command.ts";

/** What every incoming message carries besides its data set. */
export interface DimseMessage {
  /** The presentation context it came on. */
  readonly presentationContextId: number;
  /** The context's abstract syntax (SOP class). */
  readonly abstractSyntax: string;
  /** The context's transfer syntax: the data set's encoding. */
  readonly transferSyntax: string;
  /** The command set. */
  readonly command: Command;
}

/** A request as it arrives: its data set, if any, streams in with back-pressure. */
export interface IncomingRequest extends DimseMessage {
  /** The data set bytes in `transferSyntax` as they arrive; `undefined` when none. */
  readonly dataset: ReadableStream<Uint8Array> | undefined;
}

/** A response to one of our requests, with its (small) data set whole. */
export interface DimseResponse extends DimseMessage {
  /** The data set bytes in `transferSyntax`; `undefined` when none. */
  readonly dataset: Uint8Array | undefined;
}

/** A data set to send: bytes already in the context's transfer syntax, a stream of them, or a Dataset. */
export type OutgoingDataset = Uint8Array | ReadableStream<Uint8Array> | Dataset;

/** The fields a handler gives for a response; type and message IDs are filled in. */
export type ResponseFields = Omit<Command, "type" | "hasDataset" | "messageIdBeingRespondedTo"> & {
  readonly status: number;
};

/** What a request handler gets besides the request. */
export interface RequestContext {
  /** The channel, e.g. to send sub-operations on the same association (C-GET). */
  readonly channel: DimseChannel;
  /** Aborted when the peer sends C-CANCEL-RQ for this request or the association ends. */
  readonly signal: AbortSignal;
  /** Sends a response to this request; call it once per pending response and once for the final one. */
  respond(fields: ResponseFields, dataset?: OutgoingDataset): Promise<void>;
}

/**
 * Handles one request. It answers through `context.respond()`; if it returns
 * without a final response, or throws, the channel sends a failure status.
 */
export type RequestHandler = (
  request: IncomingRequest,
  context: RequestContext,
) => void | Promise<void>;

/** Request types a handler can be registered for. */
export type RequestType = Exclude<CommandType, `${string}-RSP` | "C-CANCEL-RQ">;
