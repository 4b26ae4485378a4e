import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DATE_DIMENSION_SPAN,
  dateDimensionRows,
  dateKeyOf,
  isoWeekOf,
} from '../../../shared/domain/star/date-dimension.js';
import { DIM_DATE } from '../../../shared/domain/star/reference-dimensions.js';

const rows = dateDimensionRows();
const day = (iso: string) => rows.find((r) => r.calendar_date === iso);

test('dim_date has one row per day of its span, keyed YYYYMMDD, every declared column filled', () => {
  const days = (Date.parse(DATE_DIMENSION_SPAN.to) - Date.parse(DATE_DIMENSION_SPAN.from)) / 86_400_000 + 1;
  assert.equal(rows.length, days);
  assert.equal(new Set(rows.map((r) => r.date_key)).size, rows.length);
  const declared = DIM_DATE.columns.filter(
    (c) => !['reference_source', 'reference_version', 'batch_id', 'loaded_at'].includes(c.name),
  );
  for (const r of [rows[0], rows[rows.length - 1]]) {
    assert.deepEqual(Object.keys(r ?? {}).sort(), declared.map((c) => c.name).sort());
    for (const c of declared) assert.notEqual(r?.[c.name], null, c.name);
  }
  assert.equal(dateKeyOf('2026-09-03T10:00:00+01:00'), 20260903);
  assert.equal(dateKeyOf(null), null);
});

test('the NHS financial year turns on 1 April: 31 March is month 12 of the year before', () => {
  assert.deepEqual(
    [day('2026-03-31'), day('2026-04-01')].map((r) => [
      r?.financial_year,
      r?.financial_month,
      r?.financial_quarter,
    ]),
    [
      ['2025/26', 12, 'Q4'],
      ['2026/27', 1, 'Q1'],
    ],
  );
  assert.equal(day('2099-12-31'), undefined);
  assert.equal(day('2029-12-31')?.financial_year, '2029/30');
});

test('ISO weeks: the week with the year’s first Thursday is week 1, so early January can be week 52 or 53 of the year before', () => {
  const cases: [string, number, number][] = [
    ['2026-01-01', 2026, 1], // a Thursday
    ['2027-01-01', 2026, 53], // a Friday: 2026 has 53 weeks
    ['2021-01-03', 2020, 53],
    ['2024-12-30', 2025, 1], // a Monday in the week of 2 January 2025
    ['2025-06-15', 2025, 24],
  ];
  for (const [iso, year, week] of cases)
    assert.deepEqual(isoWeekOf(new Date(`${iso}T00:00:00Z`)), { year, week }, iso);
  assert.equal(day('2026-01-03')?.day_name, 'Saturday');
  assert.equal(day('2026-01-03')?.is_weekend, true);
  assert.equal(day('2026-01-05')?.day_of_week, 1);
});
