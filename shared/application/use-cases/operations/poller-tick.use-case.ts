import { OPERATIONS_METRICS } from '../../../domain/operations/operations-metrics.js';
import { freshnessSeconds } from '../../../domain/operations/staleness.js';
import { toError } from '../../../domain/errors.js';
import type { MessageQueue } from '../../ports/message-queue.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import { readCaptureHeartbeat } from '../capture/capture-changes.use-case.js';
import type { PollResult } from '../poll-sources.use-case.js';
import { openBreakers, type BreakerDeps, type BreakerView } from './circuit-breakers.js';

export interface PollerTickDeps extends BreakerDeps {
  readonly objects: ObjectStore;
  readonly poisonQueue: MessageQueue;
  readonly stateScope?: string;
}

export interface PollerTickResult {
  /** The poll, when one ran. */
  readonly poll: PollResult | null;
  /** Breakers that stopped the poll (empty when it ran). */
  readonly deferredBy: readonly BreakerView[];
  /** Freshness emitted per table (seconds since its last successful poll). */
  readonly freshness: Readonly<Record<string, number>>;
  readonly poisonDepth: number | null;
}

// The last success seen per table in this process: used when the control state cannot be read.
const lastKnownSuccess = new Map<string, string>();

/**
 * One tick of the CDC poller. Unless a circuit breaker is open (then the poll is skipped: nothing is
 * captured, so no batch starts and no watermark moves), runs `poll`. Whatever happened (a skipped
 * poll, a failed table, a poll that threw), it then emits, per configured table,
 * `nhsflows.capture.freshnessSeconds` = now − the table's last successful poll (from the capture
 * heartbeat in Table storage), and the poison-queue depth; then rethrows the poll's error, if any.
 */
export async function pollerTick(
  input: { readonly tables: readonly string[]; readonly poll: () => Promise<PollResult> },
  deps: PollerTickDeps,
): Promise<PollerTickResult> {
  let poll: PollResult | null = null;
  let deferredBy: BreakerView[] = [];
  let failure: Error | undefined;
  try {
    deferredBy = await openBreakers(deps);
    if (deferredBy.length > 0)
      deps.logger.warn('cdc poll skipped: a circuit breaker is open', {
        breakers: deferredBy.map((b) => b.dependency).join(','),
      });
    else poll = await input.poll();
  } catch (thrown) {
    failure = toError(thrown);
  }
  const freshness = await emitFreshness(input.tables, deps);
  const poisonDepth = await emitPoisonDepth(deps);
  if (failure) throw failure;
  return { poll, deferredBy, freshness, poisonDepth };
}

/** Emits freshness per table; a table whose heartbeat cannot be read uses the last one this process saw. */
export async function emitFreshness(
  tables: readonly string[],
  deps: Pick<PollerTickDeps, 'objects' | 'state' | 'clock' | 'stateScope' | 'telemetry' | 'logger'>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const now = deps.clock.now();
  for (const table of tables) {
    let lastSuccessAt: string | null;
    try {
      const heartbeat = await readCaptureHeartbeat(deps, table);
      if (heartbeat.status === 'never') continue;
      lastSuccessAt = heartbeat.lastSuccessAt;
      if (lastSuccessAt) lastKnownSuccess.set(table, lastSuccessAt);
    } catch (thrown) {
      lastSuccessAt = lastKnownSuccess.get(table) ?? null;
      deps.logger.warn('capture heartbeat unreadable; freshness from the last one seen', {
        table,
        error: toError(thrown).message.slice(0, 300),
      });
    }
    const seconds = freshnessSeconds(lastSuccessAt, now);
    out[table] = seconds;
    deps.telemetry.metric(OPERATIONS_METRICS.captureFreshness, seconds, { table });
  }
  return out;
}

/** Emits the poison queue's depth; null (and nothing emitted) when the queue cannot be read. */
export async function emitPoisonDepth(
  deps: Pick<PollerTickDeps, 'poisonQueue' | 'telemetry' | 'logger'>,
): Promise<number | null> {
  try {
    await deps.poisonQueue.ensure();
    const depth = await deps.poisonQueue.count();
    deps.telemetry.metric(OPERATIONS_METRICS.poisonQueueDepth, depth, { queue: deps.poisonQueue.name });
    return depth;
  } catch (thrown) {
    deps.logger.warn('poison queue depth unreadable', { error: toError(thrown).message.slice(0, 300) });
    return null;
  }
}
