import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareKeys, type StateRecord } from '../../../shared/domain/capture/hash-state-chunk.js';
import {
  bisectKeys,
  bisectRange,
  digestOf,
  orderRanges,
  rangeAgrees,
} from '../../../shared/domain/capture/range-bisection.js';

const key = (i: number) => Buffer.from(`K${String(i).padStart(6, '0')}`);
const record = (i: number, salt = ''): StateRecord => ({
  key: key(i),
  hash: createHash('sha256').update(`${i}${salt}`).digest(),
  version: String(i),
});

test('a range agrees when count and sum match; counting only ignores the sum', () => {
  const digest = digestOf([record(1), record(2)]);
  assert.equal(rangeAgrees(digest, { count: 2, sum: digest.sum.toString() }, false), true);
  assert.equal(rangeAgrees(digest, { count: 2, sum: '0' }, false), false);
  assert.equal(rangeAgrees(digest, { count: 2, sum: '0' }, true), true);
  assert.equal(rangeAgrees(digest, { count: 3, sum: digest.sum.toString() }, true), false);
});

test('the digest is the count and the exact sum of the signed 64-bit hash prefixes', () => {
  const records = [record(1), record(2), record(3)];
  assert.deepEqual(digestOf(records), {
    count: 3,
    sum: records.reduce((n, r) => n + r.hash!.readBigInt64BE(0), 0n),
  });
  assert.deepEqual(digestOf([]), { count: 0, sum: 0n });
});

test('a range with few rows on either side is a leaf', () => {
  const entries = Array.from({ length: 10 }, (_, i) => record(i));
  const range = { from: null, to: null, digest: digestOf(entries), entries };
  assert.equal(bisectRange(range, 50, { leafRows: 10, fanOut: 4 }), null, 'state side small');
  assert.equal(bisectRange(range, 3, { leafRows: 5, fanOut: 4 }), null, 'source side small');
  assert.notEqual(bisectRange(range, 50, { leafRows: 5, fanOut: 4 }), null);
});

test('a split covers the range exactly with contiguous parts cut at state keys, each with its own digest', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 200 }),
      fc.integer({ min: 2, max: 16 }),
      fc.boolean(),
      fc.boolean(),
      (n, fanOut, openBelow, openAbove) => {
        const entries = Array.from({ length: n }, (_, i) => record(i + 1));
        const from = openBelow ? null : key(0);
        const to = openAbove ? null : key(n + 1);
        const parts = bisectRange({ from, to, digest: digestOf(entries), entries }, n, {
          leafRows: 1,
          fanOut,
        })!;
        assert.equal(parts.length, Math.min(fanOut, n));
        assert.equal(parts[0]!.from, from);
        assert.equal(parts.at(-1)!.to, to);
        for (let p = 1; p < parts.length; p++) {
          assert.equal(compareKeys(parts[p - 1]!.to!, parts[p]!.from!), 0, 'contiguous');
          assert.equal(compareKeys(parts[p]!.from!, parts[p]!.entries[0]!.key), 0, 'cut at a state key');
        }
        assert.deepEqual(
          parts.flatMap((p) => p.entries),
          entries,
        );
        for (const p of parts) assert.deepEqual(p.digest, digestOf(p.entries));
        const total = parts.reduce((sum, p) => sum + p.digest.sum, 0n);
        assert.equal(total, digestOf(entries).sum, 'digests are additive');
      },
    ),
  );
});

test('counting only, a range is cut at the same keys as when its records are loaded, and its leaves are the same', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 2, max: 16 }),
      fc.boolean(),
      (n, sourceCount, leafRows, fanOut, openBelow) => {
        const entries = Array.from({ length: n }, (_, i) => record(i + 1));
        const from = openBelow ? null : key(0);
        const options = { leafRows, fanOut };
        const byRecords = bisectRange(
          { from, to: null, digest: digestOf(entries), entries },
          sourceCount,
          options,
        );
        const byKeys = bisectKeys({ from, to: null, keys: entries.map((e) => e.key) }, sourceCount, options);
        assert.deepEqual(
          byKeys?.map((p) => ({ from: p.from, to: p.to, keys: p.keys })) ?? null,
          byRecords?.map((p) => ({ from: p.from, to: p.to, keys: p.entries.map((e) => e.key) })) ?? null,
        );
      },
    ),
  );
});

test('ranges are ordered by their lower bound, the one open below first', () => {
  const ordered = orderRanges([{ from: key(5) }, { from: null }, { from: key(2) }]);
  assert.deepEqual(
    ordered.map((r) => r.from?.toString() ?? null),
    [null, key(2).toString(), key(5).toString()],
  );
});
