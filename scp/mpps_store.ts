/**
 * Where an MPPS SCP keeps its Modality Performed Procedure Steps (PS3.4
 * F.7): each SOP instance's current attributes, encoded as Explicit VR
 * Little Endian, and its Performed Procedure Step Status (0040,0252), in an
 * embedded SQLite database (Deno's built-in `node:sqlite`, as the archive's
 * index), so that the steps survive a restart.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type Dataset, decodeDataset, encodeDataset } from "../dataset/mod.ts";
import { Uid } from "../dictionary/mod.ts";

/** The values of Performed Procedure Step Status (0040,0252), PS3.3 C.4.14. */
export type ProcedureStepStatus = "IN PROGRESS" | "COMPLETED" | "DISCONTINUED";

/** The states of PS3.4 Table F.1-3, as Performed Procedure Step Status writes them. */
export const PROCEDURE_STEP_STATUSES: readonly ProcedureStepStatus[] = [
  "IN PROGRESS",
  "COMPLETED",
  "DISCONTINUED",
];

/** A stored Modality Performed Procedure Step. */
export interface ProcedureStep {
  /** Its SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** Performed Procedure Step Status (0040,0252). */
  readonly status: ProcedureStepStatus;
  /** Every attribute as created and set so far. */
  readonly dataset: Dataset;
  /** When the N-CREATE was accepted. */
  readonly created: Date;
  /** When the last N-SET was accepted (the N-CREATE's time before any). */
  readonly updated: Date;
}

/** Options of {@linkcode ProcedureStepStore.open}. */
export interface ProcedureStepStoreOptions {
  /**
   * The SQLite database file, or `":memory:"`.
   *
   * @default {":memory:"}
   */
  database?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS procedure_steps (
  sop_instance_uid TEXT PRIMARY KEY, status TEXT NOT NULL, attrs BLOB NOT NULL,
  created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS procedure_steps_status ON procedure_steps(status);
`;

type Row = {
  sop_instance_uid: string;
  status: string;
  attrs: Uint8Array;
  created: number;
  updated: number;
};

function encode(dataset: Dataset): Uint8Array {
  return encodeDataset(dataset, { transferSyntax: Uid.ExplicitVRLittleEndian });
}

function fromRow(row: Row): ProcedureStep {
  return {
    sopInstanceUid: row.sop_instance_uid,
    status: row.status as ProcedureStepStatus,
    dataset: decodeDataset(row.attrs, { transferSyntax: Uid.ExplicitVRLittleEndian }),
    created: new Date(row.created),
    updated: new Date(row.updated),
  };
}

/**
 * The procedure steps of an MPPS SCP, by SOP Instance UID. Writes are
 * synchronous SQLite statements, so a read-check-write of one step cannot
 * interleave with another's.
 *
 * @example Keep a step and read it back
 * ```ts
 * import { ProcedureStepStore } from "./mod.ts";
 * import { Dataset } from "../dataset/mod.ts";
 * import { Tag } from "../dictionary/mod.ts";
 *
 * using store = ProcedureStepStore.open();
 * store.insert("2.25.1", new Dataset().set(Tag.PerformedProcedureStepStatus, "IN PROGRESS"));
 * console.log(store.get("2.25.1")?.status); // "IN PROGRESS"
 * ```
 */
export class ProcedureStepStore implements Disposable {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #get: StatementSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    db.exec(SCHEMA);
    this.#insert = db.prepare(
      "INSERT OR IGNORE INTO procedure_steps (sop_instance_uid, status, attrs, created, updated) VALUES (?, ?, ?, ?, ?)",
    );
    this.#update = db.prepare(
      "UPDATE procedure_steps SET status = ?, attrs = ?, updated = ? WHERE sop_instance_uid = ?",
    );
    this.#get = db.prepare("SELECT * FROM procedure_steps WHERE sop_instance_uid = ?");
  }

  /**
   * Opens (or creates) a store. With a file, every accepted change is on
   * the disk before it is answered (`synchronous = FULL`).
   */
  static open(options: ProcedureStepStoreOptions = {}): ProcedureStepStore {
    return new ProcedureStepStore(new DatabaseSync(options.database ?? ":memory:"));
  }

  /** The step with this SOP Instance UID, or `undefined`. */
  get(sopInstanceUid: string): ProcedureStep | undefined {
    const row = this.#get.get(sopInstanceUid) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every step, or those with `status`, oldest first. */
  list(status?: ProcedureStepStatus): ProcedureStep[] {
    const rows = status === undefined
      ? this.#db.prepare("SELECT * FROM procedure_steps ORDER BY created, rowid").all()
      : this.#db.prepare("SELECT * FROM procedure_steps WHERE status = ? ORDER BY created, rowid")
        .all(status);
    return (rows as Row[]).map(fromRow);
  }

  /**
   * Adds a step IN PROGRESS with `dataset`; returns `false`, changing
   * nothing, when the UID is already there.
   */
  insert(sopInstanceUid: string, dataset: Dataset, now: Date = new Date()): boolean {
    const result = this.#insert.run(
      sopInstanceUid,
      "IN PROGRESS",
      encode(dataset),
      now.getTime(),
      now.getTime(),
    );
    return Number(result.changes) === 1;
  }

  /** Replaces a step's attributes and status; returns `false` when there is no such step. */
  update(
    sopInstanceUid: string,
    status: ProcedureStepStatus,
    dataset: Dataset,
    now: Date = new Date(),
  ): boolean {
    const result = this.#update.run(status, encode(dataset), now.getTime(), sopInstanceUid);
    return Number(result.changes) === 1;
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Closes the database. */
  [Symbol.dispose](): void {
    this.close();
  }
}
