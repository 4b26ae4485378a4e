import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import {
  compactionOf,
  KeyedLakeState,
  type KeyedStateDeps,
  type RunEntry,
} from '../../../shared/application/lake-state/keyed-lake-state.js';
import type { ParquetLake } from '../../../shared/application/ports/parquet-lake.port.js';
import type { ObjectStore } from '../../../shared/application/ports/object-store.port.js';
import type { PortableRow } from '../../../shared/domain/gold/portable-types.js';
import { closeDuckDbLakes, duckDbLakeState, memoryLakeState } from '../../support/lake-state.js';

const spec = {
  name: 'claims',
  buckets: 1,
  keyColumn: 'k',
  columns: [
    { name: 'k', type: 'string', nullable: false },
    { name: 'holder', type: 'string', nullable: false },
  ],
} as const;

/** First holder wins: rows only for keys nobody holds; the result is every key's holder. */
function claim(state: KeyedLakeState, keys: readonly string[], holder: string) {
  return state.update(keys, (existing: PortableRow[], bucketKeys) => {
    const held = new Map(existing.map((r) => [String(r.k), String(r.holder)]));
    const rows = bucketKeys.filter((k) => !held.has(k)).map((k) => ({ k, holder }));
    const result = new Map(bucketKeys.map((k) => [k, held.get(k) ?? holder]));
    return { rows, result };
  });
}

function runFiles(lake: MemoryObjectStore): string[] {
  return [...lake.objects.keys()].filter((k) => k.startsWith('state/claims/') && k.endsWith('.parquet'));
}

describe('keyed lake state', () => {
  test('updates of one bucket in one process take turns: concurrent claims never lose a commit race', async () => {
    const lake = new MemoryObjectStore();
    const writers = Array.from({ length: 4 }, () => new KeyedLakeState(spec, memoryLakeState(lake)));
    const results = await Promise.all(writers.map((w, i) => claim(w, ['shared', `own${i}`], `W${i}`)));
    const holders = new Set(results.map(([r]) => r?.get('shared')));
    assert.equal(holders.size, 1, 'every writer sees the same holder');
    assert.equal(
      writers.reduce((n, w) => n + w.stats.retries, 0),
      0,
    );
    assert.equal((await writers[0]!.read()).length, 5);
  });

  test('a later run replaces a key, other keys keep their rows, and unknown keys read as nothing', async () => {
    const state = new KeyedLakeState(spec, memoryLakeState());
    await state.update(['a', 'b'], (_e, keys) => ({
      rows: keys.map((k) => ({ k, holder: 'x' })),
      result: null,
    }));
    await state.update(['a'], () => ({ rows: [{ k: 'a', holder: 'y' }], result: null }));
    const rows = await state.read(['a', 'b', 'c']);
    assert.deepEqual(rows.map((r) => `${String(r.k)}=${String(r.holder)}`).sort(), ['a=y', 'b=x']);
  });

  for (const [twin, deps] of [
    ['memory twin', () => memoryLakeState()],
    ['DuckDB lake', () => duckDbLakeState(new MemoryObjectStore())],
  ] as const)
    test(`a filtered read (${twin}) keeps, over any number of buckets, only the selected rows of each key's latest run`, async () => {
      const kinds = {
        name: 'kinds',
        buckets: 7,
        keyColumn: 'k',
        columns: [
          { name: 'k', type: 'string', nullable: false },
          { name: 'kind', type: 'string', nullable: false },
          { name: 'n', type: 'string', nullable: false },
        ],
      } as const;
      const state = new KeyedLakeState(kinds, deps());
      try {
        const keys = Array.from({ length: 40 }, (_, i) => `m${i}`);
        // Every key: a 'v' row and two 'c' rows.
        await state.update(keys, (_e, bucketKeys) => ({
          rows: bucketKeys.flatMap((k) => [
            { k, kind: 'v', n: '1' },
            { k, kind: 'c', n: '1' },
            { k, kind: 'c', n: '2' },
          ]),
          result: null,
        }));
        // m0's latest run has change rows only: its older version row must not come back.
        await state.update(['m0'], () => ({ rows: [{ k: 'm0', kind: 'c', n: '3' }], result: null }));
        // m1's latest run replaces its version.
        await state.update(['m1'], () => ({
          rows: [
            { k: 'm1', kind: 'v', n: '2' },
            { k: 'm1', kind: 'c', n: '4' },
          ],
          result: null,
        }));
        const wanted = [...keys, 'unknown'];
        const versions = await state.read(wanted, { column: 'kind', equals: 'v' });
        const expected = keys.filter((k) => k !== 'm0').map((k) => `${k}=v${k === 'm1' ? 2 : 1}`);
        assert.deepEqual(
          versions.map((r) => `${String(r.k)}=${String(r.kind)}${String(r.n)}`).sort(),
          expected.sort(),
        );
        // Unfiltered, the same keys read every row of their latest runs.
        const all = await state.read(wanted);
        assert.equal(all.length, 38 * 3 + 1 + 2);
        // A full read (no keys) takes the filter too.
        assert.equal((await state.read(undefined, { column: 'kind', equals: 'v' })).length, 39);
      } finally {
        await closeDuckDbLakes();
      }
    });

  test('a plan with no rows writes nothing', async () => {
    const lake = new MemoryObjectStore();
    const state = new KeyedLakeState(spec, memoryLakeState(lake));
    await state.update(['a'], () => ({ rows: [], result: null }));
    assert.equal(lake.objects.size, 0);
    assert.equal(state.stats.runsWritten, 0);
  });

  test('compaction keeps every key and leaves the bucket with one run', async () => {
    const lake = new MemoryObjectStore();
    const state = new KeyedLakeState(spec, memoryLakeState(lake));
    for (let i = 0; i < 20; i++) await claim(state, [`k${i}`, `k${i + 1}`], `w${i}`);
    assert.ok(state.stats.compactions >= 1);
    assert.ok(runFiles(lake).length < 8, `runs left: ${runFiles(lake).length}`);
    const rows = await state.read();
    assert.equal(rows.length, 21);
    assert.equal(
      rows.find((r) => r.k === 'k5')?.holder,
      'w4',
      'the first holder is kept through compactions',
    );
  });

  test('buckets compacted together in one engine pass (DuckDB lake) each keep exactly their keys and first holders, and stay under the run ceiling', async () => {
    const lake = new MemoryObjectStore();
    const deps = duckDbLakeState(lake);
    try {
      const many = { ...spec, name: 'claims', buckets: 8 };
      const state = new KeyedLakeState(many, deps);
      const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
      // Five updates touching every bucket: every bucket reaches the size-tiered threshold at once.
      for (let round = 0; round < 5; round++)
        await claim(
          state,
          keys.filter((_, i) => i % 5 === round || i % 7 === round),
          `r${round}`,
        );
      assert.ok(state.stats.compactions >= 8, `compactions: ${state.stats.compactions}`);
      const rows = await state.read();
      assert.equal(rows.length, new Set(rows.map((r) => r.k)).size, 'one row per key');
      const expected = keys.filter((_, i) => [0, 1, 2, 3, 4].some((r) => i % 5 === r || i % 7 === r));
      assert.deepEqual(rows.map((r) => String(r.k)).sort(), [...expected].sort());
      const firstRound = (i: number) => [0, 1, 2, 3, 4].find((r) => i % 5 === r || i % 7 === r);
      for (const row of rows) {
        const i = Number(String(row.k).slice(4));
        assert.equal(row.holder, `r${firstRound(i)}`, `first holder of ${String(row.k)}`);
      }
      for (let bucket = 0; bucket < many.buckets; bucket++) {
        const head = JSON.parse(
          (await lake.get('state', `claims/bucket=${String(bucket).padStart(3, '0')}/head.json`))!.toString(
            'utf8',
          ),
        ) as { runs: unknown[] };
        assert.ok(head.runs.length < 8, `bucket ${bucket} runs: ${head.runs.length}`);
      }
    } finally {
      await closeDuckDbLakes();
    }
  });

  for (const compacting of [false, true])
    test(`a writer holding a stale head cannot commit over a newer commit${compacting ? ' and compaction' : ''}: it re-reads and re-plans`, async () => {
      const lake = new MemoryObjectStore();
      const base = memoryLakeState(lake);
      // The two writers stand in for separate processes: no in-process turn-taking between them.
      const writerA = new KeyedLakeState(spec, base, { inProcessTurns: false });
      // With two runs already, A's next commit compacts (runs ≥ 3 and the smaller ones hold as many rows).
      await claim(writerA, ['a1'], 'A');
      if (compacting) await claim(writerA, ['a2'], 'A');
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let headsRead = 0;
      let readFirstHead: () => void = () => undefined;
      const firstHeadRead = new Promise<void>((resolve) => (readFirstHead = resolve));
      const stalled: ObjectStore = Object.assign(Object.create(lake) as ObjectStore, {
        getVersioned: async (c: string, p: string) => {
          const got = await lake.getVersioned(c, p);
          if (p.endsWith('head.json') && ++headsRead === 1) {
            readFirstHead();
            await gate; // B holds a stale head while A commits (and compacts)
          }
          return got;
        },
      });
      const writerB = new KeyedLakeState(spec, { ...base, lake: stalled } satisfies KeyedStateDeps, {
        inProcessTurns: false,
      });
      const b = claim(writerB, ['d'], 'B');
      await firstHeadRead;
      await claim(writerA, ['d'], 'A');
      assert.equal(writerA.stats.compactions >= 1, compacting);
      release();
      const [holders] = await b;
      assert.equal(holders?.get('d'), 'A', 'B sees the holder A committed');
      assert.equal(writerB.stats.runsWritten, 0, 'B committed nothing');
      // Without compaction B's plan reaches the commit and loses it; with one, the runs B listed are
      // gone and B re-reads before planning. Either way no second holder exists.
      if (!compacting) assert.equal(writerB.stats.retries, 1);
      assert.deepEqual(await writerA.read(['d']), [{ k: 'd', holder: 'A' }]);
      assert.equal(runFiles(lake).length, compacting ? 1 : 2, 'the loser left no run behind');
    });

  describe('compaction', () => {
    const runs = (...rows: number[]): RunEntry[] =>
      rows.map((n, i) => ({ path: `r${i + 1}`, generation: i + 1, rows: n }));
    const paths = (picked: readonly RunEntry[] | undefined) => picked?.map((r) => r.path) ?? null;

    test('size-tiered: all runs once the smaller ones hold as many rows as the largest; else, at 8 runs, only the runs after the largest', () => {
      assert.equal(paths(compactionOf(runs(100))), null, 'one run: nothing to merge');
      assert.equal(paths(compactionOf(runs(100, 5, 5))), null, 'few small runs wait');
      assert.deepEqual(
        paths(compactionOf(runs(10, 6, 5))),
        ['r1', 'r2', 'r3'],
        'the rest outweighs the largest',
      );
      assert.deepEqual(
        paths(compactionOf(runs(1_000_000, 9, 9, 9, 9, 9, 9, 9))),
        ['r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'],
        'eight runs: the small recent ones, never the large one',
      );
      assert.deepEqual(
        paths(compactionOf(runs(3, 1_000_000, 9, 9, 9, 9, 9, 9))),
        ['r3', 'r4', 'r5', 'r6', 'r7', 'r8'],
        'a contiguous stretch after the largest',
      );
      assert.equal(
        compactionOf(runs(9, 9, 9, 9, 9, 9, 9, 1_000_000))?.length,
        8,
        'the largest last: nothing after it to merge, so all',
      );
    });

    test('a large bucket is not rewritten by small writes: after many small claims the large run is still the one first written', async () => {
      const lake = new MemoryObjectStore();
      const state = new KeyedLakeState(spec, memoryLakeState(lake));
      await claim(
        state,
        Array.from({ length: 500 }, (_, i) => `big${i}`),
        'first',
      );
      const [bigRun] = runFiles(lake);
      for (let i = 0; i < 30; i++) await claim(state, [`small${i}`], `s${i}`);
      assert.ok(state.stats.compactions >= 3, `compactions: ${state.stats.compactions}`);
      assert.ok(runFiles(lake).includes(bigRun!), 'the large run was never rewritten');
      assert.ok(runFiles(lake).length < 8, `runs left: ${runFiles(lake).length}`);
      const rows = await state.read();
      assert.equal(rows.length, 530);
      assert.equal(rows.find((r) => r.k === 'small7')?.holder, 's7');
    });

    test('a compaction holds nobody back: a write committed while it runs stays listed after the merged run and outranks it', async () => {
      const lake = new MemoryObjectStore();
      const base = memoryLakeState(lake);
      let openGate: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      let entered: () => void = () => undefined;
      const compactionStarted = new Promise<void>((resolve) => (entered = resolve));
      const parquet: ParquetLake = Object.assign(Object.create(base.parquet) as ParquetLake, {
        compactMany: async (...args: Parameters<ParquetLake['compactMany']>) => {
          entered();
          await gate;
          return base.parquet.compactMany(...args);
        },
      });
      const state = new KeyedLakeState(spec, { ...base, parquet });
      const set = (keys: readonly string[], holder: string) =>
        state.update(keys, (_existing, bucketKeys) => ({
          rows: bucketKeys.map((k) => ({ k, holder })),
          result: null,
        }));
      await set(
        Array.from({ length: 100 }, (_, i) => `k${i}`),
        'v0',
      );
      for (let i = 1; i < 7; i++) await set([`k${i}`], `v${i}`);
      // The eighth run makes the bucket due: its update returns once the compaction is done.
      const eighth = set(['k7'], 'v7');
      await compactionStarted;
      // Meanwhile, the same process writes k1 again: it does not wait for the compaction.
      await set(['k1'], 'after');
      openGate();
      await eighth;
      assert.equal(state.stats.compactions, 1);
      const head = JSON.parse((await lake.get('state', 'claims/bucket=000/head.json'))!.toString('utf8')) as {
        runs: { path: string; generation: number }[];
      };
      assert.equal(head.runs.length, 3, 'the large run, the merged run, the run written meanwhile');
      assert.deepEqual(
        head.runs.map((r) => r.generation),
        [1, 8, 9],
        'the merged run is ranked as the newest run it replaced',
      );
      assert.deepEqual(
        (await state.read(['k0', 'k1', 'k6', 'k7'])).map((r) => `${String(r.k)}=${String(r.holder)}`).sort(),
        ['k0=v0', 'k1=after', 'k6=v6', 'k7=v7'],
      );
      assert.equal(runFiles(lake).length, 3, 'the merged runs were removed');
    });
  });

  describe('hold: one read for a read-then-write', () => {
    const firstHolder = (holder: string) => (existing: PortableRow[], keys: readonly string[]) => {
      const held = new Map(existing.map((r) => [String(r.k), String(r.holder)]));
      return {
        rows: keys.filter((k) => !held.has(k)).map((k) => ({ k, holder })),
        result: new Map(keys.map((k) => [k, held.get(k) ?? holder])),
      };
    };
    const buckets4 = { ...spec, buckets: 4 };

    test('the update plans on the held read: no second read, and the rows land as update would put them', async () => {
      const state = new KeyedLakeState(buckets4, memoryLakeState());
      await claim(state, ['a', 'b'], 'earlier');
      const held = await state.hold(['a', 'c', 'd', 'e']);
      assert.deepEqual(
        held.rows.map((r) => `${String(r.k)}=${String(r.holder)}`),
        ['a=earlier'],
      );
      const readBefore = state.stats.bucketsRead;
      const [result] = await held.update(['c'], firstHolder('H'));
      await held.release();
      assert.equal(state.stats.bucketsRead, readBefore, 'the update read nothing again');
      assert.equal(result?.get('c'), 'H');
      assert.deepEqual(
        (await state.read(['a', 'b', 'c', 'd'])).map((r) => `${String(r.k)}=${String(r.holder)}`).sort(),
        ['a=earlier', 'b=earlier', 'c=H'],
      );
    });

    test("another writer's commit after the hold read is seen: the update reads again and the first holder keeps the key", async () => {
      const lake = new MemoryObjectStore();
      const mine = new KeyedLakeState(buckets4, memoryLakeState(lake));
      // Another process (no shared in-process turns) claims between the hold's read and its update.
      const other = new KeyedLakeState(buckets4, memoryLakeState(lake), { inProcessTurns: false });
      const held = await mine.hold(['x', 'y']);
      assert.deepEqual(held.rows, []);
      await claim(other, ['x'], 'OTHER');
      const results = await held.update(['x', 'y'], firstHolder('MINE'));
      await held.release();
      const holders = new Map(results.flatMap((m) => [...m]));
      assert.equal(holders.get('x'), 'OTHER', 'the first holder keeps x');
      assert.equal(holders.get('y'), 'MINE');
      assert.deepEqual(
        (await mine.read(['x', 'y'])).map((r) => `${String(r.k)}=${String(r.holder)}`).sort(),
        ['x=OTHER', 'y=MINE'],
      );
    });

    test("this process's updates of held buckets wait for the release; keys the hold did not read are refused", async () => {
      const lake = new MemoryObjectStore();
      const state = new KeyedLakeState(spec, memoryLakeState(lake));
      const held = await state.hold(['p']);
      let waited = true;
      const later = claim(new KeyedLakeState(spec, memoryLakeState(lake)), ['p'], 'LATER').then((r) => {
        waited = false;
        return r;
      });
      await held.update(['p'], firstHolder('HOLDER'));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(waited, true, 'the other update is still waiting for the turn');
      await held.release();
      const [result] = await later;
      assert.equal(result?.get('p'), 'HOLDER', 'it ran after the release and saw the holder');
      const split = new KeyedLakeState(buckets4, memoryLakeState());
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      const inOne = keys.filter((k) => split.bucketOf(k) === split.bucketOf('k0'));
      const elsewhere = keys.find((k) => split.bucketOf(k) !== split.bucketOf('k0'))!;
      const partial = await split.hold(inOne);
      await assert.rejects(partial.update([elsewhere], firstHolder('Z')), /did not read/);
      await partial.release();
      await partial.release(); // idempotent
    });
  });
});
