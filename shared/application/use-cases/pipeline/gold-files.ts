import { changeSetColumns, type GoldTable } from '../../../domain/gold/gold-tables.js';
import type { PortableRow } from '../../../domain/gold/portable-types.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { ParquetObjectWriter } from '../../ports/parquet-lake.port.js';
import type { PipelineDeps } from './pipeline-deps.js';

/** Rows per gold change-set file: a batch larger than this is written as several parts. */
export const GOLD_ROWS_PER_FILE = 200_000;

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

/**
 * One gold table's change set for a batch, written as rows come: parts of at most
 * `GOLD_ROWS_PER_FILE` rows (part 0, 1, …), each closed when full, so memory holds a few thousand
 * rows, not the batch. `onPart` hears each written part's path in the order written.
 */
export class GoldChangeSetWriter {
  private part = 0;
  private open: ParquetObjectWriter | null = null;

  constructor(
    private readonly table: GoldTable,
    private readonly batchId: string,
    private readonly deps: Pick<PipelineDeps, 'parquet'>,
    private readonly onPart: (path: string) => void,
    private readonly rowsPerFile: number = GOLD_ROWS_PER_FILE,
  ) {}

  /**
   * Appends a row. When it fills a part, returns the promise of that part's write (await it before
   * the next append); otherwise nothing, so the common case costs no await.
   */
  append(row: PortableRow): Promise<void> | undefined {
    this.open ??= this.deps.parquet.openWriter(
      'gold',
      lakePaths.gold(this.table.name, this.batchId, this.part),
      changeSetColumns(this.table),
    );
    this.open.append(row);
    return this.open.rows() >= this.rowsPerFile ? this.closePart() : undefined;
  }

  /** Writes the part being filled, if it has rows. */
  async close(): Promise<void> {
    if (this.open) await this.closePart();
  }

  /** Drops the part being filled (after a failure). */
  discard(): void {
    this.open?.discard();
    this.open = null;
  }

  private async closePart(): Promise<void> {
    const writer = this.open!;
    this.open = null;
    const path = lakePaths.gold(this.table.name, this.batchId, this.part);
    this.part += 1;
    await writer.close();
    this.onPart(path);
  }
}
