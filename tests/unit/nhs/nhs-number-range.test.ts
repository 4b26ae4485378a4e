import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  isInEnglandIssuedRange,
  nhsNumberCheckDigit,
  nhsNumberIssuingRange,
  type NhsNumberIssuingRange,
} from '../../../shared/domain/nhs/nhs-number.js';

/** The valid NHS number with the first body at or after `body` that has a check digit. */
function validFrom(body: number): string {
  for (let b = body; ; b++) {
    const first9 = String(b).padStart(9, '0');
    const check = nhsNumberCheckDigit(first9);
    if (check !== null) return `${first9}${check}`;
  }
}

// Range edges from shared/nhs/REFERENCE.md §1.1, each one side of a boundary and the other.
const EDGES: readonly { value: string; range: NhsNumberIssuingRange; why: string }[] = [
  { value: '4000000000', range: 'england', why: 'first of the 4xx block' },
  { value: '4999999999', range: 'england', why: 'last of the 4xx block' },
  { value: '5000000000', range: 'unallocated', why: '5xx is not issued' },
  { value: '5999999999', range: 'unallocated', why: 'last of 5xx' },
  { value: '6000000000', range: 'england', why: 'first of the 6xx-7xx block' },
  { value: '7999999999', range: 'england', why: 'last of the 6xx-7xx block' },
  { value: '8000000000', range: 'unallocated', why: '8xx is not issued' },
  { value: '3112999999', range: 'scotland', why: 'last CHI number (31 Dec, ..99)' },
  { value: '3113000000', range: 'england', why: 'first 3xx number past the CHI range' },
  { value: '3200000009', range: 'england', why: 'body 320 000 000: below the Northern Ireland range' },
  { value: '3200000010', range: 'northern_ireland', why: 'body 320 000 001: first H&C number' },
  { value: '3999999999', range: 'northern_ireland', why: 'last H&C number' },
  { value: '0101000000', range: 'scotland', why: 'first CHI number (01 Jan 00)' },
  { value: '0100999999', range: 'unallocated', why: 'below the CHI range' },
  { value: '9990000018', range: 'test', why: 'the 999 test range' },
  { value: '9989999999', range: 'unallocated', why: 'just below the test range' },
  { value: '4698194180', range: 'england', why: 'a public valid example' },
  { value: '469819418', range: 'unallocated', why: 'nine digits' },
  { value: '469 819 4180', range: 'unallocated', why: 'display form is not storage form' },
  { value: '46981941A0', range: 'unallocated', why: 'a letter' },
];

for (const { value, range, why } of EDGES)
  test(`the issuing range of an NHS number at a range edge is ${range} (${why})`, () => {
    assert.equal(nhsNumberIssuingRange(value), range);
    assert.equal(isInEnglandIssuedRange(value), range === 'england');
  });

test('every ten-digit number whose first digit is 4, 6 or 7 is in the England ranges; 5, 8 and 9 never are', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^\d{10}$/), (value) => {
      const first = value[0];
      if (first === '4' || first === '6' || first === '7') assert.equal(isInEnglandIssuedRange(value), true);
      if (first === '5' || first === '8' || first === '9') assert.equal(isInEnglandIssuedRange(value), false);
    }),
  );
});

test('numbers generated for synthetic data (the 999 range) are never judged as issued in England', () => {
  fc.assert(
    fc.property(fc.integer({ min: 999_000_000, max: 999_999_990 }), (body) => {
      const value = validFrom(body);
      assert.equal(nhsNumberIssuingRange(value), 'test');
      assert.equal(isInEnglandIssuedRange(value), false);
    }),
  );
});
