/**
 * An embedded archive: DICOM files on disk, indexed in SQLite (Deno's
 * built-in `node:sqlite`) by patient, study, series and instance, with each
 * level's attributes kept for matching and return keys (PS3.4 §C.6).
 *
 * @module
 */
import { Tag, Uid } from "../dictionary/mod.ts";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import {
  type DataElement,
  Dataset,
  decodeDataset,
  encodeDataset,
  type QueryLevel,
  readPart10,
} from "../dataset/mod.ts";
import { levelOf } from "./levels.ts";
import {
  LEVEL_ALIAS,
  MATCH_KEYS_SCHEMA,
  matchKeyValues,
  type SqlCondition,
  sqlConditions,
} from "./_sql_match.ts";

/** Options of {@linkcode Archive.open}. */
export interface ArchiveOptions {
  /**
   * The SQLite database file, or `":memory:"`.
   *
   * @default {":memory:"}
   */
  database?: string;
}

/** Options of {@linkcode Archive.ingestDirectory}. */
export interface IngestDirectoryOptions {
  /** Files not to index (a File-set's DICOMDIR, files already indexed). */
  skip?: (path: string) => boolean;
}

/** An instance as the archive knows it. */
export interface ArchivedInstance {
  /** SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** SOP Class UID. */
  readonly sopClassUid: string;
  /** Transfer syntax of the file's data set. */
  readonly transferSyntax: string;
  /** Path of the Part 10 file. */
  readonly path: string;
  /** Study Instance UID. */
  readonly studyInstanceUid: string;
  /** Series Instance UID. */
  readonly seriesInstanceUid: string;
}

/** A query result: the merged attributes of a record and its parents, and its derived counts. */
export interface ArchiveRecord {
  /** Attributes of the record's level and the levels above it. */
  readonly dataset: Dataset;
  /** The database key of the record at its level. */
  readonly key: number;
}

/**
 * (7FE0,0000), the start of the group where PS3.6 puts Pixel Data and the
 * other bulk pixel elements (Extended Offset Table, Float and Double Float
 * Pixel Data): the archive indexes what comes before and no bulk data.
 */
const PIXEL_DATA_GROUP_START = 0x7fe0_0000;
/**
 * Values longer than this are not read when a file is indexed: every key the
 * index keeps is a short text (PS3.5 Table 6.2-1: at most 64 KiB with a 16-bit
 * length), so a long value is only memory spent.
 */
const MAX_INDEXED_VALUE_LENGTH = 1 << 16;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS patients (
  pk INTEGER PRIMARY KEY, patient_id TEXT NOT NULL, issuer TEXT NOT NULL, attrs BLOB NOT NULL,
  UNIQUE (patient_id, issuer));
CREATE TABLE IF NOT EXISTS studies (
  pk INTEGER PRIMARY KEY, patient_pk INTEGER NOT NULL REFERENCES patients(pk),
  study_uid TEXT NOT NULL UNIQUE, attrs BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS series (
  pk INTEGER PRIMARY KEY, study_pk INTEGER NOT NULL REFERENCES studies(pk),
  series_uid TEXT NOT NULL UNIQUE, modality TEXT, attrs BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS instances (
  pk INTEGER PRIMARY KEY, series_pk INTEGER NOT NULL REFERENCES series(pk),
  sop_uid TEXT NOT NULL UNIQUE, sop_class TEXT NOT NULL, transfer_syntax TEXT NOT NULL,
  path TEXT NOT NULL, attrs BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS studies_patient ON studies(patient_pk);
CREATE INDEX IF NOT EXISTS series_study ON series(study_pk);
CREATE INDEX IF NOT EXISTS instances_series ON instances(series_pk);
${MATCH_KEYS_SCHEMA}`;

/**
 * The schema version kept in `PRAGMA user_version`: 1 added `match_keys`,
 * filled from the stored attributes when an older index is opened.
 */
const SCHEMA_VERSION = 1;

/** The level tables, in `match_keys` level order (PATIENT 0 … IMAGE 3). */
const LEVEL_TABLES = ["patients", "studies", "series", "instances"] as const;

/** Prepared statements of record queries kept, one per query shape (SQL text). */
const MAX_QUERY_STATEMENTS = 64;

/** Records read from SQLite at a time by {@linkcode Archive.records}. */
const RECORDS_PAGE = 64;

/** The columns of a record's levels, from the patient down (see `records()`). */
const RECORD_COLUMNS = ["a0", "a1", "a2", "a3"] as const;

/** Splits a data set's top-level attributes into the four levels. */
function split(ds: Dataset): Record<QueryLevel, Dataset> {
  const out: Record<QueryLevel, Dataset> = {
    PATIENT: new Dataset(),
    STUDY: new Dataset(),
    SERIES: new Dataset(),
    IMAGE: new Dataset(),
  };
  const charset = ds.get(Tag.SpecificCharacterSet);
  for (const el of ds) {
    if (el.tag >= PIXEL_DATA_GROUP_START || (el.tag & 0xffff) === 0) continue; // no pixel data, no group lengths
    out[levelOf(el.tag)].setElement(el);
  }
  // Each level keeps the character set its text is encoded in.
  if (charset) { for (const level of Object.values(out)) level.setElement(charset); }
  return out;
}

/** Whether two byte arrays hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function blob(ds: Dataset): Uint8Array {
  return encodeDataset(ds, { transferSyntax: Uid.ExplicitVRLittleEndian });
}

/** Decodes a stored level blob. */
export function _decodeLevel(bytes: Uint8Array): Dataset {
  return decodeDataset(bytes, { transferSyntax: Uid.ExplicitVRLittleEndian });
}

type Row = Record<string, unknown>;

/**
 * The archive index. Files are not copied or changed: the index points at
 * them where they are.
 *
 * @example Index a file and look it up
 * ```ts ignore
 * import { Archive } from "./mod.ts";
 * using archive = Archive.open();
 * await archive.ingestFile("CT_small.dcm");
 * console.log(archive.counts());
 * ```
 */
export class Archive implements Disposable {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #queryStatements = new Map<string, StatementSync>();

  private constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    db.exec(SCHEMA);
    const version = Number((db.prepare("PRAGMA user_version").get() as Row)["user_version"]);
    if (version < SCHEMA_VERSION) this.#fillMatchKeys();
  }

  /** Fills `match_keys` from every record's stored attributes (an index made before it existed). */
  #fillMatchKeys(): void {
    const db = this.#db;
    db.exec("BEGIN");
    try {
      db.exec("DELETE FROM match_keys");
      LEVEL_TABLES.forEach((table, level) => {
        for (const row of db.prepare(`SELECT pk, attrs FROM ${table}`).iterate() as Iterable<Row>) {
          this.#writeMatchKeys(level, Number(row["pk"]), row["attrs"] as Uint8Array, false);
        }
      });
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  }

  /** Replaces the `match_keys` rows of a record with those of its stored attributes. */
  #writeMatchKeys(level: number, pk: number, attrs: Uint8Array, replace = true): void {
    if (replace) this.#deleteMatchKeys(level, pk);
    const insert = this.#statement(
      "INSERT INTO match_keys (level, pk, tag, value) VALUES (?, ?, ?, ?)",
    );
    for (const [tag, value] of matchKeyValues(_decodeLevel(attrs))) {
      insert.run(level, pk, tag, value);
    }
  }

  /** Opens (or creates) an archive index. */
  static open(options: ArchiveOptions = {}): Archive {
    return new Archive(new DatabaseSync(options.database ?? ":memory:"));
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Closes the database. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Indexes a data set stored at `path` (in `transferSyntax`). Re-indexing an
   * instance replaces its entry. The patient, study and series attributes of
   * the latest data set indexed win: they replace those of the records above
   * it, so that C-FIND reports what the stored files say (an instance sent
   * again with corrected patient data corrects its patient).
   *
   * @throws {TypeError} when the data set lacks a UID the hierarchy needs.
   */
  index(dataset: Dataset, path: string, transferSyntax: string): ArchivedInstance {
    const need = (tag: number, name: string): string => {
      const v = dataset.string(tag);
      if (!v) throw new TypeError(`Cannot index ${path}: it has no ${name}`);
      return v;
    };
    const sopInstanceUid = need(Tag.SOPInstanceUID, "SOP Instance UID");
    const sopClassUid = need(Tag.SOPClassUID, "SOP Class UID");
    const studyInstanceUid = need(Tag.StudyInstanceUID, "Study Instance UID");
    const seriesInstanceUid = need(Tag.SeriesInstanceUID, "Series Instance UID");
    const patientId = dataset.string(Tag.PatientID) ?? "";
    const issuer = dataset.string(Tag.IssuerOfPatientID) ?? "";
    const levels = split(dataset);
    const attrs = {
      PATIENT: blob(levels.PATIENT),
      STUDY: blob(levels.STUDY),
      SERIES: blob(levels.SERIES),
      IMAGE: blob(levels.IMAGE),
    };
    const db = this.#db;
    db.exec("BEGIN");
    try {
      const { pk: patientPk } = this.#upsert(
        0,
        attrs.PATIENT,
        "SELECT pk, attrs FROM patients WHERE patient_id = ? AND issuer = ?",
        [patientId, issuer],
        "INSERT INTO patients (patient_id, issuer, attrs) VALUES (?, ?, ?)",
        [patientId, issuer, attrs.PATIENT],
        "UPDATE patients SET attrs = ? WHERE pk = ?",
        [attrs.PATIENT],
      );
      // A study or series that moved (its patient or study changed) leaves
      // no empty record behind: see the prune below.
      const { pk: studyPk, parent: oldPatientPk } = this.#upsert(
        1,
        attrs.STUDY,
        "SELECT pk, patient_pk AS parent, attrs FROM studies WHERE study_uid = ?",
        [studyInstanceUid],
        "INSERT INTO studies (patient_pk, study_uid, attrs) VALUES (?, ?, ?)",
        [patientPk, studyInstanceUid, attrs.STUDY],
        "UPDATE studies SET patient_pk = ?, attrs = ? WHERE pk = ?",
        [patientPk, attrs.STUDY],
      );
      const modality = dataset.string(Tag.Modality) ?? null;
      const { pk: seriesPk, parent: oldStudyPk } = this.#upsert(
        2,
        attrs.SERIES,
        "SELECT pk, study_pk AS parent, attrs FROM series WHERE series_uid = ?",
        [seriesInstanceUid],
        "INSERT INTO series (study_pk, series_uid, modality, attrs) VALUES (?, ?, ?, ?)",
        [studyPk, seriesInstanceUid, modality, attrs.SERIES],
        "UPDATE series SET study_pk = ?, modality = ?, attrs = ? WHERE pk = ?",
        [studyPk, modality, attrs.SERIES],
      );
      const previous = this.#statement(
        "SELECT series_pk, attrs FROM instances WHERE sop_uid = ?",
      ).get(sopInstanceUid) as Row | undefined;
      const instancePk = Number(
        (this.#statement(
          `INSERT INTO instances (series_pk, sop_uid, sop_class, transfer_syntax, path, attrs) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (sop_uid) DO UPDATE SET series_pk = excluded.series_pk, sop_class = excluded.sop_class,
           transfer_syntax = excluded.transfer_syntax, path = excluded.path, attrs = excluded.attrs
         RETURNING pk`,
        ).get(seriesPk, sopInstanceUid, sopClassUid, transferSyntax, path, attrs.IMAGE) as Row)[
          "pk"
        ],
      );
      if (!previous || !sameBytes(previous["attrs"] as Uint8Array, attrs.IMAGE)) {
        this.#writeMatchKeys(3, instancePk, attrs.IMAGE, previous !== undefined);
      }
      // An instance re-indexed into another series leaves no empty series,
      // study or patient behind for C-FIND to report.
      if (previous && Number(previous["series_pk"]) !== seriesPk) {
        this.#prune(Number(previous["series_pk"]));
      }
      if (oldStudyPk !== undefined && oldStudyPk !== studyPk) this.#pruneStudy(oldStudyPk);
      if (oldPatientPk !== undefined && oldPatientPk !== patientPk) {
        this.#prunePatient(oldPatientPk);
      }
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
    return {
      sopInstanceUid,
      sopClassUid,
      transferSyntax,
      path,
      studyInstanceUid,
      seriesInstanceUid,
    };
  }

  /** A prepared statement, prepared once per archive: indexing runs a few per instance. */
  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * The primary key of the row `select` finds, updated with `update` (its
   * arguments, then the key), or of the row `insert` adds when there is none;
   * with the found row's `parent` column (its parent before the update), if
   * `select` has one.
   */
  #upsert(
    level: number,
    attrs: Uint8Array,
    select: string,
    selectArgs: SQLInputValue[],
    insert: string,
    insertArgs: SQLInputValue[],
    update: string,
    updateArgs: SQLInputValue[],
  ): { pk: number; parent: number | undefined } {
    const row = this.#statement(select).get(...selectArgs) as Row | undefined;
    if (!row) {
      const pk = Number(this.#statement(insert).run(...insertArgs).lastInsertRowid);
      // A new record's pk may be one a deleted record had: replace its rows.
      this.#writeMatchKeys(level, pk, attrs);
      return { pk, parent: undefined };
    }
    const pk = Number(row["pk"]);
    this.#statement(update).run(...updateArgs, pk);
    // Most instances of a study repeat its attributes: its keys stay as they are.
    if (!sameBytes(row["attrs"] as Uint8Array, attrs)) this.#writeMatchKeys(level, pk, attrs);
    return { pk, parent: row["parent"] === undefined ? undefined : Number(row["parent"]) };
  }

  /** Deletes a series without instances, then its study and patient if they are left empty. */
  #prune(seriesPk: number): void {
    const series = this.#statement(
      "SELECT se.study_pk, st.patient_pk FROM series se JOIN studies st ON st.pk = se.study_pk WHERE se.pk = ?",
    ).get(seriesPk) as Row | undefined;
    if (!series) return;
    const gone = this.#statement(
      "DELETE FROM series WHERE pk = ? AND NOT EXISTS (SELECT 1 FROM instances WHERE series_pk = ?)",
    ).run(seriesPk, seriesPk);
    if (Number(gone.changes) > 0) this.#deleteMatchKeys(2, seriesPk);
    this.#pruneStudy(Number(series["study_pk"]));
  }

  /** Deletes a study without series, then its patient if it is left empty. */
  #pruneStudy(studyPk: number): void {
    const study = this.#statement("SELECT patient_pk FROM studies WHERE pk = ?").get(studyPk) as
      | Row
      | undefined;
    if (!study) return;
    const gone = this.#statement(
      "DELETE FROM studies WHERE pk = ? AND NOT EXISTS (SELECT 1 FROM series WHERE study_pk = ?)",
    ).run(studyPk, studyPk);
    if (Number(gone.changes) > 0) this.#deleteMatchKeys(1, studyPk);
    this.#prunePatient(Number(study["patient_pk"]));
  }

  /** Deletes a patient without studies. */
  #prunePatient(patientPk: number): void {
    const gone = this.#statement(
      "DELETE FROM patients WHERE pk = ? AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_pk = ?)",
    ).run(patientPk, patientPk);
    if (Number(gone.changes) > 0) this.#deleteMatchKeys(0, patientPk);
  }

  /** Deletes the `match_keys` rows of a record (deleted, or to be written again). */
  #deleteMatchKeys(level: number, pk: number): void {
    this.#statement("DELETE FROM match_keys WHERE level = ? AND pk = ?").run(level, pk);
  }

  /** Reads a Part 10 file's header (not its pixel data) and indexes it. */
  async ingestFile(path: string): Promise<ArchivedInstance> {
    using file = await Deno.open(path);
    const { dataset, transferSyntax, rest } = await readPart10(file.readable, {
      stopBefore: PIXEL_DATA_GROUP_START,
      // No index key is long; a long value (a document, or a deflate bomb) is passed over.
      skipValuesLongerThan: MAX_INDEXED_VALUE_LENGTH,
    });
    await rest?.cancel();
    return this.index(dataset, path, transferSyntax);
  }

  /**
   * Indexes every file under a folder (recursively), skipping what is not
   * DICOM, hidden files and those `options.skip` names, in the order the
   * files were last written (then by path): as when they were stored, the
   * latest file's patient, study and series attributes win (see
   * {@linkcode Archive.index}), so a restart reports what the archive
   * reported before it. Reports each file to `onFile`; returns the counts.
   */
  async ingestDirectory(
    directory: string,
    onFile?: (path: string, error: Error | undefined) => void,
    options: IngestDirectoryOptions = {},
  ): Promise<{ indexed: number; skipped: number }> {
    const files: { path: string; written: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      for await (const e of Deno.readDir(dir)) {
        if (e.name.startsWith(".")) continue; // temporary files of the writer, hidden files
        const path = `${dir}/${e.name}`;
        if (e.isDirectory) await walk(path);
        else if (e.isFile && !options.skip?.(path)) {
          files.push({ path, written: (await Deno.stat(path)).mtime?.getTime() ?? 0 });
        }
      }
    };
    await walk(directory);
    files.sort((a, b) => a.written - b.written || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return await this.ingestFiles(files.map((f) => f.path), onFile);
  }

  /**
   * Indexes files in the order given, skipping (and reporting to `onFile`)
   * those that cannot be read as DICOM; returns the counts.
   */
  async ingestFiles(
    paths: Iterable<string>,
    onFile?: (path: string, error: Error | undefined) => void,
  ): Promise<{ indexed: number; skipped: number }> {
    let indexed = 0, skipped = 0;
    for (const path of paths) {
      try {
        await this.ingestFile(path);
        indexed++;
        onFile?.(path, undefined);
      } catch (err) {
        skipped++;
        onFile?.(path, err instanceof Error ? err : new Error(String(err)));
      }
    }
    return { indexed, skipped };
  }

  /** Numbers of patients, studies, series and instances. */
  counts(): { patients: number; studies: number; series: number; instances: number } {
    const n = (t: string) =>
      Number((this.#db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as Row)["n"]);
    return {
      patients: n("patients"),
      studies: n("studies"),
      series: n("series"),
      instances: n("instances"),
    };
  }

  /**
   * The records of a level, each with its parents' attributes merged in,
   * narrowed by the unique keys given (a UID list or a patient ID) and, in
   * SQL, by those matching keys of `query` that SQL can judge (single
   * values, wildcards, date and time ranges, lists: PS3.4 §C.2.2.2) on the
   * indexed keys users query most (Patient ID and Name, Study Date,
   * Accession Number, Modality, Modalities in Study, the UIDs ...): the
   * candidates that {@linkcode matches} then filters. Every record that
   * `matches(query, ·)` accepts (with its {@linkcode Archive.derived}
   * attributes added, as a C-FIND provider adds them) is among them. Records
   * are read a page at a time as they are iterated.
   */
  *records(
    level: QueryLevel,
    keys: Partial<Record<QueryLevel, readonly string[]>> = {},
    query?: Dataset,
  ): Generator<ArchiveRecord> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (column: string, values: readonly string[] | undefined) => {
      if (!values || values.length === 0) return;
      where.push(`${column} IN (${values.map(() => "?").join(",")})`);
      args.push(...values);
    };
    add("p.patient_id", keys.PATIENT);
    if (level !== "PATIENT") add("st.study_uid", keys.STUDY);
    if (level === "SERIES" || level === "IMAGE") add("se.series_uid", keys.SERIES);
    if (level === "IMAGE") add("i.sop_uid", keys.IMAGE);
    const conditions: SqlCondition[] = query === undefined ? [] : sqlConditions(query, level);
    for (const c of conditions) {
      where.push(c.sql);
      args.push(...c.args);
    }
    const from = {
      PATIENT: "patients p",
      STUDY: "studies st JOIN patients p ON p.pk = st.patient_pk",
      SERIES:
        "series se JOIN studies st ON st.pk = se.study_pk JOIN patients p ON p.pk = st.patient_pk",
      IMAGE:
        "instances i JOIN series se ON se.pk = i.series_pk JOIN studies st ON st.pk = se.study_pk JOIN patients p ON p.pk = st.patient_pk",
    }[level];
    const cols = {
      PATIENT: "p.pk AS key, p.attrs AS a0",
      STUDY: "st.pk AS key, p.attrs AS a0, st.attrs AS a1",
      SERIES: "se.pk AS key, p.attrs AS a0, st.attrs AS a1, se.attrs AS a2",
      IMAGE: "i.pk AS key, p.attrs AS a0, st.attrs AS a1, se.attrs AS a2, i.attrs AS a3",
    }[level];
    // Read a page at a time, after the last key read (keyset paging): the
    // records stream to the caller while no statement stays open between
    // them, and all() reads a row in less than half the time iterate() does.
    where.push(`${LEVEL_ALIAS[level]}.pk > ?`);
    const sql = `SELECT ${cols} FROM ${from} WHERE ${
      where.join(" AND ")
    } ORDER BY key LIMIT ${RECORDS_PAGE}`;
    const statement = this.#queryStatement(sql);
    let after = -1;
    // The attributes of a parent level come again for each of its children,
    // one after another (a patient's studies): decoded once while they
    // repeat (issue 13). Elements without items are shared between records
    // (nothing changes an element in place); a sequence's items take the
    // data set they are set into as parent, so those are decoded anew.
    const last: ({ bytes: Uint8Array; elements: DataElement[] } | undefined)[] = [];
    const levelElements = (i: number, bytes: Uint8Array): Iterable<DataElement> => {
      const seen = last[i];
      if (seen !== undefined && sameBytes(seen.bytes, bytes)) return seen.elements;
      const elements = [..._decodeLevel(bytes)];
      last[i] = elements.some((el) => el.kind === "sequence") ? undefined : { bytes, elements };
      return elements;
    };
    for (;;) {
      const rows = statement.all(...args, after) as Row[];
      for (const row of rows) {
        const merged = new Dataset();
        for (let i = 0; i < RECORD_COLUMNS.length; i++) {
          const b = row[RECORD_COLUMNS[i]!];
          if (b instanceof Uint8Array) {
            for (const el of levelElements(i, b)) merged.setElement(el);
          }
        }
        after = Number(row["key"]);
        yield { dataset: merged, key: after };
      }
      if (rows.length < RECORDS_PAGE) return;
    }
  }

  /** A record query's statement, prepared once per query shape (the most recent shapes kept). */
  #queryStatement(sql: string): StatementSync {
    const cache = this.#queryStatements;
    let statement = cache.get(sql);
    if (statement !== undefined) {
      cache.delete(sql); // re-inserted below: most recently used last
    } else {
      statement = this.#db.prepare(sql);
      // The least recently used shape goes (a Map iterates in insertion order).
      if (cache.size >= MAX_QUERY_STATEMENTS) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, statement);
    return statement;
  }

  /**
   * Derived attributes of a record (PS3.4 §C.3): related counts, modalities,
   * SOP classes and an instance's Available Transfer Syntax UID.
   */
  derived(level: QueryLevel, key: number): Dataset {
    // Prepared once per archive: a C-FIND asking for them runs these for every record.
    const one = (sql: string) => Number((this.#statement(sql).get(key) as Row)["n"]);
    const list = (sql: string) =>
      (this.#statement(sql).all(key) as Row[]).map((r) => String(r["v"]));
    const ds = new Dataset();
    if (level === "PATIENT") {
      ds.set(
        Tag.NumberOfPatientRelatedStudies,
        one("SELECT count(*) AS n FROM studies WHERE patient_pk = ?"),
        "IS",
      );
      ds.set(
        Tag.NumberOfPatientRelatedSeries,
        one(
          "SELECT count(*) AS n FROM series se JOIN studies st ON st.pk = se.study_pk WHERE st.patient_pk = ?",
        ),
        "IS",
      );
      ds.set(
        Tag.NumberOfPatientRelatedInstances,
        one(
          "SELECT count(*) AS n FROM instances i JOIN series se ON se.pk = i.series_pk JOIN studies st ON st.pk = se.study_pk WHERE st.patient_pk = ?",
        ),
        "IS",
      );
    } else if (level === "STUDY") {
      ds.set(
        Tag.NumberOfStudyRelatedSeries,
        one("SELECT count(*) AS n FROM series WHERE study_pk = ?"),
        "IS",
      );
      ds.set(
        Tag.NumberOfStudyRelatedInstances,
        one(
          "SELECT count(*) AS n FROM instances i JOIN series se ON se.pk = i.series_pk WHERE se.study_pk = ?",
        ),
        "IS",
      );
      ds.set(
        Tag.ModalitiesInStudy,
        list(
          "SELECT DISTINCT modality AS v FROM series WHERE study_pk = ? AND modality IS NOT NULL ORDER BY v",
        ),
        "CS",
      );
      ds.set(
        Tag.SOPClassesInStudy,
        list(
          "SELECT DISTINCT i.sop_class AS v FROM instances i JOIN series se ON se.pk = i.series_pk WHERE se.study_pk = ? ORDER BY v",
        ),
        "UI",
      );
    } else if (level === "SERIES") {
      ds.set(
        Tag.NumberOfSeriesRelatedInstances,
        one("SELECT count(*) AS n FROM instances WHERE series_pk = ?"),
        "IS",
      );
    } else if (level === "IMAGE") {
      // PS3.4 Table C.6-4 (optional IMAGE level key): the syntax the instance is stored in, so a C-GET
      // SCU can propose a context that receives it as stored.
      ds.set(
        Tag.AvailableTransferSyntaxUID,
        list("SELECT transfer_syntax AS v FROM instances WHERE pk = ?"),
        "UI",
      );
    }
    return ds;
  }

  /**
   * The instance indexed under a SOP Instance UID, if any (e.g. for Storage
   * Commitment, PS3.4 J.3.2.1.3).
   */
  instance(sopInstanceUid: string): ArchivedInstance | undefined {
    const r = this.#statement(`${INSTANCE_SELECT} WHERE i.sop_uid = ?`).get(sopInstanceUid) as
      | Row
      | undefined;
    return r === undefined ? undefined : archivedInstance(r);
  }

  /** The instances under a record of a level (for C-MOVE and C-GET), in a stable order. */
  instances(level: QueryLevel, key: number): ArchivedInstance[] {
    const filter = {
      PATIENT: "st.patient_pk = ?",
      STUDY: "se.study_pk = ?",
      SERIES: "i.series_pk = ?",
      IMAGE: "i.pk = ?",
    }[level];
    // Prepared once per level (a C-MOVE or C-GET runs this for every identifier).
    const rows = this.#statement(
      `${INSTANCE_SELECT} WHERE ${filter} ORDER BY st.study_uid, se.series_uid, i.pk`,
    ).all(key) as Row[];
    return rows.map(archivedInstance);
  }
}

/** The columns of an {@linkcode ArchivedInstance}, with its study and series. */
const INSTANCE_SELECT =
  `SELECT i.sop_uid, i.sop_class, i.transfer_syntax, i.path, st.study_uid, se.series_uid
   FROM instances i JOIN series se ON se.pk = i.series_pk JOIN studies st ON st.pk = se.study_pk`;

/** A row of {@linkcode INSTANCE_SELECT} as an {@linkcode ArchivedInstance}. */
function archivedInstance(r: Row): ArchivedInstance {
  return {
    sopInstanceUid: String(r["sop_uid"]),
    sopClassUid: String(r["sop_class"]),
    transferSyntax: String(r["transfer_syntax"]),
    path: String(r["path"]),
    studyInstanceUid: String(r["study_uid"]),
    seriesInstanceUid: String(r["series_uid"]),
  };
}
