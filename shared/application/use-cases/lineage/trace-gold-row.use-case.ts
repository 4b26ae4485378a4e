import {
  SOURCE_TABLES,
  SOURCE_TABLE_NAMES,
  type SourceTableName,
} from '../../../domain/datasets/source-tables.js';
import { InputError } from '../../../domain/errors.js';
import { GOLD_TABLES } from '../../../domain/gold/gold-tables.js';
import { DATASET_FACT_DECLARATIONS } from '../../../domain/star/fact-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import { landingRowOf } from '../../../domain/lineage/openlineage-event.js';
import type { BatchManifest } from '../../../domain/pipeline/pipeline-contracts.js';
import type { PipelineDeps } from '../pipeline/pipeline-deps.js';
import { readBatchLineage } from './activity-lineage.use-case.js';

/** One gold row traced back to where it came from: paths, batch ids, row numbers and keys only. */
export interface GoldRowLineage {
  readonly gold: {
    readonly table: string;
    readonly key: string;
    readonly batchId: string;
    readonly files: readonly string[];
  };
  readonly silver: { readonly files: readonly string[]; readonly batchId: string | null };
  readonly bronze: { readonly path: string | null; readonly batchId: string; readonly line: number | null };
  /** Where the record entered: the source table and key (CDC), or the landing file and its row. */
  readonly origin:
    | {
        readonly kind: 'source';
        readonly table: string;
        readonly keyColumns: readonly string[];
        readonly key: string;
      }
    | {
        readonly kind: 'landing-file';
        readonly file: string;
        readonly table: string;
        readonly row: number | null;
      };
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** A warehouse cell as text (ids, keys and periods are strings or numbers there). */
const cell = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'bigint'
      ? String(value)
      : '';

/**
 * Traces a gold row, by its gold table's key (a record or surrogate id, never an NHS number), back
 * through silver and bronze to its source key or landing file and row (docs/lineage.md): the
 * warehouse row gives the batch, event id and record key; the gold change-set file of that batch
 * holding the key; the silver file holding the record's event id; the batch's bronze object (from
 * the batch's lineage events) and the line of the event in it (CDC) or the file's row (landing).
 * Returns null when the warehouse holds no such row. Throws `InputError` for a table that is not a
 * gold fact with per-record lineage.
 */
export async function traceGoldRow(
  table: string,
  key: string,
  deps: Pick<PipelineDeps, 'lake' | 'parquet' | 'warehouse'>,
): Promise<GoldRowLineage | null> {
  const declared = GOLD_TABLES.find((t) => t.name === table);
  const needs = ['batch_id', 'event_id'];
  if (!declared || !needs.every((n) => declared.columns.some((c) => c.name === n)))
    throw new InputError(
      `'${table}' is not a gold table whose rows carry batch_id and event_id (expected one of ${GOLD_TABLES.filter(
        (t) => needs.every((n) => t.columns.some((c) => c.name === n)),
      )
        .map((t) => t.name)
        .join(', ')})`,
    );
  const keyValues = key.split('|');
  if (keyValues.length !== declared.key.length)
    throw new InputError(
      `${table} is keyed by ${declared.key.join(' | ')}; expected ${declared.key.length} value(s) joined with '|'`,
    );
  const where = declared.key.map((k, i) => `"${k}" = ${quote(keyValues[i]!)}`).join(' AND ');
  const warehouse = await deps.warehouse();
  const row = (await warehouse.query(`SELECT * FROM "${table}" WHERE ${where}`))[0];
  if (!row) return null;
  const batchId = cell(row.batch_id);
  const eventId = cell(row.event_id);
  // fact_activity names its source table per row; a dataset fact is declared from one.
  const sourceTable =
    cell(row.source_table) || (DATASET_FACT_DECLARATIONS.find((f) => f.name === table)?.source ?? '');
  const isSource = (SOURCE_TABLE_NAMES as readonly string[]).includes(sourceTable);
  const recordKey = isSource
    ? cell(row.record_key) ||
      SOURCE_TABLES[sourceTable as SourceTableName].key.map((k) => cell(row[k])).join('|')
    : cell(row.record_key);

  // Gold: the change-set files of the batch that hold the key.
  const goldFiles: string[] = [];
  for await (const object of deps.lake.list('gold', `${lakePaths.goldTablePrefix(table)}batch=${batchId}/`)) {
    if (!object.path.endsWith('.parquet')) continue;
    for await (const r of deps.parquet.read('gold', [object.path]))
      if (declared.key.every((k, i) => String(r[k]) === keyValues[i]) && String(r.event_id) === eventId) {
        goldFiles.push(object.path);
        break;
      }
  }

  // Silver: the files (a batch file and, after compaction, the compacted one) holding the event.
  const silverFiles: string[] = [];
  let silverBatch: string | null = null;
  if (isSource) {
    const spec = SOURCE_TABLES[sourceTable as SourceTableName];
    const period = cell(row.period) || 'unknown';
    const prefix = `${lakePaths.silverTablePrefix(spec.dataset, spec.table)}period=${period}/`;
    for await (const object of deps.lake.list('silver', prefix)) {
      if (!object.path.endsWith('.parquet')) continue;
      for await (const r of deps.parquet.read('silver', [object.path]))
        if (String(r._event_id) === eventId) {
          silverFiles.push(object.path);
          silverBatch = String(r._batch_id);
          break;
        }
    }
  }

  // Bronze: the batch's received object, as its planChunks run recorded it.
  const events = await readBatchLineage(batchId, deps);
  const plan = events.find((e) => e.job.name === 'pipeline.planChunks' && e.inputs.length > 0);
  const bronzePath = plan?.inputs[0]?.name ?? null;
  const manifestBody = await deps.lake.get('gold', lakePaths.manifest(batchId));
  const manifest = manifestBody ? (JSON.parse(manifestBody.toString('utf8')) as BatchManifest) : null;
  const origin = manifest?.origin ?? 'cdc';

  let line: number | null = null;
  let landingRow: number | null = null;
  if (origin === 'cdc') {
    const body = bronzePath ? await deps.lake.get('bronze', bronzePath) : undefined;
    if (body) {
      const lines = body.toString('utf8').split('\n');
      const at = lines.findIndex(
        (l) => l.includes(eventId) && (JSON.parse(l) as { eventId?: unknown }).eventId === eventId,
      );
      line = at >= 0 ? at + 1 : null;
    }
  } else {
    const rows = (manifest?.counts.records ?? 0) + (manifest?.counts.unreadable ?? 0);
    landingRow = landingRowOf(batchId, eventId, rows);
  }
  return {
    gold: { table, key, batchId, files: goldFiles },
    silver: { files: silverFiles, batchId: silverBatch },
    bronze: { path: bronzePath, batchId, line },
    origin:
      origin === 'cdc'
        ? {
            kind: 'source',
            table: sourceTable,
            keyColumns: isSource ? SOURCE_TABLES[sourceTable as SourceTableName].key : [],
            key: recordKey,
          }
        : { kind: 'landing-file', file: origin, table: sourceTable, row: landingRow },
  };
}
