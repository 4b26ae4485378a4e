import { SOURCE_TABLE_NAMES } from '../../../domain/datasets/source-tables.js';
import { LAKE_CONTAINERS } from '../../../domain/lake/lake-paths.js';
import { BATCH_LEDGER_TABLE, LANDING_LEDGER_PARTITION } from './batch-ledger.use-case.js';
import { DEAD_LETTER_REPLAYED, EVENTS_LEDGER_PARTITION } from './dead-letter-events.use-case.js';
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
    /** Rows of landing files that could not be read (reported in quarantine). */
    unreadable: number;
    /** Landing files that held no row (FILE.EMPTY, FILE.HEADER_ONLY). */
    empty: number;
    lastBatch: { batchId: string; status: string; finishedAt: string } | null;
  }[];
  /**
   * Failed, partly failed and rejected batches (rejected landing files included), and event
   * receipts dead-lettered by the eventHub trigger (table `events`) until a replay ingests them.
   */
  readonly failures: readonly { table: string; batchId: string; status: string; reason: string }[];
  /** Batches that loaded but are worth a look: empty or header-only landing files. */
  readonly notices: readonly { table: string; batchId: string; reason: string }[];
  readonly poisonQueue: number;
}

/**
 * What `nhs-flows status` and GET /api/status show: objects per layer, batches per table, failures
 * (including landing files rejected before any table was known, under `landing`, and dead-lettered
 * event receipts, under `events`) and notices.
 */
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
  const failures: { table: string; batchId: string; status: string; reason: string }[] = [];
  const notices: { table: string; batchId: string; reason: string }[] = [];
  for (const table of [...SOURCE_TABLE_NAMES, LANDING_LEDGER_PARTITION, EVENTS_LEDGER_PARTITION]) {
    let batches = 0;
    let failed = 0;
    let records = 0;
    let accepted = 0;
    let quarantined = 0;
    let unreadable = 0;
    let empty = 0;
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
      unreadable += Number(v.unreadable ?? 0);
      if (v.status === 'empty') {
        empty += 1;
        notices.push({
          table,
          batchId: e.rowKey,
          reason: typeof v.notice === 'string' ? `${String(v.noticeCode)}: ${v.notice}` : 'empty',
        });
      } else if (v.status !== 'succeeded' && v.status !== DEAD_LETTER_REPLAYED) {
        failed += 1;
        failures.push({
          table,
          batchId: e.rowKey,
          status: String(v.status),
          reason: typeof v.failureReason === 'string' ? v.failureReason : String(v.status),
        });
      }
      const finishedAt =
        typeof v.finishedAt === 'string' ? v.finishedAt : typeof v.failedAt === 'string' ? v.failedAt : '';
      if (!lastBatch || finishedAt > lastBatch.finishedAt)
        lastBatch = { batchId: e.rowKey, status: String(v.status), finishedAt };
    }
    if (batches > 0)
      tables.push({ table, batches, failed, records, accepted, quarantined, unreadable, empty, lastBatch });
  }
  const poisonQueue = await deps.poisonQueue.count().catch(() => 0);
  return { lake, tables, failures, notices, poisonQueue };
}
