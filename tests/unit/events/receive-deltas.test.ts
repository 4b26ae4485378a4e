import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { LakeSeenEvents } from '../../../shared/application/lake-state/lake-seen-events.js';
import { memoryLakeState } from '../../support/lake-state.js';
import { receiveDeltas } from '../../../shared/application/use-cases/receive-deltas.use-case.js';
import { encodeDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import { batchIdOf } from '../../../shared/domain/events/batch-id.js';
import { syntheticDelta } from './synthetic-deltas.js';

async function setup() {
  const seenEvents = new LakeSeenEvents(memoryLakeState(), fixedClock('2026-11-23T09:00:00Z'));
  return { seenEvents, logger: memoryLogger() };
}

describe('receive deltas', () => {
  const a1 = syntheticDelta('EP000001', 1);
  const a2 = syntheticDelta('EP000001', 2);
  const b1 = syntheticDelta('EP000002', 1);

  test('new deltas form one batch with a content-derived id, in arrival order', async () => {
    const deps = await setup();
    const batch = await receiveDeltas(
      [{ body: encodeDeltaEnvelope([a1, b1]) }, { body: encodeDeltaEnvelope([a2]) }],
      deps,
    );
    assert.deepEqual(batch.deltas, [a1, b1, a2]);
    assert.equal(batch.batchId, batchIdOf([a1.eventId, b1.eventId, a2.eventId]));
    assert.match(batch.batchId, /^b-[0-9a-f]{32}$/);
    assert.equal(batch.duplicatesDropped, 0);
  });

  test('the batch id does not depend on arrival order', async () => {
    const one = await receiveDeltas([{ body: encodeDeltaEnvelope([a1, b1]) }], await setup());
    const two = await receiveDeltas(
      [{ body: encodeDeltaEnvelope([b1]) }, { body: encodeDeltaEnvelope([a1]) }],
      await setup(),
    );
    assert.equal(one.batchId, two.batchId);
  });

  test('deltas already marked seen, or repeated within the receipt, are dropped and counted', async () => {
    const deps = await setup();
    await deps.seenEvents.markSeen([a1.eventId], { batchId: 'b-earlier' });
    const batch = await receiveDeltas(
      [{ body: encodeDeltaEnvelope([a1, a2]) }, { body: encodeDeltaEnvelope([a2, b1]) }],
      deps,
    );
    assert.deepEqual(batch.deltas, [a2, b1]);
    assert.equal(batch.duplicatesDropped, 2);
  });

  test('a receipt of nothing new has no batch id', async () => {
    const deps = await setup();
    await deps.seenEvents.markSeen([a1.eventId, b1.eventId]);
    const batch = await receiveDeltas([{ body: encodeDeltaEnvelope([a1, b1]) }], deps);
    assert.equal(batch.batchId, null);
    assert.deepEqual(batch.deltas, []);
    assert.equal(batch.duplicatesDropped, 2);
  });

  test("receiving does not mark anything seen: that is the caller's step after bronze is written", async () => {
    const deps = await setup();
    await receiveDeltas([{ body: encodeDeltaEnvelope([a1]) }], deps);
    assert.deepEqual(await deps.seenEvents.filterUnseen([a1.eventId]), [a1.eventId]);
  });

  test('with reserve: the same batch, a claim through the reservation that the state keeps, and claimed ids of another receipt still named', async () => {
    const deps = await setup();
    await deps.seenEvents.claim([a1.eventId], 'b-crashed');
    const events = [{ body: encodeDeltaEnvelope([a1, a2, b1]) }];
    const plain = await receiveDeltas(events, deps);
    const reserved = await receiveDeltas(events, deps, { reserve: true });
    try {
      assert.deepEqual(reserved.deltas, plain.deltas);
      assert.equal(reserved.batchId, plain.batchId);
      assert.deepEqual([...reserved.unfinishedReceipts], [['b-crashed', [a1.eventId]]]);
      await reserved.reservation!.claim(
        reserved.deltas.map((d) => d.eventId),
        reserved.batchId!,
      );
    } finally {
      await reserved.reservation!.release();
    }
    const after = await deps.seenEvents.classify([a1.eventId, a2.eventId, b1.eventId]);
    assert.deepEqual(after.unseen, []);
    assert.deepEqual(
      new Map([...after.claimed].map(([receipt, ids]) => [receipt, [...ids].sort()])),
      new Map([
        ['b-crashed', [a1.eventId]],
        [reserved.batchId, [a2.eventId, b1.eventId].sort()],
      ]),
    );
  });

  test('a malformed event is set aside with its partition, offset and sequence, and logged without content', async () => {
    const deps = await setup();
    const bad =
      '{"schema":"nhs-flows.deltas","version":1,"deltas":[{"eventId":"x","nhs_number":"9990000018"}]}';
    const batch = await receiveDeltas(
      [
        { body: encodeDeltaEnvelope([a1]), partitionId: '1', offset: '0', sequenceNumber: 0 },
        { body: bad, partitionId: '1', offset: '812', sequenceNumber: 1 },
      ],
      deps,
    );
    assert.deepEqual(batch.deltas, [a1]);
    assert.equal(batch.malformed.length, 1);
    const [report] = batch.malformed;
    assert.deepEqual([report!.partitionId, report!.offset, report!.sequenceNumber], ['1', '812', 1]);
    assert.equal(report!.body, bad, 'the body is kept for quarantine');
    assert.ok(report!.problems.length > 0);
    const warning = deps.logger.records.find((r) => r.fields.code === 'EVENT_MALFORMED');
    assert.ok(warning);
    assert.equal(warning.fields.sequenceNumber, 1);
    assert.doesNotMatch(JSON.stringify(deps.logger.records), /9990000018/);
  });

  test('seen-event ids survive odd characters and large sets', async () => {
    const deps = await setup();
    const ids = ['a/b', 'c#d', 'e?f', 'g\\h', 'i%j', ...Array.from({ length: 250 }, (_, i) => `id-${i}`)];
    await deps.seenEvents.markSeen(ids.slice(0, 200));
    assert.deepEqual(await deps.seenEvents.filterUnseen([...ids, 'new', 'new']), [...ids.slice(200), 'new']);
  });

  test('ids an instance marked or found seen are answered from memory; a new instance reads the lake', async () => {
    const objects = new MemoryObjectStore();
    let reads = 0;
    const get = objects.get.bind(objects);
    objects.get = (...args: Parameters<typeof get>) => {
      reads += 1;
      return get(...args);
    };
    const clock = fixedClock('2026-11-23T09:00:00Z');
    const first = new LakeSeenEvents(memoryLakeState(objects), clock);
    await first.markSeen(['a', 'b']);
    const afterMark = reads;
    assert.deepEqual(await first.filterUnseen(['a', 'b', 'c']), ['c']);
    assert.ok(reads - afterMark <= 1, 'only the unknown id is looked up: one bucket read at most');
    const restarted = new LakeSeenEvents(memoryLakeState(objects), clock, { cacheSize: 0 });
    assert.deepEqual(await restarted.filterUnseen(['a', 'b', 'c']), ['c']);
  });
});
