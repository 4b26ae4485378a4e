import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  isIsoDate,
  isIsoTimestampWithOffset,
  isIsoUtcTimestamp,
  timestampMillis,
} from '../../../shared/domain/datasets/contract-engine.js';

test('the hand-written timestamp parser agrees with Date.parse on well-formed timestamps with offsets', () => {
  fc.assert(
    fc.property(
      fc.date({
        min: new Date('1900-01-01T00:00:00Z'),
        max: new Date('2100-12-31T23:59:59Z'),
        noInvalidDate: true,
      }),
      fc.integer({ min: -14 * 60, max: 14 * 60 }),
      (date, offsetMinutes) => {
        const local = new Date(date.getTime() + offsetMinutes * 60000).toISOString().slice(0, 23);
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        assert.equal(timestampMillis(text), date.getTime(), text);
      },
    ),
  );
});

const TIMESTAMPS: readonly (readonly [string, boolean])[] = [
  ['2026-01-02T10:00:00.000+01:00', true],
  ['2026-01-02T10:00:00Z', true],
  ['2026-01-02T10:00:00.1234567Z', true],
  ['2026-01-02T10:00:00.000', false],
  ['2026-01-02 10:00:00.000Z', false],
  ['2026-02-29T10:00:00.000Z', false],
  ['2026-01-02T24:00:00.000Z', false],
  ['2026-01-02T10:00:00.000+1:00', false],
  ['2026-01-02T10:00:00.Z', false],
];
for (const [text, ok] of TIMESTAMPS) {
  test(`the timestamp ${text} is ${ok ? 'accepted' : 'rejected'} as datetimeoffset wire form`, () => {
    assert.equal(isIsoTimestampWithOffset(text), ok);
  });
}

test('datetime2 wire form must be UTC and dates must be real calendar dates', () => {
  assert.equal(isIsoUtcTimestamp('2026-01-02T10:00:00.000Z'), true);
  assert.equal(isIsoUtcTimestamp('2026-01-02T10:00:00.000+00:00'), false);
  assert.equal(isIsoDate('2024-02-29'), true);
  assert.equal(isIsoDate('2023-02-29'), false);
  assert.equal(isIsoDate('2026-04-31'), false);
  assert.equal(isIsoDate('2026-1-01'), false);
});
