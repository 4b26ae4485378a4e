import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isTestRangeNhsNumber,
  nhsNumberCheckDigit,
  normaliseNhsNumber,
  validateNhsNumber,
} from '../../../shared/domain/nhs/nhs-number.js';

// Golden vectors: the worked examples in shared/nhs/codes/nhs_number_examples.csv.
const VALID = [
  '9990000018',
  '9990000026',
  '9990000034',
  '9990000042',
  '9990000050',
  '9990000069',
  '9990000077',
  '9990000085',
  '9990000093',
  '9990000107',
  '9434765919',
  '9000000009',
  '9876543210',
  '4698194180',
];

const REJECTED: readonly { value: string; rule: string; why: string }[] = [
  { value: '9990000019', rule: 'CHECK_DIGIT', why: 'last digit altered' },
  { value: '9990000100', rule: 'CHECK_DIGIT', why: 'transposition of 9990000107' },
  { value: '9997654321', rule: 'CHECK_DIGIT', why: 'wrong check digit' },
  { value: '9876544321', rule: 'CHECK_DIGIT', why: "the NHS 'format example' fails modulus 11" },
  { value: '9111111124', rule: 'CHECK_DIGIT', why: 'a quoted test number that fails modulus 11' },
  { value: '9991234560', rule: 'NO_CHECK_DIGIT_POSSIBLE', why: '11 - r = 10 for body 999123456' },
  { value: '1234567890', rule: 'NO_CHECK_DIGIT_POSSIBLE', why: '11 - r = 10 for body 123456789' },
  { value: '999000002', rule: 'LENGTH', why: 'only 9 digits' },
  { value: '99900000388', rule: 'LENGTH', why: '11 digits' },
  { value: '999 000 0018', rule: 'LENGTH', why: 'display form is not storage form' },
  { value: '999000A038', rule: 'NON_DIGIT', why: 'a letter' },
  { value: '0000000000', rule: 'ALL_SAME_DIGIT', why: 'passes modulus 11 but is a dummy' },
  { value: '1111111111', rule: 'ALL_SAME_DIGIT', why: 'passes modulus 11 but is a dummy' },
  { value: '9999999999', rule: 'ALL_SAME_DIGIT', why: 'passes modulus 11 but is a dummy' },
  { value: '', rule: 'EMPTY', why: 'empty string' },
];

test('valid NHS numbers from the golden vectors pass modulus 11', () => {
  for (const value of VALID) assert.deepEqual(validateNhsNumber(value), { ok: true }, value);
});

for (const { value, rule, why } of REJECTED) {
  test(`an NHS number is rejected with ${rule} when ${why}`, () => {
    const result = validateNhsNumber(value);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.rule, rule);
    if (value.length > 0) assert.ok(!result.reason.includes(value), 'reason must not contain the value');
  });
}

test('the check digit is computed from the first nine digits, null when modulus 11 gives 10', () => {
  assert.equal(nhsNumberCheckDigit('999000001'), 8);
  assert.equal(nhsNumberCheckDigit('999000005'), 0);
  assert.equal(nhsNumberCheckDigit('943476591'), 9);
  assert.equal(nhsNumberCheckDigit('999123456'), null);
  assert.equal(nhsNumberCheckDigit('99900000'), null);
  assert.equal(nhsNumberCheckDigit('99900000A'), null);
});

test('only valid numbers starting 999 are in the test range', () => {
  assert.equal(isTestRangeNhsNumber('9990000018'), true);
  assert.equal(isTestRangeNhsNumber('9990000019'), false);
  assert.equal(isTestRangeNhsNumber('9434765919'), false);
});

test('display forms normalise to the bare ten digits', () => {
  assert.equal(normaliseNhsNumber('943 476 5919'), '9434765919');
  assert.equal(normaliseNhsNumber('943-476-5919'), '9434765919');
});
