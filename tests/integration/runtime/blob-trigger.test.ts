import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { createLocalHost } from '../../../shared/runtime/local/local-host.js';
import { captureRegistrations } from '../../../shared/runtime/local/registration-capture.js';
import { compileBlobPath } from '../../../shared/runtime/local/triggers/blob-trigger.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';

const registry = await captureRegistrations(() => import('./fixtures/blob-fixtures.js'));
const { blobSeen, eventsSeen } = await import('./fixtures/blob-fixtures.js');

let azurite: Awaited<ReturnType<typeof testAzurite>>;
let dataDir: string;
const container = uniqueName('rtblob');
const eventContainer = uniqueName('rtevents');
const deadLetterContainer = uniqueName('rtdead');

before(async () => {
  azurite = await testAzurite();
  dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-blob-'));
});

after(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await azurite.stop();
});

const newHost = () =>
  createLocalHost({
    registry,
    dataDir,
    logger: silentLogger,
    connections: { RtStorage: azurite.connectionString },
    appSettings: { RT_CONTAINER: container },
    blobs: { pollIntervalMs: 50 },
    eventGrid: {
      rt_blob_events: {
        connection: 'RtStorage',
        container: eventContainer,
        name: 'rt-blob-created',
        maxDeliveryAttempts: 3,
        deadLetterContainer,
      },
    },
  });

test('blob trigger paths bind their parameters and ignore blobs outside the pattern', () => {
  const pattern = compileBlobPath('landing/incoming/{dataset}/{name}.csv');
  assert.equal(pattern.container, 'landing');
  assert.equal(pattern.prefix, 'incoming/');
  assert.deepEqual(pattern.match('incoming/apc/2026-11.csv'), { dataset: 'apc', name: '2026-11' });
  assert.equal(pattern.match('incoming/apc/2026-11.json'), undefined);
  assert.equal(pattern.match('outgoing/apc/2026-11.csv'), undefined);
});

test('a blob fires the trigger once, also across a host restart; a changed blob fires again', async () => {
  const containerClient = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    container,
  );
  await containerClient.createIfNotExists();
  await containerClient.getBlockBlobClient('incoming/apc/file-1.csv').upload('a,b\n1,2\n', 8);
  await containerClient.getBlockBlobClient('elsewhere/file-0.csv').upload('x', 1);

  const first = newHost();
  await first.start();
  await first.waitForIdle({ timeoutMs: 20_000 });
  await first.stop();
  assert.deepEqual(blobSeen, [
    { blobTrigger: `${container}/incoming/apc/file-1.csv`, dataset: 'apc', name: 'file-1.csv', bytes: 8 },
  ]);

  const second = newHost();
  await second.start();
  await second.waitForIdle({ timeoutMs: 20_000 });
  assert.equal(blobSeen.length, 1, 'the restart did not fire for the processed blob');

  await containerClient.getBlockBlobClient('incoming/ecds/file-2.csv').upload('c\n', 2);
  await containerClient.getBlockBlobClient('incoming/apc/file-1.csv').upload('a,b\n1,3\n9,9\n', 12);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await second.waitForIdle({ timeoutMs: 20_000 });
  await second.stop();
  assert.deepEqual(
    blobSeen
      .slice(1)
      .map((s) => [s.dataset, s.name, s.bytes])
      .sort(),
    [
      ['apc', 'file-1.csv', 12],
      ['ecds', 'file-2.csv', 2],
    ],
  );
});

test('an Event Grid subscription delivers one BlobCreated event per committed blob (not its bytes), also across a restart; a delivery failing every attempt is dead-lettered', async () => {
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const events = service.getContainerClient(eventContainer);
  await events.createIfNotExists();
  await events.getBlockBlobClient('apc/2026-11.csv').upload('a,b\n1,2\n', 8);
  await events.getBlockBlobClient('fail-apc/2026-11.csv').upload('x\n', 2);
  const host = newHost();
  await host.start();
  await host.waitForIdle({ timeoutMs: 20_000 });
  await host.stop();
  const ok = eventsSeen.filter((e) => !String(e.subject).includes('/fail-'));
  assert.deepEqual(ok, [
    {
      eventType: 'Microsoft.Storage.BlobCreated',
      subject: `/blobServices/default/containers/${eventContainer}/blobs/apc/2026-11.csv`,
      api: 'PutBlockList',
      contentLength: 8,
    },
  ]);
  assert.equal(eventsSeen.length - ok.length, 3, 'the failing blob was delivered maxDeliveryAttempts times');

  const dead: unknown[] = [];
  for await (const blob of service.getContainerClient(deadLetterContainer).listBlobsFlat())
    dead.push(
      ...(JSON.parse(
        (
          await service.getContainerClient(deadLetterContainer).getBlobClient(blob.name).downloadToBuffer()
        ).toString('utf8'),
      ) as unknown[]),
    );
  assert.equal(dead.length, 1);
  const letter = dead[0] as { subject: string; deadLetterReason: string; deliveryAttempts: number };
  assert.equal(
    letter.subject,
    `/blobServices/default/containers/${eventContainer}/blobs/fail-apc/2026-11.csv`,
  );
  assert.equal(letter.deadLetterReason, 'MaxDeliveryAttemptsExceeded');
  assert.equal(letter.deliveryAttempts, 3);

  const again = newHost();
  await again.start();
  await again.waitForIdle({ timeoutMs: 20_000 });
  await again.stop();
  assert.equal(eventsSeen.length, 4, 'a restart delivers nothing already delivered or dead-lettered');
});
