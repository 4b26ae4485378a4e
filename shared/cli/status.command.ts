import { services, resetServices } from '../../functions/composition-root.js';
import {
  pipelineStatus,
  type PipelineStatus,
} from '../application/use-cases/pipeline/pipeline-status.use-case.js';
import { LANDING_LEDGER_PARTITION } from '../application/use-cases/pipeline/batch-ledger.use-case.js';
import { EVENTS_LEDGER_PARTITION } from '../application/use-cases/pipeline/dead-letter-events.use-case.js';
import { readBreakers, type BreakerView } from '../application/use-cases/operations/circuit-breakers.js';
import type { CliCommand } from './cli-io.js';
import { openLocalEnvironment } from './local-environment.js';

/** `nhs-flows status`: objects per lake layer, batches and counts per table, failures, poison queue. */
export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'rows per layer, last batch per table, failures and the poison queue',
  usage: 'nhs-flows status [--json]',
  options: { json: { type: 'boolean', description: 'print JSON instead of a table' } },
  run: async (args, io) => {
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      const status = await pipelineStatus(pipeline);
      const breakers = await readBreakers(pipeline);
      io.out(
        args.values.json
          ? JSON.stringify({ ...status, breakers }, null, 2)
          : `${renderStatus(status)}\n${renderBreakers(breakers)}`,
      );
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

export function renderStatus(status: PipelineStatus): string {
  const lines: string[] = ['lake layers:'];
  for (const [container, v] of Object.entries(status.lake))
    lines.push(
      `  ${container.padEnd(11)} ${String(v.objects).padStart(7)} objects ${formatBytes(v.bytes).padStart(10)}`,
    );
  lines.push('', 'batches by source table:');
  lines.push(
    `  ${'table'.padEnd(26)} ${'batches'.padStart(7)} ${'failed'.padStart(6)} ${'records'.padStart(9)} ${'accepted'.padStart(9)} ${'quarantined'.padStart(11)} ${'unreadable'.padStart(10)} ${'empty'.padStart(5)}  last batch`,
  );
  if (status.tables.length === 0) lines.push('  (none yet)');
  for (const t of status.tables)
    lines.push(
      `  ${(t.table === LANDING_LEDGER_PARTITION ? '(no source table)' : t.table === EVENTS_LEDGER_PARTITION ? '(event receipts)' : t.table).padEnd(26)} ${String(t.batches).padStart(7)} ${String(t.failed).padStart(6)} ${String(t.records).padStart(9)} ${String(t.accepted).padStart(9)} ${String(t.quarantined).padStart(11)} ${String(t.unreadable).padStart(10)} ${String(t.empty).padStart(5)}  ${t.lastBatch ? `${t.lastBatch.batchId} ${t.lastBatch.status} ${t.lastBatch.finishedAt}` : ''}`,
    );
  lines.push('', `failures: ${status.failures.length}`);
  for (const f of status.failures.slice(0, 20))
    lines.push(`  ${f.table} ${f.batchId} ${f.status}: ${f.reason}`);
  if (status.notices.length > 0) {
    lines.push(`empty landing files: ${status.notices.length}`);
    for (const n of status.notices.slice(0, 20)) lines.push(`  ${n.table} ${n.batchId}: ${n.reason}`);
  }
  lines.push(
    `poison queue: ${status.poisonQueue} message(s)${status.poisonQueue > 0 ? ' (replay with: nhs-flows replay)' : ''}`,
  );
  return lines.join('\n');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** One line per circuit breaker: closed, or open / half-open with its failure count and last code. */
export function renderBreakers(breakers: readonly BreakerView[]): string {
  return `circuit breakers: ${breakers
    .map((b) =>
      b.status === 'closed'
        ? `${b.dependency} closed`
        : `${b.dependency} ${b.status.toUpperCase()} since ${b.openedAt ?? '?'} after ${b.consecutiveFailures} failures (${b.lastFailureCode ?? 'unknown'}): no new batches start until it half-opens`,
    )
    .join('; ')}`;
}
