import { VALID, invalid, type ValueCheck } from './value-check.js';

/**
 * SNOMED CT identifier (SCTID): 6–18 digits, no leading zero. The last digit is a Verhoeff check
 * digit; the two before it are the partition identifier (`00` concept, `01` description,
 * `02` relationship in short format; `10`, `11`, `12` the same in long format, where the 7 digits
 * before the partition are the extension namespace).
 */

// Verhoeff dihedral-group tables (D5 multiplication, position permutation, inverse).
const D: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
// Position permutations: P[i] = P[1] applied i times (as the SNOMED CT technical guide derives them).
const P: readonly (readonly number[])[] = (() => {
  const first = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4];
  const rows: number[][] = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], first];
  for (let i = 2; i < 8; i++) rows.push(first.map((_, j) => rows[i - 1]?.[first[j] ?? 0] ?? 0));
  return rows;
})();
const INV: readonly number[] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/** Runs the Verhoeff accumulator over `digits` from the right, starting at permutation `offset`. */
function verhoeff(digits: string, offset: number): number | null {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (digit < 0 || digit > 9) return null;
    c = D[c]?.[P[(i + offset) % 8]?.[digit] ?? 0] ?? 0;
  }
  return c;
}

/**
 * The Verhoeff check digit to append to `digits` (an SCTID without its last digit).
 * Throws a RangeError when `digits` is empty or holds a non-digit (a programming error, not data).
 */
export function verhoeffCheckDigit(digits: string): number {
  const c = digits.length === 0 ? null : verhoeff(digits, 1);
  if (c === null) throw new RangeError('verhoeffCheckDigit expects a non-empty string of digits');
  return INV[c] ?? 0;
}

/** What kind of component the identifier must be (`concept` requires partition 00 or 10). */
export type SnomedIdKind = 'any' | 'concept';

const EMPTY = invalid('EMPTY', 'empty');
const NON_DIGIT = invalid('NON_DIGIT', 'contains a character that is not a digit');
const LEADING_ZERO = invalid('LEADING_ZERO', 'starts with 0');
const LENGTH = invalid('LENGTH', 'not 6 to 18 digits');
const PARTITION = invalid(
  'PARTITION',
  'partition identifier (digits 2-3 from the right) is not 00, 01, 02, 10, 11 or 12',
);
const NAMESPACE = invalid('PARTITION', 'long-format partition (1x) needs a 7-digit namespace before it');
const NOT_CONCEPT = invalid('NOT_A_CONCEPT', 'partition identifier is not a concept partition (00 or 10)');
const CHECK_DIGIT = invalid('CHECK_DIGIT', 'check digit does not match (Verhoeff)');

/**
 * Validates an SCTID. Rules, in order: EMPTY, NON_DIGIT, LEADING_ZERO, LENGTH, PARTITION,
 * NOT_A_CONCEPT (only when `kind` is `concept`), CHECK_DIGIT.
 */
export function validateSnomedId(value: string, kind: SnomedIdKind = 'any'): ValueCheck {
  const n = value.length;
  if (n === 0) return EMPTY;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return NON_DIGIT;
  }
  if (value.charCodeAt(0) === 48) return LEADING_ZERO;
  if (n < 6 || n > 18) return LENGTH;
  const format = value.charCodeAt(n - 3) - 48;
  const component = value.charCodeAt(n - 2) - 48;
  if ((format !== 0 && format !== 1) || component > 2) return PARTITION;
  // long format: at least one item digit + 7-digit namespace + partition + check digit
  if (format === 1 && n < 11) return NAMESPACE;
  if (kind === 'concept' && component !== 0) return NOT_CONCEPT;
  return verhoeff(value, 0) === 0 ? VALID : CHECK_DIGIT;
}
