import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dayOf, isoDate } from '../../../shared/synthetic/synthetic-calendar.js';

test('a real date round-trips through its day number', () => {
  for (const date of ['1970-01-01', '2024-02-29', '2026-12-31']) assert.equal(isoDate(dayOf(date)), date);
});

for (const bad of ['2024-02-30', '2023-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '01/02/2024'])
  test(`the generator refuses the impossible or malformed date ${bad} instead of rolling it over`, () =>
    assert.throws(
      () => dayOf(bad),
      (e: unknown) => e instanceof RangeError && e.message.startsWith("expected a date 'YYYY-MM-DD'"),
    ));
