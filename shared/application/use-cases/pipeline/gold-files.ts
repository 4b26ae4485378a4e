import { changeSetColumns, type GoldTable } from '../../../domain/gold/gold-tables.js';
import type { PortableRow } from '../../../domain/gold/portable-types.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** Writes one gold change-set file (table columns + `_op` + `_seq`) and returns its path. */
export async function writeGoldChangeSet(
  table: GoldTable,
  batchId: string,
  part: number,
  rows: readonly PortableRow[],
  deps: Pick<PipelineDeps, 'parquet'>,
): Promise<string> {
  const path = lakePaths.gold(table.name, batchId, part);
  await deps.parquet.write('gold', path, changeSetColumns(table), rows);
  return path;
}

/** Reads silver Parquet files from the lake, row by row (only `columns` when given). */
export function readSilverRows(
  paths: readonly string[],
  deps: Pick<PipelineDeps, 'parquet'>,
  columns?: readonly string[],
): AsyncIterable<PortableRow> {
  return deps.parquet.read('silver', paths, columns ? { columns } : {});
}
