import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePublishedTable } from '../../../shared/domain/disclosure/published-table.js';
import {
  dqDashboardViews,
  monthSpan,
  type DqSubmission,
} from '../../../shared/domain/dashboard/dq-dashboard.js';
import { publishedRowsFromCsv, splitCsvLine } from '../../../shared/domain/dashboard/published-csv.js';

const sub = (
  provider_code: string,
  dataset: string,
  period: string,
  records: number,
  dqmi_score: number | null = 90,
): DqSubmission => ({
  provider_code,
  dataset,
  period,
  records,
  dqmi_score,
});

test('coverage is expected providers that submitted ÷ expected, per dataset and month, a silent month included', () => {
  const views = dqDashboardViews(
    [
      sub('RRK', 'ecds', '2025-01', 100),
      sub('RM1', 'ecds', '2025-01', 100),
      sub('RRK', 'ecds', '2025-03', 100),
      sub('RXK', 'ecds', '2025-03', 50), // not expected
      sub('RM1', 'ecds', '2025-03', 0), // a row with no records is not a submission
    ],
    (dataset) => (dataset === 'ecds' ? ['RRK', 'RM1', 'RGP'] : []),
    ['ecds', 'mhsds'],
  );
  assert.deepEqual(
    views.coverageMonth.map((r) => [
      r.period,
      r.expected_providers,
      r.submitted_providers,
      r.coverage_pct,
      r.unexpected_providers,
    ]),
    [
      ['2025-01', 3, 2, 66.7, 0],
      ['2025-02', 3, 0, 0, 0],
      ['2025-03', 3, 1, 33.3, 1],
    ],
  );
  assert.ok(
    views.coverageMonth.every((r) => r.dataset === 'ecds'),
    'a dataset nobody is expected to submit has no coverage',
  );
});

test('coverage follows the expected submitters of each month (a provider expected from a date on)', () => {
  const views = dqDashboardViews(
    [sub('RRK', 'csds', '2025-01', 20), sub('RRK', 'csds', '2025-02', 20)],
    (_dataset, monthStart) => (monthStart >= '2025-02-01' ? ['RRK', 'RYW'] : ['RRK']),
    ['csds'],
  );
  assert.deepEqual(
    views.coverageMonth.map((r) => r.coverage_pct),
    [100, 50],
  );
});

test('records per provider-month are disclosure-controlled and the DQMI score of 1-7 records is *', () => {
  const views = dqDashboardViews(
    [
      sub('RRK', 'ecds', '2025-01', 5, 71.234),
      sub('RM1', 'ecds', '2025-01', 12, 88.06),
      sub('RGP', 'ecds', '2025-01', 0, null),
    ],
    () => ['RRK', 'RM1', 'RGP'],
    ['ecds'],
  );
  const by = Object.fromEntries(views.providerMonth.map((r) => [r.provider_code, r]));
  assert.equal(by.RRK?.records, '*');
  assert.equal(by.RRK?.dqmi_score, '*');
  assert.equal(by.RM1?.records, 10);
  assert.equal(by.RM1?.dqmi_score, 88.1);
  assert.equal(by.RGP?.records, 0);
});

test('monthSpan lists every month from the first to the last, across a year end', () => {
  assert.deepEqual(monthSpan(['2025-12', '2025-11', '2026-02']), [
    '2025-11',
    '2025-12',
    '2026-01',
    '2026-02',
  ]);
  assert.deepEqual(monthSpan([]), []);
  assert.deepEqual(monthSpan(['not a month']), []);
});

test('published rows read back from the export CSV: measures as numbers, * kept, empty as null, escaping undone', () => {
  const table = parsePublishedTable({
    name: 'csv_trust_month',
    columns: [
      { role: 'dimension', name: 'provider_code', type: 'code' },
      { role: 'dimension', name: 'period', type: 'month' },
      { role: 'count', name: 'attendances' },
      { role: 'percentage', name: 'pct', numerator: 'attendances', denominator: 'attendances' },
    ],
  });
  const rows = [
    { provider_code: 'RRK', period: '2025-01', attendances: 15, pct: 100 },
    { provider_code: '=HYPERLINK("x")', period: '2025-02', attendances: '*', pct: '*' },
    { provider_code: 'A,"B"', period: '2025-03', attendances: 0, pct: null },
  ];
  // As nhs-flows export writes them (csvField: RFC 4180, a formula-like cell '-prefixed and quoted).
  const lines = [
    'provider_code,period,attendances,pct',
    'RRK,2025-01,15,100',
    `"'=HYPERLINK(""x"")",2025-02,*,*`,
    '"A,""B""",2025-03,0,',
  ];
  assert.deepEqual(publishedRowsFromCsv(table, lines), rows);
  assert.deepEqual(splitCsvLine('a,,"b,c",'), ['a', '', 'b,c', '']);
  assert.throws(
    () => publishedRowsFromCsv(table, ['provider_code,period', 'RRK,2025-01']),
    /has no column attendances, pct/,
  );
});

test('coverage stops at the month the page is built: future-dated records are not months anyone was expected', () => {
  const views = dqDashboardViews(
    [
      sub('RRK', 'ecds', '2025-01', 100),
      sub('RRK', 'ecds', '2025-02', 100),
      sub('RRK', 'ecds', '2071-06', 1),
    ],
    () => ['RRK'],
    ['ecds'],
    undefined,
    '2025-02',
  );
  assert.deepEqual(
    views.coverageMonth.map((r) => r.period),
    ['2025-01', '2025-02'],
  );
  assert.ok(
    views.providerMonth.some((r) => r.period === '2071-06'),
    'the scorecard view still shows the future-dated month',
  );
});
