import type { PortableColumn, PortableRow } from '../../domain/gold/portable-types.js';

/**
 * Parquet objects in the lake, addressed by container + path: what use cases read and write
 * instead of local files (no application code touches a scratch directory). Set-wise work (latest
 * row per key across runs, compaction) runs inside the engine, never row by row in JavaScript.
 *
 * Guarantees: `write` with `ifNoneMatch: '*'` creates or reports `created: false` and never
 * overwrites; every read fails when a path does not exist (a reader that raced a compaction re-lists
 * and retries); rows come back in wire form (dates, timestamps,
 * decimals and bigints as text). Missing objects throw `LakeObjectMissingError` (shared/domain/errors.ts).
 */
export interface ParquetLake {
  write(
    container: string,
    path: string,
    columns: readonly PortableColumn[],
    rows: Iterable<PortableRow> | AsyncIterable<PortableRow>,
    options?: { readonly ifNoneMatch?: '*' },
  ): Promise<{ readonly rows: number; readonly created: boolean }>;
  /**
   * One new object written from rows appended one at a time, as `write` would write them: memory
   * holds a few thousand of them at most, whatever the object's size. Nothing is in the lake until
   * `close`; `discard` drops what was appended.
   */
  openWriter(
    container: string,
    path: string,
    columns: readonly PortableColumn[],
    options?: { readonly ifNoneMatch?: '*' },
  ): ParquetObjectWriter;
  /**
   * Several objects of one schema in one engine pass (each as `write` would write it; `rows` in
   * the same order as `objects`). An object with no rows is still written.
   */
  writeMany(
    container: string,
    columns: readonly PortableColumn[],
    objects: readonly { readonly path: string; readonly rows: readonly PortableRow[] }[],
    options?: { readonly ifNoneMatch?: '*' },
  ): Promise<readonly { readonly rows: number; readonly created: boolean }[]>;
  /**
   * Every row of the objects, object by object in the order given, each in file order. With
   * `columns`, each row holds only those of them the objects have (less to decode and carry).
   */
  read(
    container: string,
    paths: readonly string[],
    options?: { readonly columns?: readonly string[] },
  ): AsyncIterable<PortableRow>;
  count(container: string, paths: readonly string[]): Promise<number>;
  /**
   * Silver change logs: the latest row per `key` across the objects (ordered by `orderBy`
   * descending), kept only when its `_op` is 'upsert'. With `columns`, each row holds only those of
   * them the objects have (the choice of the latest row still reads `key`, `orderBy` and `_op`).
   */
  readLatest(
    container: string,
    paths: readonly string[],
    key: readonly string[],
    orderBy: readonly string[],
    options?: { readonly columns?: readonly string[] },
  ): Promise<PortableRow[]>;
  /**
   * Keyed runs (later runs replace a key's rows whole): every row of each key, taken from the
   * highest-ranked run that holds the key; only `keys` when given (a semi-join in the engine); only
   * the rows whose `where.column` holds `where.equals` when given, chosen after the latest run of
   * each key is (a key whose latest run has no such row has none, whatever older runs held).
   */
  readRuns(
    container: string,
    runs: readonly KeyedRun[],
    keyColumn: string,
    keys?: readonly string[],
    where?: KeyedRowFilter,
  ): Promise<PortableRow[]>;
  /**
   * Writes what `readRuns` would return for every key as one object (create-only) without moving
   * the rows through JavaScript: compaction of runs, or of many small files (`keyColumn` null =
   * concatenate).
   */
  compact(
    container: string,
    runs: readonly KeyedRun[],
    keyColumn: string | null,
    to: string,
    options?: { readonly orderBy?: readonly string[] },
  ): Promise<{ readonly rows: number; readonly created: boolean }>;
  /**
   * `compact` of several keyed groups of runs (each group's keys live in its runs only) in one
   * engine pass, each group to its own object (create-only); results in the order given.
   */
  compactMany(
    container: string,
    groups: readonly { readonly runs: readonly KeyedRun[]; readonly to: string }[],
    keyColumn: string,
  ): Promise<readonly { readonly rows: number; readonly created: boolean }[]>;
}

/** Rows of a keyed read whose text column `column` holds `equals` (`ParquetLake.readRuns`). */
export interface KeyedRowFilter {
  readonly column: string;
  readonly equals: string;
}

/** One immutable run of a keyed state: its object and its rank (higher replaces lower). */
export interface KeyedRun {
  readonly path: string;
  readonly rank: number;
}

/** An object being written row by row (`ParquetLake.openWriter`). */
export interface ParquetObjectWriter {
  append(row: PortableRow): void;
  /** Rows appended so far. */
  rows(): number;
  /** Writes the object (as `write` does); its scratch is removed whatever happens. */
  close(): Promise<{ readonly rows: number; readonly created: boolean }>;
  /** Drops what was appended; nothing is written. */
  discard(): void;
}
