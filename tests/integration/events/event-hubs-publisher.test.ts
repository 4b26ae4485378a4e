import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventHubProducerClient } from '@azure/event-hubs';
import { EventHubsPublisher } from '../../../shared/adapters/azure/event-hubs-publisher.azure.js';
import { parseDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import {
  deltaFileEventId,
  parseTransportEvent,
  tablePartitionKey,
  type DeltaFileReference,
} from '../../../shared/domain/events/delta-file.js';
import { bucketKeyOf, keyBucketLabel, keyBucketOf } from '../../../shared/domain/events/delta-packer.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import {
  startAmqpEventHubs,
  type AmqpEventHubs,
  type AmqpReceivedEvent,
} from '../../support/amqp-event-hubs.js';
import { deltaHistory, syntheticDelta } from '../../unit/events/synthetic-deltas.js';

// The REAL EventHubProducerClient, over plain AMQP/TCP (UseDevelopmentEmulator=true), against a
// loopback stand-in that records what arrived. Proves the wiring, not Azure's behaviour.
let hub: AmqpEventHubs;
before(async () => {
  hub = await startAmqpEventHubs({ hubName: 'nhs-flows-cdc' });
});
after(() => hub.stop());

function deltasIn(events: readonly AmqpReceivedEvent[]): Delta[] {
  return events.flatMap((e) => {
    const parsed = parseDeltaEnvelope(e.body);
    assert.ok(parsed.ok, 'every event body is a valid envelope');
    return parsed.envelope.deltas;
  });
}

describe('Event Hubs publisher through the real SDK', () => {
  test('publishes packed envelopes with the key bucket as partition key, in order per key', async () => {
    const from = hub.received.length;
    const publisher = EventHubsPublisher.fromConnectionString(hub.connectionString, 'nhs-flows-cdc', {
      keyBuckets: 4,
    });
    const history = deltaHistory(30, 3);
    const receipt = await publisher.publish(history);
    await publisher.close();

    const arrived = hub.received.slice(from);
    assert.equal(receipt.deltas, 90);
    assert.equal(arrived.length, receipt.events, 'one AMQP event per packed event');
    assert.ok(arrived.length <= 4, `many deltas share one event: ${arrived.length} events`);
    assert.ok(hub.requests.includes('put-token'), 'the SDK authorised through CBS');

    const received = deltasIn(arrived);
    assert.deepEqual(new Set(received.map((d) => d.eventId)), new Set(history.map((d) => d.eventId)));
    for (const event of arrived) {
      assert.equal(event.contentType, 'application/json');
      for (const d of deltasIn([event]))
        assert.equal(
          event.partitionKey,
          keyBucketLabel(keyBucketOf(bucketKeyOf(d), 4)),
          'partition key = key bucket of the table',
        );
    }
    const versions = new Map<string, number[]>();
    for (const d of received)
      versions.set(d.businessKey[0]!, [...(versions.get(d.businessKey[0]!) ?? []), Number(d.row!.version)]);
    for (const [key, seen] of versions) assert.deepEqual(seen, [1, 2, 3], `per-key order of ${key}`);
  });

  test('delta file references go one event each, on their table’s key bucket, in order (ADR 0019)', async () => {
    const from = hub.received.length;
    const publisher = EventHubsPublisher.fromConnectionString(hub.connectionString, 'nhs-flows-cdc', {
      keyBuckets: 4,
    });
    const refs: DeltaFileReference[] = (
      ['sus_apc_episode', 'prescribing_item', 'sus_apc_episode'] as const
    ).map((table, i) => ({
      eventId: deltaFileEventId([`${table}-${i}`]),
      sourceTable: table,
      records: 50_000,
      capturedAt: '2026-11-23T09:00:00.000Z',
    }));
    const receipt = await publisher.publishFiles(refs);
    await publisher.close();
    const arrived = hub.received.slice(from);
    assert.deepEqual({ deltas: receipt.deltas, events: receipt.events }, { deltas: 150_000, events: 3 });
    assert.equal(arrived.length, 3);
    const read = arrived.map((e) => ({ key: e.partitionKey, event: parseTransportEvent(e.body) }));
    for (const { key, event } of read) {
      assert.ok(event.ok && event.kind === 'file', 'every body is a delta file reference');
      assert.equal(key, tablePartitionKey(event.file.sourceTable, 4));
    }
    const episodes = read.flatMap(({ event }) =>
      event.ok && event.kind === 'file' && event.file.sourceTable === 'sus_apc_episode'
        ? [event.file.eventId]
        : [],
    );
    assert.deepEqual(episodes, [refs[0]!.eventId, refs[2]!.eventId]);
  });

  test('events larger than one batch are split over several sends of the same partition key, order kept', async () => {
    const from = hub.received.length;
    const publisher = EventHubsPublisher.fromConnectionString(hub.connectionString, 'nhs-flows-cdc', {
      keyBuckets: 1,
      maxEventBytes: 100_000,
    });
    // ~30 KB per delta → 3 per event; 40 deltas → 14 events of ≤ ~91 KB → the 1 MiB link limit needs ≥ 2 sends.
    const big = Array.from({ length: 40 }, (_, i) =>
      syntheticDelta(`EP${String(i).padStart(6, '0')}`, 1, { padding: 30_000 }),
    );
    const receipt = await publisher.publish(big);
    await publisher.close();
    const arrived = hub.received.slice(from);
    assert.equal(receipt.events, 14);
    assert.equal(arrived.length, 14);
    assert.ok(new Set(arrived.map((e) => e.transfer)).size >= 2, 'more than one sendBatch');
    assert.ok(arrived.every((e) => e.partitionKey === 'kb-000'));
    assert.deepEqual(
      deltasIn(arrived).map((d) => d.eventId),
      big.map((d) => d.eventId),
      'publish order',
    );
  });

  test('a server-busy rejection from the service is retried with backoff until it is accepted', async () => {
    const from = hub.received.length;
    const delays: number[] = [];
    const publisher = EventHubsPublisher.fromConnectionString(hub.connectionString, 'nhs-flows-cdc', {
      clientOptions: { retryOptions: { maxRetries: 0 } },
      sleep: async (ms) => void delays.push(ms),
      random: () => 1,
      initialBackoffMs: 100,
    });
    hub.rejectNext(2, 'com.microsoft:server-busy', 'throttled by the stand-in');
    const receipt = await publisher.publish([syntheticDelta('EP000001', 1)]);
    await publisher.close();
    assert.equal(receipt.events, 1);
    assert.deepEqual(delays, [100, 200]);
    assert.equal(deltasIn(hub.received.slice(from)).length, 1);
  });

  test('the stand-in answers the SDK management reads for hub and partition properties', async () => {
    const client = new EventHubProducerClient(hub.connectionString, 'nhs-flows-cdc');
    assert.deepEqual(await client.getPartitionIds(), ['0', '1', '2', '3']);
    const partition = await client.getPartitionProperties('2');
    assert.equal(partition.partitionId, '2');
    assert.equal(partition.isEmpty, true);
    await client.close();
    assert.ok(hub.requests.includes('READ com.microsoft:eventhub'));
    assert.ok(hub.requests.includes('READ com.microsoft:partition'));
  });
});
