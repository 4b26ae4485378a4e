import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageMessageQueue } from '../../../shared/adapters/azure/storage-queue.azure.js';
import { BATCH_LEDGER_TABLE } from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import type { BatchManifest, PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import type { ReplayResult } from '../../../shared/application/use-cases/pipeline/replay-poison.use-case.js';
import {
  csv,
  episode,
  waitUntil,
  EPISODE_COLUMNS,
  openPipelineHarness,
  testNhsNumber,
  withWrongCheckDigit,
  type PipelineHarness,
} from './pipeline-harness.js';

// A batch that fails for real in the real orchestrator (its bronze object is missing, so planChunks
// fails on every attempt), lands on the poison queue, and is replayed through POST /api/replay once
// the cause is fixed.

// A persistently failing activity costs its five attempts plus the retry timers between them and
// after the last (2 + 4 + 8 + 16 + 32 s, as DurableTask.Core and durable-functions' RetryableTask do),
// so every failing batch of this file is started at once, in `before`, and fails in parallel.

let h: PipelineHarness;
let queue: StorageMessageQueue;
before(async () => {
  h = await openPipelineHarness();
  queue = StorageMessageQueue.fromConnectionString(
    h.env.connectionString,
    h.env.settings.NHSFLOWS_POISON_QUEUE,
  );
  await h.host.startOrchestration('pipelineOrchestrator', { batch, waveSize: 500 } satisfies PipelineInput, batchId);
  await h.drop(UNKNOWN_COLUMN, csv([rawRow(41)], [...EPISODE_COLUMNS.slice(0, -1), 'nhs_no']));
  await h.drop(MISSING_COLUMN, csv([rawRow(42, 'admission_date')], withoutColumn('admission_date')));
});

const UNKNOWN_COLUMN = 'sus_apc_episode/bad-header-unknown.csv';
const MISSING_COLUMN = 'sus_apc_episode/bad-header-missing.csv';
const withoutColumn = (column: string): string[] => EPISODE_COLUMNS.filter((c) => c !== column);
/** Episode `i` as raw CSV fields in table order, optionally without one column. */
function rawRow(i: number, without?: string): string[] {
  const row = episode(i);
  return EPISODE_COLUMNS.filter((c) => c !== without).map((c) => {
    const value = row[c];
    return value === null || value === undefined ? '' : String(value);
  });
}
after(async () => {
  await h?.close();
});

const rows = [
  episode(31),
  episode(32),
  episode(33),
  episode(34, { nhs_number: withWrongCheckDigit(testNhsNumber(34)) }),
];
const numbers = [31, 32, 33, 34].map((i) => testNhsNumber(i));
const batchId = 'sus_apc_episode-file-poisonreplay0001';
const batch: BatchDescriptor = {
  batchId,
  table: 'sus_apc_episode',
  origin: 'sus_apc_episode/poison-replay.csv',
  bronzePath: `file-sus_apc_episode/2026/11/23/${batchId}.csv`,
  format: 'csv',
  receivedAt: '2026-11-23T09:00:00.000Z',
};

async function warehouseCounts(): Promise<{ facts: number; ids: number; versions: number; current: number }> {
  const warehouse = await h.services.pipeline.warehouse();
  const [facts] = await warehouse.query(
    "SELECT count(*)::INTEGER AS facts, count(DISTINCT activity_id)::INTEGER AS ids FROM fact_activity WHERE source_table = 'sus_apc_episode'",
  );
  const [dim] = await warehouse.query(
    'SELECT count(*)::INTEGER AS versions, count(*) FILTER (WHERE is_current)::INTEGER AS current FROM dim_patient',
  );
  return {
    facts: Number(facts?.facts),
    ids: Number(facts?.ids),
    versions: Number(dim?.versions),
    current: Number(dim?.current),
  };
}

test('a batch whose activity fails on every attempt ends Failed, after five attempts, with one poison message and a failed ledger row', async () => {
  await assert.rejects(h.host.durable.waitForCompletion(batchId), /does not exist/);
  await h.host.waitForIdle({ timeoutMs: 30_000 });

  const status = h.host.durable.status(batchId, { showHistory: true });
  assert.equal(status?.runtimeStatus, 'Failed');
  assert.match(
    String(status?.output),
    new RegExp(`bronze object ${batch.bronzePath.replace(/[./]/g, '\\$&')} does not exist`),
  );
  const planAttempts = (status?.history ?? []).filter(
    (e) => e.EventType === 4 && e.Name === 'planChunks',
  ).length;
  assert.equal(
    planAttempts,
    5,
    'planChunks was attempted 5 times (the retry policy) before the batch failed',
  );
  assert.ok(h.host.status().lastFailures.some((f) => f.instanceId === batchId));

  const messages = (await h.peekQueue(h.env.settings.NHSFLOWS_POISON_QUEUE)).filter(
    (m) => (m.batch as BatchDescriptor | undefined)?.batchId === batchId,
  );
  assert.equal(messages.length, 1);
  const [message] = messages;
  assert.deepEqual(Object.keys(message ?? {}).sort(), [
    'batch',
    'failedAt',
    'failedChunks',
    'kind',
    'reason',
    'version',
  ]);
  assert.equal(message?.kind, 'nhs-flows.failed-batch');
  assert.deepEqual(message?.batch, batch);
  assert.deepEqual(message?.failedChunks, []);
  assert.match(String(message?.reason), /does not exist/);
  const text = JSON.stringify(messages);
  for (const n of numbers) assert.ok(!text.includes(n), 'no row value on the poison queue');

  const ledger = await h.services.pipeline.state.get(BATCH_LEDGER_TABLE, 'sus_apc_episode', batchId);
  assert.equal(ledger?.value.status, 'failed');
  assert.match(String(ledger?.value.failureReason), /does not exist/);
  assert.equal(await h.list('gold', `manifests/${batchId}`).then((l) => l.length), 0, 'no manifest');
  assert.deepEqual(await h.list('silver'), [], 'nothing half-written to silver');
  assert.deepEqual(await h.list('bronze', `_work/${batchId}/`), [], 'no chunk work files');
});

/** The orchestration the landing trigger started for a dropped file. */
async function instanceFor(name: string): Promise<string> {
  return waitUntil(
    `an orchestration for landing/${name}`,
    () =>
      h.host.durable
        .list()
        .find((i) => (i.input as PipelineInput | null)?.batch.origin === name && !i.instanceId.includes(':'))
        ?.instanceId,
  );
}

for (const [name, code, expected] of [
  // The unknown column is named by its position: a header cell may be a patient's value.
  [
    UNKNOWN_COLUMN,
    'FILE.HEADER_UNKNOWN_COLUMN',
    `header column ${EPISODE_COLUMNS.length} (counting from 1) is not a column of sus_apc_episode`,
  ],
  [
    MISSING_COLUMN,
    'FILE.HEADER_MISSING_COLUMNS',
    'header lacks required columns of sus_apc_episode: admission_date',
  ],
] as const) {
  test(`a dropped file whose header is wrong (${code}) fails its batch naming the file and writes nothing past bronze`, async () => {
    const id = await instanceFor(name);
    await assert.rejects(h.host.durable.waitForCompletion(id));
    await h.host.waitForIdle({ timeoutMs: 30_000 });
    const message = `landing file ${name} rejected (${code}): ${expected}`;
    assert.equal(h.host.instance(id)?.runtimeStatus, 'Failed');
    assert.ok(String(h.host.instance(id)?.output).includes(message), String(h.host.instance(id)?.output));
    const failure = h.host.status().lastFailures.find((f) => f.instanceId === id);
    assert.ok(failure?.message.includes(message), 'visible in the host status');

    const poison = (await h.peekQueue(h.env.settings.NHSFLOWS_POISON_QUEUE)).find(
      (m) => (m.batch as BatchDescriptor | undefined)?.origin === name,
    );
    assert.ok(String(poison?.reason).includes(message), 'the poison message names the file and the problem');
    const ledger = await h.services.pipeline.state.get(BATCH_LEDGER_TABLE, 'sus_apc_episode', id);
    assert.equal(ledger?.value.status, 'failed');

    assert.deepEqual(
      (await h.list('silver')).filter((p) => p.includes(id)),
      [],
      'nothing half-written to silver',
    );
    assert.deepEqual(await h.list('bronze', `_work/${id}/`), [], 'no chunk work files');
    assert.deepEqual(await h.list('gold', `manifests/${id}`), [], 'no manifest');
    assert.deepEqual(await h.list('quarantine', `sus_apc/sus_apc_episode/${id}`), []);
  });
}

let replayedInstance = '';

test('after the cause is fixed, POST /api/replay replays that batch: it succeeds, its message leaves the queue, the ledger says succeeded', async () => {
  const body = Buffer.from(csv(rows), 'utf8');
  await h.blobs.getContainerClient('bronze').getBlockBlobClient(batch.bronzePath).upload(body, body.length);

  const response = await fetch(`${h.host.origin ?? ''}/api/replay?batchId=${batchId}`, {
    method: 'POST',
    headers: { 'x-functions-key': h.env.adminKey },
  });
  assert.equal(response.status, 202);
  const result = (await response.json()) as ReplayResult;
  assert.equal(result.replayed.length, 1);
  assert.equal(result.replayed[0]?.batchId, batchId);
  assert.equal(result.replayed[0]?.chunks, 'all');
  assert.equal(result.invalid, 0);
  assert.equal(result.remaining, 2, "the bad-header batches' messages stay on the queue");
  replayedInstance = result.replayed[0]?.instanceId ?? '';
  assert.ok(replayedInstance.startsWith(`${batchId}:replay:`));

  await h.host.waitForIdle({ timeoutMs: 60_000 });
  const status = h.host.durable.status(replayedInstance);
  assert.equal(status?.runtimeStatus, 'Completed', String(status?.output));
  const manifest = status?.output as BatchManifest;
  assert.equal(manifest.status, 'succeeded');
  assert.deepEqual(
    {
      records: manifest.counts.records,
      accepted: manifest.counts.accepted,
      quarantined: manifest.counts.quarantined,
      factRows: manifest.counts.factRows,
    },
    { records: 4, accepted: 3, quarantined: 1, factRows: 3 },
  );
  assert.equal(await queue.count(), 2, 'the replayed batch left the queue; the other two stay');
  const ledger = await h.services.pipeline.state.get(BATCH_LEDGER_TABLE, 'sus_apc_episode', batchId);
  assert.equal(ledger?.value.status, 'succeeded');
  assert.equal(ledger?.value.accepted, 3);
  const stored = JSON.parse((await h.text('gold', `manifests/${batchId}.json`)) || '{}') as BatchManifest;
  assert.equal(stored.status, 'succeeded');
});

test('the replayed batch loads exactly the rows a clean run does, and running it once more adds no row', async () => {
  const afterReplay = await warehouseCounts();
  assert.deepEqual(afterReplay, { facts: 3, ids: 3, versions: 3, current: 3 });
  const quarantineBefore = await h.text('quarantine');

  await h.host.runOrchestration(
    'pipelineOrchestrator',
    { batch, waveSize: 500 } satisfies PipelineInput,
    `${batchId}:again`,
  );
  await h.host.waitForIdle({ timeoutMs: 60_000 });
  assert.deepEqual(await warehouseCounts(), afterReplay, 'no double rows');
  assert.equal(await h.text('quarantine'), quarantineBefore, 'quarantine unchanged');
  assert.equal(await queue.count(), 2);
});

test('a replay of one batch leaves the other failed batches visible on the poison queue', async () => {
  const visible = (await h.peekQueue(h.env.settings.NHSFLOWS_POISON_QUEUE)).map(
    (m) => (m.batch as BatchDescriptor | undefined)?.origin,
  );
  assert.deepEqual(visible.sort(), [MISSING_COLUMN, UNKNOWN_COLUMN]);
});

test("the log line of a failed batch carries the failure's reason, not only its id", () => {
  const lines = h
    .logs()
    .split('\n')
    .filter((l) => l.includes('"msg":"batch failed"') && l.includes(batchId));
  assert.ok(lines.length > 0, 'a batch failed line');
  assert.ok(
    lines.some((l) => l.includes('does not exist')),
    'the reason is logged',
  );
});
