import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { openLineageHttpTransport } from '../../../shared/adapters/azure/openlineage-http.azure.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { LineageDelivery } from '../../../shared/application/use-cases/lineage/lineage-delivery.js';
import {
  readBatchLineage,
  runWithLineage,
} from '../../../shared/application/use-cases/lineage/activity-lineage.use-case.js';
import { lakeNamespaces, type RunEvent } from '../../../shared/domain/lineage/openlineage-event.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';

const batch: BatchDescriptor = {
  batchId: 'b-0002',
  table: 'ecds_attendance',
  origin: 'cdc',
  bronzePath: 'cdc/2026/12/06/b-0002.ndjson',
  format: 'deltas',
  receivedAt: '2026-12-06T09:00:00.000Z',
};
const planned = async () => ({
  batchId: batch.batchId,
  table: batch.table,
  records: 0,
  chunks: [],
  unreadable: 0,
  unreadablePath: null,
});

/** A clock the test moves (the circuit's cool-down), a millisecond per reading otherwise. */
function movableClock() {
  let t = Date.parse('2026-12-06T10:00:00.000Z');
  return {
    now: () => new Date((t += 1)),
    advance: (ms: number) => void (t += ms),
  };
}

/** An endpoint that accepts connections and never answers (a firewall black hole, a hung backend). */
async function silentEndpoint() {
  let requests = 0;
  const server = createServer(() => void requests++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The POST timeout: long enough that an activity waiting for it could not pass for one that did not. */
const POST_TIMEOUT_MS = 1_500;

test('an endpoint that never answers delays no activity, the events are still in the lake, and after three timed-out posts the circuit stops trying until its cool-down ends', async () => {
  const endpoint = await silentEndpoint();
  const clock = movableClock();
  const logger = memoryLogger();
  const lake = new MemoryObjectStore();
  const delivery = new LineageDelivery(
    openLineageHttpTransport({ url: endpoint.url, timeoutMs: POST_TIMEOUT_MS }),
    { clock, logger },
    { maxQueued: 100, breaker: { failureThreshold: 3, windowSeconds: 600, coolDownSeconds: 60 } },
  );
  const deps = {
    lake,
    clock,
    logger,
    namespaces: lakeNamespaces('https://lakeacct.blob.core.windows.net', 'synapse'),
    transport: delivery,
  };
  try {
    await runWithLineage('planChunks', batch, planned, { ...deps, transport: null }); // module warm-up
    for (let i = 0; i < 5; i++) {
      const began = performance.now();
      await runWithLineage('planChunks', batch, planned, deps);
      // Not a speed target: an activity that waited for its POST would take the whole POST timeout.
      const took = performance.now() - began;
      assert.ok(took < POST_TIMEOUT_MS / 2, `activity ${i} took ${took} ms: it waited for the POST`);
    }
    await delivery.idle();
    assert.equal(endpoint.requests(), 3, 'three posts timed out, then the circuit held the other seven');
    assert.deepEqual(delivery.deliveryCounts(), {
      posted: 0,
      failed: 3,
      droppedQueueFull: 0,
      droppedCircuitOpen: 7,
      queued: 0,
    });
    const events = await readBatchLineage(batch.batchId, { lake });
    assert.deepEqual(
      events.map((e: RunEvent) => e.eventType),
      Array.from({ length: 6 }, () => ['START', 'COMPLETE']).flat(),
      'every START and COMPLETE is in the lake',
    );
    assert.equal(
      logger.records.filter((r) => r.message.startsWith('lineage endpoint failing')).length,
      1,
      'the circuit opening is logged once',
    );

    clock.advance(61_000);
    await runWithLineage('planChunks', batch, planned, deps);
    await delivery.idle();
    assert.equal(endpoint.requests(), 4, 'after the cool-down one trial post is made, and fails again');
    assert.equal(delivery.deliveryCounts().droppedCircuitOpen, 8);
  } finally {
    await endpoint.close();
  }
});

test('the queue is bounded: events beyond it are dropped and counted while a post hangs', async () => {
  let release: () => void = () => undefined;
  const hanging = new Promise<void>((resolve) => (release = resolve));
  const posted: string[] = [];
  const delivery = new LineageDelivery(
    {
      send: async (events) => {
        await hanging;
        posted.push(...events.map((e) => e.eventType));
      },
    },
    { clock: movableClock(), logger: memoryLogger() },
    { maxQueued: 2, breaker: { failureThreshold: 3, windowSeconds: 600, coolDownSeconds: 60 } },
  );
  const event = (eventType: RunEvent['eventType']) => ({ eventType }) as RunEvent;
  await delivery.send([event('START')]);
  await new Promise((resolve) => setImmediate(resolve)); // the first post is now in flight
  await delivery.send([event('COMPLETE'), event('START'), event('FAIL')]);
  assert.equal(delivery.deliveryCounts().droppedQueueFull, 1);
  release();
  await delivery.idle();
  assert.deepEqual(posted, ['START', 'COMPLETE', 'START'], 'posted in arrival order');
});
