import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageMessageQueue } from '../../../shared/adapters/azure/storage-queue.azure.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import {
  memoryTelemetry as memoryTelemetryOf,
  type memoryTelemetry,
} from '../../../shared/application/ports/telemetry.port.js';
import { emitBatchDqmi } from '../../../shared/application/use-cases/operations/dqmi-metrics.use-case.js';
import { readAudit } from '../../../shared/application/use-cases/audit/audit-trail.js';
import {
  BATCH_LEDGER_TABLE,
  reportFailure,
} from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import {
  failedAgain,
  replayedBatchOutcomes,
} from '../../../shared/application/use-cases/operations/replay.use-case.js';
import {
  MASS_DELETE_RELEASE_PARTITION,
  OPERATIONS_TABLE,
} from '../../../shared/application/use-cases/operations/operations-state.js';
import type { SelectiveReplayResult } from '../../../shared/application/use-cases/pipeline/replay-poison.use-case.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import { OPERATIONS_METRICS } from '../../../shared/domain/operations/operations-metrics.js';
import { NEVER_CAPTURED_SECONDS } from '../../../shared/domain/operations/staleness.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { fireTimer } from '../../../shared/cli/local-functions-host.js';
import { allRegistrations } from '../../../shared/runtime/local/registration-capture.js';
import {
  csv,
  episode,
  EPISODE_COLUMNS,
  openPipelineHarness,
  testNhsNumber,
  type PipelineHarness,
} from './pipeline-harness.js';

// Issue 10 items 3 and 4 through the real local host (HTTP trigger, timer, orchestrator, every
// activity, Azurite): replay selected by batch, table, failure time and the ledger, dry runs, the
// audit trail, a replayed batch that fails again; freshness and poison depth on a poller tick; the
// mass-delete release used up by one poll.

let h: PipelineHarness;
let queue: StorageMessageQueue;
type Answer = SelectiveReplayResult & { auditId: string; outcome: string };

/** A failed batch as the reportFailure activity reports it, at a chosen time, with its bronze file. */
async function failed(id: string, failedAt: string, body: string): Promise<BatchDescriptor> {
  const batch: BatchDescriptor = {
    batchId: id,
    table: 'sus_apc_episode',
    origin: `sus_apc_episode/${id}.csv`,
    bronzePath: `file-sus_apc_episode/2026/12/01/${id}.csv`,
    format: 'csv',
    receivedAt: failedAt,
  };
  const bytes = Buffer.from(body, 'utf8');
  await h.blobs.getContainerClient('bronze').getBlockBlobClient(batch.bronzePath).upload(bytes, bytes.length);
  await reportFailure(
    { batch, reason: 'injected: the warehouse was unreachable', failedChunks: [] },
    { ...h.services.pipeline, clock: fixedClock(failedAt) },
  );
  return batch;
}

async function replay(body: Record<string, unknown>): Promise<{ status: number; answer: Answer }> {
  const response = await fetch(`${h.host.origin ?? ''}/api/replay`, {
    method: 'POST',
    headers: { 'x-functions-key': h.env.adminKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, answer: (await response.json()) as Answer };
}

const good = csv([episode(71), episode(72)]);
// A header the contract does not know: the batch fails again at once (a permanent failure).
const bad = csv([EPISODE_COLUMNS.map(() => 'x')], [...EPISODE_COLUMNS.slice(0, -1), 'nhs_no']);

before(async () => {
  h = await openPipelineHarness();
  queue = StorageMessageQueue.fromConnectionString(
    h.env.connectionString,
    h.env.settings.NHSFLOWS_POISON_QUEUE,
  );
  await failed('replaysel-a', '2026-12-01T10:00:00.000Z', good);
  await failed('replaysel-b', '2026-12-02T10:00:00.000Z', bad);
  await failed('replaysel-c', '2026-12-03T10:00:00.000Z', good);
  // replaysel-c's message is gone (expired, cleared): only the ledger still knows the batch.
  for (const m of await queue.receive(32, 30))
    if ((m.body.batch as BatchDescriptor).batchId === 'replaysel-c') await queue.delete(m);
    else await queue.release(m);
});
after(async () => {
  await h?.close();
});

test('a dry run lists the failed batches of a table and time window, changes nothing and is audited', async () => {
  const since = new Date();
  const { status, answer } = await replay({
    table: 'sus_apc_episode',
    since: '2026-12-01T00:00:00Z',
    until: '2026-12-02T12:00:00Z',
    dryRun: true,
  });
  assert.equal(status, 200);
  assert.deepEqual(
    answer.matched.map((m) => [m.batchId, m.failedAt, m.chunks, m.foundIn]),
    [
      ['replaysel-a', '2026-12-01T10:00:00.000Z', 'all', ['poison-queue', 'ledger']],
      ['replaysel-b', '2026-12-02T10:00:00.000Z', 'all', ['poison-queue', 'ledger']],
    ],
  );
  assert.deepEqual(answer.replayed, []);
  assert.equal(answer.outcome, 'dry-run');
  assert.equal(await queue.count(), 2, 'no message was taken off the queue');
  assert.equal(
    (await h.services.pipeline.state.get(BATCH_LEDGER_TABLE, 'sus_apc_episode', 'replaysel-a'))?.value.status,
    'failed',
  );
  const audit = await readAudit({ since, kind: 'replay' }, h.services.pipeline);
  const record = audit.find((r) => r.id === answer.auditId);
  assert.equal(record?.outcome, 'dry-run');
  assert.deepEqual(
    [record?.details.table, record?.details.matched, record?.details.replayed, record?.details.batches],
    ['sus_apc_episode', 2, 0, 'replaysel-a,replaysel-b'],
  );
});

test('an unknown batch id answers 404 and nothing matching is said so; both are audited, bad bodies are 400', async () => {
  const unknown = await replay({ batchId: 'no-such-batch' });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.answer.unknownBatch, true);
  assert.equal(unknown.answer.outcome, 'nothing-matched');
  const none = await replay({ table: 'ecds_attendance' });
  assert.equal(none.status, 202);
  assert.deepEqual([none.answer.matched.length, none.answer.outcome], [0, 'nothing-matched']);
  const audit = await readAudit(
    { since: new Date(Date.now() - 60_000), kind: 'replay' },
    h.services.pipeline,
  );
  assert.ok(audit.some((r) => r.id === unknown.answer.auditId && r.outcome === 'nothing-matched'));
  for (const body of [{ table: 'not_a_table' }, { since: 'yesterday' }, { key: 'E1' }, { surprise: 1 }]) {
    const bad = await replay(body);
    assert.equal(bad.status, 400, JSON.stringify(body));
  }
});

test('a batch known only to the ledger (its message gone) is replayed from its ledger descriptor', async () => {
  const { status, answer } = await replay({ batchId: 'replaysel-c' });
  assert.equal(status, 202);
  assert.deepEqual(
    answer.matched.map((m) => [m.batchId, m.foundIn]),
    [['replaysel-c', ['ledger']]],
  );
  assert.equal(answer.replayed.length, 1);
  await h.host.waitForIdle({ timeoutMs: 120_000 });
  const [outcome] = await replayedBatchOutcomes(
    [{ batchId: 'replaysel-c', table: 'sus_apc_episode' }],
    h.services.pipeline,
  );
  assert.equal(outcome?.status, 'succeeded');
});

test('replaying a time window: one batch succeeds, one fails again (back on the queue, reported as failed again)', async () => {
  const { status, answer } = await replay({ since: '2026-12-01T00:00:00Z', until: '2026-12-02T12:00:00Z' });
  assert.equal(status, 202);
  assert.deepEqual(answer.replayed.map((r) => r.batchId).sort(), ['replaysel-a', 'replaysel-b']);
  await h.host.waitForIdle({ timeoutMs: 120_000 });
  const outcomes = await replayedBatchOutcomes(answer.matched, h.services.pipeline);
  assert.deepEqual(
    outcomes.map((o) => [o.batchId, o.status, failedAgain(o)]),
    [
      ['replaysel-a', 'succeeded', false],
      ['replaysel-b', 'failed', true],
    ],
  );
  const back = (await h.peekQueue(h.env.settings.NHSFLOWS_POISON_QUEUE)).map(
    (m) => (m.batch as BatchDescriptor | undefined)?.batchId,
  );
  assert.deepEqual(back, ['replaysel-b']);
  for (const n of [71, 72]) assert.ok(!JSON.stringify(answer).includes(testNhsNumber(n)));
  // DQMI per dataset from the DQ states the real validate activity wrote for the batch (the
  // writeManifest activity emits this on a worker thread, whose telemetry this process cannot see).
  const telemetry = memoryTelemetryOf();
  const emitted = await emitBatchDqmi(
    { batchId: 'replaysel-a', table: 'sus_apc_episode' },
    { ...h.services.pipeline, telemetry },
  );
  assert.ok(emitted > 0, 'a DQMI score for the validated batch');
  for (const m of telemetry.metrics) {
    assert.equal(m.name, OPERATIONS_METRICS.dqmiScore);
    assert.deepEqual([m.properties.dataset, m.properties.batchId], ['sus_apc', 'replaysel-a']);
    assert.ok(m.value >= 0 && m.value <= 100, `score ${m.value}`);
  }
  assert.equal(
    await emitBatchDqmi(
      { batchId: 'replaysel-b', table: 'sus_apc_episode' },
      { ...h.services.pipeline, telemetry },
    ),
    0,
    'no score for a batch that never validated',
  );
});

test('a poller tick on the real host emits freshness per table and the poison depth; a mass-delete release is used by one poll, audited', async () => {
  const telemetry = h.services.telemetry as ReturnType<typeof memoryTelemetry>;
  const release = await fetch(`${h.host.origin ?? ''}/api/capture/release-mass-delete`, {
    method: 'POST',
    headers: { 'x-functions-key': h.env.adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({ table: 'sus_apc_episode', reason: 'source archive, confirmed' }),
  });
  assert.equal(release.status, 200);
  const released = (await release.json()) as { auditId: string };
  assert.ok(
    await h.services.pipeline.state.get(OPERATIONS_TABLE, MASS_DELETE_RELEASE_PARTITION, 'sus_apc_episode'),
  );
  // The source has no tables yet: every table's poll fails, and the failed tick still reports.
  const beforeFailed = telemetry.metrics.length;
  await assert.rejects(
    fireTimer(h.host, allRegistrations(), 'cdcPoller'),
    new RegExp(`cdc poll failed for ${Object.keys(SOURCE_TABLES)[0]}`),
  );
  const failedTick = telemetry.metrics
    .slice(beforeFailed)
    .filter((m) => m.name === OPERATIONS_METRICS.captureFreshness);
  assert.equal(
    failedTick.length,
    Object.keys(SOURCE_TABLES).length,
    'freshness for every table on the failed tick',
  );
  for (const m of failedTick) assert.equal(m.value, NEVER_CAPTURED_SECONDS, 'never captured successfully');
  assert.ok(
    telemetry.metrics
      .slice(beforeFailed)
      .some(
        (m) =>
          m.name === OPERATIONS_METRICS.functionFailed &&
          m.properties.function === 'cdcPoller' &&
          m.properties.trigger === 'timer',
      ),
    'the failed timer execution is reported',
  );
  assert.ok(
    await h.services.pipeline.state.get(OPERATIONS_TABLE, MASS_DELETE_RELEASE_PARTITION, 'sus_apc_episode'),
    'a failed poll leaves the release pending',
  );

  await (await h.services.capture()).embedded?.createTables(Object.values(SOURCE_TABLES));
  const before = telemetry.metrics.length;
  await fireTimer(h.host, allRegistrations(), 'cdcPoller');
  const emitted = telemetry.metrics.slice(before);
  const freshness = emitted.filter((m) => m.name === OPERATIONS_METRICS.captureFreshness);
  assert.ok(freshness.some((m) => m.properties.table === 'sus_apc_episode'));
  for (const m of freshness)
    assert.ok(m.value >= 0 && m.value < 120, `${m.properties.table} fresh: ${m.value}`);
  const depth = emitted.filter((m) => m.name === OPERATIONS_METRICS.poisonQueueDepth);
  assert.deepEqual(
    depth.map((m) => m.value),
    [1],
    'the batch that failed again waits on the queue',
  );
  assert.equal(
    await h.services.pipeline.state.get(OPERATIONS_TABLE, MASS_DELETE_RELEASE_PARTITION, 'sus_apc_episode'),
    undefined,
    'the poll used the release up',
  );
  const audit = await readAudit(
    { since: new Date(Date.now() - 300_000), kind: 'mass-delete-release' },
    h.services.pipeline,
  );
  assert.deepEqual(
    audit.map((r) => [r.details.step, r.details.table, r.outcome]),
    [
      ['requested', 'sus_apc_episode', 'done'],
      ['applied', 'sus_apc_episode', 'done'],
    ],
  );
  assert.equal(audit[1]?.details.requestAuditId, released.auditId);
});
