import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { LocalEventLog } from '../../../shared/adapters/local/event-log/local-event-log.js';
import { createLocalHost } from '../../../shared/runtime/local/local-host.js';
import { captureRegistrations } from '../../../shared/runtime/local/registration-capture.js';

const registry = await captureRegistrations(() => import('./fixtures/event-hub-fixtures.js'));
const { batches } = await import('./fixtures/event-hub-fixtures.js');

let dir: string;
let log: LocalEventLog;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nhsflows-eh-'));
  log = await LocalEventLog.open({ directory: join(dir, 'event-log'), partitions: 2 });
});

after(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

const newHost = () =>
  createLocalHost({
    registry,
    dataDir: join(dir, 'host'),
    logger: silentLogger,
    eventSources: ({ consumerGroup }) => log.consumer(consumerGroup),
    eventHubs: { maxWaitMs: 50, redeliveryDelayMs: 20 },
  });

test('events from the local event log reach the eventHub trigger as batches with host metadata, checkpointed after success', async () => {
  await log.append([
    { partitionKey: 'apc|1', body: JSON.stringify({ n: 1 }) },
    { partitionKey: 'apc|1', body: JSON.stringify({ n: 2, failOnce: true }) },
    { partitionKey: 'apc|2', body: JSON.stringify({ n: 3 }) },
  ]);
  const host = newHost();
  await host.start();
  await host.waitForIdle({ timeoutMs: 20_000 });
  await host.stop();

  const delivered = batches.flatMap((b) => b.messages as { n: number }[]).map((m) => m.n);
  assert.deepEqual([...new Set(delivered)].sort(), [1, 2, 3]);
  const failedBatch = batches.find((b) => (b.messages as { n: number }[]).some((m) => m.n === 2))!;
  const redelivered = batches.filter(
    (b) => JSON.stringify(b.messages) === JSON.stringify(failedBatch.messages),
  );
  assert.equal(redelivered.length, 2, 'the failed batch was redelivered once');
  const context = failedBatch.partitionContext as {
    eventHubName: string;
    consumerGroup: string;
    partitionId: string;
  };
  assert.equal(context.eventHubName, 'cdc');
  assert.equal(context.consumerGroup, '$Default');
  assert.ok(Array.isArray(failedBatch.sequenceNumbers));

  const before = batches.length;
  const again = newHost();
  await again.start();
  await again.waitForIdle({ timeoutMs: 20_000 });
  await again.stop();
  assert.equal(batches.length, before, 'nothing checkpointed is delivered again after a restart');
});

test('with minEventBatchSize, events trickling in are gathered into one batch; a partial batch goes after maxWaitTime', async () => {
  const gatherDir = await mkdtemp(join(tmpdir(), 'nhsflows-eh-min-'));
  const trickle = await LocalEventLog.open({ directory: join(gatherDir, 'event-log'), partitions: 1 });
  const host = createLocalHost({
    registry,
    dataDir: join(gatherDir, 'host'),
    logger: silentLogger,
    eventSources: ({ consumerGroup }) => trickle.consumer(consumerGroup),
    eventHubs: { maxWaitMs: 1_500, minEventBatchSize: 6, maxEventBatchSize: 100 },
  });
  const start = batches.length;
  try {
    await host.start();
    // Six events arrive over ~0.5 s: one batch of six, not six batches of one.
    for (let n = 0; n < 6; n++) {
      await trickle.append([{ partitionKey: 'k', body: JSON.stringify({ n: 100 + n }) }]);
      await new Promise((r) => setTimeout(r, 80));
    }
    // Two more, then nothing: a partial batch of two once the wait is over.
    await trickle.append([
      { partitionKey: 'k', body: JSON.stringify({ n: 200 }) },
      { partitionKey: 'k', body: JSON.stringify({ n: 201 }) },
    ]);
    await host.waitForIdle({ timeoutMs: 20_000 });
  } finally {
    await host.stop();
    await trickle.close();
    await rm(gatherDir, { recursive: true, force: true });
  }
  const sizes = batches.slice(start).map((b) => b.messages.length);
  assert.deepEqual(sizes, [6, 2]);
});
