import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EventHubsPublisher,
  isThrottling,
  type EventDataBatchLike,
  type EventHubProducerLike,
  type OutgoingEvent,
} from '../../../shared/adapters/azure/event-hubs-publisher.azure.js';
import { parseDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import {
  deltaFileEventId,
  parseTransportEvent,
  type DeltaFileReference,
} from '../../../shared/domain/events/delta-file.js';
import { InfrastructureError } from '../../../shared/domain/errors.js';
import { deltaHistory, syntheticDelta } from './synthetic-deltas.js';

// A fake producer is acceptable here: the real SDK cannot be made to throttle on this machine (the
// wiring itself is proved against the real EventHubProducerClient in tests/integration/events).
function fakeProducer(failures: (Error | undefined)[], maxBatchBytes = 1_048_576) {
  const sent: { partitionKey: string; events: OutgoingEvent[] }[] = [];
  let attempts = 0;
  const producer: EventHubProducerLike & { sent: typeof sent; attempts(): number; closed: boolean } = {
    sent,
    closed: false,
    attempts: () => attempts,
    async createBatch({ partitionKey }) {
      const events: OutgoingEvent[] = [];
      let size = 0;
      const batch: EventDataBatchLike & { partitionKey: string; events: OutgoingEvent[] } = {
        partitionKey,
        events,
        maxSizeInBytes: maxBatchBytes,
        get count() {
          return events.length;
        },
        get sizeInBytes() {
          return size;
        },
        tryAdd(event) {
          if (size + event.body.length + 100 > maxBatchBytes) return false;
          size += event.body.length + 100;
          events.push(event);
          return true;
        },
      };
      return batch;
    },
    async sendBatch(batch) {
      const failure = failures[attempts++];
      if (failure) throw failure;
      const b = batch as EventDataBatchLike & { partitionKey: string; events: OutgoingEvent[] };
      sent.push({ partitionKey: b.partitionKey, events: [...b.events] });
    },
    async close() {
      producer.closed = true;
    },
  };
  return producer;
}

const serverBusy = () =>
  Object.assign(new Error('The request was terminated because the entity is being throttled.'), {
    code: 'ServerBusyError',
    retryable: true,
  });

describe('Event Hubs publisher (throttling and batching, fake producer)', () => {
  test('throttled sends back off exponentially with jitter, capped, and then succeed', async () => {
    const producer = fakeProducer([serverBusy(), serverBusy(), serverBusy(), serverBusy()]);
    const delays: number[] = [];
    const publisher = new EventHubsPublisher(producer, {
      initialBackoffMs: 100,
      maxBackoffMs: 500,
      sleep: async (ms) => void delays.push(ms),
      random: () => 0.5,
    });
    const receipt = await publisher.publish([syntheticDelta('EP000001', 1)]);
    assert.equal(receipt.events, 1);
    assert.deepEqual(delays, [50, 100, 200, 250]);
    assert.equal(producer.sent.length, 1);
  });

  test('delta file references go one event each, on the partition key of their table’s inline deltas, retried when throttled', async () => {
    const producer = fakeProducer([serverBusy()]);
    const publisher = new EventHubsPublisher(producer, { sleep: async () => undefined, random: () => 0 });
    await publisher.publish([
      syntheticDelta('EP000001', 1),
      syntheticDelta('RX000001', 1, { table: 'prescribing_item' }),
    ]);
    const inlineKeys = new Map(
      producer.sent.flatMap((b) =>
        b.events.map((e) => {
          const read = parseDeltaEnvelope(e.body);
          return [read.ok ? read.envelope.deltas[0]!.sourceTable : '', b.partitionKey] as const;
        }),
      ),
    );
    producer.sent.length = 0;
    const refs: DeltaFileReference[] = ['a', 'b'].map((n) => ({
      eventId: deltaFileEventId([n]),
      sourceTable: 'sus_apc_episode',
      records: 50_000,
      capturedAt: '2026-11-23T09:00:00.000Z',
    }));
    refs.push({ ...refs[0]!, eventId: deltaFileEventId(['c']), sourceTable: 'prescribing_item' });
    const receipt = await publisher.publishFiles(refs);
    assert.deepEqual(receipt.deltas, 150_000);
    assert.equal(receipt.events, 3);
    const sent = producer.sent.flatMap((b) => b.events.map((e) => ({ key: b.partitionKey, e })));
    assert.equal(sent.length, 3);
    for (const { key, e } of sent) {
      const read = parseTransportEvent(e.body);
      assert.ok(read.ok && read.kind === 'file');
      assert.equal(key, inlineKeys.get(read.file.sourceTable));
      assert.deepEqual(e.properties, { schema: 'nhs-flows.delta-file', deltas: 50_000 });
    }
    // A table's references keep their order.
    const episodeIds = sent
      .map(({ e }) => parseTransportEvent(e.body))
      .flatMap((r) =>
        r.ok && r.kind === 'file' && r.file.sourceTable === 'sus_apc_episode' ? [r.file.eventId] : [],
      );
    assert.deepEqual(episodeIds, [refs[0]!.eventId, refs[1]!.eventId]);
  });

  test('throttling that outlasts the retries fails the publish with EVENTS_THROTTLED', async () => {
    const producer = fakeProducer(Array.from({ length: 10 }, serverBusy));
    const publisher = new EventHubsPublisher(producer, {
      maxThrottleRetries: 3,
      sleep: async () => undefined,
    });
    await assert.rejects(publisher.publish([syntheticDelta('EP000001', 1)]), (error: unknown) => {
      assert.ok(error instanceof InfrastructureError);
      assert.equal(error.code, 'EVENTS_THROTTLED');
      assert.match(error.message, /failed after 4 attempts/);
      return true;
    });
    assert.equal(producer.attempts(), 4);
  });

  test('a non-retryable error fails at once with EVENTS_SEND_FAILED', async () => {
    const producer = fakeProducer([
      Object.assign(new Error('Unauthorized'), { code: 'UnauthorizedError', retryable: false }),
    ]);
    const publisher = new EventHubsPublisher(producer, { sleep: async () => assert.fail('no backoff') });
    await assert.rejects(publisher.publish([syntheticDelta('EP000001', 1)]), { code: 'EVENTS_SEND_FAILED' });
    assert.equal(producer.attempts(), 1);
  });

  const throttleCases: [string, Error, boolean][] = [
    ['ServerBusyError code', Object.assign(new Error('x'), { code: 'ServerBusyError' }), true],
    ['a "throttled" message', new Error('Request was throttled'), true],
    [
      'a retryable MessagingError',
      Object.assign(new Error('x'), { name: 'MessagingError', retryable: true }),
      true,
    ],
    [
      'an unauthorised error',
      Object.assign(new Error('x'), { code: 'UnauthorizedError', retryable: false }),
      false,
    ],
  ];
  for (const [name, error, expected] of throttleCases)
    test(`throttling is recognised by ${name}: ${expected}`, () =>
      assert.equal(isThrottling(error), expected));

  test('a full batch is sent before the next one starts, each partition key in order', async () => {
    const producer = fakeProducer([], 3_000);
    const publisher = new EventHubsPublisher(producer, {
      keyBuckets: 2,
      maxEventBytes: 1_200,
      concurrency: 2,
    });
    const history = deltaHistory(10, 3);
    const receipt = await publisher.publish(history);
    assert.ok(producer.sent.length > 2, 'several batches');
    const perKey = new Map<string, string[]>();
    for (const batch of producer.sent)
      for (const event of batch.events) {
        const parsed = parseDeltaEnvelope(event.body);
        assert.ok(parsed.ok);
        perKey.set(batch.partitionKey, [
          ...(perKey.get(batch.partitionKey) ?? []),
          ...parsed.envelope.deltas.map((d) => d.eventId),
        ]);
      }
    const expected = new Map<string, string[]>();
    const all = [...perKey.values()].flat();
    assert.equal(all.length, history.length);
    for (const [key, ids] of perKey)
      expected.set(
        key,
        history.filter((d) => ids.includes(d.eventId)).map((d) => d.eventId),
      );
    assert.deepEqual(perKey, expected, 'within a partition key, publish order');
    assert.equal(
      receipt.events,
      producer.sent.reduce((n, b) => n + b.events.length, 0),
    );
    await publisher.close();
    assert.ok(producer.closed);
  });

  test('an event the link cannot take even alone fails with EVENT_TOO_LARGE', async () => {
    const producer = fakeProducer([], 500);
    const publisher = new EventHubsPublisher(producer);
    await assert.rejects(publisher.publish([syntheticDelta('EP000001', 1)]), { code: 'EVENT_TOO_LARGE' });
  });
});
