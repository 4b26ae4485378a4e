import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

test('every blob acknowledged before the owner is killed (kill -9) is there when Azurite starts again', async () => {
  const location = mkdtempSync(join(tmpdir(), 'nhsflows-azurite-kill-'));
  try {
    // The owner: starts Azurite on the folder, writes blobs, prints when they are acknowledged.
    const owner = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
        const { startAzurite } = await import(${JSON.stringify(pathToFileURL(join(process.cwd(), 'shared/runtime/local/azurite.ts')).href)});
        const { BlobServiceClient } = await import('@azure/storage-blob');
        const azurite = await startAzurite({ location: ${JSON.stringify(location)} });
        const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('kept');
        await container.createIfNotExists();
        for (let i = 0; i < 20; i++) await container.getBlockBlobClient('blob-' + i).upload('x', 1);
        console.log('ACKED ' + azurite.pid);
        setInterval(() => {}, 1000);
        `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const azuritePid = await new Promise<number>((resolve, reject) => {
      let out = '';
      owner.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /ACKED (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      owner.once('exit', (code) => reject(new Error(`owner exited ${code} before writing`)));
    });
    owner.kill('SIGKILL');
    // Azurite notices its owner is gone, saves and exits by itself.
    const end = Date.now() + 20_000;
    while (alive(azuritePid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(azuritePid), false, 'Azurite stopped with its owner');
    const again = await startAzurite({ location });
    try {
      const container = BlobServiceClient.fromConnectionString(again.connectionString).getContainerClient(
        'kept',
      );
      const names: string[] = [];
      for await (const blob of container.listBlobsFlat()) names.push(blob.name);
      assert.equal(names.length, 20, 'every acknowledged blob survived');
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(location, { recursive: true, force: true });
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
