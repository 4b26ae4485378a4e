import { VALID, invalid, type ValueCheck } from './value-check.js';

/**
 * NHS number: 10 digits, the tenth a modulus-11 check digit (NHS Data Dictionary).
 * Storage form is the bare 10 digits; display form `3-3-4` is accepted only through
 * {@link normaliseNhsNumber}.
 */

const WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2] as const;

const EMPTY = invalid('EMPTY', 'empty');
const LENGTH = invalid('LENGTH', 'not 10 digits');
const NON_DIGIT = invalid('NON_DIGIT', 'contains a character that is not a digit');
const ALL_SAME = invalid('ALL_SAME_DIGIT', 'all digits the same (a dummy value, never issued)');
const NO_CHECK = invalid(
  'NO_CHECK_DIGIT_POSSIBLE',
  'no check digit exists for the first nine digits (modulus 11 gives 10), so the number is never issued',
);
const CHECK_DIGIT = invalid('CHECK_DIGIT', 'check digit does not match (modulus 11)');

/**
 * The modulus-11 check digit for the first nine digits of an NHS number.
 * Returns `null` when no check digit exists (11 − r = 10) or when `first9` is not nine digits.
 */
export function nhsNumberCheckDigit(first9: string): number | null {
  if (first9.length !== 9) return null;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const d = first9.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    sum += d * (WEIGHTS[i] ?? 0);
  }
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return null;
  return check;
}

/**
 * Validates an NHS number in storage form (exactly 10 digits, no spaces).
 * Rules, in the order applied: EMPTY, LENGTH, NON_DIGIT, ALL_SAME_DIGIT, NO_CHECK_DIGIT_POSSIBLE, CHECK_DIGIT.
 */
export function validateNhsNumber(value: string): ValueCheck {
  if (value.length === 0) return EMPTY;
  if (value.length !== 10) return LENGTH;
  let allSame = true;
  const first = value.charCodeAt(0);
  for (let i = 0; i < 10; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return NON_DIGIT;
    if (c !== first) allSame = false;
  }
  if (allSame) return ALL_SAME;
  const check = nhsNumberCheckDigit(value.slice(0, 9));
  if (check === null) return NO_CHECK;
  return value.charCodeAt(9) - 48 === check ? VALID : CHECK_DIGIT;
}

/** True when the value is a valid NHS number in the 999 test range (999 000 0000 – 999 999 9999). */
export function isTestRangeNhsNumber(value: string): boolean {
  return value.startsWith('999') && validateNhsNumber(value).ok;
}

/** Strips spaces and hyphens (display form `943 476 5919` or `943-476-5919` → `9434765919`). */
export function normaliseNhsNumber(value: string): string {
  return value.replace(/[\s-]/g, '');
}
