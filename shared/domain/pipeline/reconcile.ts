import { ReconciliationError } from '../errors.js';
import type { BatchDescriptor } from './batch-record.js';
import type {
  BatchManifest,
  BuildGoldResult,
  ChunkOutcome,
  ChunkPlan,
  LoadWarehouseResult,
  MergeDimensionResult,
} from './pipeline-contracts.js';

/**
 * Reconciles a batch's counts at every hop and builds its manifest. Throws `ReconciliationError`
 * (the batch fails loudly) when: a chunk's records ≠ accepted + quarantined; silver rows ≠
 * accepted; gold fact rows + deletes ≠ silver rows; the warehouse holds a different number of
 * rows than the gold files carry; or, after the load, a fact in the batch's scope holds a surrogate
 * key that resolves to no dimension row (an orphan) or to a version not in force on its date
 * (ADR 0009). Failed chunks make the batch 'partial' (they go to replay); a
 * landing file with no row (the plan's notice) makes it 'empty'.
 */
export function reconcileBatch(input: {
  batch: BatchDescriptor;
  plan: ChunkPlan;
  outcomes: readonly ChunkOutcome[];
  dimension: MergeDimensionResult;
  gold: BuildGoldResult;
  warehouse: LoadWarehouseResult;
  startedAt: string;
  finishedAt: string;
  replayedChunks?: readonly number[];
}): BatchManifest {
  const problems: string[] = [];
  let accepted = 0;
  let quarantined = 0;
  let warnings = 0;
  let silverRows = 0;
  let processed = 0;
  let failedChunkRecords = 0;
  const failed: { chunk: number; stage: string; reason: string }[] = [];
  for (const o of input.outcomes) {
    if (!o.ok) {
      failed.push({ chunk: o.chunk, stage: o.stage, reason: o.reason });
      failedChunkRecords += o.records;
      processed += o.records;
      continue;
    }
    const v = o.validate;
    processed += v.records;
    if (v.records !== v.accepted + v.quarantined)
      problems.push(
        `chunk ${v.chunk}: ${v.records} records in, ${v.accepted} accepted + ${v.quarantined} quarantined`,
      );
    if (o.pseudonymise.rows !== v.accepted)
      problems.push(`chunk ${v.chunk}: ${v.accepted} accepted but ${o.pseudonymise.rows} silver rows`);
    accepted += v.accepted;
    quarantined += v.quarantined;
    warnings += v.warnings;
    silverRows += o.pseudonymise.rows;
  }
  const planned = input.replayedChunks
    ? input.plan.chunks
        .filter((c) => input.replayedChunks?.includes(c.index))
        .reduce((n, c) => n + c.records, 0)
    : input.plan.records;
  if (processed !== planned)
    problems.push(`${planned} records planned but ${processed} reached the chunk stage`);
  if (input.gold.factRows + input.gold.factDeletes !== silverRows)
    problems.push(
      `${silverRows} silver rows but ${input.gold.factRows} gold facts + ${input.gold.factDeletes} deletes`,
    );
  for (const t of input.warehouse.tables)
    if (t.rowsInTable !== t.rowsInFiles)
      problems.push(`warehouse ${t.table}: files carry ${t.rowsInFiles} rows, table holds ${t.rowsInTable}`);
  for (const r of input.warehouse.references ?? []) {
    if (r.orphans > 0)
      problems.push(
        `warehouse ${r.table}.${r.column}: expected every key to resolve in ${r.dimension}, ${r.orphans} facts hold an orphan key`,
      );
    if (r.mismatched > 0)
      problems.push(
        `warehouse ${r.table}.${r.column}: expected the ${r.dimension} version in force on each fact's date, ${r.mismatched} facts hold another`,
      );
  }
  if (problems.length > 0)
    throw new ReconciliationError(
      `batch ${input.batch.batchId} (${input.batch.table}) does not reconcile: ${problems.join('; ')}`,
    );
  const warehouseRows = input.warehouse.tables.reduce((n, t) => n + t.rowsInTable, 0);
  return {
    batchId: input.batch.batchId,
    table: input.batch.table,
    origin: input.batch.origin,
    status: failed.length > 0 ? 'partial' : input.plan.notice ? 'empty' : 'succeeded',
    ...(input.plan.notice ? { notice: input.plan.notice } : {}),
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    durationMs: Date.parse(input.finishedAt) - Date.parse(input.startedAt),
    counts: {
      records: input.plan.records,
      unreadable: input.plan.unreadable,
      accepted,
      quarantined,
      warnings,
      silverRows,
      failedChunkRecords,
      factRows: input.gold.factRows,
      factDeletes: input.gold.factDeletes,
      dimensionMembers: input.dimension.members,
      warehouseRows,
    },
    chunks: { total: input.outcomes.length, failed },
    warehouse: input.warehouse,
  };
}
