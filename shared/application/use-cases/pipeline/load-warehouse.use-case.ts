import { GOLD_TABLES } from '../../../domain/gold/gold-tables.js';
import type { LoadWarehouseInput, LoadWarehouseResult } from '../../../domain/pipeline/pipeline-contracts.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Loads a batch's gold change sets into the warehouse (embedded DuckDB locally; Synapse COPY INTO
 * on Azure), one table at a time, idempotently. Returns per-table counts for reconciliation.
 */
export async function loadWarehouse(
  input: LoadWarehouseInput,
  deps: PipelineDeps,
): Promise<LoadWarehouseResult> {
  const warehouse = await deps.warehouse();
  await warehouse.ensureSchema(GOLD_TABLES);
  const tables = [];
  for (const table of GOLD_TABLES) {
    const files = input.goldFiles.filter((f) => f.table === table.name).map((f) => f.path);
    if (files.length === 0) continue;
    const result = await warehouse.load({ table, batchId: input.batch.batchId, files });
    tables.push(result);
    deps.telemetry.metric('nhsflows.warehouse.rowsLoaded', result.rowsInFiles, {
      table: table.name,
      batchId: input.batch.batchId,
    });
  }
  const unknown = input.goldFiles.filter((f) => !GOLD_TABLES.some((t) => t.name === f.table));
  if (unknown.length > 0)
    throw new Error(
      `batch ${input.batch.batchId}: gold files for unknown tables ${unknown.map((u) => u.table).join(', ')}`,
    );
  deps.logger.info('warehouse loaded', {
    batchId: input.batch.batchId,
    tables: tables.length,
    rows: tables.reduce((n, t) => n + t.rowsInFiles, 0),
    deletes: tables.reduce((n, t) => n + t.deletesInFiles, 0),
  });
  return { tables };
}
