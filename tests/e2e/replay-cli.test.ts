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
import { readAudit } from '../../shared/application/use-cases/audit/audit-trail.js';
import { systemClock } from '../../shared/application/ports/clock.port.js';
import type { BatchDescriptor } from '../../shared/domain/pipeline/batch-record.js';
import type { BatchManifest } from '../../shared/domain/pipeline/pipeline-contracts.js';
import { csv, episode, testNhsNumber } from '../integration/pipeline/pipeline-harness.js';
import { CLI } from '../support/cli-process.js';

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
  // A second failed batch whose cause is not fixed: its file's header is unknown, so it fails again.
  await lake.put('bronze', broken.bronzePath, 'not,a,known,header\n1,2,3,4\n');
  await queue.send({
    kind: 'nhs-flows.failed-batch',
    version: 1,
    batch: broken,
    reason: 'injected: the header was not checked',
    failedChunks: [],
    failedAt: '2026-11-24T09:01:00.000Z',
  });
});
const brokenId = 'ecds_attendance-file-clireplaybroken';
const broken: BatchDescriptor = {
  batchId: brokenId,
  table: 'ecds_attendance',
  origin: 'ecds_attendance/cli-replay-broken.csv',
  bronzePath: `file-ecds_attendance/2026/11/24/${brokenId}.csv`,
  format: 'csv',
  receivedAt: '2026-11-24T09:00:00.000Z',
};
after(async () => {
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [...CLI.args, ...args], {
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

const startedAt = new Date();

test('nhs-flows replay --dry-run lists the failed batch of a table and time window and changes nothing; an unknown batch exits 3', async () => {
  const dry = cli('replay', '--table', 'sus_apc_episode', '--since', '2026-11-23T00:00:00Z', '--dry-run');
  assert.equal(dry.status, 0, dry.stderr.slice(-3000));
  assert.match(
    dry.stdout,
    /replay \(dry run\): 1 failed batch\(es\) match table sus_apc_episode, failed 2026-11-23T00:00:00Z – now; nothing was changed/,
  );
  assert.match(
    dry.stdout,
    new RegExp(
      `  ${batchId}  sus_apc_episode  failed 2026-11-23T09:01:00.000Z  all chunks  \\[poison-queue\\]`,
    ),
  );
  assert.equal(await queue.count(), 2, 'the messages are still on the queue');
  const unknown = cli('replay', '--batch', 'no-such-batch');
  assert.equal(unknown.status, 3, unknown.stderr.slice(-3000));
  assert.match(
    unknown.stdout,
    /replay: no batch no-such-batch is known: it is not on the poison queue and not in the batch ledger/,
  );
});

test('nhs-flows replay restarts the failed batch from the poison queue and it loads the warehouse', async () => {
  first = cli('replay', '--table', 'sus_apc_episode');
  assert.equal(first.status, 0, first.stderr.slice(-3000));
  assert.match(first.stdout, /replay: started 1 batch\(es\) matching table sus_apc_episode/);
  assert.match(first.stdout, new RegExp(`  ${batchId}  sus_apc_episode  succeeded`));
  assert.match(first.stdout, /all 1 replayed batch\(es\) succeeded/);
  assert.equal(await queue.count(), 1, 'its message left the queue; the broken batch waits');
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

test('a replayed batch that fails again exits 1 and says so; it is back on the queue', async () => {
  const failing = cli('replay', '--table', 'ecds_attendance');
  assert.equal(failing.status, 1, failing.stderr.slice(-3000));
  assert.match(failing.stdout, new RegExp(`  ${brokenId}  ecds_attendance  failed`));
  assert.match(failing.stdout, /1 of 1 replayed batch\(es\) failed again; they are back on the poison queue/);
  assert.equal(await queue.count(), 1);
});

test('nhs-flows replay with nothing failed in the table replays nothing, says so, exits 3 and changes no count; every run is audited', async () => {
  const again = cli('replay', '--table', 'sus_apc_episode');
  assert.equal(again.status, 3, again.stderr.slice(-3000));
  assert.match(again.stdout, /replay: no failed batch matches table sus_apc_episode; nothing was replayed/);
  assert.deepEqual(await facts(), { facts: 3, ids: 3 });
  const audit = await readAudit({ since: startedAt, kind: 'replay' }, { lake, clock: systemClock });
  assert.deepEqual(
    audit.map((r) => [r.outcome, r.actor.startsWith('local:') || r.actor === 'admin-key']),
    [
      ['dry-run', true],
      ['nothing-matched', true],
      ['done', true],
      ['done', true],
      ['failed', true],
      ['nothing-matched', true],
    ],
  );
  assert.equal(audit[2]?.details.batches, batchId);
});

test("the replay's output and logs hold no NHS number", () => {
  const text = first.stdout + first.stderr;
  for (const i of [61, 62, 63]) assert.ok(!text.includes(testNhsNumber(i)));
});
