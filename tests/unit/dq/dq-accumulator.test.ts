import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { DqAccumulator, EMPTY_DQ_STATE, type DqState } from '../../../shared/domain/dq/dq-accumulator.js';
import type { RuleFailure } from '../../../shared/domain/validate/rule.js';
import { validateBatch } from '../../../shared/domain/validate/validate-batch.js';
import { EXTRACT_DATE, reference, row } from '../validate/validate-fixtures.js';

const ep = (id: string, changes: SourceRow = {}) => row('sus_apc_episode', { episode_id: id, ...changes });

/** Rows with their failures, as validateBatch hands them to the DQ accumulator. */
async function judged(rows: readonly SourceRow[]): Promise<[SourceRow, readonly RuleFailure[]][]> {
  const out: [SourceRow, readonly RuleFailure[]][] = [];
  await validateBatch(
    'sus_apc_episode',
    rows,
    { batchId: 'b', extractDate: EXTRACT_DATE, reference },
    { accepted: () => {}, failures: () => {}, row: (r, f) => void out.push([r, f]) },
  );
  return out;
}

const BATCH: readonly SourceRow[] = [
  ep('E1'),
  ep('E2', { sex: 'X', hospital_provider_spell_number: 'S2' }), // default
  ep('E3', { sex: '0', ethnic_category: '99', hospital_provider_spell_number: 'S3' }), // defaults
  ep('E4', { nhs_number: null, hospital_provider_spell_number: 'S4' }), // incomplete
  ep('E5', { nhs_number: '9990000019', hospital_provider_spell_number: 'S5' }), // invalid
  ep('E6', { provider_code: 'RQ3', site_code: null, hospital_provider_spell_number: 'S6' }),
  ep('E7', {
    admission_date: '2026-10-01',
    episode_start_date: '2026-10-01',
    episode_end_date: '2026-10-05',
    discharge_date: '2026-10-05',
    hospital_provider_spell_number: 'S7',
  }),
  ep('E8'), // duplicate of E1
];

test('an accumulator counts completeness, validity, defaults and rule failures per provider × month', async () => {
  const acc = new DqAccumulator('sus_apc_episode');
  for (const [r, f] of await judged(BATCH)) acc.add(r, f);
  const state = acc.state();
  assert.deepEqual(Object.keys(state.cells), [
    'RQ3|sus_apc|sus_apc_episode|2026-09',
    'RRK|sus_apc|sus_apc_episode|2026-09',
    'RRK|sus_apc|sus_apc_episode|2026-10',
  ]);
  const sept = state.cells['RRK|sus_apc|sus_apc_episode|2026-09']!;
  assert.equal(sept.records, 6); // E1-E5, E8
  assert.equal(sept.quarantined, 2); // E5 (check digit), E8 (duplicate)
  assert.deepEqual(sept.fields['nhs_number'], { populated: 5, valid: 4, defaults: 0 });
  assert.deepEqual(sept.fields['sex'], { populated: 6, valid: 6, defaults: 2 }); // X and legacy 0: valid codes, both defaults
  assert.deepEqual(sept.fields['ethnic_category'], { populated: 6, valid: 6, defaults: 1 });
  assert.deepEqual(sept.fields['primary_procedure'], { populated: 0, valid: 0, defaults: 0 });
  assert.equal(sept.rules['SUS.DUPLICATE_ROW|episode_id']?.failed, 1);
  assert.equal(sept.rules['SUS.MISSING_NHS_NUMBER|nhs_number']?.failed, 1);
  assert.equal(sept.rules['SUS.NHS_NUMBER.CHECK_DIGIT|nhs_number']?.failed, 1);
  assert.equal(state.cells['RRK|sus_apc|sus_apc_episode|2026-10']?.records, 1);
});

test('the state is plain JSON: it round-trips and merges back to the same counts', async () => {
  const acc = new DqAccumulator('sus_apc_episode');
  for (const [r, f] of await judged(BATCH)) acc.add(r, f);
  const state = acc.state();
  const copy = JSON.parse(JSON.stringify(state)) as DqState;
  assert.deepEqual(copy, state);
  assert.deepEqual(DqAccumulator.fromStates(copy).state(), state);
  assert.deepEqual(DqAccumulator.fromStates(EMPTY_DQ_STATE, copy, EMPTY_DQ_STATE).state(), state);
});

test('accumulators merge associatively and commutatively, equal to one accumulator over all rows', async () => {
  const all = await judged(BATCH);
  const whole = new DqAccumulator('sus_apc_episode');
  for (const [r, f] of all) whole.add(r, f);
  const expected = whole.state();
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: all.length, maxLength: all.length }),
      (parts) => {
        const accs = [0, 1, 2].map(() => new DqAccumulator('sus_apc_episode'));
        all.forEach(([r, f], i) => accs[parts[i]!]!.add(r, f));
        const [a, b, c] = accs.map((x) => x.state()) as [DqState, DqState, DqState];
        const left = DqAccumulator.fromStates(DqAccumulator.fromStates(a, b).state(), c).state();
        const right = DqAccumulator.fromStates(a, DqAccumulator.fromStates(b, c).state()).state();
        const swapped = DqAccumulator.fromStates(c, a, b).state();
        assert.deepEqual(left, expected);
        assert.deepEqual(right, expected);
        assert.deepEqual(swapped, expected);
      },
    ),
    { numRuns: 50 },
  );
});

test('merging never mutates the states it was given', async () => {
  const acc = new DqAccumulator('sus_apc_episode');
  for (const [r, f] of await judged(BATCH)) acc.add(r, f);
  const state = acc.state();
  const before = JSON.stringify(state);
  const merged = DqAccumulator.fromStates(state);
  merged.merge(state);
  assert.equal(JSON.stringify(state), before);
  assert.equal(merged.state().cells['RRK|sus_apc|sus_apc_episode|2026-09']?.records, 12);
});

test('a merge-only accumulator refuses rows, and a foreign state version is refused', () => {
  assert.throws(() => new DqAccumulator().add(ep('E1'), []), /needs the table/);
  assert.throws(
    () => new DqAccumulator().merge({ version: 2, cells: {} } as unknown as DqState),
    /version 2/,
  );
});
