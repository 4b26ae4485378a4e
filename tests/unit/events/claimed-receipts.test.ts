import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { ingestDeltas } from '../../../shared/application/use-cases/pipeline/ingest-deltas.use-case.js';
import { encodeDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import {
  claimMarkers,
  eventIdsByBatch,
  KilledMidClaim,
  recordingStarter,
  world,
} from '../../support/cdc-receipt-world.js';
import { syntheticDelta } from './synthetic-deltas.js';

// Issue 9: a crash between starting a receipt's orchestrations and marking its events seen made the
// redelivery (cut into a different receipt) take the same records in under a second batch id, so
// the DQ scorecard counted them twice. Events are now claimed by their receipt before any start;
// a redelivery, however it is grouped, finishes the claimed receipt instead.

const episodes = Array.from({ length: 6 }, (_, i) => syntheticDelta(`EP00000${i}`, 1));
const prescriptions = Array.from({ length: 3 }, (_, i) =>
  syntheticDelta(`RX00000${i}`, 1, { table: 'prescribing_item' }),
);

describe('claimed receipts: a crash mid-receipt never takes a record in twice', () => {
  for (const crash of ['after the claim, before any start', 'after the starts, before settling'] as const)
    test(`a redelivery cut differently finishes the claimed receipt (${crash})`, async () => {
      const objects = new MemoryObjectStore();
      const starter = recordingStarter();
      const first = world(objects, starter);
      const firstReceipt = [...episodes.slice(0, 4), ...prescriptions.slice(0, 2)];
      if (crash === 'after the claim, before any start') {
        starter.failNext = true;
        await assert.rejects(ingestDeltas([{ body: encodeDeltaEnvelope(firstReceipt) }], first.deps));
        assert.equal(starter.instances.size, 0);
      } else {
        await ingestDeltas([{ body: encodeDeltaEnvelope(firstReceipt) }], first.deps);
        // the process dies here: nothing settled survives it (a new instance below)
      }

      // Restart: the checkpoint did not move, so every event comes again, with newer ones, in
      // receipts of another size.
      const restarted = world(objects, starter);
      const all = [...episodes, ...prescriptions];
      const one = await ingestDeltas([{ body: encodeDeltaEnvelope(all.slice(0, 5)) }], restarted.deps);
      const two = await ingestDeltas([{ body: encodeDeltaEnvelope(all.slice(5)) }], restarted.deps);
      // the claimed ids are split over both new receipts: each finishes the claim (the second start is a no-op)
      assert.deepEqual([one.receiptsFinished, two.receiptsFinished], [1, 1]);

      const byBatch = await eventIdsByBatch(objects, starter);
      const taken = [...byBatch.values()].flat();
      assert.equal(taken.length, all.length, 'each event is in exactly one started batch');
      assert.deepEqual(new Set(taken), new Set(all.map((d) => d.eventId)));
      // the claimed receipt's two batches (one per table), then ep4; then ep5 and rx2 (one per table)
      assert.equal(byBatch.size, 2 + 1 + 2);
    });

  test('an in-process retry after a failed start finishes the claim (settled ids are not hidden by the cache)', async () => {
    const { deps, starter, objects } = world();
    starter.failNext = true;
    const receipt = [{ body: encodeDeltaEnvelope(episodes.slice(0, 3)) }];
    await assert.rejects(ingestDeltas(receipt, deps));
    const retry = await ingestDeltas(receipt, deps);
    assert.equal(retry.receiptsFinished, 1);
    assert.equal(starter.instances.size, 1);
    assert.equal([...(await eventIdsByBatch(objects, starter)).values()].flat().length, 3);
    const again = await ingestDeltas(receipt, deps);
    assert.equal(again.receiptsFinished, 0, 'once settled, a redelivery is a plain duplicate');
    assert.equal(again.duplicatesDropped, 3);
  });

  test('ids marked seen without a receipt (before receipts existed) count as duplicates, nothing restarted', async () => {
    const { deps, starter, seenEvents } = world();
    await seenEvents.claim([episodes[0]!.eventId], 'b-no-receipt-object');
    await seenEvents.markSeen([episodes[1]!.eventId]);
    const restarted = world(deps.lake as MemoryObjectStore, starter);
    const result = await ingestDeltas([{ body: encodeDeltaEnvelope(episodes.slice(0, 3)) }], restarted.deps);
    assert.equal(result.receiptsFinished, 0);
    assert.equal(result.duplicatesDropped, 2);
    assert.deepEqual(
      result.batches.map((b) => b.deltas),
      [1],
    );
  });

  // A claim commits its buckets side by side: a kill between them leaves some of the receipt's ids
  // claimed and the rest unseen. Before the fix, the redelivery finished the receipt (all its
  // records) and also cut its unclaimed ids into a second batch: the DQ scorecard counted them twice.
  for (const regroup of ['as before, with newer events', 'in two receipts of another size'] as const)
    test(`a claim cut short by a kill is completed by the redelivery (${regroup})`, async () => {
      const objects = new KilledMidClaim();
      const starter = recordingStarter();
      const first = world(objects, starter);
      const firstReceipt = [...episodes.slice(0, 4), ...prescriptions.slice(0, 2)];
      objects.headsLeft = 1;
      await assert.rejects(ingestDeltas([{ body: encodeDeltaEnvelope(firstReceipt) }], first.deps));
      objects.headsLeft = undefined;
      assert.equal(starter.instances.size, 0);
      assert.equal((await claimMarkers(objects)).length, 1, 'the interrupted claim left its marker');
      const left = await world(objects, starter).seenEvents.classify(firstReceipt.map((d) => d.eventId));
      assert.ok(
        left.unseen.length > 0 && left.unseen.length < firstReceipt.length,
        'the claim was cut short',
      );

      const restarted = world(objects, starter);
      const all = [...episodes, ...prescriptions];
      const deliveries = regroup === 'as before, with newer events' ? [all] : [all.slice(0, 3), all.slice(3)];
      let finished = 0;
      for (const events of deliveries)
        finished += (await ingestDeltas([{ body: encodeDeltaEnvelope(events) }], restarted.deps))
          .receiptsFinished;
      assert.ok(finished >= 1);
      assert.deepEqual(await claimMarkers(objects), [], 'the claim was finished and its marker removed');

      const taken = [...(await eventIdsByBatch(objects, starter)).values()].flat();
      assert.equal(taken.length, all.length, 'each event is in exactly one started batch');
      assert.deepEqual(new Set(taken), new Set(all.map((d) => d.eventId)));
      // the receipt's claim is now whole: a further redelivery (a new instance) starts nothing new
      const again = world(objects, starter);
      const before = starter.instances.size;
      await ingestDeltas([{ body: encodeDeltaEnvelope(all) }], again.deps);
      assert.equal(starter.instances.size, before);
    });

  test('receipts ingested side by side in one process leave no marker and do not finish each other', async () => {
    const { deps, starter, objects } = world();
    const all = [...episodes, ...prescriptions];
    const results = await Promise.all(
      [all.slice(0, 3), all.slice(3, 6), all.slice(6)].map((events) =>
        ingestDeltas([{ body: encodeDeltaEnvelope(events) }], deps),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.receiptsFinished),
      [0, 0, 0],
    );
    assert.deepEqual(await claimMarkers(objects), []);
    const taken = [...(await eventIdsByBatch(objects, starter)).values()].flat();
    assert.deepEqual(taken.sort(), all.map((d) => d.eventId).sort());
  });
});
