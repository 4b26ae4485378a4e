import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import {
  BaseChunkWriter,
  CaptureStateRepository,
  HashStateView,
} from '../../../shared/application/use-cases/capture/capture-hash-state.js';
import {
  ChunkBuilder,
  ChunkReader,
  type StateRecord,
} from '../../../shared/domain/capture/hash-state-chunk.js';
import { digestOf } from '../../../shared/domain/capture/range-bisection.js';

const key = (i: number) => Buffer.from(`K${String(i).padStart(4, '0')}`);
const record = (i: number, salt = 0): StateRecord => ({
  key: key(i),
  hash: createHash('sha256').update(`${i}/${salt}`).digest(),
  version: salt % 3 === 0 ? null : String(1000 + salt),
});
const plain = (r: StateRecord) => ({
  key: r.key.toString(),
  hash: r.hash?.toString('hex') ?? null,
  version: r.version,
});

async function repository() {
  const repo = new CaptureStateRepository(new MemoryObjectStore(), new MemoryStateStore());
  await repo.ensure();
  return repo;
}

const sortedKeys = fc
  .uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 60 })
  .map((a) => a.sort((x, y) => x - y));

test('copying runs of records as bytes builds the same chunk as adding them one by one', () => {
  fc.assert(
    fc.property(sortedKeys, fc.nat(), fc.nat(), (keys, a, b) => {
      const records = keys.map((k) => record(k, k));
      const reader = new ChunkReader(
        (() => {
          const builder = new ChunkBuilder();
          records.forEach((r) => builder.add(r));
          return builder.build();
        })(),
      );
      const cut1 = records.length === 0 ? 0 : a % (records.length + 1);
      const cut2 = records.length === 0 ? 0 : cut1 + (b % (records.length - cut1 + 1));
      const copied = new ChunkBuilder();
      copied.addRecords(reader, 0, cut1);
      copied.addRecords(reader, cut1, cut2);
      copied.addRecords(reader, cut2, records.length);
      const added = new ChunkBuilder();
      records.forEach((r) => added.add(r));
      assert.deepEqual(copied.build(), added.build());
    }),
  );
});

test('chunk readers compare keys and hashes in place, in byte order', () => {
  const builder = new ChunkBuilder();
  [record(1), record(3)].forEach((r) => builder.add(r));
  const reader = new ChunkReader(builder.build());
  const probe = Buffer.concat([Buffer.from('xx'), key(2), record(3).hash!]);
  assert.equal(reader.compareKey(0, probe, 2, 7), -1);
  assert.equal(reader.compareKey(1, probe, 2, 7), 1);
  assert.equal(reader.compareKey(1, key(3), 0, 5), 0);
  assert.equal(reader.hashEquals(1, probe, 7), true);
  assert.equal(reader.hashEquals(0, probe, 7), false);
  assert.equal(reader.length, 2);
});

test('base chunks written record by record or as copied runs carry the exact count and prefix sum of their rows', async () => {
  await fc.assert(
    fc.asyncProperty(sortedKeys, fc.integer({ min: 1, max: 7 }), fc.nat(), async (keys, chunkRows, cut) => {
      const repo = await repository();
      const records = keys.map((k) => record(k, k));
      const source = new ChunkBuilder();
      records.forEach((r) => source.add(r));
      const reader = new ChunkReader(source.build());
      const at = records.length === 0 ? 0 : cut % records.length;
      const writer = new BaseChunkWriter(repo, 'demo/base-1', chunkRows);
      writer.addRecords(reader, 0, at);
      records.slice(at).forEach((r) => writer.add(r));
      await writer.flush();
      const chunks: StateRecord[][] = [];
      for (const ref of writer.written)
        chunks.push([...new ChunkReader(await repo.getObject(ref.path!)).records()]);
      assert.deepEqual(chunks.flat().map(plain), records.map(plain));
      writer.written.forEach((ref, i) => {
        const digest = digestOf(chunks[i]!);
        assert.equal(ref.count, digest.count);
        assert.equal(ref.sum, digest.sum.toString());
        assert.ok(ref.count <= chunkRows);
        assert.equal(ref.firstKey, i === 0 ? null : chunks[i]![0]!.key.toString('base64'));
      });
    }),
  );
});

/** A put or a delete of one key (puts of an absent key insert it). */
const change = fc.record({
  key: fc.integer({ min: 0, max: 210 }),
  kind: fc.constantFrom('put' as const, 'delete' as const),
  salt: fc.integer({ min: 1, max: 50 }),
});

/** A view over base chunks of `chunkRows` records with `keys`, with `changes` applied in its overlay. */
async function viewWithChanges(
  keys: readonly number[],
  chunkRows: number,
  changes: readonly { key: number; kind: 'put' | 'delete'; salt: number }[],
): Promise<HashStateView> {
  const repo = await repository();
  const writer = new BaseChunkWriter(repo, 'demo/base-1', chunkRows);
  keys.forEach((k) => writer.add(record(k)));
  await writer.flush();
  const view = await HashStateView.load(repo, { chunks: writer.written, overlays: [] });
  for (const c of changes) {
    const prev = await view.lookup(key(c.key));
    if (c.kind === 'delete') {
      if (prev) view.apply({ key: key(c.key), hash: null, version: null }, prev);
    } else view.apply(record(c.key, c.salt), prev);
  }
  return view;
}

test('scanning chunk readers yields the live records of base and overlays, as scanning records does', async () => {
  await fc.assert(
    fc.asyncProperty(
      sortedKeys,
      fc.integer({ min: 1, max: 6 }),
      fc.array(change, { maxLength: 30 }),
      async (keys, chunkRows, changes) => {
        const view = await viewWithChanges(keys, chunkRows, changes);
        const viaRecords: StateRecord[] = [];
        for await (const chunk of view.scanChunks()) viaRecords.push(...chunk);
        const viaReaders: StateRecord[] = [];
        for await (const reader of view.scanChunkReaders()) {
          assert.ok(reader.count > 0, 'no empty chunk');
          viaReaders.push(...reader.records());
        }
        assert.deepEqual(viaReaders.map(plain), viaRecords.map(plain));
      },
    ),
  );
});

test('the live records (and keys) in a key range are those a scan yields in that range, whatever the overlay holds', async () => {
  const bound = fc.option(fc.integer({ min: 0, max: 215 }), { nil: null });
  await fc.assert(
    fc.asyncProperty(
      sortedKeys,
      fc.integer({ min: 1, max: 6 }),
      fc.array(change, { maxLength: 40 }),
      fc.array(fc.tuple(bound, bound), { minLength: 1, maxLength: 6 }),
      async (keys, chunkRows, changes, ranges) => {
        const view = await viewWithChanges(keys, chunkRows, changes);
        const live: StateRecord[] = [];
        for await (const chunk of view.scanChunks()) live.push(...chunk);
        for (const [a, b] of ranges) {
          const from = a === null ? null : key(a);
          const to = b === null ? null : key(b);
          const expected = live.filter(
            (r) =>
              (from === null || Buffer.compare(r.key, from) >= 0) &&
              (to === null || Buffer.compare(r.key, to) < 0),
          );
          const got = await view.entriesInRange(from, to);
          assert.deepEqual(got.map(plain), expected.map(plain), `range [${a}, ${b})`);
          const keys = await view.keysInRange(from, to);
          assert.deepEqual(
            keys.map((k) => k.toString()),
            expected.map((r) => r.key.toString()),
            `keys of [${a}, ${b})`,
          );
        }
      },
    ),
  );
});
