import type { PortableColumn, PortableRow } from '../../domain/gold/portable-types.js';

/**
 * Reads and writes Parquet files on local disk (the lake moves the bytes). Types are the portable
 * column types; values are in wire form. Guarantees: a written file has exactly the given columns
 * in order and exactly the rows given; `read` yields rows in file order.
 */
export interface ParquetCodec {
  write(
    file: string,
    columns: readonly PortableColumn[],
    rows: Iterable<PortableRow> | AsyncIterable<PortableRow>,
  ): Promise<number>;
  read(file: string): AsyncIterable<PortableRow>;
  count(file: string): Promise<number>;
  /**
   * The latest row per key across change-log files (silver): rows ordered by `orderBy` descending,
   * the first per key kept, and only when its `_op` is 'upsert' (a delete removes the record).
   * With `columns`, each row holds only those of them the files have.
   */
  readLatest(
    files: readonly string[],
    key: readonly string[],
    orderBy: readonly string[],
    columns?: readonly string[],
  ): Promise<PortableRow[]>;
}
