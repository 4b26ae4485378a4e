import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HES_SMALL_NUMBER_POLICY,
  SUPPRESSED,
  discloseCount,
} from '../../../shared/domain/disclosure/small-numbers.js';

// NHS Digital's HES / ECDS rule (REFERENCE.md §9.1): 0 shown, 1-7 suppressed, 8+ to the nearest 5.
const CASES: readonly [count: number, shown: string][] = [
  [0, '0'],
  [1, '*'],
  [3, '*'],
  [7, '*'],
  [8, '10'],
  [9, '10'],
  [10, '10'],
  [12, '10'],
  [13, '15'],
  [17, '15'],
  [18, '20'],
  [1_002, '1000'],
  [1_003, '1005'],
];

for (const [count, shown] of CASES)
  test(`a count of ${count} is published as ${shown}`, () => {
    assert.equal(discloseCount(count), shown);
  });

test('every count of 8 or more is published as a multiple of 5 within 2 of it, never as a small number', () => {
  fc.assert(
    fc.property(fc.integer({ min: 8, max: 10_000_000 }), (count) => {
      const shown = Number(discloseCount(count));
      assert.equal(shown % 5, 0);
      assert.ok(Math.abs(shown - count) <= 2, `${count} → ${shown}`);
      assert.ok(shown >= HES_SMALL_NUMBER_POLICY.minCell);
    }),
  );
});

test('no count from 1 to 7 can be read back from what is published', () => {
  for (let count = 1; count < 8; count++) assert.equal(discloseCount(count), SUPPRESSED);
});

test('the policy is a value: a dashboard that suppresses under 7 without rounding is one call away', () => {
  const policy = { minCell: 7, roundTo: 1 };
  assert.equal(discloseCount(6, policy), '*');
  assert.equal(discloseCount(7, policy), '7');
  assert.equal(discloseCount(13, policy), '13');
});

test('a negative or fractional count is a bug and is refused', () => {
  assert.throws(() => discloseCount(-1), RangeError);
  assert.throws(() => discloseCount(2.5), RangeError);
  assert.throws(() => discloseCount(Number.NaN), RangeError);
});
