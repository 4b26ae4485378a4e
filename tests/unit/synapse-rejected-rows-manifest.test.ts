import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWarehouse } from '../../shared/application/use-cases/pipeline/load-warehouse.use-case.js';
import type { PipelineDeps } from '../../shared/application/use-cases/pipeline/pipeline-deps.js';
import { memoryTelemetry } from '../../shared/application/ports/telemetry.port.js';
import { memoryLogger } from '../../shared/application/ports/logger.port.js';
import { SynapseWarehouse, type SqlPoolLike } from '../../shared/adapters/azure/synapse-warehouse.azure.js';
import { reconcileBatch } from '../../shared/domain/pipeline/reconcile.js';
import type { BatchDescriptor } from '../../shared/domain/pipeline/batch-record.js';
import { loadReferenceData } from '../../shared/adapters/local/reference-data.loader.js';
import { REFERENCE_DIMENSIONS } from '../../shared/domain/star/reference-dimensions.js';

const batch: BatchDescriptor = {
  batchId: 'b-1',
  table: 'sus_apc_episode',
  origin: 'cdc',
  bronzePath: 'cdc/b-1.ndjson',
  format: 'deltas',
  receivedAt: '2026-12-06T00:00:00.000Z',
};

test('rows COPY INTO rejected under MAXERRORS reach the batch manifest and a metric, counted from the lake and the COPY', async () => {
  const pool: SqlPoolLike = {
    request: () => ({
      query: async (sql: string) => {
        // The warehouse already holds the current reference dimensions (ADR 0013).
        if (sql.includes("batch_id = 'reference-"))
          return { recordset: [Object.fromEntries(REFERENCE_DIMENSIONS.map((t) => [t.name, 1]))] };
        if (sql.startsWith('COPY INTO')) return { rowsAffected: [38] };
        if (sql.startsWith('SELECT\n  (SELECT COUNT_BIG(*) FROM [gold].[fact_activity] AS f'))
          return { recordset: [{ orphans: 0, mismatched: 0 }] };
        if (sql.startsWith('SELECT'))
          return {
            recordset: [{ rows_in_files: 36, deletes_in_files: 2, rows_in_table: 36, superseded: 0 }],
          };
        return {};
      },
    }),
    close: async () => undefined,
  };
  const warehouse = new SynapseWarehouse(pool, {
    goldUrl: 'https://acct.dfs.core.windows.net/gold',
    maxErrors: 5,
    countFileRows: async () => 40,
  });
  const telemetry = memoryTelemetry();
  const deps = {
    warehouse: async () => warehouse,
    reference: loadReferenceData(),
    settings: { NHSFLOWS_WAREHOUSE_KIND: 'synapse' },
    telemetry,
    logger: memoryLogger(),
  } as unknown as PipelineDeps;
  const loaded = await loadWarehouse(
    { batch, goldFiles: [{ table: 'fact_activity', path: 'fact_activity/batch=b-1/part-00000.parquet' }] },
    deps,
  );
  assert.equal(loaded.tables[0]?.rejectedRows, 2, '40 rows in the files, 38 loaded');
  assert.deepEqual(
    telemetry.metrics.filter((m) => m.name === 'nhsflows.warehouse.rowsRejected').map((m) => m.value),
    [2],
  );
  const manifest = reconcileBatch({
    batch,
    plan: {
      batchId: 'b-1',
      table: 'sus_apc_episode',
      records: 0,
      chunks: [],
      unreadable: 0,
      unreadablePath: null,
    },
    outcomes: [],
    dimension: { members: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, goldFile: null },
    gold: { factRows: 0, factDeletes: 0, goldFiles: [] },
    warehouse: loaded,
    startedAt: '2026-12-06T00:00:00.000Z',
    finishedAt: '2026-12-06T00:00:01.000Z',
  });
  assert.equal(JSON.parse(JSON.stringify(manifest)).warehouse.tables[0].rejectedRows, 2);
});
