import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import type { KeyedStateDeps } from '../../../shared/application/lake-state/keyed-lake-state.js';
import { memoryLakeState } from '../../support/lake-state.js';
import {
  mergeDimensionChanges,
  readDimension,
} from '../../../shared/application/use-cases/scd2-merge.use-case.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger, silentLogger } from '../../../shared/application/ports/logger.port.js';
import { InfrastructureError, InputError } from '../../../shared/domain/errors.js';
import { historyCases, patientSpec, runHistoryCase, summarise, up, del } from './scd2-history-cases.js';

const deps = (state: KeyedStateDeps = memoryLakeState()) => ({
  ...state,
  clock: fixedClock('2024-06-30T00:00:00Z'),
  logger: silentLogger,
});

describe('SCD2 merge on the memory twin: expected histories', () => {
  for (const c of historyCases) {
    test(c.name, async () => {
      const { versions, counts } = await runHistoryCase(memoryLakeState(), 'patientdim', c);
      assert.deepEqual(summarise(versions), c.expected);
      for (const [name, value] of Object.entries(c.counts ?? {}))
        assert.equal(counts[name], value, `count ${name}`);
      if (c.lastAttributes) assert.deepEqual(versions.at(-1)?.attributes, c.lastAttributes);
    });
  }
});

describe('SCD2 merge on the memory twin: batches', () => {
  test('a batch touching many members merges each and readDimension returns every version', async () => {
    const d = deps();
    const spec = patientSpec('patientdim');
    const changes = Array.from({ length: 50 }, (_, i) => [
      up(`a${i}`, '2024-01-01', { sex: '2', lsoa: `E0100${i}`, gp_practice: 'D82044' }, `tok_${i}`),
      up(`b${i}`, '2024-02-01', { sex: '2', lsoa: `E0200${i}`, gp_practice: 'D82044' }, `tok_${i}`),
    ]).flat();
    const report = await mergeDimensionChanges(spec, changes.reverse(), d);
    assert.equal(report.members, 50);
    assert.equal(report.inserted, 50);
    assert.equal(report.updated, 50);
    assert.ok(
      report.runsWritten >= 1 && report.runsWritten <= 16,
      'one run per touched bucket, not per member',
    );
    const again = await mergeDimensionChanges(spec, changes, d);
    assert.equal(again.duplicates, 100);
    assert.equal(again.runsWritten, 0, 'a redelivered batch writes nothing');
    assert.equal(again.bucketsRead, report.runsWritten, 'and reads each touched bucket once');
    assert.equal(report.lateStitched, 0, 'changes of one batch are ordered before merging, so none is late');
    const all = [];
    for await (const v of readDimension(spec, d)) all.push(v);
    assert.equal(all.length, 100);
    assert.equal(all.filter((v) => v.isCurrent).length, 50);
  });

  test('surrogate keys are the same when the same changes are merged into a fresh store', async () => {
    const spec = patientSpec('patientdim');
    const changes = [up('c1', '2024-01-01', { lsoa: 'x' }), up('c2', '2024-02-01', { lsoa: 'y' })];
    const keys = [];
    for (const d of [deps(), deps()]) {
      await mergeDimensionChanges(spec, changes, d);
      const versions = [];
      for await (const v of readDimension(spec, d)) versions.push(v.surrogateKey);
      keys.push(versions);
    }
    assert.deepEqual(keys[0], keys[1]);
    assert.equal(new Set(keys[0]).size, 2);
  });

  test('a member with many changes in one batch is merged whole in one bucket run', async () => {
    const d = deps();
    const spec = patientSpec('patientdim');
    const changes = Array.from({ length: 130 }, (_, i) =>
      up(`c${String(i).padStart(3, '0')}`, new Date(Date.UTC(2020, 0, 1 + i)).toISOString(), {
        lsoa: `L${i}`,
      }),
    );
    const report = await mergeDimensionChanges(spec, changes, d);
    assert.equal(report.inserted + report.updated, 130);
    assert.equal(report.runsWritten, 1);
    const all = [];
    for await (const v of readDimension(spec, d)) all.push(v);
    assert.equal(all.length, 130);
  });

  test('a malformed change fails the whole batch before anything is written, naming the change not the value', async () => {
    const d = deps();
    const spec = patientSpec('patientdim');
    await assert.rejects(
      mergeDimensionChanges(
        spec,
        [
          up('c1', '2024-01-01', { lsoa: 'E01000001' }),
          { ...up('c2', '2024-02-01', {}), effectiveAt: '2024-02-01 10:00' },
        ],
        d,
      ),
      (error: unknown) =>
        error instanceof InputError &&
        error.message ===
          "scd2: change c2 field 'effectiveAt' expected an ISO date (YYYY-MM-DD) or an instant with an offset (YYYY-MM-DDTHH:mm[:ss[.fff]] then Z or ±hh:mm) on a real calendar date, received text that is not in that form",
    );
    const all = [];
    for await (const v of readDimension(spec, d)) all.push(v);
    assert.equal(all.length, 0);
  });

  test('a conflicting redelivery is logged with its change id and no attribute value', async () => {
    const logger = memoryLogger();
    const d = { ...deps(), logger };
    const spec = patientSpec('patientdim');
    await mergeDimensionChanges(spec, [up('c1', '2024-01-01', { lsoa: 'E01000001' })], d);
    await mergeDimensionChanges(spec, [up('c1', '2024-01-01', { lsoa: 'E01000777' })], d);
    const warning = logger.records.find((r) => r.fields.code === 'SCD2_CHANGE_CONFLICT');
    assert.equal(warning?.fields.changeId, 'c1');
    assert.ok(!JSON.stringify(logger.records).includes('E01000777'));
  });

  test('a delete of an unknown member in new-record mode writes no version', async () => {
    const d = deps();
    const spec = patientSpec('patientdim');
    const report = await mergeDimensionChanges(spec, [del('d1', '2024-01-01')], d);
    assert.equal(report.unchanged, 1);
    const all = [];
    for await (const v of readDimension(spec, d)) all.push(v);
    assert.deepEqual(all, []);
  });
});

test('a storage failure fails the whole batch, and retrying the batch gives the history of one clean run', async () => {
  const spec = patientSpec('patientdim');
  const changes = Array.from({ length: 40 }, (_, i) => [
    up(`a${i}`, '2024-01-01', { lsoa: `A${i}` }, `tok_${i}`),
    up(`b${i}`, '2024-02-01', { lsoa: `B${i}` }, `tok_${i}`),
  ]).flat();
  const objects = new MemoryObjectStore();
  const put = objects.put.bind(objects);
  let writes = 0;
  objects.put = async (container, path, body, options) => {
    // The third bucket commit (head replacement) fails once, after others committed.
    if (container === 'state' && path.endsWith('head.json') && ++writes === 3)
      throw new InfrastructureError('OBJECT_STORE_FAILED', 'object store put failed (HTTP 503)');
    return put(container, path, body, options);
  };
  const flaky = memoryLakeState(objects);
  await assert.rejects(mergeDimensionChanges(spec, changes, deps(flaky)), InfrastructureError);
  const retry = await mergeDimensionChanges(spec, changes, deps(flaky));
  assert.ok(retry.duplicates > 0, 'members merged before the failure are recognised on retry');

  const clean = memoryLakeState();
  await mergeDimensionChanges(spec, changes, deps(clean));
  const read = async (state: KeyedStateDeps) => {
    const out = [];
    for await (const v of readDimension(spec, state)) out.push(v);
    return out;
  };
  assert.deepEqual(await read(flaky), await read(clean));
});

test('a batch of many late changes for one member is stitched in one fold, giving the in-order history', async () => {
  const spec = patientSpec('patientdim');
  const day = (d: number) => new Date(Date.UTC(2020, 0, 1 + d)).toISOString();
  const early = Array.from({ length: 60 }, (_, i) =>
    up(`e${String(i).padStart(3, '0')}`, day(2 * i), { lsoa: `E${i}` }),
  );
  const late = Array.from({ length: 60 }, (_, i) =>
    up(`l${String(i).padStart(3, '0')}`, day(2 * i + 1), { lsoa: `L${i}` }),
  );
  const store = memoryLakeState();
  await mergeDimensionChanges(spec, early, deps(store));
  const report = await mergeDimensionChanges(spec, late, deps(store));
  assert.equal(report.lateStitched, 59, 'all but the last, which is after every early change');
  const reference = memoryLakeState();
  await mergeDimensionChanges(spec, [...early, ...late], deps(reference));
  const read = async (state: KeyedStateDeps) => {
    const out = [];
    for await (const v of readDimension(spec, state)) out.push(v);
    return out;
  };
  const history = await read(store);
  assert.equal(history.length, 120);
  assert.deepEqual(history, await read(reference));
});
