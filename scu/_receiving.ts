/**
 * Where a retrieval's objects go: the caller's store target, recording the
 * SOP Instance UID of each object received, with retrievals' default
 * durability (`"deferred"`: the source keeps its copies). Shared by C-GET and
 * the C-MOVE of `retrieve()`.
 *
 * @module
 */
import type { StoreTarget } from "../service/mod.ts";
import type { GetOptions } from "./query_retrieve_options.ts";

/** `options`' store target; each object received is pushed onto `received`. */
export function receivingTarget(options: GetOptions, received: string[]): StoreTarget {
  const { handleObject, onFileStored } = options;
  return {
    ...(options.directory !== undefined ? { directory: options.directory } : {}),
    ...(options.fileName ? { fileName: options.fileName } : {}),
    ...(options.processFile ? { processFile: options.processFile } : {}),
    durable: options.durable ?? "deferred",
    ...(handleObject
      ? {
        handleObject: async (object) => {
          const status = await handleObject(object);
          received.push(object.sopInstanceUid);
          return status;
        },
      }
      : {}),
    onFileStored: (file) => {
      received.push(file.sopInstanceUid);
      onFileStored?.(file);
    },
  };
}
