import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import {
  CountingStateStore,
  STATE_LIST_PAGE_SIZE,
} from '../../../shared/application/state/counting-state-store.js';
import { ConcurrencyError } from '../../../shared/domain/errors.js';

async function drain<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('counting state store', () => {
  test('counts one request per call of each kind, per table, and behaves as the wrapped store', async () => {
    const store = new CountingStateStore(new MemoryStateStore());
    await store.ensureTables(['ledger', 'seen']);
    const etag = await store.insert('ledger', 'p', 'a', { n: 1 });
    assert.equal((await store.get<{ n: number }>('ledger', 'p', 'a'))?.value.n, 1);
    assert.equal(await store.get('ledger', 'p', 'missing'), undefined);
    await store.upsert('ledger', 'p', 'a', { n: 2 }, etag).catch(() => undefined);
    await store.upsert('seen', 'p', 'x', { at: 'now' });
    await store.delete('seen', 'p', 'x');
    await store.transact('ledger', 'p', [
      { kind: 'insert', rowKey: 'b', value: { n: 3 } },
      { kind: 'upsert', rowKey: 'c', value: { n: 4 } },
    ]);
    assert.deepEqual(
      (await drain(store.list<{ n: number }>('ledger', 'p'))).map((e) => [e.rowKey, e.value.n]),
      [
        ['a', 2],
        ['b', 3],
        ['c', 4],
      ],
    );

    const counts = store.counts();
    assert.deepEqual(counts.byKind, {
      ensureTables: 2,
      get: 2,
      insert: 1,
      upsert: 2,
      delete: 1,
      list: 1,
      transact: 1,
    });
    assert.equal(counts.total, 10);
    assert.deepEqual(counts.byTable, { ledger: 7, seen: 3 });
    assert.equal(counts.transactedEntities, 2);
  });

  test('a listing costs one request per page of up to 1,000 entities, and its first page even when empty', async () => {
    const inner = new MemoryStateStore();
    const rows = 2 * STATE_LIST_PAGE_SIZE + 1;
    for (let i = 0; i < rows; i += 100)
      await inner.transact(
        'big',
        'p',
        Array.from({ length: Math.min(100, rows - i) }, (_, j) => ({
          kind: 'insert' as const,
          rowKey: String(i + j).padStart(6, '0'),
          value: { i: i + j },
        })),
      );
    const store = new CountingStateStore(inner);
    assert.equal((await drain(store.list('big', 'p'))).length, rows);
    assert.equal(store.counts().byKind.list, 3);

    store.reset();
    assert.equal(
      (await drain(store.list('big', 'p', { toRowKey: String(STATE_LIST_PAGE_SIZE).padStart(6, '0') })))
        .length,
      STATE_LIST_PAGE_SIZE,
    );
    assert.equal(store.counts().byKind.list, 1);

    store.reset();
    assert.deepEqual(await drain(store.list('big', 'empty')), []);
    assert.equal(store.counts().total, 1);
  });

  test('failed calls are counted and their errors pass through unchanged; an empty transaction is no request', async () => {
    const store = new CountingStateStore(new MemoryStateStore());
    await store.insert('t', 'p', 'a', { v: 1 });
    await assert.rejects(store.insert('t', 'p', 'a', { v: 2 }), ConcurrencyError);
    await assert.rejects(store.upsert('t', 'p', 'a', { v: 2 }, 'W/"stale"'), ConcurrencyError);
    await assert.rejects(
      store.transact('t', 'p', [{ kind: 'insert', rowKey: 'a', value: { v: 3 } }]),
      ConcurrencyError,
    );
    await store.transact('t', 'p', []);
    assert.deepEqual(store.counts().byKind, {
      ensureTables: 0,
      get: 0,
      insert: 2,
      upsert: 1,
      delete: 0,
      list: 0,
      transact: 1,
    });
    assert.equal(store.counts().transactedEntities, 1);
  });

  test('reset starts from zero', async () => {
    const store = new CountingStateStore(new MemoryStateStore());
    await store.get('t', 'p', 'a');
    store.reset();
    assert.deepEqual(store.counts(), {
      total: 0,
      byKind: { ensureTables: 0, get: 0, insert: 0, upsert: 0, delete: 0, list: 0, transact: 0 },
      byTable: {},
      transactedEntities: 0,
    });
  });
});
