import { SOURCE_TABLE_NAMES } from '../../../domain/datasets/source-tables.js';
import { LAKE_CONTAINERS } from '../../../domain/lake/lake-paths.js';
import { BATCH_LEDGER_TABLE } from './batch-ledger.use-case.js';
import type { PipelineDeps } from './pipeline-deps.js';

export interface PipelineStatus {
  readonly lake: Record<string, { objects: number; bytes: number }>;
  readonly tables: readonly {
    table: string;
    batches: number;
    failed: number;
    records: number;
    accepted: number;
    quarantined: number;
    lastBatch: { batchId: string; status: string; finishedAt: string } | null;
  }[];
  readonly failures: readonly { table: string; batchId: string; reason: string }[];
  readonly poisonQueue: number;
}

/** What `nhs-flows status` and GET /api/status show: objects per layer, batches per table, failures. */
export async function pipelineStatus(deps: PipelineDeps): Promise<PipelineStatus> {
  const lake: Record<string, { objects: number; bytes: number }> = {};
  for (const container of LAKE_CONTAINERS) {
    let objects = 0;
    let bytes = 0;
    for await (const o of deps.lake.list(container, '')) {
      if (o.path.startsWith('_work/')) continue;
      objects += 1;
      bytes += o.size;
    }
    lake[container] = { objects, bytes };
  }
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  const tables = [];
  const failures: { table: string; batchId: string; reason: string }[] = [];
  for (const table of SOURCE_TABLE_NAMES) {
    let batches = 0;
    let failed = 0;
    let records = 0;
    let accepted = 0;
    let quarantined = 0;
    let lastBatch: { batchId: string; status: string; finishedAt: string } | null = null;
    for await (const e of deps.state.list<Record<string, string | number | boolean | null>>(
      BATCH_LEDGER_TABLE,
      table,
    )) {
      batches += 1;
      const v = e.value;
      records += Number(v.records ?? 0);
      accepted += Number(v.accepted ?? 0);
      quarantined += Number(v.quarantined ?? 0);
      if (v.status !== 'succeeded') {
        failed += 1;
        failures.push({
          table,
          batchId: e.rowKey,
          reason: typeof v.failureReason === 'string' ? v.failureReason : String(v.status),
        });
      }
      const finishedAt =
        typeof v.finishedAt === 'string' ? v.finishedAt : typeof v.failedAt === 'string' ? v.failedAt : '';
      if (!lastBatch || finishedAt > lastBatch.finishedAt)
        lastBatch = { batchId: e.rowKey, status: String(v.status), finishedAt };
    }
    if (batches > 0) tables.push({ table, batches, failed, records, accepted, quarantined, lastBatch });
  }
  const poisonQueue = await deps.poisonQueue.count().catch(() => 0);
  return { lake, tables, failures, poisonQueue };
}
