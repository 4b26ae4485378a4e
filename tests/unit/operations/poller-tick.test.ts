import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry, type Telemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { MessageQueue, QueueMessage } from '../../../shared/application/ports/message-queue.port.js';
import { CaptureStateRepository } from '../../../shared/application/use-cases/capture/capture-hash-state.js';
import { pollerTick } from '../../../shared/application/use-cases/operations/poller-tick.use-case.js';
import {
  recordDependencyOutcome,
  resetBreakerCache,
  waitForBreakers,
} from '../../../shared/application/use-cases/operations/circuit-breakers.js';
import { OPERATIONS_METRICS } from '../../../shared/domain/operations/operations-metrics.js';
import {
  NEVER_CAPTURED_SECONDS,
  STALE_RULE,
  evaluateStaleness,
  type FreshnessSample,
} from '../../../shared/domain/operations/staleness.js';
import type { PollResult } from '../../../shared/application/use-cases/poll-sources.use-case.js';

const TABLES = ['sus_apc_episode', 'ecds_attendance'];
const SCHEDULE_MS = 5 * 60_000;

function memoryQueue(): MessageQueue & { messages: QueueMessage[] } {
  const messages: QueueMessage[] = [];
  return {
    name: 'nhs-flows-batches-poison',
    messages,
    ensure: async () => undefined,
    send: async (body) => {
      messages.push({ id: String(messages.length), popReceipt: '', dequeueCount: 0, body: { ...body } });
    },
    receive: async () => [],
    delete: async () => undefined,
    release: async () => undefined,
    count: async () => messages.length,
  };
}

/** A world for the poller: memory stores, a clock, telemetry that stamps each metric with the clock. */
function world() {
  const clock = fixedClock('2026-12-06T10:00:00Z');
  const objects = new MemoryObjectStore();
  const state = new MemoryStateStore();
  const inner = memoryTelemetry();
  const samples: FreshnessSample[] = [];
  const telemetry: Telemetry = {
    ...inner,
    metric: (name, value, properties = {}) => {
      inner.metric(name, value, properties);
      if (name === OPERATIONS_METRICS.captureFreshness)
        samples.push({ table: properties.table ?? '', at: clock.now(), freshnessSeconds: value });
    },
  };
  const poisonQueue = memoryQueue();
  const deps = { objects, state, clock, telemetry, logger: silentLogger, poisonQueue };
  const repo = new CaptureStateRepository(objects, state);
  /** A poll that succeeds: writes each table's heartbeat as captureChanges does. */
  const goodPoll = async (): Promise<PollResult> => {
    await repo.ensure();
    for (const table of TABLES)
      await repo.writeHeartbeat(table, {
        lastPollAt: clock.now().toISOString(),
        lastSuccessAt: clock.now().toISOString(),
        status: 'ok',
      });
    return { results: [], failures: [] };
  };
  const badPoll = (): Promise<PollResult> =>
    Promise.reject(Object.assign(new Error('source unreachable'), { code: 'SOURCE_UNREACHABLE' }));
  return { clock, deps, inner, samples, poisonQueue, goodPoll, badPoll };
}

test('every tick emits each table’s freshness (now − last successful poll), failed ticks included', async () => {
  const w = world();
  await pollerTick({ tables: TABLES, poll: w.goodPoll }, w.deps);
  assert.deepEqual(
    w.samples.map((s) => [s.table, s.freshnessSeconds]),
    TABLES.map((t) => [t, 0]),
  );
  w.clock.advance(SCHEDULE_MS);
  await assert.rejects(pollerTick({ tables: TABLES, poll: w.badPoll }, w.deps), /source unreachable/);
  assert.deepEqual(
    w.samples.slice(2).map((s) => [s.table, s.freshnessSeconds]),
    TABLES.map((t) => [t, SCHEDULE_MS / 1000]),
    'the failed tick still says how old the captured data is',
  );
  // Failing for longer than the threshold: the stale condition holds although ticks keep coming.
  for (let i = 0; i < 7; i += 1) {
    w.clock.advance(SCHEDULE_MS);
    await pollerTick({ tables: TABLES, poll: w.badPoll }, w.deps).catch(() => undefined);
  }
  const verdict = evaluateStaleness(w.samples, w.clock.now());
  assert.equal(verdict.stale, true);
  assert.equal(verdict.stale && verdict.reason, 'table-stale');
  assert.equal(verdict.worstSeconds, (8 * SCHEDULE_MS) / 1000);
});

test('a stopped poller raises the stale condition within one schedule period (plus ingestion slack)', async () => {
  const w = world();
  for (let i = 0; i < 3; i += 1) {
    await pollerTick({ tables: TABLES, poll: w.goodPoll }, w.deps);
    assert.equal(evaluateStaleness(w.samples, w.clock.now()).stale, false, `tick ${i} is fresh`);
    w.clock.advance(SCHEDULE_MS);
  }
  // The poller stops: no tick, so no sample at all.
  const lastTick = w.samples.at(-1)!.at.getTime();
  w.clock.set(new Date(lastTick + STALE_RULE.windowMinutes * 60_000 - 1000));
  assert.equal(evaluateStaleness(w.samples, w.clock.now()).stale, false, 'still inside the window');
  w.clock.set(new Date(lastTick + STALE_RULE.windowMinutes * 60_000));
  assert.deepEqual(evaluateStaleness(w.samples, w.clock.now()), {
    stale: true,
    reason: 'no-ticks',
    worstSeconds: null,
  });
  assert.ok(STALE_RULE.windowMinutes * 60_000 <= 2 * SCHEDULE_MS, 'at most one missed tick beyond the first');
});

test('a table polled but never captured successfully reports the never-captured value', async () => {
  const w = world();
  const repo = new CaptureStateRepository(w.deps.objects, w.deps.state);
  await repo.ensure();
  await repo.writeHeartbeat('ecds_attendance', {
    lastPollAt: w.clock.now().toISOString(),
    lastSuccessAt: '',
    status: 'failed',
  });
  await pollerTick({ tables: TABLES, poll: async () => ({ results: [], failures: [] }) }, w.deps);
  assert.deepEqual(
    w.samples.map((s) => [s.table, s.freshnessSeconds]),
    [['ecds_attendance', NEVER_CAPTURED_SECONDS]],
    'a table never polled emits nothing; one that only failed emits the never-captured value',
  );
});

test('a poison message raises the depth metric on the next tick', async () => {
  const w = world();
  await pollerTick({ tables: TABLES, poll: w.goodPoll }, w.deps);
  await w.poisonQueue.send({ kind: 'nhs-flows.failed-batch' });
  w.clock.advance(SCHEDULE_MS);
  await pollerTick({ tables: TABLES, poll: w.goodPoll }, w.deps);
  const depth = w.inner.metrics
    .filter((m) => m.name === OPERATIONS_METRICS.poisonQueueDepth)
    .map((m) => m.value);
  assert.deepEqual(depth, [0, 1]);
});

test('an open circuit breaker skips the poll (nothing captured) but the tick still reports', async () => {
  resetBreakerCache();
  const w = world();
  for (let i = 0; i < 5; i += 1)
    await recordDependencyOutcome(w.deps, 'warehouse', { ok: false, code: 'WAREHOUSE_DOWN' });
  let polled = false;
  const tick = await pollerTick(
    { tables: TABLES, poll: async () => ((polled = true), { results: [], failures: [] }) },
    w.deps,
  );
  assert.equal(polled, false);
  assert.equal(tick.poll, null);
  assert.deepEqual(
    tick.deferredBy.map((b) => [b.dependency, b.status, b.lastFailureCode]),
    [['warehouse', 'open', 'WAREHOUSE_DOWN']],
  );
  const breaker = w.inner.metrics
    .filter((m) => m.name === OPERATIONS_METRICS.breakerOpen && m.properties.dependency === 'warehouse')
    .at(-1);
  assert.equal(breaker?.value, 1);
  // After the cool-down it half-opens by itself and the next tick polls (the trial).
  w.clock.advance(5 * 60_000);
  await pollerTick(
    { tables: TABLES, poll: async () => ((polled = true), { results: [], failures: [] }) },
    w.deps,
  );
  assert.equal(polled, true);
  await recordDependencyOutcome(w.deps, 'warehouse', { ok: true });
  const tick2 = await pollerTick({ tables: TABLES, poll: w.goodPoll }, w.deps);
  assert.deepEqual(tick2.deferredBy, []);
});

test('the consumer defers while a breaker is open: it waits until the breaker half-opens, and throws only if it stays open', async () => {
  resetBreakerCache();
  const w = world();
  for (let i = 0; i < 5; i += 1)
    await recordDependencyOutcome(w.deps, 'lake', { ok: false, code: 'BLOB_WRITE_FAILED' });
  const sleep = (ms: number) => {
    w.clock.advance(ms);
    return Promise.resolve();
  };
  const waited = await waitForBreakers({ ...w.deps, sleep }, 'cdc receipt', { pollMs: 10_000 });
  assert.equal(waited, 300_000, 'it waited exactly until the cool-down ended');

  // Open again; a short patience ends in CIRCUIT_OPEN (the host retries, the checkpoint stays).
  resetBreakerCache();
  await recordDependencyOutcome(w.deps, 'lake', { ok: false, code: 'BLOB_WRITE_FAILED' });
  await assert.rejects(
    waitForBreakers({ ...w.deps, sleep }, 'cdc receipt', { pollMs: 10_000, maxWaitMs: 30_000 }),
    (error: unknown) => (error as { code?: string }).code === 'CIRCUIT_OPEN',
  );
});
