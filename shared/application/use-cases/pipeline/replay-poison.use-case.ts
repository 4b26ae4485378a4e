import { z } from 'zod';
import { toError } from '../../../domain/errors.js';
import { batchDescriptorSchema } from '../../../domain/pipeline/batch-record.js';
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
