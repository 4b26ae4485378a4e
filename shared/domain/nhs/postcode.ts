import { VALID, invalid, type ValueCheck } from './value-check.js';

/**
 * UK postcode: outward code (1–2 letters, a digit, an optional letter or digit), then the inward
 * code (a digit and two letters). Stored as up to 8 characters (CDS `an8`) with any internal
 * spacing; NHS pseudo-postcodes (`ZZ99 3VZ` no fixed abode, …) pass the format.
 */
const SHAPE = /^[A-Z]{1,2}[0-9][A-Z0-9]? *[0-9][A-Z]{2}$/;

const EMPTY = invalid('EMPTY', 'empty');
const LENGTH = invalid('LENGTH', 'longer than 8 characters');
const FORMAT = invalid(
  'FORMAT',
  'not a UK postcode (upper-case outward code of 2-4 characters, optional spaces, inward code digit + 2 letters)',
);

/** Validates a postcode as stored (upper case, optional internal spaces, at most 8 characters). */
export function validatePostcode(value: string): ValueCheck {
  if (value.length === 0) return EMPTY;
  if (value.length > 8) return LENGTH;
  return SHAPE.test(value) ? VALID : FORMAT;
}

/**
 * Canonical form used for lookups: upper case, spaces removed, one space before the inward code
 * (`b11aa` / `B1  1AA` → `B1 1AA`). Does not validate.
 */
export function normalisePostcode(value: string): string {
  const compact = value.replace(/\s+/g, '').toUpperCase();
  if (compact.length < 5) return compact;
  return `${compact.slice(0, -3)} ${compact.slice(-3)}`;
}
