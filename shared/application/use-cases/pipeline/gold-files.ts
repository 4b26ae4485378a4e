import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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
  deps: Pick<PipelineDeps, 'lake' | 'parquet' | 'scratchDir'>,
): Promise<string> {
  const scratch = mkdtempSync(join(deps.scratchDir, 'gold-'));
  try {
    const local = join(scratch, 'part.parquet');
    await deps.parquet.write(local, changeSetColumns(table), rows);
    const path = lakePaths.gold(table.name, batchId, part);
    await deps.lake.putFile('gold', path, local, { contentType: 'application/vnd.apache.parquet' });
    return path;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Reads silver Parquet files from the lake, row by row. */
export async function* readSilverRows(
  paths: readonly string[],
  deps: Pick<PipelineDeps, 'lake' | 'parquet' | 'scratchDir'>,
): AsyncIterable<PortableRow> {
  const scratch = mkdtempSync(join(deps.scratchDir, 'read-'));
  try {
    for (const [i, path] of paths.entries()) {
      const local = join(scratch, `${i}.parquet`);
      if (!(await deps.lake.getFile('silver', path, local)))
        throw new Error(`silver file ${path} does not exist`);
      yield* deps.parquet.read(local);
      rmSync(local, { force: true });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
