import { VALID, invalid, type ValueCheck } from './value-check.js';

/**
 * ICD-10 diagnosis in the SUS/HES storage form: 4 characters, no dot, a letter, 2 digits and a
 * 4th character that is a digit or `X` padding a 3-character code (`I219`, `R69X`).
 * Dotted or 3-character input (`I21.9`, `R69`) is accepted only through {@link normaliseIcd10}.
 */
const SHAPE = /^[A-Z][0-9]{2}[0-9X]$/;
const INPUT = /^([A-Z][0-9]{2})(?:\.?([0-9X]))?$/;

const EMPTY = invalid('EMPTY', 'empty');
const DOTTED = invalid('DOTTED', 'contains a dot; SUS stores ICD-10 codes without the dot');
const LENGTH = invalid('LENGTH', 'not 4 characters (SUS storage form pads 3-character codes with X)');
const FORMAT = invalid('FORMAT', 'not an ICD-10 code (a letter, 2 digits, then a digit or X)');

/** Validates an ICD-10 code in storage form. Rules: EMPTY, DOTTED, LENGTH, FORMAT. */
export function validateIcd10(value: string): ValueCheck {
  if (value.length === 0) return EMPTY;
  if (value.includes('.')) return DOTTED;
  if (value.length !== 4) return LENGTH;
  return SHAPE.test(value) ? VALID : FORMAT;
}

/**
 * Storage form of a dotted, undotted or 3-character ICD-10 code, or `null` if it is not one:
 * `i21.9` → `I219`, `R69` → `R69X`, `J44.X` → `J44X`.
 */
export function normaliseIcd10(value: string): string | null {
  const m = INPUT.exec(value.trim().toUpperCase());
  if (!m) return null;
  return `${m[1] ?? ''}${m[2] ?? 'X'}`;
}
