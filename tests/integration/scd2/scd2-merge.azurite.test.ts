import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import type { ObjectStore } from '../../../shared/application/ports/object-store.port.js';
import type { KeyedStateDeps } from '../../../shared/application/lake-state/keyed-lake-state.js';
import {
  mergeDimensionChanges,
  readMemberHistory,
  type Scd2MergeReport,
} from '../../../shared/application/use-cases/scd2-merge.use-case.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { SCD2_HIGH_DATE, type DimensionChange } from '../../../shared/domain/scd2/dimension.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';
import { closeDuckDbLakes, duckDbLakeState, memoryLakeState } from '../../support/lake-state.js';
import {
  historyCases,
  KEY,
  patientSpec,
  runHistoryCase,
  summarise,
  up,
  del,
} from '../../unit/scd2/scd2-history-cases.js';
import { checkDeliveryOrderIndependence } from '../../unit/scd2/scd2-order-property.js';

const azurite = await testAzurite();
after(async () => {
  await closeDuckDbLakes();
  await azurite.stop();
});
const blobStore = (): ObjectStore => {
  const store = BlobObjectStore.fromConnectionString(azurite.connectionString);
  return store;
};
const shared = blobStore();
await shared.ensureContainers(['state']);
const lakeState = (store: ObjectStore = shared) => duckDbLakeState(store);
/** The racing writers stand in for separate processes: no in-process turn-taking. */
const asSeparateProcesses = { inProcessTurns: false } as const;
const tableName = (prefix: string) => uniqueName(prefix).replace(/[^a-z0-9]/g, '');
const deps = (state: KeyedStateDeps) => ({
  ...state,
  clock: fixedClock('2024-06-30T00:00:00Z'),
  logger: silentLogger,
});

describe('SCD2 merge on the lake (Azurite blobs, DuckDB Parquet): expected histories', () => {
  const state = lakeState();
  for (const c of historyCases) {
    test(c.name, async () => {
      const { versions, counts } = await runHistoryCase(state, tableName('scd'), c);
      assert.deepEqual(summarise(versions), c.expected);
      for (const [name, value] of Object.entries(c.counts ?? {}))
        assert.equal(counts[name], value, `count ${name}`);
      if (c.lastAttributes) assert.deepEqual(versions.at(-1)?.attributes, c.lastAttributes);
    });
  }
});

/** Makes every merge read the bucket head before any merge commits: a deterministic lost commit race. */
function raceOnHead(inner: ObjectStore, parties: number): () => KeyedStateDeps {
  let waiting: (() => void)[] = [];
  let arrived = 0;
  const barrier = () =>
    new Promise<void>((resolve) => {
      arrived++;
      waiting.push(resolve);
      if (arrived === parties) {
        waiting.forEach((r) => r());
        waiting = [];
      }
    });
  return () => {
    let first = true;
    const gated: ObjectStore = {
      ensureContainers: (c) => inner.ensureContainers(c),
      put: (c, p, b, o) => inner.put(c, p, b, o),
      putFile: (c, p, f, o) => inner.putFile(c, p, f, o),
      putStream: (c, p, b, o) => inner.putStream(c, p, b, o),
      get: (c, p) => inner.get(c, p),
      getVersioned: async (c, p) => {
        const got = await inner.getVersioned(c, p);
        if (c === 'state' && p.endsWith('head.json') && first) {
          first = false;
          await barrier();
        }
        return got;
      },
      getFile: (c, p, f) => inner.getFile(c, p, f),
      getStream: (c, p) => inner.getStream(c, p),
      exists: (c, p) => inner.exists(c, p),
      delete: (c, p) => inner.delete(c, p),
      list: (c, prefix) => inner.list(c, prefix),
    };
    return lakeState(gated);
  };
}

/** The history every delivery must converge to: each change once, in order, on the memory twin. */
async function sequentialHistory(changes: readonly DimensionChange[], deleteMode = 'new-record' as const) {
  const state = memoryLakeState();
  const spec = patientSpec('reference', { deleteMode });
  await mergeDimensionChanges(spec, changes, deps(state));
  return summarise(await readMemberHistory(spec, KEY, state));
}

describe('SCD2 merge on the lake (Azurite): concurrent batches on one key', () => {
  const month = (i: number) => `2024-${String(i).padStart(2, '0')}-01`;

  test('two batches racing to create the same member leave exactly one current row and one history', async () => {
    const table = tableName('race');
    const spec = patientSpec(table);
    const gated = raceOnHead(shared, 2);
    const batchA = [up('a1', month(1), { lsoa: 'A1' }), up('a3', month(3), { lsoa: 'A3' })];
    const batchB = [up('b2', month(2), { lsoa: 'B2' }), del('b4', month(4))];
    const reports: Scd2MergeReport[] = await Promise.all([
      mergeDimensionChanges(spec, batchA, deps(gated()), asSeparateProcesses),
      mergeDimensionChanges(spec, batchB, deps(gated()), asSeparateProcesses),
    ]);
    assert.equal(
      reports.reduce((n, r) => n + r.retries, 0),
      1,
      'both read the same head; exactly one lost the commit and re-planned',
    );
    const history = await readMemberHistory(spec, KEY, lakeState());
    assert.equal(history.filter((v) => v.isCurrent).length, 1);
    assert.deepEqual(summarise(history), await sequentialHistory([...batchA, ...batchB]));
  });

  test('two batches racing on an existing member: the loser re-reads, and a late change in it is stitched', async () => {
    const table = tableName('race');
    const spec = patientSpec(table);
    const seed = [up('s0', month(1), { lsoa: 'S0' })];
    await mergeDimensionChanges(spec, seed, deps(lakeState()));
    const gated = raceOnHead(shared, 2);
    const batchA = [up('a5', month(5), { lsoa: 'A5' })];
    const batchB = [up('b3', month(3), { lsoa: 'B3' }), up('b7', month(7), { lsoa: 'B7' })];
    const reports = await Promise.all([
      mergeDimensionChanges(spec, batchA, deps(gated()), asSeparateProcesses),
      mergeDimensionChanges(spec, batchB, deps(gated()), asSeparateProcesses),
    ]);
    assert.equal(reports[0].retries + reports[1].retries, 1);
    const history = await readMemberHistory(spec, KEY, lakeState());
    assert.deepEqual(summarise(history), await sequentialHistory([...seed, ...batchA, ...batchB]));
    assert.equal(history.filter((v) => v.isCurrent).length, 1);
  });

  test('many small batches from two writers at once converge to the in-order history without gaps or overlaps', async () => {
    const table = tableName('race');
    const spec = patientSpec(table);
    const store = lakeState();
    const day = (d: number) => `2024-01-${String(d).padStart(2, '0')}`;
    const writerA = Array.from({ length: 8 }, (_, i) => up(`a${i}`, day(2 * i + 1), { lsoa: `A${i}` }));
    const writerB = Array.from({ length: 8 }, (_, i) => up(`b${i}`, day(2 * i + 2), { lsoa: `B${i}` }));
    const run = async (changes: DimensionChange[]) => {
      let retries = 0;
      // Deliver newest first, so most of one writer's changes arrive late relative to the other's.
      for (const c of [...changes].reverse())
        retries += (await mergeDimensionChanges(spec, [c], deps(store), asSeparateProcesses)).retries;
      return retries;
    };
    await Promise.all([run(writerA), run(writerB)]);
    const history = await readMemberHistory(spec, KEY, store);
    assert.deepEqual(summarise(history), await sequentialHistory([...writerA, ...writerB]));
    assert.equal(history.filter((v) => v.isCurrent).length, 1);
    history.slice(1).forEach((v, i) => assert.equal(history[i]!.validTo, v.validFrom, 'no gap, no overlap'));
    assert.equal(history.at(-1)!.validTo, SCD2_HIGH_DATE);
  });
});

test('on the lake (Azurite), any delivery order, batching and duplication gives the in-order history', async () => {
  const prefix = tableName('prop');
  await checkDeliveryOrderIndependence(
    () => lakeState(),
    (run) => `${prefix}r${run}`,
    4,
  );
});
