import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import { LocalEventLog } from '../../../shared/adapters/local/event-log/local-event-log.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import {
  toEventHubTriggerInput,
  type EventConsumer,
} from '../../../shared/application/ports/event-consumer.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { LakeSeenEvents } from '../../../shared/application/lake-state/lake-seen-events.js';
import { closeDuckDbLakes, duckDbLakeState } from '../../support/lake-state.js';
import {
  receiveDeltas,
  type ReceivedBatch,
} from '../../../shared/application/use-cases/receive-deltas.use-case.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';
import { deltaHistory } from '../../unit/events/synthetic-deltas.js';

// Seen-event ids in real Table storage (Azurite), and the whole receive path: local log → trigger
// input → receiveDeltas → bronze (create-only) → markSeen → checkpoint, with crashes in between.
const azurite = await testAzurite();
const root = await mkdtemp(join(tmpdir(), 'nhsflows-exactly-once-'));
after(async () => {
  await rm(root, { recursive: true, force: true });
  await closeDuckDbLakes();
  await azurite.stop();
});

const clock = fixedClock('2026-11-23T09:00:00Z');
const logger = memoryLogger();
let seenEvents: LakeSeenEvents;
const seenTable = uniqueName('seen').replace(/[^a-z0-9]/g, '');
/** A new instance over the same table: what a restarted process has (nothing cached in memory). */
const objects = BlobObjectStore.fromConnectionString(azurite.connectionString);
const freshSeenEvents = () => new LakeSeenEvents(duckDbLakeState(objects), clock, { name: seenTable });
const bronze = uniqueName('bronze');
before(async () => {
  await objects.ensureContainers([bronze, 'state']);
  seenEvents = freshSeenEvents();
});

/** The eventHub trigger handler's job, as the caller of receiveDeltas must do it (see the use case). */
async function handle(
  messages: unknown[],
  metadata: { offsetArray: string[]; sequenceNumberArray: number[] },
  partitionId: string,
) {
  const batch = await receiveDeltas(
    messages.map((body, i) => ({
      body,
      partitionId,
      offset: metadata.offsetArray[i],
      sequenceNumber: metadata.sequenceNumberArray[i],
    })),
    { seenEvents, logger },
  );
  if (batch.batchId) {
    await objects.put(bronze, `cdc/${batch.batchId}.json`, JSON.stringify(batch.deltas), {
      ifNoneMatch: '*',
    });
    await seenEvents.markSeen(
      batch.deltas.map((d) => d.eventId),
      { batchId: batch.batchId },
    );
  }
  return batch;
}

async function pollOnce(consumer: EventConsumer, checkpoint: boolean): Promise<ReceivedBatch[]> {
  const batches: ReceivedBatch[] = [];
  for (const p of await consumer.partitionIds()) {
    const events = await consumer.receiveBatch(p, { maxEvents: 100, maxWaitMs: 0 });
    if (events.length === 0) continue;
    const input = toEventHubTriggerInput(events, {
      eventHubName: 'nhs-flows-cdc',
      consumerGroup: consumer.consumerGroup,
    });
    batches.push(await handle(input.messages, input.triggerMetadata, p));
    if (checkpoint) await consumer.checkpoint(p, events.at(-1)!);
  }
  return batches;
}

async function bronzeDeltaCount(): Promise<number> {
  let total = 0;
  for await (const info of objects.list(bronze, 'cdc/')) {
    const body = await objects.get(bronze, info.path);
    total += (JSON.parse(body!.toString()) as unknown[]).length;
  }
  return total;
}

describe('exactly-once in effect', () => {
  test('ids marked seen in Table storage are filtered out; unseen ones come back in order, once', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `evt-${String(i).padStart(4, '0')}`);
    await seenEvents.markSeen(ids.slice(0, 70), { batchId: 'b-test' });
    await seenEvents.markSeen(ids.slice(0, 10));
    assert.deepEqual(await freshSeenEvents().filterUnseen([...ids].reverse()), ids.slice(70).reverse());
  });

  test('redelivery after a crash before the checkpoint, and a republish by the poller, change nothing downstream', async () => {
    const dir = join(root, 'log');
    const history = deltaHistory(25, 2);
    let log = await LocalEventLog.open({ directory: dir, partitions: 3, keyBuckets: 6 });
    await log.publish(history);

    // First delivery: everything lands in bronze and is marked seen, but the process dies before checkpointing.
    const first = await pollOnce(log.consumer(), false);
    assert.equal(
      first.reduce((n, b) => n + b.deltas.length, 0),
      history.length,
    );
    assert.equal(await bronzeDeltaCount(), history.length);
    await log.close();

    // Restart: the same events are delivered again and every delta is dropped as seen.
    seenEvents = freshSeenEvents();
    log = await LocalEventLog.open({ directory: dir, clock });
    const consumer = log.consumer();
    const again = await pollOnce(consumer, true);
    assert.equal(
      again.reduce((n, b) => n + b.deltas.length, 0),
      0,
    );
    assert.equal(
      again.reduce((n, b) => n + b.duplicatesDropped, 0),
      history.length,
    );
    assert.ok(again.every((b) => b.batchId === null));

    // The poller crashed before writing its state, so it publishes the same deltas (same ids) again.
    await log.publish(history.slice(0, 10));
    const republished = await pollOnce(consumer, true);
    assert.equal(
      republished.reduce((n, b) => n + b.duplicatesDropped, 0),
      10,
    );
    assert.equal(await bronzeDeltaCount(), history.length, 'bronze holds each delta once');
    await log.close();
  });

  test('a crash after bronze but before markSeen re-forms the same batch id, so the bronze write is a no-op', async () => {
    const dir = join(root, 'log2');
    const history = deltaHistory(5, 1);
    const log = await LocalEventLog.open({ directory: dir, partitions: 1 });
    await log.publish(history);
    const events = await log.consumer().receiveBatch('0', { maxEvents: 100, maxWaitMs: 0 });
    const input = toEventHubTriggerInput(events, { eventHubName: 'h', consumerGroup: '$Default' });
    const firstTry = await receiveDeltas(
      input.messages.map((body) => ({ body })),
      { seenEvents, logger },
    );
    const put1 = await objects.put(bronze, `cdc/${firstTry.batchId}.json`, JSON.stringify(firstTry.deltas), {
      ifNoneMatch: '*',
    });
    // crash here: markSeen never ran
    const retry = await receiveDeltas(
      input.messages.map((body) => ({ body })),
      { seenEvents, logger },
    );
    const put2 = await objects.put(bronze, `cdc/${retry.batchId}.json`, JSON.stringify(retry.deltas), {
      ifNoneMatch: '*',
    });
    assert.equal(retry.batchId, firstTry.batchId);
    assert.deepEqual([put1.created, put2.created], [true, false]);
    await log.close();
  });
});
