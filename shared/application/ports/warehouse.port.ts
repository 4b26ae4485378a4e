import type { SurrogateReference } from '../../domain/gold/gold-tables.js';
import type { PortableColumn } from '../../domain/gold/portable-types.js';

/**
 * The warehouse the gold layer is loaded into: Synapse dedicated SQL pool on Azure (DDL +
 * `COPY INTO` + MERGE over `mssql`); DuckDB locally, reading the same gold Parquet files.
 *
 * Guarantees: `load` is idempotent per (table, batchId): loading the same batch twice leaves the
 * table unchanged; it returns the row count the table holds for that batch, for reconciliation.
 * For a table with `version` columns, newer always wins: a row is replaced only by a change at
 * least as new, in any arrival or replay order, and deletes leave tombstones so an older upsert
 * arriving later does not bring a deleted row back (docs/warehouse-apply.md).
 */
export interface Warehouse {
  /** Creates schemas and tables that do not exist yet. */
  ensureSchema(tables: readonly WarehouseTable[]): Promise<void>;
  /** Loads gold Parquet files (lake paths in the gold container) into a table for one batch. */
  load(request: WarehouseLoadRequest): Promise<WarehouseLoadResult>;
  /**
   * Resolves the surrogate references of the given fact tables for one batch, after its change sets
   * are loaded (ADR 0009): every fact the batch loaded, and every fact of a dimension member the
   * batch loaded, gets the key of its member's version in force on its business date (NULL if
   * none), in set-based statements (each dimension's loaded members read once per batch, one
   * UPDATE per fact table); then counts the facts in that scope whose key is an orphan (no
   * dimension row) or not the version in force (`mismatched`). One result per reference, in table
   * then reference order. Idempotent.
   */
  resolveReferences(request: WarehouseReferenceRequest): Promise<WarehouseReferenceResult[]>;
  /** Runs a read-only query (CLI export, status, tests). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export type WarehouseColumn = PortableColumn;

export interface WarehouseTable {
  readonly name: string;
  readonly columns: readonly WarehouseColumn[];
  /** Natural key used to make loads idempotent (MERGE / delete-then-insert). */
  readonly key: readonly string[];
  /** 'dimension' tables are replaced per key (SCD2 rows keyed by surrogate); 'fact' tables by key too. */
  readonly kind: 'dimension' | 'fact' | 'mart';
  readonly description: string;
  /**
   * Columns whose values a change set replaces whole (a dimension member's every version): rows of
   * the table matching the files' values are deleted before the upserts go in. Default: `key`.
   */
  readonly replaceBy?: readonly string[];
  /**
   * Columns saying how new a row is, compared in order (a NULL version is oldest). When set, the
   * apply keeps the newer row per `replaceBy` group in any order and keeps delete tombstones (in
   * `<name>_tombstones`); without it, the last batch applied wins.
   */
  readonly version?: readonly string[];
  /** Surrogate keys resolved against their dimension after each batch (`resolveReferences`). */
  readonly references?: readonly SurrogateReference[];
}

export interface WarehouseReferenceRequest {
  /** The tables holding the references (their `references` name the dimensions); others are skipped. */
  readonly tables: readonly WarehouseTable[];
  readonly batchId: string;
}

export interface WarehouseReferenceResult {
  readonly table: string;
  readonly column: string;
  readonly dimension: string;
  /** Facts whose key changed in this step (when the warehouse reports it: DuckDB does). */
  readonly rekeyed?: number;
  /** Facts in the batch's scope whose key is in no row of the dimension: must be 0. */
  readonly orphans: number;
  /** Facts in scope whose key is not their member's version in force on their date: must be 0. */
  readonly mismatched: number;
}

export interface WarehouseLoadRequest {
  readonly table: WarehouseTable;
  readonly batchId: string;
  /**
   * Paths inside the gold container. Gold files are change sets: every table column plus `_op`
   * ('upsert' | 'delete'); the loader deletes every key present and inserts the upserts, so a
   * reload of the same files changes nothing.
   */
  readonly files: readonly string[];
}

export interface WarehouseLoadResult {
  readonly table: string;
  /** Upsert rows in the files. */
  readonly rowsInFiles: number;
  /** Delete rows in the files. */
  readonly deletesInFiles: number;
  /**
   * Upserts of the files the table holds after the load, or that a newer row or tombstone
   * superseded (versioned tables): must equal rowsInFiles.
   */
  readonly rowsInTable: number;
  /** Versioned tables: upserts not applied because the table already held something newer. */
  readonly superseded?: number;
  /**
   * Rows of the files the warehouse could not load and skipped (Synapse COPY INTO with MAXERRORS >
   * 0: rows in the files minus rows loaded). Absent where no row can be skipped.
   */
  readonly rejectedRows?: number;
}
