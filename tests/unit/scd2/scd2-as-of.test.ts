import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLakeState } from '../../support/lake-state.js';
import {
  mergeDimensionChanges,
  readMemberHistoriesAsOf,
  readMemberHistory,
} from '../../../shared/application/use-cases/scd2-merge.use-case.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { KEY, patientSpec, summarise, up } from './scd2-history-cases.js';

// A dimension read "as known at system time T": the member's change log cut at T (by capture time)
// and folded again, so a late change recorded after T does not show, though it re-cut the history.

const recorded = (change: ReturnType<typeof up>, at: string) => ({ ...change, recordedAt: at });

test('the history as known at T leaves out changes recorded after T, including a late re-cut', async () => {
  const state = memoryLakeState();
  const deps = { ...state, clock: fixedClock('2024-06-30T00:00:00Z'), logger: silentLogger };
  const spec = patientSpec('patientasof');
  const a = { sex: '1', lsoa: 'E01000001', gp_practice: 'M85063' };
  const b = { ...a, lsoa: 'E01000002' };
  const c = { ...a, lsoa: 'E01000003' };
  await mergeDimensionChanges(spec, [recorded(up('c1', '2024-01-01', a), '2024-01-02T00:00:00Z')], deps);
  await mergeDimensionChanges(spec, [recorded(up('c2', '2024-03-01', b), '2024-03-02T00:00:00Z')], deps);
  // Recorded in May, effective in February: a late change that cuts the first version in two.
  await mergeDimensionChanges(spec, [recorded(up('c3', '2024-02-01', c), '2024-05-01T00:00:00Z')], deps);

  const now = summarise(await readMemberHistory(spec, KEY, state));
  assert.deepEqual(now, [
    '2024-01-01 → 2024-02-01 c1 "E01000001"',
    '2024-02-01 → 2024-03-01 c3 "E01000003"',
    '2024-03-01 → current c2 "E01000002"',
  ]);
  const asOf = async (at: string) =>
    summarise((await readMemberHistoriesAsOf(spec, [KEY, 'tok_unknown'], at, state)).get(KEY) ?? []);
  assert.deepEqual(await asOf('2024-04-01T00:00:00Z'), [
    '2024-01-01 → 2024-03-01 c1 "E01000001"',
    '2024-03-01 → current c2 "E01000002"',
  ]);
  assert.deepEqual(await asOf('2024-02-01'), ['2024-01-01 → current c1 "E01000001"']);
  assert.deepEqual(await asOf('2023-12-31T23:59:59Z'), [], 'not yet known');
  assert.deepEqual(await asOf('2024-06-30T00:00:00Z'), now, 'as known now = the stored history');
  assert.deepEqual(
    (await readMemberHistoriesAsOf(spec, ['tok_unknown'], '2024-06-30', state)).get('tok_unknown'),
    [],
  );
  await assert.rejects(readMemberHistoriesAsOf(spec, [KEY], '2024-02-30', state), /asOf/);
});
