/**
 * The DIMSE layer (PS3.7): command sets (one type per message, discriminated
 * by `type`), status codes, fragmentation of messages into PDVs, and a
 * {@linkcode DimseChannel} that reassembles, dispatches and sends messages
 * over an association.
 *
 * @example Encode and decode a C-ECHO-RQ command set
 * ```ts
 * import { Uid } from "@dcm/net/dictionary";
 * import { decodeCommand, encodeCommand } from "./mod.ts";
 *
 * const bytes = encodeCommand({
 *   type: "C-ECHO-RQ",
 *   hasDataset: false,
 *   messageId: 7,
 *   affectedSopClassUid: Uid.Verification,
 * });
 * const command = decodeCommand(bytes);
 * // `type` narrows the union: a C-ECHO-RQ has a Message ID.
 * if (command.type === "C-ECHO-RQ") console.log(command.messageId); // 7
 * ```
 *
 * @module
 */
export * from "./command.ts";
export * from "./command_sets.ts";
export * from "./status.ts";
export * from "./errors.ts";
export * from "./fragment.ts";
export * from "./messages.ts";
export * from "./channel.ts";
