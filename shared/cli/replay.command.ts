import { services, resetServices } from '../../functions/composition-root.js';
import {
  replaySelectionSchema,
  type ReplayCandidate,
  type ReplaySelection,
  type SelectiveReplayResult,
} from '../application/use-cases/pipeline/replay-poison.use-case.js';
import { failedAgain, replayedBatchOutcomes } from '../application/use-cases/operations/replay.use-case.js';
import { recordAudit } from '../application/use-cases/audit/audit-trail.js';
import type { CliCommand } from './cli-io.js';
import { localActor, openLocalEnvironment } from './local-environment.js';
import { openLocalFunctionsHost } from './local-functions-host.js';

/** Exit codes: 0 every replayed batch succeeded (or the dry run matched), 1 one failed again, 2 bad options, 3 nothing matched. */
export const REPLAY_EXIT = { ok: 0, failedAgain: 1, usage: 2, nothingMatched: 3 } as const;

type ReplayAnswer = SelectiveReplayResult & { readonly auditId: string; readonly outcome: string };

/**
 * `nhs-flows replay`: replays failed batches through the same HTTP function operators call on Azure
 * (POST /api/replay, audited), then waits for them and says how each ended.
 */
export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'replay failed batches (by batch, table, failure time or key; --dry-run lists them)',
  usage:
    'nhs-flows replay [--batch <id>] [--table <T>] [--since <ISO>] [--until <ISO>] [--key <K> --table <T>] [--dry-run] [--json]',
  options: {
    batch: { type: 'string', description: 'only this batch id' },
    table: { type: 'string', description: 'only failed batches of this source table' },
    since: { type: 'string', description: 'only batches that failed at or after this time (ISO 8601)' },
    until: { type: 'string', description: 'only batches that failed before this time (ISO 8601)' },
    key: {
      type: 'string',
      description:
        "only CDC batches carrying this exact business key (key columns joined with '|'; needs --table)",
    },
    'dry-run': { type: 'boolean', description: 'list what would be replayed; change nothing' },
    json: { type: 'boolean', description: 'print JSON instead of a summary' },
  },
  run: async (args, io) => {
    const text = (name: string) => (typeof args.values[name] === 'string' ? args.values[name] : undefined);
    const parsed = replaySelectionSchema.safeParse({
      ...(text('batch') ? { batchId: text('batch') } : {}),
      ...(text('table') ? { table: text('table') } : {}),
      ...(text('since') ? { since: text('since') } : {}),
      ...(text('until') ? { until: text('until') } : {}),
      ...(text('key') ? { key: text('key') } : {}),
      dryRun: args.values['dry-run'] === true,
    });
    if (!parsed.success) {
      io.err(
        `nhs-flows replay: ${parsed.error.issues.map((i) => `${i.path.join('.') === 'batchId' ? 'batch' : i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      return REPLAY_EXIT.usage;
    }
    const selection = parsed.data;
    const env = await openLocalEnvironment();
    try {
      const s = await services();
      const capture = await s.capture();
      if (!capture.eventLog)
        throw new Error('replay on the embedded default needs NHSFLOWS_EVENTS_KIND=local');
      const { host } = await openLocalFunctionsHost(env, { logger: s.logger, eventLog: capture.eventLog });
      await host.start();
      try {
        const response = await fetch(`${host.origin ?? ''}/api/replay`, {
          method: 'POST',
          headers: { 'x-functions-key': env.adminKey, 'content-type': 'application/json' },
          body: JSON.stringify(selection),
        });
        const answer = (await response.json()) as ReplayAnswer & { problems?: string[] };
        if (response.status === 400) {
          io.err(`nhs-flows replay: ${(answer.problems ?? []).join('; ')}`);
          return REPLAY_EXIT.usage;
        }
        if (!response.ok && response.status !== 404)
          throw new Error(`POST /api/replay answered HTTP ${response.status}`);
        if (answer.unknownBatch || answer.outcome === 'nothing-matched' || selection.dryRun) {
          if (args.values.json) io.out(JSON.stringify({ replay: answer }, null, 2));
          else io.out(renderReplay(selection, answer));
          return answer.outcome === 'nothing-matched' ? REPLAY_EXIT.nothingMatched : REPLAY_EXIT.ok;
        }
        if (!args.values.json) io.out(renderReplay(selection, answer));
        await host.waitForIdle({ timeoutMs: 30 * 60_000 });
        const outcomes = await replayedBatchOutcomes(
          answer.matched.filter((m) => answer.replayed.some((r) => r.batchId === m.batchId)),
          s.pipeline,
        );
        const failed = outcomes.filter(failedAgain);
        if (failed.length > 0)
          await recordAudit(
            {
              kind: 'replay',
              actor: localActor(),
              outcome: 'failed',
              reason: 'replayed batches failed again',
              details: {
                replayAuditId: answer.auditId,
                failedAgain: failed.length,
                batches: failed
                  .map((f) => f.batchId)
                  .join(',')
                  .slice(0, 500),
              },
            },
            s.pipeline,
          );
        if (args.values.json) io.out(JSON.stringify({ replay: answer, outcomes }, null, 2));
        else io.out(renderOutcomes(outcomes, answer));
        return failed.length > 0 ? REPLAY_EXIT.failedAgain : REPLAY_EXIT.ok;
      } finally {
        await host.stop();
      }
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

function describe(selection: ReplaySelection): string {
  const parts = [
    selection.batchId ? `batch ${selection.batchId}` : '',
    selection.table ? `table ${selection.table}` : '',
    selection.since || selection.until
      ? `failed ${selection.since ?? '…'} – ${selection.until ?? 'now'}`
      : '',
    selection.key ? 'the given business key' : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'every failed batch';
}

function candidateLine(c: ReplayCandidate): string {
  const chunks = c.chunks === 'all' ? 'all chunks' : `chunks ${c.chunks.join(',')}`;
  return `  ${c.batchId}  ${c.table}  failed ${c.failedAt ?? '(time unknown)'}  ${chunks}  [${c.foundIn.join(', ')}]${c.reason ? `\n      ${c.reason.split('\n')[0]}` : ''}`;
}

/** The human summary of a replay request (what matched, what started, the audit record). */
export function renderReplay(selection: ReplaySelection, answer: ReplayAnswer): string {
  const lines: string[] = [];
  if (answer.unknownBatch)
    lines.push(
      `replay: no batch ${selection.batchId ?? ''} is known: it is not on the poison queue and not in the batch ledger (nhs-flows status lists failures)`,
    );
  else if (answer.outcome === 'nothing-matched')
    lines.push(`replay: no failed batch matches ${describe(selection)}; nothing was replayed`);
  else if (answer.dryRun) {
    lines.push(
      `replay (dry run): ${answer.matched.length} failed batch(es) match ${describe(selection)}; nothing was changed`,
    );
    for (const c of answer.matched) lines.push(candidateLine(c));
    if (
      answer.deadLetters > 0 &&
      !selection.batchId &&
      !selection.table &&
      !selection.since &&
      !selection.until &&
      !selection.key
    )
      lines.push(`  and ${answer.deadLetters} dead-lettered event receipt(s) would be ingested again`);
  } else {
    lines.push(`replay: started ${answer.replayed.length} batch(es) matching ${describe(selection)}`);
    for (const c of answer.matched) lines.push(candidateLine(c));
    if ((answer.replayedEvents?.length ?? 0) > 0)
      lines.push(`  and ${answer.replayedEvents?.length ?? 0} dead-lettered event receipt(s) ingested again`);
  }
  for (const n of answer.notReplayable) lines.push(`  not replayable: ${n.batchId}: ${n.why}`);
  lines.push(
    `audit record: replay/${answer.auditId} (${answer.outcome}); poison queue now ${answer.remaining} message(s)`,
  );
  return lines.join('\n');
}

function renderOutcomes(
  outcomes: readonly { batchId: string; table: string; status: string; reason: string | null }[],
  answer: ReplayAnswer,
): string {
  const failed = outcomes.filter(failedAgain);
  const lines = outcomes.map(
    (o) =>
      `  ${o.batchId}  ${o.table}  ${o.status}${o.reason && failedAgain(o) ? `: ${o.reason.split('\n')[0]}` : ''}`,
  );
  lines.unshift('replayed batches:');
  lines.push(
    failed.length > 0
      ? `${failed.length} of ${outcomes.length} replayed batch(es) failed again; they are back on the poison queue (audit record replay/${answer.auditId})`
      : `all ${outcomes.length} replayed batch(es) succeeded`,
  );
  return lines.join('\n');
}
