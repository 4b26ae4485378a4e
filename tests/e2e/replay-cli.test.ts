import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BlobObjectStore } from '../../shared/adapters/azure/blob-object-store.azure.js';
import { StorageMessageQueue } from '../../shared/adapters/azure/storage-queue.azure.js';
import { openLocalEnvironment, type LocalEnvironment } from '../../shared/cli/local-environment.js';
import { LAKE_CONTAINERS } from '../../shared/domain/lake/lake-paths.js';
import type { BatchDescriptor } from '../../shared/domain/pipeline/batch-record.js';
import type { BatchManifest } from '../../shared/domain/pipeline/pipeline-contracts.js';
import { csv, episode, testNhsNumber } from '../integration/pipeline/pipeline-harness.js';

// `nhs-flows replay` in a child process, as an operator runs it: a failed batch is on the poison
// queue (the message reportFailure writes) and its cause has been fixed (the bronze object exists).
// This process holds Azurite (the CLI reuses it through the data dir's lock file) and inspects the
// lake, the queue and the warehouse after each run.

const dataDir = mkdtempSync(join(tmpdir(), 'nhsflows-replay-cli-'));
const env = {
  ...process.env,
  NHSFLOWS_DATA_DIR: dataDir,
  NHSFLOWS_LOCAL_SECRETS_FILE: join(dataDir, 'secrets.json'),
  NHSFLOWS_CDC_SCHEDULE: '0 0 0 1 1 *',
  NHSFLOWS_MARTS_SCHEDULE: '0 0 0 1 1 *',
  NHSFLOWS_TEST_AZURITE: '',
};
const batchId = 'sus_apc_episode-file-clireplay0001';
const batch: BatchDescriptor = {
  batchId,
  table: 'sus_apc_episode',
  origin: 'sus_apc_episode/cli-replay.csv',
  bronzePath: `file-sus_apc_episode/2026/11/23/${batchId}.csv`,
  format: 'csv',
  receivedAt: '2026-11-23T09:00:00.000Z',
};

let local: LocalEnvironment;
let lake: BlobObjectStore;
let queue: StorageMessageQueue;
before(async () => {
  local = await openLocalEnvironment({ env: { ...env } });
  lake = BlobObjectStore.fromConnectionString(local.connectionString);
  queue = StorageMessageQueue.fromConnectionString(
    local.connectionString,
    local.settings.NHSFLOWS_POISON_QUEUE,
  );
  await lake.ensureContainers(LAKE_CONTAINERS);
  await lake.put('bronze', batch.bronzePath, csv([episode(61), episode(62), episode(63)]));
  await queue.ensure();
  await queue.send({
    kind: 'nhs-flows.failed-batch',
    version: 1,
    batch,
    reason: `InputError: batch ${batchId}: bronze object ${batch.bronzePath} does not exist`,
    failedChunks: [],
    failedAt: '2026-11-23T09:01:00.000Z',
  });
});
after(async () => {
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'shared/cli/run.ts', ...args], {
    env,
    encoding: 'utf8',
    timeout: 3 * 60_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

async function facts(): Promise<{ facts: number; ids: number }> {
  const db = await DuckDBInstance.create(join(dataDir, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await db.connect();
  try {
    const [row] = (
      await connection.runAndReadAll(
        'SELECT count(*)::INTEGER AS facts, count(DISTINCT activity_id)::INTEGER AS ids FROM fact_activity',
      )
    ).getRowObjectsJson();
    return { facts: Number(row?.facts), ids: Number(row?.ids) };
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

let first: ReturnType<typeof cli>;

test('nhs-flows replay restarts the failed batch from the poison queue and it loads the warehouse', async () => {
  first = cli('replay');
  assert.equal(first.status, 0, first.stderr.slice(-3000));
  assert.match(first.stdout, /replay: HTTP 202 /);
  assert.match(first.stdout, new RegExp(`"batchId":"${batchId}"`));
  assert.equal(await queue.count(), 0, 'the message left the queue');
  const manifest = JSON.parse(
    (await lake.get('gold', `manifests/${batchId}.json`))?.toString('utf8') ?? '{}',
  ) as BatchManifest;
  assert.equal(manifest.status, 'succeeded');
  assert.deepEqual(
    {
      records: manifest.counts.records,
      accepted: manifest.counts.accepted,
      factRows: manifest.counts.factRows,
    },
    { records: 3, accepted: 3, factRows: 3 },
  );
  assert.deepEqual(await facts(), { facts: 3, ids: 3 });
});

test('nhs-flows replay with an empty poison queue replays nothing and changes no count', async () => {
  const again = cli('replay');
  assert.equal(again.status, 0, again.stderr.slice(-3000));
  assert.match(
    again.stdout,
    /replay: HTTP 202 \{"replayed":\[\],"invalid":0,"rejectedFiles":0,"replayedEvents":\[\],"failedEvents":0,"remaining":0\}/,
  );
  assert.deepEqual(await facts(), { facts: 3, ids: 3 });
});

test("the replay's output and logs hold no NHS number", () => {
  const text = first.stdout + first.stderr;
  for (const i of [61, 62, 63]) assert.ok(!text.includes(testNhsNumber(i)));
});
