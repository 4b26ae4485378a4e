import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { PutObjectOptions } from '../../../shared/application/ports/object-store.port.js';
import type { OrchestrationStarter } from '../../../shared/application/ports/orchestration-starter.port.js';
import { LakeSeenEvents } from '../../../shared/application/lake-state/lake-seen-events.js';
import { ingestDeltas } from '../../../shared/application/use-cases/pipeline/ingest-deltas.use-case.js';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import { lakePaths } from '../../../shared/domain/lake/lake-paths.js';
import { encodeDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import type { PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { memoryLakeState } from '../../support/lake-state.js';
import { syntheticDelta } from './synthetic-deltas.js';

// Issue 9: a crash between starting a receipt's orchestrations and marking its events seen made the
// redelivery (cut into a different receipt) take the same records in under a second batch id, so
// the DQ scorecard counted them twice. Events are now claimed by their receipt before any start;
// a redelivery, however it is grouped, finishes the claimed receipt instead.

/** Instances started, by id; `failAfterClaim` makes the next start throw (a crash after the claim). */
function recordingStarter(): OrchestrationStarter & {
  readonly instances: Map<string, PipelineInput>;
  failNext: boolean;
} {
  const instances = new Map<string, PipelineInput>();
  return {
    instances,
    failNext: false,
    async start(_orchestration, instanceId, input) {
      if (this.failNext) {
        this.failNext = false;
        throw new Error('injected: host killed before the orchestration started');
      }
      if (instances.has(instanceId)) return { started: false };
      instances.set(instanceId, input as PipelineInput);
      return { started: true };
    },
  };
}

/**
 * A lake whose seen-events head commits stop after `headsLeft` of them (a kill in the middle of a
 * claim, whose buckets commit side by side): the rest of the claim throws, as a dead process would.
 */
class KilledMidClaim extends MemoryObjectStore {
  headsLeft: number | undefined;
  override async put(
    container: string,
    path: string,
    body: Buffer | string,
    options?: PutObjectOptions,
  ): Promise<{ created: boolean; etag?: string }> {
    if (this.headsLeft !== undefined && path.startsWith('seen-events/') && path.endsWith('/head.json')) {
      if (this.headsLeft === 0) throw new Error('injected: host killed during the claim');
      this.headsLeft -= 1;
    }
    return super.put(container, path, body, options);
  }
}

function world(objects = new MemoryObjectStore(), starter = recordingStarter()) {
  const seenEvents = new LakeSeenEvents(memoryLakeState(objects), fixedClock('2026-12-06T09:00:00Z'));
  const deps = {
    settings: loadSettings({}),
    lake: objects,
    clock: fixedClock('2026-12-06T09:00:00Z'),
    logger: memoryLogger(),
    telemetry: memoryTelemetry(),
    seenEvents,
    starter,
    orchestration: 'pipelineOrchestrator',
  } as unknown as Parameters<typeof ingestDeltas>[1];
  return { objects, starter, seenEvents, deps };
}

/** Every event id each started batch holds (read back from bronze). */
async function eventIdsByBatch(
  objects: MemoryObjectStore,
  starter: ReturnType<typeof recordingStarter>,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const [id, input] of starter.instances) {
    const body = (await objects.get('bronze', input.batch.bronzePath))!.toString('utf8');
    out.set(
      id,
      body
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => (JSON.parse(l) as { eventId: string }).eventId),
    );
  }
  return out;
}

async function claimMarkers(objects: MemoryObjectStore): Promise<string[]> {
  const paths: string[] = [];
  for await (const o of objects.list('bronze', lakePaths.cdcClaimMarkerPrefix())) paths.push(o.path);
  return paths;
}

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
