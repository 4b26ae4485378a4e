import { captureTable } from '../../../domain/capture/capture-config.js';
import { SOURCE_TABLES, type SourceTableName } from '../../../domain/datasets/source-tables.js';
import { GOLD_TABLES, type GoldTable } from '../../../domain/gold/gold-tables.js';
import type { PortableRow } from '../../../domain/gold/portable-types.js';
import { DATASET_FACT_DECLARATIONS } from '../../../domain/star/fact-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import { periodOf } from '../../../domain/pipeline/silver-lineage.js';
import {
  compareLayers,
  indexLayer,
  type LayerRecord,
  type PeriodDifference,
} from '../../../domain/reconcile/layer-digest.js';
import type { ChangeSource } from '../../ports/change-source.port.js';
import { BATCH_LEDGER_TABLE } from '../pipeline/batch-ledger.use-case.js';
import type { PipelineDeps } from '../pipeline/pipeline-deps.js';

/** The metric every reconciliation emits per source table: how many periods differ (0 = clean). */
export const RECONCILE_DIFFERENCES_METRIC = 'nhsflows.reconcile.differences';

/** Which hop of the pipeline a difference is on. */
export type ReconcileHop = 'source→silver' | 'silver→gold' | 'gold→warehouse';

/** One difference: the table, the hop (and gold table), the period and the key ranges. */
export interface ReconcileDifference extends PeriodDifference {
  readonly table: SourceTableName;
  readonly hop: ReconcileHop;
  /** The gold / warehouse table (hops after silver). */
  readonly goldTable: string | null;
}

/** A source table's counts per layer (records, not periods) and how they add up. */
export interface TableReconciliation {
  readonly table: SourceTableName;
  readonly counts: {
    /** Rows the source holds now. */
    readonly source: number;
    /** Of them: quarantined by validation and never accepted (absent downstream by design). */
    readonly quarantined: number;
    /** Live silver records captured from the source, and those that came in landing files. */
    readonly silverFromSource: number;
    readonly silverFromFiles: number;
    /** Live rows per gold table (change sets folded, newest wins) and per warehouse table. */
    readonly gold: Readonly<Record<string, number>>;
    readonly warehouse: Readonly<Record<string, number>>;
  };
  readonly periods: number;
}

/**
 * A bronze CDC batch object that no batch ever finished or failed with (no manifest, no ledger
 * row), dated at least a day before the reconciliation: a delta file the poller wrote before a
 * crash and whose reference it never published (its retry captured the rows again, as another file
 * when the source had moved on), or a consumer batch whose orchestration never ran. Its rows are
 * covered by the source → silver hop, which finds any that never arrived; the object itself still
 * holds identifiable rows in bronze, so it is listed for the custodian to remove.
 */
export interface UnrunBronzeBatch {
  readonly table: SourceTableName;
  readonly batchId: string;
  /** Bronze container path. */
  readonly path: string;
  readonly bytes: number;
}

export interface ReconciliationReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly tables: readonly TableReconciliation[];
  readonly differences: readonly ReconcileDifference[];
  /** Bronze CDC batches with no manifest and no ledger row, a day old or more (`UnrunBronzeBatch`). */
  readonly unrunBronzeBatches: readonly UnrunBronzeBatch[];
  /** Lake path (gold container) the report was written to. */
  readonly reportPath: string;
}

export interface ReconcileDeps extends Pick<
  PipelineDeps,
  'lake' | 'parquet' | 'warehouse' | 'telemetry' | 'clock' | 'logger' | 'state'
> {
  readonly source: ChangeSource;
}

/**
 * A gold table reconciled against a source table's records, derived from the declarations: which
 * columns give a row's record key, and which rows belong to the source table.
 */
export interface GoldCoverage {
  readonly table: GoldTable;
  /** Columns read: the record key's, then `period` and `event_id`. */
  readonly keyColumns: readonly string[];
  /** Rows of another source table are told apart by this column (fact_activity's `source_table`). */
  readonly sourceColumn: string | null;
}

/**
 * The gold tables reconciled per source table, from the declarations, so a table declared later is
 * covered without an edit here: every fact with one row per record of every source table
 * (`source_table`, `record_key`, `event_id`, `period` columns: `fact_activity`), and every dataset
 * fact of the star schema declared from the source table (keyed by its key columns, with `event_id`
 * and `period`).
 */
export function reconciledGoldTables(
  source: SourceTableName,
  tables: readonly GoldTable[] = GOLD_TABLES,
): GoldCoverage[] {
  const has = (t: GoldTable, names: readonly string[]) =>
    names.every((n) => t.columns.some((c) => c.name === n));
  const out: GoldCoverage[] = [];
  for (const t of tables) {
    if (t.kind !== 'fact') continue;
    if (has(t, ['source_table', 'record_key', 'event_id', 'period']))
      out.push({ table: t, keyColumns: ['record_key'], sourceColumn: 'source_table' });
    else if (
      DATASET_FACT_DECLARATIONS.some((f) => f.name === t.name && f.source === source) &&
      has(t, [...SOURCE_TABLES[source].key, 'event_id', 'period'])
    )
      out.push({ table: t, keyColumns: SOURCE_TABLES[source].key, sourceColumn: null });
  }
  return out;
}

/** A cell as text: wire-form values are strings, numbers or booleans (never objects). */
const asText = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean'
      ? String(value)
      : '';
const keyOf = (key: readonly string[], row: Readonly<Record<string, unknown>>): string =>
  key.map((k) => asText(row[k])).join('|');
const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : asText(value);

async function listFiles(
  deps: ReconcileDeps,
  container: string,
  prefix: string,
  suffix: string,
): Promise<string[]> {
  const files: string[] = [];
  for await (const object of deps.lake.list(container, prefix))
    if (object.path.endsWith(suffix)) files.push(object.path);
  return files;
}

/** Origin of every batch with a manifest: 'cdc' or the landing file's name. */
async function batchOrigins(
  deps: ReconcileDeps,
  manifestPaths: readonly string[],
): Promise<Map<string, string>> {
  const origins = new Map<string, string>();
  for (const path of manifestPaths) {
    const body = await deps.lake.get('gold', path);
    if (!body) continue;
    const manifest = JSON.parse(body.toString('utf8')) as { batchId?: unknown; origin?: unknown };
    if (typeof manifest.batchId === 'string' && typeof manifest.origin === 'string')
      origins.set(manifest.batchId, manifest.origin);
  }
  return origins;
}

/** Record keys validation quarantined (outcome 'quarantined') in batches captured from the source. */
async function quarantinedKeys(
  table: SourceTableName,
  origins: ReadonlyMap<string, string>,
  deps: ReconcileDeps,
): Promise<Set<string>> {
  const spec = SOURCE_TABLES[table];
  const keys = new Set<string>();
  for (const path of await listFiles(deps, 'quarantine', `${spec.dataset}/${table}/`, '.ndjson')) {
    const body = await deps.lake.get('quarantine', path);
    if (!body) continue;
    for (const line of body.toString('utf8').split('\n')) {
      if (line.trim().length === 0) continue;
      const r = JSON.parse(line) as { recordKey?: unknown; outcome?: unknown; batchId?: unknown };
      if (
        r.outcome === 'quarantined' &&
        typeof r.recordKey === 'string' &&
        origins.get(String(r.batchId)) === 'cdc'
      )
        keys.add(r.recordKey);
    }
  }
  return keys;
}

/**
 * The table's bronze CDC batch objects that no manifest names, that the batch ledger does not know
 * (a failed batch has a ledger row and waits on the poison queue for its replay) and that are dated
 * before `before` (`yyyy-mm-dd`): younger ones may still be running. One ledger read per candidate.
 */
async function unrunBronzeBatches(
  table: SourceTableName,
  manifested: ReadonlySet<string>,
  before: string,
  deps: ReconcileDeps,
): Promise<UnrunBronzeBatch[]> {
  const source = lakePaths.bronzeCdcSource(table);
  const unrun: UnrunBronzeBatch[] = [];
  for await (const object of deps.lake.list('bronze', `${source}/`)) {
    const batch = lakePaths.bronzeBatchOf(source, object.path);
    if (!batch || manifested.has(batch.batchId) || batch.date >= before) continue;
    if (await deps.state.get(BATCH_LEDGER_TABLE, table, batch.batchId)) continue;
    unrun.push({ table, batchId: batch.batchId, path: object.path, bytes: object.size });
  }
  return unrun;
}

/** The source tables a poll's captures read, and the captures of each (reconcileLayers' options). */
export function capturedSources(
  captures: readonly { readonly name: string; readonly spec: { readonly table: SourceTableName } }[],
): {
  readonly tables: readonly SourceTableName[];
  readonly captures: ReadonlyMap<SourceTableName, readonly string[]>;
} {
  const byTable = new Map<SourceTableName, string[]>();
  for (const c of captures) byTable.set(c.spec.table, [...(byTable.get(c.spec.table) ?? []), c.name]);
  return { tables: [...byTable.keys()], captures: byTable };
}

/**
 * Source-to-gold reconciliation (docs/reconciliation.md): for each source table, per reporting
 * period, counts and order-independent checksums of record keys in the source, silver (latest
 * record per key), each gold fact table (change sets folded, newest wins) and its warehouse table,
 * compared hop by hop; silver, gold and the warehouse also agree on each record's version (its
 * event id). What the ledger says was never accepted is legitimately absent downstream: a source
 * key quarantined by validation and not in silver is subtracted from the expected side, and silver
 * records that came in landing files are compared downstream only. Any difference names the table,
 * hop, period and the key ranges (bisected over key-ordered checksums). Emits
 * `nhsflows.reconcile.differences` per table and writes the report to the lake. Reads only.
 */
export async function reconcileLayers(
  options: {
    readonly tables?: readonly SourceTableName[];
    /**
     * The captures that read each source table (its own name, or the source feeds feeding it:
     * source-feeds.ts); the source side is all their rows. Default: the table's own name.
     */
    readonly captures?: ReadonlyMap<SourceTableName, readonly string[]>;
  },
  deps: ReconcileDeps,
): Promise<ReconciliationReport> {
  const started = deps.clock.now();
  const tables = options.tables ?? (Object.keys(SOURCE_TABLES) as SourceTableName[]);
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  const manifestPaths = await listFiles(deps, 'gold', lakePaths.manifestsPrefix, '.json');
  const origins = await batchOrigins(deps, manifestPaths);
  const manifested = new Set(manifestPaths.flatMap((p) => lakePaths.manifestBatchId(p) ?? []));
  // Bronze batches dated the day before the run or later may still be running: not listed.
  const unrunBefore = new Date(started.getTime() - 86_400_000).toISOString().slice(0, 10);
  const unrun: UnrunBronzeBatch[] = [];
  const warehouse = await deps.warehouse();

  // Each gold table's live rows (one engine pass over its change sets, newest wins), read once.
  const goldRows = new Map<string, PortableRow[]>();
  const liveRows = async (coverage: GoldCoverage): Promise<PortableRow[]> => {
    const g = coverage.table;
    const cached = goldRows.get(g.name);
    if (cached) return cached;
    const files = await listFiles(deps, 'gold', lakePaths.goldTablePrefix(g.name), '.parquet');
    const rows =
      files.length === 0
        ? []
        : await deps.parquet.readLatest('gold', files, g.key, [...(g.version ?? []), '_seq'], {
            columns: [
              ...coverage.keyColumns,
              'period',
              'event_id',
              ...(coverage.sourceColumn ? [coverage.sourceColumn] : []),
            ],
          });
    goldRows.set(g.name, rows);
    return rows;
  };
  const layerRecord = (coverage: GoldCoverage, r: Readonly<Record<string, unknown>>): LayerRecord => ({
    key: keyOf(coverage.keyColumns, r),
    period: text(r.period) ?? 'unknown',
    eventId: text(r.event_id),
  });

  const reports: TableReconciliation[] = [];
  const differences: ReconcileDifference[] = [];
  for (const table of tables) {
    const spec = SOURCE_TABLES[table];
    const layout = captureTable(spec).layout;

    // Keys and the activity date only: the source moves no other column for a reconciliation.
    const source: LayerRecord[] = [];
    for (const capture of options.captures?.get(table) ?? [table])
      for await (const page of deps.source.scanRows({
        table: capture,
        keyColumns: layout.keyColumns,
        pageSize: 10_000,
        columns: [spec.activityDateColumn],
      }))
        for (const row of page)
          source.push({ key: keyOf(spec.key, row), period: periodOf(row[spec.activityDateColumn]) });

    const silverFiles = await listFiles(
      deps,
      'silver',
      lakePaths.silverTablePrefix(spec.dataset, table),
      '.parquet',
    );
    const silverRows =
      silverFiles.length === 0
        ? []
        : await deps.parquet.readLatest('silver', silverFiles, spec.key, ['_captured_at', '_seq'], {
            columns: [...spec.key, spec.activityDateColumn, '_event_id', '_batch_id'],
          });
    const silver: LayerRecord[] = silverRows.map((r) => ({
      key: keyOf(spec.key, r),
      period: periodOf(r[spec.activityDateColumn]),
      eventId: text(r._event_id),
    }));
    const fromSource = new Set<string>();
    silverRows.forEach((r, i) => {
      if ((origins.get(String(r._batch_id)) ?? 'cdc') === 'cdc') fromSource.add(silver[i]!.key);
    });

    // Never accepted, so legitimately absent downstream: quarantined and not in silver.
    const quarantined = await quarantinedKeys(table, origins, deps);
    const silverKeys = new Set(silver.map((r) => r.key));
    const expectedFromSource = source.filter((r) => !(quarantined.has(r.key) && !silverKeys.has(r.key)));
    const explained = source.length - expectedFromSource.length;

    const hop = (
      name: ReconcileHop,
      goldTable: string | null,
      expected: readonly LayerRecord[],
      actual: readonly LayerRecord[],
      withVersion: boolean,
    ) => {
      for (const d of compareLayers(indexLayer(expected, withVersion), indexLayer(actual, withVersion)))
        differences.push({ ...d, table, hop: name, goldTable });
    };
    const before = differences.length;
    hop(
      'source→silver',
      null,
      expectedFromSource,
      silver.filter((r) => fromSource.has(r.key)),
      false,
    );
    const goldCounts: Record<string, number> = {};
    const warehouseCounts: Record<string, number> = {};
    for (const coverage of reconciledGoldTables(table)) {
      const name = coverage.table.name;
      const gold = (await liveRows(coverage))
        .filter((r) => coverage.sourceColumn === null || r[coverage.sourceColumn] === table)
        .map((r) => layerRecord(coverage, r));
      goldCounts[name] = gold.length;
      hop('silver→gold', name, silver, gold, true);
      const columns = [...coverage.keyColumns, 'period', 'event_id'].map((c) => `"${c}"`).join(', ');
      const held = await warehouse.query(
        `SELECT ${columns} FROM "${name}"${coverage.sourceColumn ? ` WHERE "${coverage.sourceColumn}" = '${table}'` : ''}`,
      );
      warehouseCounts[name] = held.length;
      hop(
        'gold→warehouse',
        name,
        gold,
        held.map((r) => layerRecord(coverage, r)),
        true,
      );
    }
    const leftInBronze = await unrunBronzeBatches(table, manifested, unrunBefore, deps);
    unrun.push(...leftInBronze);
    if (leftInBronze.length > 0)
      deps.logger.warn('bronze batches never run', { table, batches: leftInBronze.length });
    const found = differences.length - before;
    deps.telemetry.metric(RECONCILE_DIFFERENCES_METRIC, found, { table });
    reports.push({
      table,
      counts: {
        source: source.length,
        quarantined: explained,
        silverFromSource: fromSource.size,
        silverFromFiles: silver.length - fromSource.size,
        gold: goldCounts,
        warehouse: warehouseCounts,
      },
      periods: new Set([...source, ...silver].map((r) => r.period)).size,
    });
    if (found > 0) deps.logger.warn('reconciliation found differences', { table, differences: found });
  }
  const finishedAt = deps.clock.now().toISOString();
  const reportPath = lakePaths.reconciliationReport(started);
  const report: ReconciliationReport = {
    startedAt: started.toISOString(),
    finishedAt,
    tables: reports,
    differences,
    unrunBronzeBatches: unrun,
    reportPath,
  };
  await deps.lake.put('gold', reportPath, JSON.stringify(report, null, 2), {
    contentType: 'application/json',
  });
  deps.logger.info('reconciliation finished', {
    tables: reports.length,
    differences: differences.length,
    unrunBronzeBatches: unrun.length,
  });
  return report;
}
