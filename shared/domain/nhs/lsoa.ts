import { VALID, invalid, type ValueCheck } from './value-check.js';

/** Lower-layer super output area: `E01` (England) or `W01` (Wales) + 6 digits (2011 and 2021 vintages). */
const SHAPE = /^[EW]01[0-9]{6}$/;

const EMPTY = invalid('EMPTY', 'empty');
const LENGTH = invalid('LENGTH', 'not 9 characters');
const FORMAT = invalid('FORMAT', "not an LSOA code ('E01' or 'W01' then 6 digits)");

/** Validates an LSOA code. Rules: EMPTY, LENGTH, FORMAT. */
export function validateLsoa(value: string): ValueCheck {
  if (value.length === 0) return EMPTY;
  if (value.length !== 9) return LENGTH;
  return SHAPE.test(value) ? VALID : FORMAT;
}
