import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { mergeSortedArrays, mergeSortedRuns } from '../../../shared/domain/capture/merge-join.js';

type Visit = ['source', number] | ['state', number] | ['both', number, number];

/** Cuts a sorted array into pages of the given sizes, cycling through them (0 makes an empty page). */
function paged<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const cycle = sizes.some((size) => size > 0) ? sizes : [1];
  const pages: T[][] = [];
  let at = 0;
  for (let k = 0; at < items.length; k++) {
    const size = cycle[k % cycle.length]!;
    pages.push(items.slice(at, at + size));
    at += size;
  }
  return pages;
}

async function* stream<T>(pages: readonly T[][]): AsyncGenerator<T[]> {
  for (const page of pages) yield page;
}

/** What a merge must visit: the set-based answer over the union of keys. */
function expected(source: readonly number[], state: readonly number[]): Visit[] {
  const keys = [...new Set([...source, ...state])].sort((a, b) => a - b);
  return keys.map((k): Visit => {
    const inSource = source.includes(k);
    const inState = state.includes(k);
    return inSource && inState ? ['both', k, k] : inSource ? ['source', k] : ['state', k];
  });
}

async function mergeRuns(source: number[][], state: number[][]): Promise<Visit[]> {
  const seen: Visit[] = [];
  await mergeSortedRuns(stream(source), stream(state), (s, i, t, j) => s[i]! - t[j]!, {
    sourceOnly: (s, i) => void seen.push(['source', s[i]!]),
    stateOnly: (t, j) => void seen.push(['state', t[j]!]),
    both: (s, i, t, j) => void seen.push(['both', s[i]!, t[j]!]),
  });
  return seen;
}

const sortedSet = fc
  .uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 })
  .map((a) => a.sort((x, y) => x - y));
const pageSizes = fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 5 });

test('a merge of paged runs visits every key once, in key order, as source only, state only or both, whatever the page sizes', async () => {
  await fc.assert(
    fc.asyncProperty(sortedSet, sortedSet, pageSizes, pageSizes, async (source, state, sp, tp) => {
      assert.deepEqual(await mergeRuns(paged(source, sp), paged(state, tp)), expected(source, state));
    }),
    { numRuns: 300 },
  );
});

test('a merge of two sorted arrays visits the same keys as the paged merge', () => {
  fc.assert(
    fc.property(sortedSet, sortedSet, (source, state) => {
      const seen: Visit[] = [];
      mergeSortedArrays(source, state, (s, t) => s - t, {
        sourceOnly: (s) => void seen.push(['source', s]),
        stateOnly: (t) => void seen.push(['state', t]),
        both: (s, t) => void seen.push(['both', s, t]),
      });
      assert.deepEqual(seen, expected(source, state));
    }),
  );
});

test('empty runs and empty pages: everything on the other side is visited alone', async () => {
  assert.deepEqual(await mergeRuns([], []), []);
  assert.deepEqual(await mergeRuns([[], [1, 2], []], []), [
    ['source', 1],
    ['source', 2],
  ]);
  assert.deepEqual(await mergeRuns([], [[], [], [3]]), [['state', 3]]);
});

test('a visitor that returns a promise is awaited before the next key is visited', async () => {
  const order: string[] = [];
  await mergeSortedRuns(stream([[1, 2]]), stream([[2]]), (s, i, t, j) => s[i]! - t[j]!, {
    sourceOnly: async (s, i) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(`source ${s[i]}`);
    },
    stateOnly: (t, j) => void order.push(`state ${t[j]}`),
    both: (s, i) => void order.push(`both ${s[i]}`),
  });
  assert.deepEqual(order, ['source 1', 'both 2']);
});

test('when a visitor throws, the merge stops and closes both streams', async () => {
  const closed: string[] = [];
  async function* tracked(name: string, pages: number[][]): AsyncGenerator<number[]> {
    try {
      for (const page of pages) yield page;
    } finally {
      closed.push(name);
    }
  }
  await assert.rejects(
    mergeSortedRuns(
      tracked('source', [[1], [2], [3]]),
      tracked('state', [[1], [2], [3]]),
      (s, i, t, j) => s[i]! - t[j]!,
      {
        sourceOnly: () => undefined,
        stateOnly: () => undefined,
        both: (s, i) => {
          if (s[i] === 2) throw new Error('stop');
        },
      },
    ),
    /stop/,
  );
  assert.deepEqual(closed.sort(), ['source', 'state']);
});
