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
}
