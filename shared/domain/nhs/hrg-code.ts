import { VALID, invalid, type ValueCheck } from './value-check.js';

/**
 * HRG4+ code: 5 characters, 2 letters (chapter + subchapter), 2 digits (root), 1 letter (split;
 * `Z` = no split). `UZ01Z` (data invalid for grouping) passes the format; whether an HRG is known
 * for a year is a reference-data question.
 */
const SHAPE = /^[A-Z]{2}[0-9]{2}[A-Z]$/;

const EMPTY = invalid('EMPTY', 'empty');
const LENGTH = invalid('LENGTH', 'not 5 characters');
const FORMAT = invalid('FORMAT', 'not an HRG4+ code (2 upper-case letters, 2 digits, 1 upper-case letter)');

/** Validates an HRG4+ code. Rules: EMPTY, LENGTH, FORMAT. */
export function validateHrgCode(value: string): ValueCheck {
  if (value.length === 0) return EMPTY;
  if (value.length !== 5) return LENGTH;
  return SHAPE.test(value) ? VALID : FORMAT;
}

/** The HRG code that means the grouper could not group the record. */
export const UNGROUPABLE_HRG = 'UZ01Z';
