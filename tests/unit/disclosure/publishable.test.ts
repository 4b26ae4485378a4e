import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuardError } from '../../../shared/domain/errors.js';
import {
  NOT_PUBLISHABLE,
  assertPublishable,
  publishabilityProblems,
} from '../../../shared/domain/disclosure/publishable.js';
import {
  parsePublishedTable,
  type PublishedTable,
} from '../../../shared/domain/disclosure/published-table.js';

const aggregate = (...extra: unknown[]): PublishedTable =>
  parsePublishedTable({
    name: 'activity_by_trust_month',
    columns: [
      { role: 'dimension', name: 'provider_code', type: 'code' },
      { role: 'dimension', name: 'period', type: 'month' },
      { role: 'count', name: 'spells_admitted' },
      { role: 'count', name: 'persons', distinct: true },
      ...extra,
    ],
  });

test('an aggregate by trust, month and 5-year age band is publishable', () => {
  const table = aggregate({ role: 'dimension', name: 'age_band', type: 'age-band', bandYears: 5 });
  assert.doesNotThrow(() =>
    assertPublishable(table, [
      { provider_code: 'RRK', period: '2024-03', age_band: '20-24', spells_admitted: 10, persons: 9 },
      { provider_code: 'RRK', period: '2024-03', age_band: '90+', spells_admitted: 10, persons: 9 },
    ]),
  );
});

// Each declaration below is a row-level or too-fine table; the guard names the column and why.
const REFUSED: [what: string, column: unknown, reason: string][] = [
  ['a person id', { role: 'dimension', name: 'person_id', type: 'code' }, 'identifies a person'],
  [
    'a person dimension under any name',
    { role: 'dimension', name: 'who', type: 'person' },
    'identifies a person',
  ],
  ['a patient token', { role: 'dimension', name: 'patient_token', type: 'code' }, 'identifies a person'],
  ['a surrogate key', { role: 'dimension', name: 'patient_sk', type: 'code' }, 'identifies a person'],
  [
    'a token carried as a measure',
    { role: 'context', name: 'token_key_version', reason: 'x' },
    'identifies a person',
  ],
  ['an exact date', { role: 'dimension', name: 'discharge_day', type: 'date' }, 'an exact date'],
  ['a date-named code', { role: 'dimension', name: 'admission_date', type: 'code' }, 'an exact date'],
  ['an instant', { role: 'dimension', name: 'arrived_at', type: 'code' }, 'an exact date'],
  ['a single year of age', { role: 'dimension', name: 'age_years', type: 'age' }, 'a single year of age'],
  [
    'a 1-year age band',
    { role: 'dimension', name: 'age_band', type: 'age-band', bandYears: 1 },
    'too narrow',
  ],
  [
    'an age declared as a code',
    { role: 'dimension', name: 'age_group', type: 'code' },
    'must be declared as an age-band',
  ],
];

for (const [what, column, reason] of REFUSED)
  test(`a table with ${what} is not publishable`, () => {
    const table = aggregate(column);
    const name = (column as { name: string }).name;
    try {
      assertPublishable(table);
      assert.fail('expected a GuardError');
    } catch (error) {
      assert.ok(error instanceof GuardError);
      assert.equal(error.code, NOT_PUBLISHABLE);
      assert.match(error.message, new RegExp(`activity_by_trust_month\\.${name}: [^\\n]*${reason}`));
    }
  });

test('every problem is listed at once, and counts such as persons are not mistaken for person ids', () => {
  const table = aggregate(
    { role: 'dimension', name: 'person_id', type: 'person' },
    { role: 'dimension', name: 'activity_date', type: 'date' },
  );
  assert.deepEqual(publishabilityProblems(table), [
    'activity_by_trust_month.person_id: a column that identifies a person (person id, token, key) is not published',
    'activity_by_trust_month.activity_date: an exact date is not published (month, quarter or year)',
  ]);
});

test('values are checked too: a month column holding days, a token-like value, a narrow age band', () => {
  const table = aggregate({ role: 'dimension', name: 'age_band', type: 'age-band', bandYears: 5 });
  const problems = publishabilityProblems(table, [
    { provider_code: 'RRK', period: '2024-03-14', age_band: '20-24', spells_admitted: 10, persons: 9 },
    { provider_code: 'a'.repeat(64), period: '2024-03', age_band: '20-21', spells_admitted: 10, persons: 9 },
    { provider_code: 'RQ3', period: '2024-13', age_band: '25-29', spells_admitted: 10, persons: 9 },
  ]);
  assert.deepEqual(problems, [
    'activity_by_trust_month.period, row 1: a month must be YYYY-MM',
    'activity_by_trust_month.provider_code, row 2: a value looks like a token or key; not published',
    "activity_by_trust_month.age_band, row 2: an age band must be 'a-b' spanning 5 years or more, or 'a+'",
  ]);
  for (const problem of problems)
    assert.ok(!problem.includes('2024-03-14') && !problem.includes('aaaa'), 'no value in a message');
});
