import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  UNIQ_MONTH_ID_ANCHOR,
  monthOfUniqMonthId,
  reportingPeriodOf,
  uniqMonthIdOf,
  uniqMonthIdOfDate,
} from '../../../../shared/domain/datasets/mhsds/uniq-month-id.js';

test('the documented anchor: UniqMonthID 1429 is April 2019, both ways', () => {
  assert.deepEqual(UNIQ_MONTH_ID_ANCHOR, { uniqMonthId: 1429, year: 2019, month: 4 });
  assert.equal(uniqMonthIdOf({ year: 2019, month: 4 }), 1429);
  assert.deepEqual(monthOfUniqMonthId(1429), { year: 2019, month: 4 });
});

test('consecutive months are consecutive ids across year ends (Dec 2019 → Jan 2020)', () => {
  assert.equal(uniqMonthIdOf({ year: 2019, month: 3 }), 1428);
  assert.equal(uniqMonthIdOf({ year: 2019, month: 12 }), 1437);
  assert.equal(uniqMonthIdOf({ year: 2020, month: 1 }), 1438);
  assert.equal(uniqMonthIdOf({ year: 2020, month: 4 }), 1441);
  assert.deepEqual(monthOfUniqMonthId(1437), { year: 2019, month: 12 });
  assert.deepEqual(monthOfUniqMonthId(1438), { year: 2020, month: 1 });
});

test('the mapping round-trips for every month from UniqMonthID 1 (April 1900) to 2100', () => {
  assert.deepEqual(monthOfUniqMonthId(1), { year: 1900, month: 4 });
  let previous = 0;
  for (let year = 1900; year <= 2100; year++) {
    for (let month = year === 1900 ? 4 : 1; month <= 12; month++) {
      const id = uniqMonthIdOf({ year, month });
      assert.equal(id, previous + 1, `${year}-${month} follows the month before`);
      assert.deepEqual(monthOfUniqMonthId(id), { year, month });
      previous = id;
    }
  }
});

test('dates map to the month they fall in, first and last day alike', () => {
  assert.equal(uniqMonthIdOfDate('2019-04-01'), 1429);
  assert.equal(uniqMonthIdOfDate('2019-04-30'), 1429);
  assert.equal(uniqMonthIdOfDate('2019-05-01'), 1430);
  assert.equal(uniqMonthIdOfDate('2024-02-29T10:00:00Z'), uniqMonthIdOf({ year: 2024, month: 2 }));
});

test('the reporting period is the whole calendar month, leap years included', () => {
  assert.deepEqual(reportingPeriodOf(1429), { start: '2019-04-01', end: '2019-04-30' });
  assert.deepEqual(reportingPeriodOf(uniqMonthIdOf({ year: 2024, month: 2 })), {
    start: '2024-02-01',
    end: '2024-02-29',
  });
  assert.deepEqual(reportingPeriodOf(uniqMonthIdOf({ year: 2023, month: 2 })), {
    start: '2023-02-01',
    end: '2023-02-28',
  });
  assert.deepEqual(reportingPeriodOf(1437), { start: '2019-12-01', end: '2019-12-31' });
});

test('refuses what is not a month: month 0 or 13, fractions, ids below 1, text that is not a date', () => {
  for (const bad of [
    () => uniqMonthIdOf({ year: 2019, month: 0 }),
    () => uniqMonthIdOf({ year: 2019, month: 13 }),
    () => uniqMonthIdOf({ year: 2019.5, month: 4 }),
    () => uniqMonthIdOf({ year: 1900, month: 3 }),
    () => monthOfUniqMonthId(0),
    () => monthOfUniqMonthId(1.5),
    () => uniqMonthIdOfDate('April 2019'),
  ])
    assert.throws(bad, { code: 'INPUT_INVALID' });
});
