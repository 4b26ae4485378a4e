import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../../shared/domain/errors.js';
import {
  applyDisclosureControl,
  type AggregateRow,
} from '../../../shared/domain/disclosure/apply-disclosure-control.js';
import {
  HES_ECDS_2018_POLICY,
  parseDisclosurePolicy,
} from '../../../shared/domain/disclosure/disclosure-policy.js';
import { parsePublishedTable } from '../../../shared/domain/disclosure/published-table.js';

// Hand-computed tables under the HES/ECDS 2018 rule (REFERENCE.md §9.1); docs/disclosure-control.md
// shows the same tables. Provider codes are real trust codes used as labels; the counts are made up.

const byTrust = parsePublishedTable({
  name: 'attendances_by_trust',
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code' },
    { role: 'count', name: 'attendances' },
  ],
});

const admissions = parsePublishedTable({
  name: 'admissions_by_trust',
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code', totalValue: 'ALL' },
    { role: 'count', name: 'elective' },
    { role: 'count', name: 'emergency' },
    { role: 'total', name: 'admissions', of: ['elective', 'emergency'] },
  ],
});

const referralRate = parsePublishedTable({
  name: 'ae_referral_rate',
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code' },
    { role: 'count', name: 'attendances' },
    { role: 'count', name: 'referred_30d' },
    { role: 'percentage', name: 'referred_30d_pct', numerator: 'referred_30d', denominator: 'attendances' },
  ],
});

const noRounding = parseDisclosurePolicy({ ...HES_ECDS_2018_POLICY, name: 'no-rounding', roundTo: 1 });
const project = (rows: readonly Record<string, unknown>[], columns: readonly string[]) =>
  rows.map((row) => columns.map((c) => row[c]));

test('small counts: 0, 1, 7, 8, 12 and 13 are published as 0, *, *, 10, 10 and 15', () => {
  const counts = [0, 1, 7, 8, 12, 13];
  const rows = counts.map((attendances, i) => ({ provider_code: `T${i}`, attendances }));
  const out = applyDisclosureControl(byTrust, rows);
  assert.deepEqual(
    out.rows.map((r) => r.attendances),
    [0, '*', '*', 10, 10, 15],
  );
  assert.equal(out.primarySuppressed, 2);
  assert.equal(out.secondarySuppressed, 0, 'no totals declared: no line to protect');
});

test('a total is rounded from the unrounded parts, never summed from the rounded cells', () => {
  const out = applyDisclosureControl(admissions, [
    { provider_code: 'RRK', elective: 12, emergency: 12 },
    { provider_code: 'RQ3', elective: 13, emergency: 13 },
  ]);
  // 12 + 12 = 24 → 25 (not 10 + 10 = 20); 13 + 13 = 26 → 25 (not 15 + 15 = 30).
  assert.deepEqual(project(out.rows, ['provider_code', 'elective', 'emergency', 'admissions']), [
    ['RRK', 10, 10, 25],
    ['RQ3', 15, 15, 25],
  ]);
});

test('a supplied total that is not the sum of its parts is refused, naming the row and column', () => {
  assert.throws(
    () =>
      applyDisclosureControl(admissions, [
        { provider_code: 'RRK', elective: 12, emergency: 12, admissions: 25 },
      ]),
    (e: unknown) =>
      e instanceof InputError &&
      e.message ===
        'disclosure control of admissions_by_trust: row 1: admissions must be the sum of elective + emergency (totals come from unrounded values)',
  );
});

test('a percentage is computed from the rounded numerator and denominator', () => {
  const out = applyDisclosureControl(referralRate, [
    // 8 of 13 is 61.5 %, but the published parts are 10 of 15: 66.7 → 67 (whole: denominator < 4,000).
    { provider_code: 'RRK', attendances: 13, referred_30d: 8 },
    // 1,003 of 4,001 → 1,005 of 4,000 = 25.125 → 25.1 (one place: rounded denominator ≥ 4,000).
    { provider_code: 'RQ3', attendances: 4_001, referred_30d: 1_003 },
    // 1,001 of 3,997 → 1,000 of 3,995 = 25.03 → 25 (the rounded denominator is below 4,000).
    { provider_code: 'RXK', attendances: 3_997, referred_30d: 1_001 },
    // 10 of 80 = 12.5 exactly → 13: a half rounds up.
    { provider_code: 'RR1', attendances: 80, referred_30d: 10 },
  ]);
  assert.deepEqual(
    out.rows.map((r) => r.referred_30d_pct),
    [67, 25.1, 25, 13],
  );
});

test('a percentage of a suppressed part is suppressed, and a percentage of nothing is empty', () => {
  const out = applyDisclosureControl(referralRate, [
    { provider_code: 'RRK', attendances: 40, referred_30d: 3 },
    { provider_code: 'RQ3', attendances: 5, referred_30d: 0 },
    { provider_code: 'RXK', attendances: 0, referred_30d: 0 },
    { provider_code: 'RR1', attendances: 40, referred_30d: 0 },
  ]);
  assert.deepEqual(project(out.rows, ['attendances', 'referred_30d', 'referred_30d_pct']), [
    [40, '*', '*'],
    ['*', 0, '*'],
    [0, 0, null],
    [40, 0, 0],
  ]);
});

test('a row where only secondary suppression protects a cell: without it, total − others gives the cell back', () => {
  const table = parsePublishedTable({
    name: 'admissions_by_method',
    columns: [
      { role: 'dimension', name: 'provider_code', type: 'code' },
      { role: 'count', name: 'elective' },
      { role: 'count', name: 'emergency' },
      { role: 'count', name: 'maternity' },
      { role: 'total', name: 'admissions', of: ['elective', 'emergency', 'maternity'] },
    ],
  });
  const rows = [{ provider_code: 'RRK', elective: 3, emergency: 20, maternity: 9 }];
  const columns = ['elective', 'emergency', 'maternity', 'admissions'];

  // Unrounded output (a policy without rounding) and no secondary suppression: the cell is exposed.
  const exposed = applyDisclosureControl(table, rows, { ...noRounding, secondarySuppression: false });
  assert.deepEqual(project(exposed.rows, columns), [['*', 20, 9, 32]]);
  const [row] = exposed.rows;
  assert.equal(
    Number(row?.admissions) - Number(row?.emergency) - Number(row?.maternity),
    3,
    'recovered by subtraction',
  );

  // With secondary suppression the smallest other part (maternity, 9) is suppressed too.
  const protectedRows = applyDisclosureControl(table, rows, noRounding);
  assert.deepEqual(project(protectedRows.rows, columns), [['*', 20, '*', 32]]);
  assert.equal(protectedRows.secondarySuppressed, 1);

  // The default policy does the same, then rounds what is shown.
  assert.deepEqual(project(applyDisclosureControl(table, rows).rows, columns), [['*', 20, '*', 30]]);
});

test('a two-way table with a total row and a total column is protected by a rectangle of suppressed cells', () => {
  const out = applyDisclosureControl(admissions, [
    { provider_code: 'RRK', elective: 5, emergency: 40 },
    { provider_code: 'RQ3', elective: 20, emergency: 30 },
    { provider_code: 'RXK', elective: 12, emergency: 9 },
    { provider_code: 'ALL', elective: 37, emergency: 79 },
  ]);
  // RRK elective (5) is primary. Its row then needs RRK emergency; the elective column needs the
  // smallest other elective (RXK, 12); the emergency column then needs the smallest other emergency
  // (RXK, 9). Every row and column now holds 0 or 2 suppressed cells.
  assert.deepEqual(project(out.rows, ['provider_code', 'elective', 'emergency', 'admissions']), [
    ['RRK', '*', '*', 45],
    ['RQ3', 20, 30, 50],
    ['RXK', '*', '*', 20],
    ['ALL', 35, 80, 115],
  ]);
  assert.equal(out.primarySuppressed, 1);
  assert.equal(out.secondarySuppressed, 3);
  assert.deepEqual(out.unprotectedLines, []);
});

test('a total row that is not the sum of the rows it totals is refused, unless its count is declared distinct', () => {
  const rows = [
    { provider_code: 'RRK', period: '2024-01', persons: 20 },
    { provider_code: 'RRK', period: '2024-02', persons: 20 },
    { provider_code: 'RRK', period: 'ALL', persons: 30 },
  ];
  const declare = (distinct: boolean) =>
    parsePublishedTable({
      name: 'persons_by_month',
      columns: [
        { role: 'dimension', name: 'provider_code', type: 'code' },
        { role: 'dimension', name: 'period', type: 'month', totalValue: 'ALL' },
        { role: 'count', name: 'persons', distinct },
      ],
    });
  assert.throws(
    () => applyDisclosureControl(declare(false), rows),
    (e: unknown) =>
      e instanceof InputError &&
      e.message.startsWith(
        'disclosure control of persons_by_month: persons over period at provider_code=RRK:',
      ),
  );
  assert.deepEqual(
    applyDisclosureControl(declare(true), rows).rows.map((r) => r.persons),
    [20, 20, 30],
  );
});

test('national figures are exempt: shown exact, never suppressed, and not chosen for secondary suppression', () => {
  const table = parsePublishedTable({
    name: 'attendances_by_trust_national',
    national: { dimension: 'provider_code', value: 'ENG' },
    columns: [
      { role: 'dimension', name: 'provider_code', type: 'code', totalValue: 'ENG' },
      { role: 'count', name: 'attendances' },
      { role: 'count', name: 'referred_30d' },
      { role: 'percentage', name: 'referred_30d_pct', numerator: 'referred_30d', denominator: 'attendances' },
    ],
  });
  const rows = [
    { provider_code: 'RRK', attendances: 3, referred_30d: 1 },
    { provider_code: 'RQ3', attendances: 251, referred_30d: 12 },
    { provider_code: 'ENG', attendances: 254, referred_30d: 13 },
  ];
  const out = applyDisclosureControl(table, rows);
  assert.deepEqual(project(out.rows, ['provider_code', 'attendances', 'referred_30d', 'referred_30d_pct']), [
    ['RRK', '*', '*', '*'],
    // RQ3 is suppressed in both columns so that ENG − RQ3 does not give RRK back.
    ['RQ3', '*', '*', '*'],
    // 13 of 254 = 5.1 %, from the exact national values, whole because 254 < 4,000.
    ['ENG', 254, 13, 5],
  ]);

  // A policy that does not exempt national figures rounds the national row like any other (a
  // total over the trusts, so RQ3 still protects RRK).
  const notExempt = applyDisclosureControl(table, rows, { ...HES_ECDS_2018_POLICY, nationalExempt: false });
  assert.deepEqual(project(notExempt.rows, ['attendances', 'referred_30d', 'referred_30d_pct']), [
    ['*', '*', '*'],
    ['*', '*', '*'],
    [255, 15, 6],
  ]);
});

test('a national total over a single sub-national row cannot be protected, and the result says so', () => {
  const table = parsePublishedTable({
    name: 'one_trust',
    national: { dimension: 'provider_code', value: 'ENG' },
    columns: [
      { role: 'dimension', name: 'provider_code', type: 'code', totalValue: 'ENG' },
      { role: 'count', name: 'attendances' },
    ],
  });
  const out = applyDisclosureControl(table, [
    { provider_code: 'RRK', attendances: 3 },
    { provider_code: 'ENG', attendances: 3 },
  ]);
  assert.deepEqual(
    out.rows.map((r) => r.attendances),
    ['*', 3],
  );
  assert.deepEqual(out.unprotectedLines, ['one_trust: attendances over provider_code at the whole table']);
});

test('a zero is suppressed as a last resort when it is the only other cell of a line', () => {
  const out = applyDisclosureControl(admissions, [
    { provider_code: 'RRK', elective: 4, emergency: 0 },
    { provider_code: 'RQ3', elective: 20, emergency: 30 },
    { provider_code: 'ALL', elective: 24, emergency: 30 },
  ]);
  // RRK's row total is 4 (primary); its elective is 4 (primary): the row holds two. The elective
  // column holds one (RRK) → RQ3 elective; the admissions column holds one (RRK) → RQ3 admissions;
  // RQ3's row then holds two.
  assert.deepEqual(project(out.rows, ['provider_code', 'elective', 'emergency', 'admissions']), [
    ['RRK', '*', 0, '*'],
    ['RQ3', '*', 30, '*'],
    ['ALL', 25, 30, 55],
  ]);
});

test('a mean or median is suppressed when 1 to 7 individuals contribute, shown otherwise', () => {
  const table = parsePublishedTable({
    name: 'length_of_stay',
    columns: [
      { role: 'dimension', name: 'provider_code', type: 'code' },
      { role: 'count', name: 'spells' },
      { role: 'statistic', name: 'mean_los_days', contributors: 'spells' },
    ],
  });
  const out = applyDisclosureControl(table, [
    { provider_code: 'RRK', spells: 7, mean_los_days: 4.2 },
    { provider_code: 'RQ3', spells: 8, mean_los_days: 3.9 },
    { provider_code: 'RXK', spells: 0, mean_los_days: null },
  ]);
  assert.deepEqual(project(out.rows, ['spells', 'mean_los_days']), [
    ['*', '*'],
    [10, 3.9],
    [0, null],
  ]);
});

test('rows that do not fit the declaration are refused with the row and column, never the value', () => {
  const cases: [rows: AggregateRow[], message: string][] = [
    [[{ provider_code: 'RRK', attendances: -1 }], 'row 1: attendances must be a whole count ≥ 0'],
    [[{ provider_code: 'RRK', attendances: 2.5 }], 'row 1: attendances must be a whole count ≥ 0'],
    [[{ provider_code: 'RRK', attendances: null }], 'row 1: attendances must be a whole count ≥ 0'],
    [[{ attendances: 3 }], 'row 1: dimension provider_code is missing'],
    [
      [
        { provider_code: 'RRK', attendances: 3 },
        { provider_code: 'RRK', attendances: 4 },
      ],
      'row 2: has the same dimension values as row 1',
    ],
  ];
  for (const [rows, message] of cases)
    assert.throws(
      () => applyDisclosureControl(byTrust, rows),
      (e: unknown) =>
        e instanceof InputError && e.message === `disclosure control of attendances_by_trust: ${message}`,
      message,
    );
});

test('a declaration whose references do not resolve is refused with every problem listed', () => {
  assert.throws(
    () =>
      parsePublishedTable({
        name: 'broken',
        national: { dimension: 'region', value: 'ENG' },
        columns: [
          { role: 'dimension', name: 'age_band', type: 'age-band' },
          { role: 'count', name: 'persons', distinct: true },
          { role: 'count', name: 'spells' },
          { role: 'total', name: 'all', of: ['spells', 'persons'] },
          { role: 'percentage', name: 'pct', numerator: 'spells', denominator: 'beds' },
          { role: 'count', name: 'spells' },
        ],
      }),
    (e: unknown) => {
      const problems = (e as { problems?: string[] }).problems ?? [];
      return [
        "publishedTable.columns.5.name: 'spells' is declared twice",
        'publishedTable.columns.0.bandYears: bandYears is required for an age-band dimension and only there',
        "publishedTable.columns.3.of.1: 'persons' is a distinct count and cannot be part of a total",
        "publishedTable.columns.4.denominator: 'beds' must be a column of role count or total, received no such column",
        "publishedTable.national.dimension: 'region' must be a column of role dimension, received no such column",
      ].every((p) => problems.includes(p));
    },
  );
});
