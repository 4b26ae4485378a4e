import type { SourceRow, SourceTableName, SourceTableSpec } from '../../domain/datasets/source-tables.js';

/**
 * Writes to a source database the way a provider system would: the synthetic generator and the
 * change simulator use it; the embedded source database implements it (never SQL Server).
 *
 * Guarantees: every insert and update sets the table's change-version column to a new, strictly
 * increasing value (emulating SQL Server `rowversion`) and `modified_at` to the given time; rows are
 * written in one transaction per call.
 */
export interface SourceWriter {
  /** Creates the tables (primary key on the business key) if they do not exist. */
  createTables(specs: readonly SourceTableSpec[]): Promise<void>;
  /** Bulk insert (appender / COPY); `change_version` and `modified_at` in the rows are overwritten. */
  insertRows(table: SourceTableName, rows: readonly SourceRow[]): Promise<void>;
  /** Updates rows by business key; only the given columns change. Returns how many matched. */
  updateRows(table: SourceTableName, rows: readonly SourceRow[]): Promise<number>;
  /** Deletes rows by business key (key values in key-column order). Returns how many existed. */
  deleteRows(table: SourceTableName, keys: readonly (readonly string[])[]): Promise<number>;
  /** Row count of a table. */
  countRows(table: SourceTableName): Promise<number>;
}
