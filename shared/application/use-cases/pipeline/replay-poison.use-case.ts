import { z } from 'zod';
import { toError } from '../../../domain/errors.js';
import {
  batchDescriptorSchema,
  decodeDeltaRecords,
  type BatchDescriptor,
} from '../../../domain/pipeline/batch-record.js';
import { SOURCE_TABLE_NAMES } from '../../../domain/datasets/source-tables.js';
import type { QueueMessage } from '../../ports/message-queue.port.js';
import type { StateValue } from '../../ports/state-store.port.js';
import { BATCH_LEDGER_TABLE } from './batch-ledger.use-case.js';
import { pipelineInput } from '../../../domain/pipeline/pipeline-contracts.js';
import type { OrchestrationStarter } from '../../ports/orchestration-starter.port.js';
import type { SeenEvents } from '../../ports/seen-events.port.js';
import { codeOf, failedEventsMessage, replayDeadLetter } from './dead-letter-events.use-case.js';
import type { PipelineDeps } from './pipeline-deps.js';

const failedBatchMessage = z.object({
  kind: z.literal('nhs-flows.failed-batch'),
  version: z.literal(1),
  batch: batchDescriptorSchema,
  reason: z.string(),
  failedChunks: z.array(z.number().int()),
  failedAt: z.string(),
});

/** A landing file rejected whole (`reportRejectedFile`): reported, never replayed. */
const rejectedFileMessage = z.object({
  kind: z.literal('nhs-flows.rejected-file'),
  version: z.literal(1),
  rejectionId: z.string(),
  file: z.string(),
  code: z.string(),
});

export interface ReplayResult {
  readonly replayed: readonly { batchId: string; instanceId: string; chunks: number[] | 'all' }[];
  readonly invalid: number;
  /** Rejected landing files seen on the queue: nothing to replay (a corrected file must be dropped). */
  readonly rejectedFiles: number;
  /** Dead-lettered event receipts ingested again (their batch ids; none when every event was seen). */
  readonly replayedEvents?: readonly { deadLetterId: string; batches: string[] }[];
  /** Dead-lettered receipts that failed to ingest again: their messages stay on the queue. */
  readonly failedEvents?: number;
  readonly remaining: number;
}

/**
 * Replays failed batches from the poison queue: each message restarts the pipeline for its batch
 * (only the failed chunks when it names them) under a new instance id, then is deleted. Every sink
 * is idempotent, so a replay never doubles rows. Messages that are not failed-batch messages stay
 * on the queue and are counted, never deleted; rejected landing files are counted apart
 * (`rejectedFiles`) and stay too, until they expire: replaying the same bytes cannot succeed.
 * Dead-lettered event receipts (`nhs-flows.failed-events`, written by the eventHub trigger) are
 * ingested again from bronze `_failed/` when `seenEvents` is given (ids already ingested are
 * dropped, so this is idempotent); one that fails again stays on the queue (`failedEvents`).
 */
export async function replayPoison(
  deps: PipelineDeps & {
    readonly starter: OrchestrationStarter;
    readonly orchestration: string;
    readonly seenEvents?: SeenEvents;
  },
  options: { readonly max?: number; readonly batchId?: string } = {},
): Promise<ReplayResult> {
  await deps.poisonQueue.ensure();
  const replayed: { batchId: string; instanceId: string; chunks: number[] | 'all' }[] = [];
  const replayedEvents: { deadLetterId: string; batches: string[] }[] = [];
  let failedEvents = 0;
  let invalid = 0;
  const rejected = new Set<string>();
  const skipped = new Set<string>();
  const max = options.max ?? 100;
  while (replayed.length + replayedEvents.length < max) {
    const messages = await deps.poisonQueue.receive(
      Math.min(32, max - replayed.length - replayedEvents.length),
      60,
    );
    // Skipped messages are released at once, so stop when a receive returns only those.
    if (messages.length === 0 || messages.every((m) => skipped.has(m.id))) {
      for (const m of messages) await deps.poisonQueue.release(m);
      break;
    }
    for (const message of messages) {
      const deadLetter = failedEventsMessage.safeParse(message.body);
      if (deadLetter.success && deps.seenEvents && !options.batchId && !skipped.has(message.id)) {
        try {
          const result = await replayDeadLetter(deadLetter.data, {
            ...deps,
            seenEvents: deps.seenEvents,
          });
          await deps.poisonQueue.delete(message);
          replayedEvents.push({
            deadLetterId: deadLetter.data.deadLetterId,
            batches: result.batches.map((b) => b.batchId),
          });
        } catch (thrown) {
          failedEvents += 1;
          skipped.add(message.id);
          await deps.poisonQueue.release(message);
          deps.logger.error('dead-lettered event receipt failed to replay', {
            deadLetterId: deadLetter.data.deadLetterId,
            code: codeOf(toError(thrown)),
          });
        }
        continue;
      }
      if (deadLetter.success) {
        skipped.add(message.id);
        await deps.poisonQueue.release(message);
        continue;
      }
      const parsed = failedBatchMessage.safeParse(message.body);
      if (!parsed.success) {
        if (rejectedFileMessage.safeParse(message.body).success) rejected.add(message.id);
        else if (!skipped.has(message.id)) invalid += 1;
        skipped.add(message.id);
        await deps.poisonQueue.release(message);
        continue;
      }
      const { batch, failedChunks } = parsed.data;
      if (options.batchId && batch.batchId !== options.batchId) {
        skipped.add(message.id);
        await deps.poisonQueue.release(message);
        continue;
      }
      const instanceId = `${batch.batchId}:replay:${deps.clock.now().getTime()}:${message.dequeueCount}`;
      const input = pipelineInput(batch, {
        waveSize: deps.settings.NHSFLOWS_MAX_FANOUT,
        onlyChunks: failedChunks,
      });
      await deps.starter.start(deps.orchestration, instanceId, input);
      await deps.poisonQueue.delete(message);
      replayed.push({
        batchId: batch.batchId,
        instanceId,
        chunks: failedChunks.length > 0 ? failedChunks : 'all',
      });
      deps.telemetry.event('nhsflows.batch.replayed', { batchId: batch.batchId, instanceId });
    }
  }
  return {
    replayed,
    invalid,
    rejectedFiles: rejected.size,
    replayedEvents,
    failedEvents,
    remaining: await deps.poisonQueue.count(),
  };
}

/**
 * Which failed batches a replay selects (CLI options, the POST /api/replay body). All filters
 * combine (AND). `key` is one exact business key (the table's key columns joined with `|`, as in
 * the bronze deltas) and needs `table`; it matches CDC batches only (landing files are selected by
 * batch or time). `since`/`until` bound the time the batch failed: since ≤ failedAt < until.
 */
export const replaySelectionSchema = z
  .object({
    batchId: z.string().min(1).max(200).optional(),
    table: z.enum(SOURCE_TABLE_NAMES).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    key: z.string().min(1).max(200).optional(),
    dryRun: z.boolean().default(false),
    max: z.number().int().min(1).max(1000).default(100),
  })
  .strict()
  .refine((s) => !s.since || !s.until || Date.parse(s.since) < Date.parse(s.until), {
    message: 'since must be before until',
    path: ['until'],
  })
  .refine((s) => !s.key || s.table, {
    message: 'key needs table (the key columns are the table’s)',
    path: ['key'],
  });
export type ReplaySelection = z.infer<typeof replaySelectionSchema>;

/** A failed batch a replay selected: where it was found, why it failed, which chunks go again. */
export interface ReplayCandidate {
  readonly batchId: string;
  readonly table: string;
  readonly failedAt: string | null;
  readonly reason: string;
  readonly chunks: readonly number[] | 'all';
  readonly foundIn: readonly ('poison-queue' | 'ledger')[];
}

export interface SelectiveReplayResult extends ReplayResult {
  readonly dryRun: boolean;
  /** Failed batches the selection matched (replayed unless a dry run; at most `max`). */
  readonly matched: readonly ReplayCandidate[];
  /** Dead-lettered event receipts on the queue (replayed only by a replay without filters). */
  readonly deadLetters: number;
  /** A `batchId` was given that neither the poison queue nor the batch ledger knows. */
  readonly unknownBatch: boolean;
  /** Batches the selection named that cannot be replayed, and why (not failed, no descriptor). */
  readonly notReplayable: readonly { batchId: string; why: string }[];
}

const REPLAYABLE = new Set(['failed', 'partial']);

function hasFilters(s: ReplaySelection): boolean {
  return Boolean(s.batchId || s.table || s.since || s.until || s.key);
}

/**
 * Replays failed batches chosen by batch id, table, failure time and business key, from the poison
 * queue and from the batch ledger (a failed batch's ledger row keeps its descriptor, so a batch whose
 * message expired or was removed can still be replayed). A dry run lists what would be replayed and
 * changes nothing (every held message is released). Otherwise each matched batch restarts under a
 * new instance id (its failed chunks only, when it names them) and its poison messages are deleted.
 * A replay without filters also ingests dead-lettered event receipts again (as `replayPoison`).
 * Rejected landing files stay on the queue (nothing to replay).
 */
export async function replayFailedBatches(
  deps: PipelineDeps & {
    readonly starter: OrchestrationStarter;
    readonly orchestration: string;
    readonly seenEvents?: SeenEvents;
  },
  request: z.input<typeof replaySelectionSchema>,
): Promise<SelectiveReplayResult> {
  const selection = replaySelectionSchema.parse(request);
  await deps.poisonQueue.ensure();
  // Hold every message for the length of the replay (then delete or release each).
  const held: QueueMessage[] = [];
  const seen = new Set<string>();
  for (let round = 0; round < 40; round += 1) {
    const messages = await deps.poisonQueue.receive(32, 300);
    const fresh = messages.filter((m) => !seen.has(m.id));
    for (const m of messages) if (seen.has(m.id)) await deps.poisonQueue.release(m);
    if (fresh.length === 0) break;
    for (const m of fresh) {
      seen.add(m.id);
      held.push(m);
    }
  }
  const byBatch = new Map<
    string,
    { candidate: ReplayCandidate; batch: BatchDescriptor; messages: QueueMessage[] }
  >();
  const deadLetters: { message: QueueMessage; body: z.infer<typeof failedEventsMessage> }[] = [];
  const release = new Set<QueueMessage>(held);
  let invalid = 0;
  let rejectedFiles = 0;
  for (const message of held) {
    const deadLetter = failedEventsMessage.safeParse(message.body);
    if (deadLetter.success) {
      deadLetters.push({ message, body: deadLetter.data });
      continue;
    }
    const parsed = failedBatchMessage.safeParse(message.body);
    if (!parsed.success) {
      if (rejectedFileMessage.safeParse(message.body).success) rejectedFiles += 1;
      else invalid += 1;
      continue;
    }
    const { batch, failedChunks, failedAt, reason } = parsed.data;
    const entry = byBatch.get(batch.batchId);
    if (entry) {
      entry.messages.push(message);
      continue;
    }
    byBatch.set(batch.batchId, {
      batch,
      messages: [message],
      candidate: {
        batchId: batch.batchId,
        table: batch.table,
        failedAt,
        reason: reason.slice(0, 300),
        chunks: failedChunks.length > 0 ? failedChunks : 'all',
        foundIn: ['poison-queue'],
      },
    });
  }
  const notReplayable: { batchId: string; why: string }[] = [];
  let ledgerKnowsBatch = false;
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  for (const table of selection.table ? [selection.table] : SOURCE_TABLE_NAMES) {
    const rows = selection.batchId
      ? [await deps.state.get<StateValue>(BATCH_LEDGER_TABLE, table, selection.batchId)].filter(
          (r) => r !== undefined,
        )
      : deps.state.list<StateValue>(BATCH_LEDGER_TABLE, table);
    for await (const row of rows) {
      if (selection.batchId) ledgerKnowsBatch = true;
      const status = String(row.value.status ?? '');
      const known = byBatch.get(row.rowKey);
      if (known) {
        if (REPLAYABLE.has(status))
          known.candidate = { ...known.candidate, foundIn: ['poison-queue', 'ledger'] };
        continue;
      }
      if (!REPLAYABLE.has(status)) {
        if (selection.batchId)
          notReplayable.push({ batchId: row.rowKey, why: `its last run ${status || 'is unknown'}` });
        continue;
      }
      const descriptor = batchDescriptorSchema.safeParse(
        typeof row.value.descriptor === 'string' ? safeJson(row.value.descriptor) : undefined,
      );
      if (!descriptor.success) {
        notReplayable.push({
          batchId: row.rowKey,
          why: 'its ledger row has no batch descriptor (failed before replay from the ledger existed): replay it from the poison queue',
        });
        continue;
      }
      const chunkIds =
        typeof row.value.failedChunkIds === 'string' && row.value.failedChunkIds
          ? row.value.failedChunkIds.split(',').map(Number).filter(Number.isInteger)
          : [];
      byBatch.set(row.rowKey, {
        batch: descriptor.data,
        messages: [],
        candidate: {
          batchId: row.rowKey,
          table,
          failedAt: typeof row.value.failedAt === 'string' ? row.value.failedAt : null,
          reason: String(row.value.failureReason ?? '').slice(0, 300),
          chunks: chunkIds.length > 0 ? chunkIds : 'all',
          foundIn: ['ledger'],
        },
      });
    }
  }
  const since = selection.since ? Date.parse(selection.since) : -Infinity;
  const until = selection.until ? Date.parse(selection.until) : Infinity;
  const matched: { candidate: ReplayCandidate; batch: BatchDescriptor; messages: QueueMessage[] }[] = [];
  for (const entry of [...byBatch.values()].sort(
    (a, b) =>
      (a.candidate.failedAt ?? '').localeCompare(b.candidate.failedAt ?? '') ||
      a.candidate.batchId.localeCompare(b.candidate.batchId),
  )) {
    const c = entry.candidate;
    if (selection.batchId && c.batchId !== selection.batchId) continue;
    if (selection.table && c.table !== selection.table) continue;
    if (selection.since || selection.until) {
      const at = c.failedAt ? Date.parse(c.failedAt) : Number.NaN;
      if (Number.isNaN(at) || at < since || at >= until) continue;
    }
    if (selection.key && !(await batchHasKey(entry.batch, selection.key, deps))) continue;
    if (matched.length < selection.max) matched.push(entry);
  }
  const unknownBatch =
    selection.batchId !== undefined && !byBatch.has(selection.batchId) && !ledgerKnowsBatch;

  const replayed: { batchId: string; instanceId: string; chunks: number[] | 'all' }[] = [];
  const replayedEvents: { deadLetterId: string; batches: string[] }[] = [];
  let failedEvents = 0;
  try {
    if (!selection.dryRun) {
      for (const { candidate, batch, messages } of matched) {
        const instanceId = `${batch.batchId}:replay:${deps.clock.now().getTime()}:${messages[0]?.dequeueCount ?? 0}`;
        const chunks = candidate.chunks === 'all' ? [] : [...candidate.chunks];
        await deps.starter.start(
          deps.orchestration,
          instanceId,
          pipelineInput(batch, { waveSize: deps.settings.NHSFLOWS_MAX_FANOUT, onlyChunks: chunks }),
        );
        for (const m of messages) {
          await deps.poisonQueue.delete(m);
          release.delete(m);
        }
        replayed.push({ batchId: batch.batchId, instanceId, chunks: chunks.length > 0 ? chunks : 'all' });
        deps.telemetry.event('nhsflows.batch.replayed', { batchId: batch.batchId, instanceId });
      }
      if (!hasFilters(selection) && deps.seenEvents) {
        for (const { message, body } of deadLetters) {
          try {
            const result = await replayDeadLetter(body, { ...deps, seenEvents: deps.seenEvents });
            await deps.poisonQueue.delete(message);
            release.delete(message);
            replayedEvents.push({
              deadLetterId: body.deadLetterId,
              batches: result.batches.map((b) => b.batchId),
            });
          } catch (thrown) {
            failedEvents += 1;
            deps.logger.error('dead-lettered event receipt failed to replay', {
              deadLetterId: body.deadLetterId,
              code: codeOf(toError(thrown)),
            });
          }
        }
      }
    }
  } finally {
    for (const m of release) await deps.poisonQueue.release(m).catch(() => undefined);
  }
  return {
    dryRun: selection.dryRun,
    matched: matched.map((m) => m.candidate),
    deadLetters: deadLetters.length,
    unknownBatch,
    notReplayable,
    replayed,
    invalid,
    rejectedFiles,
    replayedEvents,
    failedEvents,
    remaining: await deps.poisonQueue.count(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether a CDC batch's bronze deltas carry the exact business key (`|`-joined key columns). */
async function batchHasKey(batch: BatchDescriptor, key: string, deps: PipelineDeps): Promise<boolean> {
  if (batch.format !== 'deltas') return false;
  const bytes = await deps.lake.get('bronze', batch.bronzePath);
  if (!bytes) return false;
  return decodeDeltaRecords(bytes.toString('utf8'), batch.bronzePath).some((r) => r.key.join('|') === key);
}
