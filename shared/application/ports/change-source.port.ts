import type { HashColumn, RowHashLayout } from '../../domain/capture/row-hash.js';
import type { RowHashPage } from '../../domain/capture/row-hash-page.js';
import type { SourceRow } from '../../domain/datasets/source-tables.js';

/** Business key values in key-column order, as canonical text (docs/row-hash-spec.md). */
export type KeyValues = readonly string[];

/** A half-open key range: `from` inclusive, `to` exclusive; null means unbounded on that side. */
export interface KeyRange {
  readonly from: KeyValues | null;
  readonly to: KeyValues | null;
}

/** One column as the source reports it (schema introspection). */
export interface SourceColumnInfo {
  readonly name: string;
  /** The portable SQL type, or 'unknown' when the source type has no canonical form. */
  readonly type: HashColumn['type'] | 'unknown';
  /** The type exactly as the source names it (for drift reports). */
  readonly nativeType: string;
  readonly nullable: boolean;
  readonly length?: number;
  readonly precision?: number;
  readonly scale?: number;
}

/** A row's key, its canonical row hash computed by the source, and its change version. */
export interface RowHashEntry {
  readonly key: KeyValues;
  readonly hash: string;
  readonly version: string | null;
}

/**
 * Row count and digest of one key range: `sum` is the exact sum (decimal text) of the signed 64-bit
 * prefixes of the canonical row hashes in the range (see docs/row-hash-spec.md § range digest).
 */
export interface RangeChecksum {
  readonly count: number;
  readonly sum: string;
}

export interface ReadRowsRequest {
  readonly table: string;
  readonly keyColumns: readonly HashColumn[];
  /** Exclusive lower bound (keyset pagination). */
  readonly after?: KeyValues | null;
  /** Inclusive lower bound (ranges). */
  readonly from?: KeyValues | null;
  /** Exclusive upper bound. */
  readonly before?: KeyValues | null;
  readonly limit: number;
  /**
   * Only these columns besides the key columns (which every row carries); every column when absent.
   * A projection read (reconciliation moves keys and activity dates, not rows).
   */
  readonly columns?: readonly string[];
}

export interface ScanRowsRequest {
  readonly table: string;
  readonly keyColumns: readonly HashColumn[];
  readonly after?: KeyValues | null;
  readonly pageSize: number;
  /** Only these columns besides the key columns (see `ReadRowsRequest.columns`). */
  readonly columns?: readonly string[];
}

export interface ReadRowHashesRequest {
  readonly layout: RowHashLayout;
  /** Exclusive lower bound (keyset pagination). */
  readonly after?: KeyValues | null;
  readonly limit: number;
}

export interface ReadChangesRequest {
  readonly table: string;
  readonly keyColumns: readonly HashColumn[];
  readonly versionColumn: string;
  /** Exclusive: rows whose version is greater. Null reads every row. */
  readonly sinceVersion: string | null;
  /** When more rows changed than this, `truncated` is true and `rows` is empty (caller falls back). */
  readonly limit: number;
}

/** Changed rows read in one consistent snapshot with the version and row count they are valid at. */
export interface ChangeSet {
  /** Rows with sinceVersion < version ≤ upToVersion, in key order. */
  readonly rows: readonly SourceRow[];
  /** The highest version the read covers (next poll's sinceVersion); null for an empty table. */
  readonly upToVersion: string | null;
  /** Row count of the table in the same snapshot. */
  readonly rowCount: number;
  readonly truncated: boolean;
}

/**
 * A source database the CDC poller captures from: SQL Server (`mssql`) on Azure, the embedded
 * DuckDB source locally.
 *
 * Guarantees:
 * - every read is in business-key order under one comparison rule: integer key columns numerically,
 *   string key columns by UTF-8 bytes (binary collation), composite keys column by column; rows are in
 *   `SourceRow` wire form;
 * - `scanRowHashes`, `readRowHashes` and `rangeChecksums` compute the canonical row hash of the
 *   given layout inside the source (push-down). An adapter that cannot reproduce the canonical form exactly for some type
 *   says so in docs/capture.md; the capture engine only uses source hashes to decide which rows to
 *   fetch, and always recomputes the hash of fetched rows itself, so a divergence costs work, never
 *   a wrong delta;
 * - `readChangesSince` reads changed rows, the covering version and the row count in one consistent
 *   snapshot, never returning a version that a still-running transaction could fall below.
 */
export interface ChangeSource {
  /** Columns of a table in ordinal order. Throws when the table does not exist. */
  describeTable(table: string): Promise<readonly SourceColumnInfo[]>;
  /** A key-ordered page of full rows. */
  readRows(request: ReadRowsRequest): Promise<SourceRow[]>;
  /** Full rows for the given keys (missing keys are simply absent), in key order. */
  readRowsByKeys(request: {
    readonly table: string;
    readonly keyColumns: readonly HashColumn[];
    readonly keys: readonly KeyValues[];
  }): Promise<SourceRow[]>;
  /** A key-ordered page of (key, canonical row hash, version), hashed inside the source. */
  readRowHashes(request: ReadRowHashesRequest): Promise<RowHashEntry[]>;
  /**
   * The full scan's read: every row's (key, canonical row hash) after `after`, in key order,
   * hashed inside the source and streamed from one read as columnar pages of at most `pageSize`
   * rows (`RowHashPage`: keys in the capture state's byte-comparable encoding, 32-byte hashes; no
   * object per row). Full rows are then fetched only for the keys whose hash differs.
   */
  scanRowHashes(request: {
    readonly layout: RowHashLayout;
    readonly after?: KeyValues | null;
    readonly pageSize: number;
  }): AsyncIterable<RowHashPage>;
  /**
   * Every row after `after`, in key order, as pages of about `pageSize` rows streamed from one read:
   * full rows, or with `columns` the key columns and those only (a key-only read for reconciliation).
   */
  scanRows(request: ScanRowsRequest): AsyncIterable<readonly SourceRow[]>;
  /** Full rows in any of the ranges (sorted, non-overlapping), in key order. */
  readRowsInRanges(request: {
    readonly table: string;
    readonly keyColumns: readonly HashColumn[];
    readonly ranges: readonly KeyRange[];
  }): Promise<SourceRow[]>;
  /** Rows changed since a version, with the covering version and row count (one snapshot). */
  readChangesSince(request: ReadChangesRequest): Promise<ChangeSet>;
  /**
   * Count and digest for each range (ranges sorted and non-overlapping), computed inside the source.
   * With `countOnly` the source only counts (no hashing) and every `sum` is '0'.
   */
  rangeChecksums(request: {
    readonly layout: RowHashLayout;
    readonly ranges: readonly KeyRange[];
    readonly countOnly?: boolean;
  }): Promise<RangeChecksum[]>;
  /** The highest committed change version of a table, or null when it is empty. */
  currentVersion(table: string, versionColumn: string): Promise<string | null>;
  countRows(table: string): Promise<number>;
  close(): Promise<void>;
}
