/**
 * The checks of a deflated data set (PS3.5 A.5) as its compressed bytes go
 * by: they are inflated as a stream, in bounded memory, through the same
 * structure check as any other data set, and its header is compared with
 * the command's (PS3.4 B.2.3 A900).
 *
 * @module
 */
import { ByteQueue, DatasetChecker, inflateRawStream } from "../dataset/mod.ts";
import { Uid } from "../dictionary/mod.ts";
import { headerMatches } from "./_header_check.ts";
import type { ObjectFacts } from "./file_writer.ts";

/** Feed it the compressed bytes in order with `push()`, then call `finish()`. */
export class DeflatedChecker {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #done: Promise<void>;

  /** Starts checking a data set that should be the one `facts` name. */
  constructor(facts: ObjectFacts) {
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    this.#writer = pipe.writable.getWriter();
    this.#done = (async () => {
      const structure = new DatasetChecker(Uid.ExplicitVRLittleEndian);
      let head: ByteQueue | undefined = new ByteQueue();
      for await (const chunk of inflateRawStream(pipe.readable)) {
        structure.push(chunk);
        if (head !== undefined) {
          head.push(chunk);
          if (headerMatches(head.peek(), Uid.ExplicitVRLittleEndian, facts, false)) {
            head = undefined;
          }
        }
      }
      structure.finish();
      if (head !== undefined) headerMatches(head.peek(), Uid.ExplicitVRLittleEndian, facts, true);
    })();
    this.#done.catch(() => {}); // reported by push() and finish()
  }

  /**
   * Checks the next compressed bytes; resolves once they are taken in
   * (back-pressure), throws what the check found wrong.
   *
   * @throws {DicomDecodeError} when the bytes do not inflate to a well-formed data set.
   * @throws {DimseStatusError} A900 when its SOP Class or Instance UID differ.
   */
  async push(chunk: Uint8Array): Promise<void> {
    try {
      await this.#writer.write(chunk);
    } catch {
      await this.#done; // the check ended early: its error is the reason
      throw new Error("The deflated data set went on after its end");
    }
  }

  /** Checks that the data set is complete and its header was the right one. */
  async finish(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#done;
  }

  /** Stops checking (the data set is dropped). */
  cancel(): void {
    this.#writer.abort().catch(() => {});
  }
}
