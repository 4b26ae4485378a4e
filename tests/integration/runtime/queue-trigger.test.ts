import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { createLocalHost, type LocalHost } from '../../../shared/runtime/local/local-host.js';
import { captureRegistrations } from '../../../shared/runtime/local/registration-capture.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';

const registry = await captureRegistrations(() => import('./fixtures/queue-fixtures.js'));
const { queueSeen } = await import('./fixtures/queue-fixtures.js');

let azurite: Awaited<ReturnType<typeof testAzurite>>;
let host: LocalHost;
let dataDir: string;
const queueName = uniqueName('rtq');

before(async () => {
  azurite = await testAzurite();
  dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-queue-'));
  host = createLocalHost({
    registry,
    dataDir,
    logger: silentLogger,
    connections: { RtStorage: azurite.connectionString },
    appSettings: { RT_QUEUE: queueName },
    queues: { pollIntervalMs: 50 },
  });
  await host.start();
});

after(async () => {
  await host.stop();
  await rm(dataDir, { recursive: true, force: true });
  await azurite.stop();
});

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

test('a message that keeps failing is dequeued 5 times and then moved to the -poison queue', async () => {
  const queue = new QueueClient(azurite.connectionString, queueName);
  await queue.sendMessage(encode({ batch: 'b-1', fail: true }));
  await queue.sendMessage(encode({ batch: 'b-2' }));
  await host.waitForIdle({ timeoutMs: 30_000 });

  const failing = queueSeen.filter((s) => (s.text as { batch: string }).batch === 'b-1');
  assert.deepEqual(
    failing.map((s) => s.dequeueCount),
    [1, 2, 3, 4, 5],
  );
  assert.equal(queueSeen.filter((s) => (s.text as { batch: string }).batch === 'b-2').length, 1);

  const poison = new QueueClient(azurite.connectionString, `${queueName}-poison`);
  const peeked = await poison.peekMessages({ numberOfMessages: 5 });
  assert.equal(peeked.peekedMessageItems.length, 1);
  assert.deepEqual(
    JSON.parse(Buffer.from(peeked.peekedMessageItems[0]!.messageText, 'base64').toString('utf8')),
    {
      batch: 'b-1',
      fail: true,
    },
  );
  assert.ok(
    host
      .status()
      .functionFailures.some((f) => f.function === 'rt_queueConsumer' && /always fails/.test(f.message)),
  );
  const left = await queue.getProperties();
  assert.equal(left.approximateMessagesCount, 0);
});
