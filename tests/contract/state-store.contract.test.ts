import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore } from '../../shared/application/ports/state-store.port.js';
import { TableStateStore } from '../../shared/adapters/azure/table-state-store.azure.js';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store.js';
import { ConcurrencyError } from '../../shared/domain/errors.js';
import { testAzurite, uniqueName } from '../support/azurite.js';

// One suite, looped over every adapter of the port (the Azure adapter runs against real Azurite).
const azurite = await testAzurite();
const adapters: [string, () => StateStore][] = [
  ['memory twin', () => new MemoryStateStore()],
  ['Table storage on Azurite', () => TableStateStore.fromConnectionString(azurite.connectionString)],
];
after(() => azurite.stop());

for (const [name, make] of adapters) {
  describe(`StateStore: ${name}`, () => {
    const store = make();
    const table = uniqueName('state').replace(/[^a-z0-9]/g, '');
    before(() => store.ensureTables([table]));

    test('an inserted entity is read back with its values and an etag', async () => {
      await store.insert(table, 'p1', 'r1', { hash: 'abc', count: 3, ok: true });
      const got = await store.get(table, 'p1', 'r1');
      assert.deepEqual(got?.value, { hash: 'abc', count: 3, ok: true });
      assert.ok(got?.etag);
    });

    test('inserting an existing key is a concurrency error', async () => {
      await store.insert(table, 'p2', 'r1', { v: 1 });
      await assert.rejects(store.insert(table, 'p2', 'r1', { v: 2 }), ConcurrencyError);
    });

    test('a conditional upsert with a stale etag is a concurrency error and changes nothing', async () => {
      const etag = await store.insert(table, 'p3', 'r1', { v: 1 });
      await store.upsert(table, 'p3', 'r1', { v: 2 }, etag);
      await assert.rejects(store.upsert(table, 'p3', 'r1', { v: 3 }, etag), ConcurrencyError);
      assert.deepEqual((await store.get(table, 'p3', 'r1'))?.value, { v: 2 });
    });

    test('large integers and keys with reserved characters survive the round trip', async () => {
      await store.upsert(table, 'sus_apc_episode|E/1#?', 'k\\1', { version: 2 ** 40 + 7 });
      const got = await store.get(table, 'sus_apc_episode|E/1#?', 'k\\1');
      assert.equal(got?.value.version, 2 ** 40 + 7);
      assert.equal(got?.partitionKey, 'sus_apc_episode|E/1#?');
    });

    test('list returns a partition in row-key order, optionally within a range', async () => {
      for (const rk of ['c', 'a', 'b', 'd']) await store.upsert(table, 'p4', rk, { rk });
      const all = [];
      for await (const e of store.list(table, 'p4')) all.push(e.rowKey);
      assert.deepEqual(all, ['a', 'b', 'c', 'd']);
      const some = [];
      for await (const e of store.list(table, 'p4', { fromRowKey: 'b', toRowKey: 'd' })) some.push(e.rowKey);
      assert.deepEqual(some, ['b', 'c']);
    });

    test('a transaction is all or nothing: a stale etag leaves every row untouched', async () => {
      const etag = await store.insert(table, 'p5', 'pointer', { current: 'v1' });
      await store.transact(table, 'p5', [
        { kind: 'update', rowKey: 'pointer', value: { current: 'v2' }, etag },
        { kind: 'insert', rowKey: 'v2', value: { n: 2 } },
      ]);
      await assert.rejects(
        store.transact(table, 'p5', [
          { kind: 'update', rowKey: 'pointer', value: { current: 'v3' }, etag },
          { kind: 'insert', rowKey: 'v3', value: { n: 3 } },
        ]),
        ConcurrencyError,
      );
      assert.deepEqual((await store.get(table, 'p5', 'pointer'))?.value, { current: 'v2' });
      assert.equal(await store.get(table, 'p5', 'v3'), undefined);
    });

    test('a missing entity reads as undefined and deleting it is fine', async () => {
      assert.equal(await store.get(table, 'none', 'none'), undefined);
      await store.delete(table, 'none', 'none');
    });
  });
}
