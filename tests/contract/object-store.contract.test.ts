import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectStore } from '../../shared/application/ports/object-store.port.js';
import { BlobObjectStore } from '../../shared/adapters/azure/blob-object-store.azure.js';
import { MemoryObjectStore } from '../../shared/adapters/memory/memory-object-store.js';
import { testAzurite, uniqueName } from '../support/azurite.js';

// One suite, looped over every adapter of the port (the Azure adapter runs against real Azurite).
const azurite = await testAzurite();
const adapters: [string, () => ObjectStore][] = [
  ['memory twin', () => new MemoryObjectStore()],
  ['Blob API on Azurite', () => BlobObjectStore.fromConnectionString(azurite.connectionString)],
];
after(() => azurite.stop());

for (const [name, make] of adapters) {
  describe(`ObjectStore: ${name}`, () => {
    const store = make();
    const container = uniqueName('lake');
    before(() => store.ensureContainers([container]));

    test('an object put is read back byte for byte', async () => {
      await store.put(container, 'a/b/c.ndjson', '{"x":1}\n');
      assert.equal((await store.get(container, 'a/b/c.ndjson'))?.toString(), '{"x":1}\n');
      assert.equal(await store.exists(container, 'a/b/c.ndjson'), true);
    });

    test('an object streams back byte for byte, and a missing one streams as undefined', async () => {
      const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
      await store.put(container, 's/big.bin', body);
      const stream = await store.getStream(container, 's/big.bin');
      assert.ok(stream);
      const parts: Buffer[] = [];
      for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
      assert.deepEqual(Buffer.concat(parts), body);
      assert.equal(await store.getStream(container, 's/missing.bin'), undefined);
    });

    test('an object written from a stream of many blocks reads back byte for byte; create-only keeps the first', async () => {
      // 20 MiB in 1 MiB chunks: more than two of the adapter's 8 MiB blocks.
      const chunk = (n: number) => Buffer.alloc(1024 * 1024, n % 256);
      async function* body(): AsyncIterable<Buffer> {
        for (let i = 0; i < 20; i += 1) yield chunk(i);
      }
      const first = await store.putStream(container, 'ps/drop.csv', body(), { ifNoneMatch: '*' });
      assert.equal(first.created, true);
      const again = await store.putStream(container, 'ps/drop.csv', body(), { ifNoneMatch: '*' });
      assert.equal(again.created, false, 'create-only never overwrites');
      const back = await store.get(container, 'ps/drop.csv');
      assert.equal(back?.length, 20 * 1024 * 1024);
      assert.deepEqual(back?.subarray(19 * 1024 * 1024, 19 * 1024 * 1024 + 4), Buffer.from([19, 19, 19, 19]));
    });

    test('a put conditional on a version tag replaces only that version (compare-and-swap)', async () => {
      await store.put(container, 'cas/head.json', 'v1');
      const first = await store.getVersioned(container, 'cas/head.json');
      assert.equal(first?.body.toString(), 'v1');
      const swapped = await store.put(container, 'cas/head.json', 'v2', { ifMatch: first.etag });
      assert.equal(swapped.created, true);
      assert.ok(swapped.etag && swapped.etag !== first.etag, 'a new version tag');
      const stale = await store.put(container, 'cas/head.json', 'v3', { ifMatch: first.etag });
      assert.equal(stale.created, false, 'the old tag no longer matches');
      assert.equal((await store.get(container, 'cas/head.json'))?.toString(), 'v2');
      assert.equal((await store.getVersioned(container, 'cas/head.json'))?.etag, swapped.etag);
      assert.equal(
        (await store.put(container, 'cas/absent.json', 'x', { ifMatch: first.etag })).created,
        false,
      );
      assert.equal(await store.getVersioned(container, 'cas/absent.json'), undefined);
    });

    test('a missing object reads as undefined', async () => {
      assert.equal(await store.get(container, 'nope'), undefined);
      assert.equal(await store.exists(container, 'nope'), false);
    });

    test('create-only put never overwrites and says it did not create', async () => {
      assert.equal((await store.put(container, 'once', 'first', { ifNoneMatch: '*' })).created, true);
      assert.deepEqual(await store.put(container, 'once', 'second', { ifNoneMatch: '*' }), {
        created: false,
      });
      assert.equal((await store.get(container, 'once'))?.toString(), 'first');
    });

    test('list yields the objects under a prefix in lexical order with sizes', async () => {
      await store.put(container, 'list/2', '22');
      await store.put(container, 'list/1', '1');
      await store.put(container, 'other/3', '333');
      const seen = [];
      for await (const info of store.list(container, 'list/')) seen.push(info);
      assert.deepEqual(seen, [
        { path: 'list/1', size: 1 },
        { path: 'list/2', size: 2 },
      ]);
    });

    test('files round-trip through putFile and getFile', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nhsflows-'));
      writeFileSync(join(dir, 'in.bin'), Buffer.from([1, 2, 3]));
      await store.putFile(container, 'f/in.bin', join(dir, 'in.bin'));
      assert.equal(await store.getFile(container, 'f/in.bin', join(dir, 'out.bin')), true);
      assert.deepEqual([...readFileSync(join(dir, 'out.bin'))], [1, 2, 3]);
      assert.equal(await store.getFile(container, 'f/missing', join(dir, 'x')), false);
    });

    test('delete removes an object and deleting a missing one is fine', async () => {
      await store.put(container, 'gone', 'x');
      await store.delete(container, 'gone');
      await store.delete(container, 'gone');
      assert.equal(await store.exists(container, 'gone'), false);
    });
  });
}
