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

/**
 * Where an NHS number's first nine digits (the number without its check digit) fall among the
 * issuing ranges (shared/nhs/REFERENCE.md §1.1, partially verified: Wikipedia and the NHS Wales
 * `nhs-number` crate docs):
 * - `england`: 400 000 000–499 999 999 and 600 000 000–799 999 999 (England, Wales and the Isle of
 *   Man), and the 3xx numbers England also issues, i.e. the 300 000 000–399 999 999 block less the
 *   Northern Ireland and Scottish ranges below (how much of that block England uses is not verified);
 * - `northern_ireland`: 320 000 001–399 999 999 (Health and Care numbers, not NHS numbers);
 * - `scotland`: 010 100 000–311 299 999 (CHI numbers 010 100 0000–311 299 9999, not NHS numbers);
 * - `test`: 999 000 000–999 999 999 (passes modulus 11, never issued to a patient);
 * - `unallocated`: anything else (and anything that is not ten digits).
 *
 * Judges the range only: call {@link validateNhsNumber} for the format and check digit.
 */
export type NhsNumberIssuingRange = 'england' | 'northern_ireland' | 'scotland' | 'test' | 'unallocated';

const RANGES: readonly (readonly [from: number, to: number, range: NhsNumberIssuingRange])[] = [
  [10_100_000, 311_299_999, 'scotland'],
  [320_000_001, 399_999_999, 'northern_ireland'],
  [300_000_000, 399_999_999, 'england'],
  [400_000_000, 499_999_999, 'england'],
  [600_000_000, 799_999_999, 'england'],
  [999_000_000, 999_999_999, 'test'],
];

/** The issuing range of an NHS number in storage form (see {@link NhsNumberIssuingRange}). */
export function nhsNumberIssuingRange(value: string): NhsNumberIssuingRange {
  if (value.length !== 10 || !/^\d{10}$/.test(value)) return 'unallocated';
  const body = Number(value.slice(0, 9));
  // First match wins: the Scottish and Northern Ireland ranges are listed before England's 3xx block.
  for (const [from, to, range] of RANGES) if (body >= from && body <= to) return range;
  return 'unallocated';
}

/** True when the NHS number lies in a range issued in England (see {@link nhsNumberIssuingRange}). */
export function isInEnglandIssuedRange(value: string): boolean {
  return nhsNumberIssuingRange(value) === 'england';
}
