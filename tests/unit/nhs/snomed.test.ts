import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSnomedId, verhoeffCheckDigit } from '../../../shared/domain/nhs/snomed.js';

// Golden vectors: every SNOMED CT code in shared/nhs/codes/ecds_*.csv and discharge_destination_ecds.csv.
const ECDS_CODES = [
  '1064891000000107',
  '1064911000000105',
  '1064901000000108',
  '1077241000000103',
  '1077251000000100',
  '1048031000000100',
  '1048041000000109',
  '1048021000000102',
  '1048051000000107',
  '1048081000000101',
  '1048061000000105',
  '1048071000000103',
  '1047991000000102',
  '1048001000000106',
  '182992009',
  '1077021000000100',
  '1077031000000103',
  '1077781000000101',
  '1077081000000104',
  '1077091000000102',
  '1077101000000105',
  '1077041000000107',
  '1077071000000101',
  '1066301000000103',
  '1066311000000101',
  '1066321000000107',
  '63238001',
  '306689006',
  '306691003',
  '306694006',
  '306705005',
  '50861005',
  '1066331000000109',
  '1066341000000100',
  '1066351000000102',
  '306706006',
  '1066361000000104',
  '1066371000000106',
  '1066381000000108',
  '1066391000000105',
  '1066401000000108',
  '19712007',
  '183919006',
  '305398007',
  '989501000000106',
];

test('every ECDS SNOMED CT concept id passes Verhoeff and is a concept', () => {
  for (const code of ECDS_CODES) assert.deepEqual(validateSnomedId(code, 'concept'), { ok: true }, code);
});

test('refset ids and international concepts pass', () => {
  for (const code of ['22298006', '999003011000000105', '999001111000000105'])
    assert.deepEqual(validateSnomedId(code), { ok: true }, code);
});

test('the Verhoeff check digit of an id body is its last digit', () => {
  for (const code of ECDS_CODES)
    assert.equal(verhoeffCheckDigit(code.slice(0, -1)), Number(code.slice(-1)), code);
  assert.throws(() => verhoeffCheckDigit(''), RangeError);
});

const REJECTED: readonly (readonly [value: string, rule: string, why: string])[] = [
  ['', 'EMPTY', 'it is empty'],
  ['30668900A', 'NON_DIGIT', 'it holds a letter'],
  ['0306689006', 'LEADING_ZERO', 'it starts with 0'],
  ['12345', 'LENGTH', 'it has 5 digits'],
  ['1234567890123456789', 'LENGTH', 'it has 19 digits'],
  ['306689036', 'PARTITION', 'its partition is 03'],
  ['1234106', 'PARTITION', 'a long-format partition has no namespace'],
  ['9474711000001109', 'CHECK_DIGIT', 'a dm+d id from an unreliable file fails Verhoeff'],
  ['306689007', 'CHECK_DIGIT', 'the last digit is altered'],
];
for (const [value, rule, why] of REJECTED) {
  test(`a SNOMED CT id is rejected with ${rule} when ${why}`, () => {
    const result = validateSnomedId(value);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.rule, rule);
      if (value.length > 0) assert.ok(!result.reason.includes(value));
    }
  });
}

test('a description id is not accepted where a concept is required', () => {
  const body = '30668901';
  const description = `${body}${verhoeffCheckDigit(body)}`;
  assert.deepEqual(validateSnomedId(description), { ok: true });
  const result = validateSnomedId(description, 'concept');
  assert.equal(result.ok ? 'ok' : result.rule, 'NOT_A_CONCEPT');
});
