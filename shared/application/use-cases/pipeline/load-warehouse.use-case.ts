import { InvariantError } from '../../../domain/errors.js';
import { GOLD_TABLES } from '../../../domain/gold/gold-tables.js';
import type { LoadWarehouseInput, LoadWarehouseResult } from '../../../domain/pipeline/pipeline-contracts.js';
import { loadReferenceDimensions } from './load-reference-dimensions.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Loads a batch's gold change sets into the warehouse (embedded DuckDB locally; Synapse COPY INTO
 * on Azure), one table at a time, idempotently, after the conformed reference dimensions when the
 * warehouse does not hold the current reference (then every fact referencing them is re-keyed too:
 * ADR 0013); then resolves the surrogate keys of every fact the
 * batch touched (its own facts, and the facts of every dimension member it loaded: a re-cut re-keys
 * them) and counts orphans (ADR 0009). Returns per-table counts and the reference check for
 * reconciliation (`reconcileBatch` fails the batch if a key is an orphan or not the version in force).
 */
export async function loadWarehouse(
  input: LoadWarehouseInput,
  deps: PipelineDeps,
): Promise<LoadWarehouseResult> {
  const warehouse = await deps.warehouse();
  await warehouse.ensureSchema(GOLD_TABLES);
  const tables = [];
  // Not this batch's rows (not in its counts), but checked as strictly.
  const reference = await loadReferenceDimensions(warehouse, deps);
  for (const t of reference?.tables ?? [])
    if (t.rowsInTable !== t.rowsInFiles)
      throw new InvariantError(
        `reference dimension ${t.table}: expected the ${t.rowsInFiles} rows of its change set in the warehouse, found ${t.rowsInTable}`,
      );
  for (const table of GOLD_TABLES) {
    const files = input.goldFiles.filter((f) => f.table === table.name).map((f) => f.path);
    if (files.length === 0) continue;
    const result = await warehouse.load({ table, batchId: input.batch.batchId, files });
    tables.push(result);
    deps.telemetry.metric('nhsflows.warehouse.rowsLoaded', result.rowsInFiles, {
      table: table.name,
      batchId: input.batch.batchId,
    });
    // Rows COPY INTO skipped (MAXERRORS > 0) travel in the result to the manifest; they are counted
    // here too so a rising number is visible without reading manifests.
    if (result.rejectedRows)
      deps.telemetry.metric('nhsflows.warehouse.rowsRejected', result.rejectedRows, {
        table: table.name,
        batchId: input.batch.batchId,
      });
  }
  // Facts re-keyed where this batch loaded them or loaded their dimension member: one call for the
  // batch (each dimension's loaded members read once, one UPDATE per fact table in scope).
  const loaded = new Set(tables.map((t) => t.table));
  const inScope = GOLD_TABLES.filter(
    (t) =>
      (t.references ?? []).length > 0 &&
      (loaded.has(t.name) || (t.references ?? []).some((r) => loaded.has(r.dimension))),
  );
  const references =
    inScope.length > 0
      ? [...(await warehouse.resolveReferences({ tables: inScope, batchId: input.batch.batchId }))]
      : [];
  // A new reference re-keys every fact of the members it loaded (its batch id is the scope).
  if (reference) {
    const dimensions = new Set(reference.tables.map((t) => t.table));
    const referencing = GOLD_TABLES.filter((t) =>
      (t.references ?? []).some((r) => dimensions.has(r.dimension)),
    );
    if (referencing.length > 0)
      references.push(
        ...(await warehouse.resolveReferences({ tables: referencing, batchId: reference.batchId })),
      );
  }
  const unknown = input.goldFiles.filter((f) => !GOLD_TABLES.some((t) => t.name === f.table));
  if (unknown.length > 0)
    throw new InvariantError(
      `batch ${input.batch.batchId}: gold files for unknown tables ${unknown.map((u) => u.table).join(', ')}`,
    );
  deps.logger.info('warehouse loaded', {
    batchId: input.batch.batchId,
    tables: tables.length,
    rows: tables.reduce((n, t) => n + t.rowsInFiles, 0),
    deletes: tables.reduce((n, t) => n + t.deletesInFiles, 0),
    rejected: tables.reduce((n, t) => n + (t.rejectedRows ?? 0), 0),
    rekeyed: references.reduce((n, r) => n + (r.rekeyed ?? 0), 0),
    orphans: references.reduce((n, r) => n + r.orphans, 0),
  });
  return { tables, references };
}
