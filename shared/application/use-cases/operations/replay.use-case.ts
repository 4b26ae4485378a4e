import type { z } from 'zod';
import type { AuditRecord } from '../../../domain/audit/audit-record.js';
import type { OrchestrationStarter } from '../../ports/orchestration-starter.port.js';
import type { SeenEvents } from '../../ports/seen-events.port.js';
import { recordAudit } from '../audit/audit-trail.js';
import { BATCH_LEDGER_TABLE } from '../pipeline/batch-ledger.use-case.js';
import type { PipelineDeps } from '../pipeline/pipeline-deps.js';
import {
  replayFailedBatches,
  replaySelectionSchema,
  type SelectiveReplayResult,
} from '../pipeline/replay-poison.use-case.js';

export type ReplayDeps = PipelineDeps & {
  readonly starter: OrchestrationStarter;
  readonly orchestration: string;
  readonly seenEvents?: SeenEvents;
};

export interface AuditedReplay {
  readonly result: SelectiveReplayResult;
  readonly audit: AuditRecord;
}

/** What a replay's audit record says it did: nothing matched, a dry run, or done. */
export function replayOutcome(result: SelectiveReplayResult): 'nothing-matched' | 'dry-run' | 'done' {
  const events = result.dryRun ? result.deadLetters : (result.replayedEvents?.length ?? 0);
  if (result.unknownBatch || (result.matched.length === 0 && events === 0)) return 'nothing-matched';
  return result.dryRun ? 'dry-run' : 'done';
}

/**
 * A replay (or dry run) as an operator asks for it, through the CLI or POST /api/replay: runs the
 * selection and writes one audit record (kind `replay`) with the filters, counts and batch ids. The
 * business key of a `key` filter is never written (it may be a local record id): only that one was given.
 */
export async function replayAudited(
  request: z.input<typeof replaySelectionSchema>,
  actor: string,
  deps: ReplayDeps,
): Promise<AuditedReplay> {
  const selection = replaySelectionSchema.parse(request);
  const result = await replayFailedBatches(deps, selection);
  const ids = (result.dryRun ? result.matched.map((m) => m.batchId) : result.replayed.map((r) => r.batchId))
    .join(',')
    .slice(0, 500);
  const audit = await recordAudit(
    {
      kind: 'replay',
      actor,
      outcome: replayOutcome(result),
      ...(result.unknownBatch ? { reason: 'unknown batch id' } : {}),
      details: {
        batchId: selection.batchId ?? null,
        table: selection.table ?? null,
        since: selection.since ?? null,
        until: selection.until ?? null,
        keyFilter: selection.key !== undefined,
        dryRun: selection.dryRun,
        matched: result.matched.length,
        replayed: result.replayed.length,
        replayedEvents: result.replayedEvents?.length ?? 0,
        notReplayable: result.notReplayable.length,
        batches: ids,
      },
    },
    deps,
  );
  deps.logger.info('replay requested', {
    auditId: audit.id,
    outcome: audit.outcome,
    matched: result.matched.length,
    replayed: result.replayed.length,
  });
  return { result, audit };
}

/** How each replayed batch ended, from the batch ledger: succeeded, or failed again (with why). */
export async function replayedBatchOutcomes(
  batches: readonly { readonly batchId: string; readonly table: string }[],
  deps: Pick<PipelineDeps, 'state'>,
): Promise<{ batchId: string; table: string; status: string; reason: string | null }[]> {
  const out = [];
  for (const b of batches) {
    const row = await deps.state.get(BATCH_LEDGER_TABLE, b.table, b.batchId);
    const status = typeof row?.value.status === 'string' ? row.value.status : 'unknown';
    const reason =
      typeof row?.value.failureReason === 'string' ? row.value.failureReason.slice(0, 200) : null;
    out.push({ batchId: b.batchId, table: b.table, status, reason: status === 'succeeded' ? null : reason });
  }
  return out;
}

/** A replayed batch that did not end `succeeded` or `empty` failed again. */
export function failedAgain(outcome: { readonly status: string }): boolean {
  return outcome.status !== 'succeeded' && outcome.status !== 'empty';
}
