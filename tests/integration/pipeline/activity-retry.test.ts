import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageMessageQueue } from '../../../shared/adapters/azure/storage-queue.azure.js';
import { BATCH_LEDGER_TABLE } from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import type { BatchManifest, PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { HistoryEventType as H } from '../../../shared/runtime/local/durable/durable-wire.js';
import { csv, episode, openPipelineHarness, waitUntil, type PipelineHarness } from './pipeline-harness.js';

// A transient failure in the real pipeline orchestrator: the batch's bronze object is missing when
// planChunks first runs and arrives before the retry (the policy's first interval is 2 s), as a
// slow upload or a storage blip would. The journal and the instance history show the retry.

let h: PipelineHarness;
before(async () => {
  h = await openPipelineHarness();
});
after(async () => {
  await h?.close();
});

const batchId = 'sus_apc_episode-file-transient0001';
const batch: BatchDescriptor = {
  batchId,
  table: 'sus_apc_episode',
  origin: 'sus_apc_episode/transient.csv',
  bronzePath: `file-sus_apc_episode/2026/11/23/${batchId}.csv`,
  format: 'csv',
  receivedAt: '2026-11-23T09:00:00.000Z',
};

test('an activity that fails once is retried after its retry timer and the batch completes', async () => {
  await h.host.startOrchestration('pipelineOrchestrator', { batch, waveSize: 500 } satisfies PipelineInput, batchId);
  const history = () => h.host.durable.status(batchId, { showHistory: true })?.history ?? [];
  // The first attempt has failed and the orchestrator has seen it: now the object "arrives".
  await waitUntil('the first planChunks failure in the history', () =>
    history().some((e) => e.EventType === H.TaskFailed),
  );
  const body = Buffer.from(csv([episode(51), episode(52)]), 'utf8');
  await h.blobs.getContainerClient('bronze').getBlockBlobClient(batch.bronzePath).upload(body, body.length);

  const manifest = (await h.host.durable.waitForCompletion(batchId)) as BatchManifest;
  await h.host.waitForIdle({ timeoutMs: 30_000 });
  assert.equal(h.host.instance(batchId)?.runtimeStatus, 'Completed');
  assert.equal(manifest.status, 'succeeded');
  assert.deepEqual(
    {
      records: manifest.counts.records,
      accepted: manifest.counts.accepted,
      factRows: manifest.counts.factRows,
    },
    { records: 2, accepted: 2, factRows: 2 },
  );

  const events = history();
  const planScheduled = events.filter((e) => e.EventType === H.TaskScheduled && e.Name === 'planChunks');
  assert.equal(planScheduled.length, 2, 'planChunks ran twice');
  const failed = events.filter((e) => e.EventType === H.TaskFailed);
  assert.equal(failed.length, 1, 'one failed attempt in the whole batch');
  assert.equal(failed[0]?.TaskScheduledId, planScheduled[0]?.EventId);
  assert.ok(
    events.some((e) => e.EventType === H.TaskCompleted && e.TaskScheduledId === planScheduled[1]?.EventId),
    'the second attempt completed',
  );
  // Between them, the retry timer of the policy's first interval (2 s).
  const timer = events.find(
    (e) =>
      e.EventType === H.TimerCreated &&
      Number(e.EventId) > Number(planScheduled[0]?.EventId) &&
      Number(e.EventId) < Number(planScheduled[1]?.EventId),
  );
  assert.ok(timer, 'a retry timer between the attempts');
  const failedAt = Date.parse(String(failed[0]?.Timestamp));
  const delay = Date.parse(String(timer.FireAt)) - Date.parse(String(timer.Timestamp));
  assert.ok(delay >= 1_900 && delay <= 2_100, `retry delay ${delay} ms`);
  assert.ok(Date.parse(String(planScheduled[1]?.Timestamp)) - failedAt >= 1_900);

  // The journal on disk records the same: a retry-timer slot and a second activity attempt.
  const journal = readFileSync(
    join(h.dataDir, 'functions-host', 'durable', 'nhsflows', `${encodeURIComponent(batchId)}.ndjson`),
    'utf8',
  );
  assert.match(journal, /"retryTimer"/);
  assert.match(journal, /"attempt":2/);
  assert.equal(
    h.logs().match(/"msg":"activity failed"[^\n]*"activity":"planChunks"[^\n]*"attempt":1/g)?.length,
    1,
  );
  assert.doesNotMatch(h.logs(), /"msg":"activity failed"[^\n]*"attempt":2/);
});

test('a batch that succeeded on a retry reports no failure: no poison message and a succeeded ledger row', async () => {
  const queue = StorageMessageQueue.fromConnectionString(
    h.env.connectionString,
    h.env.settings.NHSFLOWS_POISON_QUEUE,
  );
  await queue.ensure();
  assert.equal(await queue.count(), 0);
  const ledger = await h.services.pipeline.state.get(BATCH_LEDGER_TABLE, 'sus_apc_episode', batchId);
  assert.equal(ledger?.value.status, 'succeeded');
  assert.equal(ledger?.value.accepted, 2);
  assert.deepEqual(h.host.status().lastFailures, []);
});
