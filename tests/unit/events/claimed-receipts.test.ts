import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { OrchestrationStarter } from '../../../shared/application/ports/orchestration-starter.port.js';
import { LakeSeenEvents } from '../../../shared/application/lake-state/lake-seen-events.js';
import { ingestDeltas } from '../../../shared/application/use-cases/pipeline/ingest-deltas.use-case.js';
import { loadSettings } from '../../../shared/config/settings.schema.js';
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
});
