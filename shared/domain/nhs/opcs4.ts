import { VALID, invalid, type ValueCheck } from './value-check.js';

/**
 * OPCS-4 procedure in storage form: a chapter letter and 3 digits, no dot (`W371` for W37.1).
 * Chapters are A–Z without I and O (never used as OPCS-4 chapters; unverified, see docs/reference-data.md).
 */
const SHAPE = /^[A-HJ-NP-Z][0-9]{3}$/;
const INPUT = /^([A-Z][0-9]{2})\.?([0-9])$/;

const EMPTY = invalid('EMPTY', 'empty');
const DOTTED = invalid('DOTTED', 'contains a dot; SUS stores OPCS-4 codes without the dot');
const LENGTH = invalid('LENGTH', 'not 4 characters');
const CHAPTER = invalid('CHAPTER', 'chapter letter I or O is not used in OPCS-4');
const FORMAT = invalid('FORMAT', 'not an OPCS-4 code (an upper-case letter then 3 digits)');

/** Validates an OPCS-4 code in storage form. Rules: EMPTY, DOTTED, LENGTH, CHAPTER, FORMAT. */
export function validateOpcs4(value: string): ValueCheck {
  if (value.length === 0) return EMPTY;
  if (value.includes('.')) return DOTTED;
  if (value.length !== 4) return LENGTH;
  if (SHAPE.test(value)) return VALID;
  return /^[IO][0-9]{3}$/.test(value) ? CHAPTER : FORMAT;
}

/** Storage form of a dotted or undotted OPCS-4 code (`w37.1` → `W371`), or `null` if it is not one. */
export function normaliseOpcs4(value: string): string | null {
  const m = INPUT.exec(value.trim().toUpperCase());
  return m ? `${m[1] ?? ''}${m[2] ?? ''}` : null;
}
