import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../../shared/runtime/local/azurite.js';

// A restart in the chaos suite once failed with ECONNREFUSED: Azurite's ports were picked free
// first and passed on, so another process could take one in between, and the start-up check then
// connected to that process instead of Azurite. Azurite now binds the ports itself and reports them.

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

test('Azurite started without ports binds its own and answers on the ports it reports', async () => {
  const [one, two] = await Promise.all([startAzurite(), startAzurite()]);
  try {
    const ports = [one, two].flatMap((a) => [a.blobPort, a.queuePort, a.tablePort]);
    assert.equal(new Set(ports).size, 6, 'six distinct ports for two emulators started at once');
    for (const azurite of [one, two]) {
      const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
      await blobs.getContainerClient('probe').createIfNotExists();
      assert.equal(await blobs.getContainerClient('probe').exists(), true);
    }
  } finally {
    await Promise.all([one?.stop(), two?.stop()]);
  }
});

test('a requested port another process holds fails the start, never connects to that process', async () => {
  const { server, port } = await listen();
  try {
    await assert.rejects(startAzurite({ blobPort: port }), /Azurite exited during start-up|EADDRINUSE/);
  } finally {
    server.close();
  }
});
