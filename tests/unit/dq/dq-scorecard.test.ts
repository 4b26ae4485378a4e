import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { DqAccumulator } from '../../../shared/domain/dq/dq-accumulator.js';
import { DQ_ITEMS } from '../../../shared/domain/dq/dq-items.js';
import { renderDqScorecard } from '../../../shared/domain/dq/dq-render.js';
import {
  DQ_SCORECARD_COLUMNS,
  scorecardRows,
  type DqScorecardRow,
} from '../../../shared/domain/dq/dq-scorecard.js';
import { validateBatch } from '../../../shared/domain/validate/validate-batch.js';
import { EXTRACT_DATE, reference, row } from '../validate/validate-fixtures.js';

const ep = (id: string, changes: SourceRow = {}) =>
  row('sus_apc_episode', { episode_id: id, hospital_provider_spell_number: `S${id}`, ...changes });

async function accumulate(rows: readonly SourceRow[]): Promise<DqAccumulator> {
  const acc = new DqAccumulator('sus_apc_episode');
  await validateBatch(
    'sus_apc_episode',
    rows,
    { batchId: 'b', extractDate: EXTRACT_DATE, reference },
    { accepted: () => {}, failures: () => {}, row: (r, f) => acc.add(r, f) },
  );
  return acc;
}

const ROWS = [
  ep('E1'),
  ep('E2', { sex: 'X' }),
  ep('E3', { sex: 'X' }),
  ep('E4', { nhs_number: null }),
  ep('E5', { nhs_number: '9990000019' }),
  ep('E6'),
];

const find = (rows: readonly DqScorecardRow[], where: Partial<DqScorecardRow>) =>
  rows.filter((r) => Object.entries(where).every(([k, v]) => r[k as keyof DqScorecardRow] === v));

test('every scorecard row has exactly the dq_scorecard columns', async () => {
  const rows = (await accumulate(ROWS)).result();
  const names = DQ_SCORECARD_COLUMNS.map((c) => c.name);
  for (const r of rows) assert.deepEqual(Object.keys(r).sort(), [...names].sort());
  assert.ok(DQ_SCORECARD_COLUMNS.every((c) => ['string', 'int', 'double', 'date'].includes(c.type)));
});

test('field measures follow the DQMI arithmetic', async () => {
  const rows = (await accumulate(ROWS)).result();
  const at = { provider_code: 'RRK', period: '2026-09', table: 'sus_apc_episode' } as const;
  const sex = (measure: DqScorecardRow['measure']) => find(rows, { ...at, field: 'sex', measure })[0];
  assert.equal(sex('completeness')?.score, 100);
  assert.equal(sex('default_use')?.numerator, 2);
  // 6 records, 6 valid, 2 defaults, threshold 2 %: excess = 2 − 0.12 = 1.88; (6 − 1.88) / 6 × 100
  assert.equal(sex('item_score')?.score?.toFixed(3), '68.667');
  const nhs = (measure: DqScorecardRow['measure']) => find(rows, { ...at, field: 'nhs_number', measure })[0];
  assert.deepEqual([nhs('completeness')?.numerator, nhs('completeness')?.denominator], [5, 6]);
  assert.deepEqual([nhs('validity')?.numerator, nhs('validity')?.denominator], [4, 5]);
  assert.equal(nhs('item_score')?.score?.toFixed(3), '66.667');
  const rule = find(rows, { ...at, rule_id: 'SUS.NHS_NUMBER.CHECK_DIGIT' })[0];
  assert.deepEqual(
    [rule?.measure, rule?.field, rule?.numerator, rule?.denominator],
    ['rule_failure_rate', 'nhs_number', 1, 6],
  );
  assert.equal(find(rows, { ...at, measure: 'quarantined' })[0]?.numerator, 1);
});

test('the dataset score is the mean index item score times coverage; an expected absent provider scores 0', async () => {
  const acc = await accumulate(ROWS);
  const rows = acc.result({
    expected: [
      { provider: 'RRK', dataset: 'sus_apc', period: '2026-09' },
      { provider: 'RQ3', dataset: 'sus_apc', period: '2026-09' },
    ],
  });
  const index = new Set(DQ_ITEMS.sus_apc_episode.filter((i) => i.inIndex).map((i) => i.field));
  const items = find(rows, { provider_code: 'RRK', measure: 'item_score' }).filter((r) =>
    index.has(r.field ?? ''),
  );
  const mean = items.reduce((a, r) => a + (r.score ?? 0), 0) / items.length;
  const dqmi = find(rows, { provider_code: 'RRK', measure: 'dqmi_score' })[0];
  assert.equal(dqmi?.denominator, index.size);
  assert.equal(dqmi?.score?.toFixed(6), mean.toFixed(6));
  assert.equal(find(rows, { provider_code: 'RRK', measure: 'coverage' })[0]?.score, 100);
  const absent = find(rows, { provider_code: 'RQ3' });
  assert.deepEqual(
    absent.map((r) => [r.measure, r.numerator, r.denominator, r.score]),
    [
      ['coverage', 0, 1, 0],
      ['dqmi_score', 0, 0, 0],
    ],
  );
});

test('scorecard rows are deterministic: merged chunk states give the rows of one pass', async () => {
  const whole = (await accumulate(ROWS)).result();
  const a = await accumulate(ROWS.slice(0, 3));
  const b = await accumulate(ROWS.slice(3));
  // Chunks validated apart cannot see each other's duplicates; these rows have none.
  assert.deepEqual(scorecardRows(DqAccumulator.fromStates(b.state(), a.state()).state()), whole);
});

test('the CLI rendering shows one line per provider × dataset × month with score and worst fields', () => {
  const base = { provider_code: 'RRK', dataset: 'sus_apc', period: '2026-09', rule_id: null } as const;
  const rows: DqScorecardRow[] = [
    {
      ...base,
      table: 'sus_apc_episode',
      field: null,
      measure: 'records',
      numerator: 200,
      denominator: 200,
      score: 100,
    },
    {
      ...base,
      table: 'sus_apc_episode',
      field: null,
      measure: 'quarantined',
      numerator: 5,
      denominator: 200,
      score: 2.5,
    },
    {
      ...base,
      table: 'sus_apc_episode',
      field: 'nhs_number',
      measure: 'item_score',
      numerator: 180,
      denominator: 200,
      score: 90,
    },
    {
      ...base,
      table: 'sus_apc_episode',
      field: 'sex',
      measure: 'item_score',
      numerator: 190,
      denominator: 200,
      score: 95,
    },
    {
      ...base,
      table: 'sus_apc_episode',
      field: 'postcode',
      measure: 'item_score',
      numerator: 200,
      denominator: 200,
      score: 100,
    },
    {
      ...base,
      table: 'sus_apc_episode',
      field: 'nhs_number',
      rule_id: 'SUS.MISSING_NHS_NUMBER',
      measure: 'rule_failure_rate',
      numerator: 10,
      denominator: 200,
      score: 5,
    },
    { ...base, table: null, field: null, measure: 'coverage', numerator: 1, denominator: 1, score: 100 },
    { ...base, table: null, field: null, measure: 'dqmi_score', numerator: 2.85, denominator: 3, score: 95 },
  ];
  assert.equal(
    renderDqScorecard(rows),
    [
      'provider  dataset  period   records  quar%  cover%  DQMI  worst fields               top rule',
      '--------  -------  -------  -------  -----  ------  ----  -------------------------  ---------------------------',
      'RRK       sus_apc  2026-09      200    2.5     100  95.0  nhs_number 90.0, sex 95.0  SUS.MISSING_NHS_NUMBER 5.0%',
      '',
    ].join('\n'),
  );
  assert.equal(renderDqScorecard([]), 'no data-quality results\n');
});
