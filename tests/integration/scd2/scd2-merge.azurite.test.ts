import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TableStateStore } from '../../../shared/adapters/azure/table-state-store.azure.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import type {
  StateEntity,
  StateOperation,
  StateStore,
  StateValue,
} from '../../../shared/application/ports/state-store.port.js';
import {
  mergeDimensionChanges,
  readMemberHistory,
  type Scd2MergeReport,
} from '../../../shared/application/use-cases/scd2-merge.use-case.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { SCD2_HIGH_DATE, type DimensionChange } from '../../../shared/domain/scd2/dimension.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';
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
after(() => azurite.stop());
const tableStore = () => TableStateStore.fromConnectionString(azurite.connectionString);
const tableName = (prefix: string) => uniqueName(prefix).replace(/[^a-z0-9]/g, '');
const deps = (state: StateStore) => ({
  state,
  clock: fixedClock('2024-06-30T00:00:00Z'),
  logger: silentLogger,
});

describe('SCD2 merge on Table storage (Azurite): expected histories', () => {
  const state = tableStore();
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

/** Makes every merge read the pointer before any merge writes: a deterministic lost race. */
function raceOnPointer(inner: StateStore, parties: number): () => StateStore {
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
    return {
      ensureTables: (t) => inner.ensureTables(t),
      get: async <T extends StateValue>(table: string, pk: string, rk: string) => {
        const got = await inner.get<T>(table, pk, rk);
        if (rk === 'current' && first) {
          first = false;
          await barrier();
        }
        return got;
      },
      insert: (t, pk, rk, v) => inner.insert(t, pk, rk, v),
      upsert: (t, pk, rk, v, e) => inner.upsert(t, pk, rk, v, e),
      delete: (t, pk, rk, e) => inner.delete(t, pk, rk, e),
      list: <T extends StateValue>(t: string, pk: string, r?: { fromRowKey?: string; toRowKey?: string }) =>
        inner.list<T>(t, pk, r),
      transact: (t: string, pk: string, ops: readonly StateOperation[]) => inner.transact(t, pk, ops),
    };
  };
}

async function rawRows(state: StateStore, table: string): Promise<StateEntity<StateValue>[]> {
  const rows: StateEntity<StateValue>[] = [];
  for await (const row of state.list(table, KEY)) rows.push(row);
  return rows;
}

/** The history every delivery must converge to: each change once, in order, on the memory twin. */
async function sequentialHistory(changes: readonly DimensionChange[], deleteMode = 'new-record' as const) {
  const state = new MemoryStateStore();
  const spec = patientSpec('reference', { deleteMode });
  await mergeDimensionChanges(spec, changes, deps(state));
  return summarise(await readMemberHistory(spec, KEY, { state }));
}

describe('SCD2 merge on Table storage (Azurite): concurrent batches on one key', () => {
  const month = (i: number) => `2024-${String(i).padStart(2, '0')}-01`;

  test('two batches racing to create the same member leave exactly one current row and one history', async () => {
    const table = tableName('race');
    const spec = patientSpec(table);
    const store = tableStore();
    const gated = raceOnPointer(store, 2);
    const batchA = [up('a1', month(1), { lsoa: 'A1' }), up('a3', month(3), { lsoa: 'A3' })];
    const batchB = [up('b2', month(2), { lsoa: 'B2' }), del('b4', month(4))];
    const reports: Scd2MergeReport[] = await Promise.all([
      mergeDimensionChanges(spec, batchA, deps(gated())),
      mergeDimensionChanges(spec, batchB, deps(gated())),
    ]);
    assert.equal(
      reports.reduce((n, r) => n + r.retries, 0),
      1,
      'both read an absent pointer; exactly one lost and re-planned',
    );
    const rows = await rawRows(store, table);
    const versions = rows.filter((r) => r.rowKey.startsWith('v|'));
    const current = versions.filter((r) => r.value.is_current === true);
    assert.equal(current.length, 1);
    assert.equal(rows.find((r) => r.rowKey === 'current')?.value.current_row_key, current[0]!.rowKey);
    assert.deepEqual(
      summarise(await readMemberHistory(spec, KEY, { state: store })),
      await sequentialHistory([...batchA, ...batchB]),
    );
  });

  test('two batches racing on an existing member: the loser re-reads, and a late change in it is stitched', async () => {
    const table = tableName('race');
    const spec = patientSpec(table);
    const store = tableStore();
    const seed = [up('s0', month(1), { lsoa: 'S0' })];
    await mergeDimensionChanges(spec, seed, deps(store));
    const gated = raceOnPointer(store, 2);
    const batchA = [up('a5', month(5), { lsoa: 'A5' })];
    const batchB = [up('b3', month(3), { lsoa: 'B3' }), up('b7', month(7), { lsoa: 'B7' })];
    const reports = await Promise.all([
      mergeDimensionChanges(spec, batchA, deps(gated())),
      mergeDimensionChanges(spec, batchB, deps(gated())),
    ]);
    assert.equal(reports[0].retries + reports[1].retries, 1);
    const history = await readMemberHistory(spec, KEY, { state: store });
    assert.deepEqual(summarise(history), await sequentialHistory([...seed, ...batchA, ...batchB]));
    assert.equal(history.filter((v) => v.isCurrent).length, 1);
  });

  test('many small batches from two writers at once converge to the in-order history without gaps or overlaps', async () => {
    const table = tableName('race');
    const spec = patientSpec(table);
    const store = tableStore();
    const day = (d: number) => `2024-01-${String(d).padStart(2, '0')}`;
    const writerA = Array.from({ length: 8 }, (_, i) => up(`a${i}`, day(2 * i + 1), { lsoa: `A${i}` }));
    const writerB = Array.from({ length: 8 }, (_, i) => up(`b${i}`, day(2 * i + 2), { lsoa: `B${i}` }));
    const run = async (changes: DimensionChange[]) => {
      let retries = 0;
      // Deliver newest first, so most of one writer's changes arrive late relative to the other's.
      for (const c of [...changes].reverse())
        retries += (await mergeDimensionChanges(spec, [c], deps(store))).retries;
      return retries;
    };
    await Promise.all([run(writerA), run(writerB)]);
    const history = await readMemberHistory(spec, KEY, { state: store });
    assert.deepEqual(summarise(history), await sequentialHistory([...writerA, ...writerB]));
    assert.equal(history.filter((v) => v.isCurrent).length, 1);
    history.slice(1).forEach((v, i) => assert.equal(history[i]!.validTo, v.validFrom, 'no gap, no overlap'));
    assert.equal(history.at(-1)!.validTo, SCD2_HIGH_DATE);
  });
});

test('on Table storage, any delivery order, batching and duplication gives the in-order history', async () => {
  const prefix = tableName('prop');
  await checkDeliveryOrderIndependence(tableStore, (run) => `${prefix}r${run}`, 4);
});
