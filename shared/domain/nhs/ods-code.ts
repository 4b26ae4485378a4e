import { VALID, invalid, type ValueCheck, type ValueFailure } from './value-check.js';

/** Organisation kinds whose ODS code format is checked. */
export type OdsKind = 'trust' | 'site' | 'gp_practice' | 'icb' | 'sub_icb';

interface OdsFormat {
  readonly length: number;
  readonly pattern: RegExp;
  readonly length_: ValueFailure;
  readonly format: ValueFailure;
}

const format = (kind: string, length: number, pattern: RegExp, shape: string): OdsFormat => ({
  length,
  pattern,
  length_: invalid('LENGTH', `not ${length} characters (an ODS ${kind} code has ${length})`),
  format: invalid('FORMAT', `not an ODS ${kind} code (${shape})`),
});

/**
 * ODS code formats (NHS ODS; see /docs/reference-data.md):
 * - trust: 3 characters, R or T then 2 upper-case letters/digits (RRK, RM1, TAJ);
 * - site: trust code + 2 upper-case letters/digits (RRK02);
 * - gp_practice: a letter + 5 digits (M85063);
 * - icb: Q + 2 upper-case letters/digits (QHL);
 * - sub_icb: 2 digits + a letter (15E).
 */
const FORMATS: Readonly<Record<OdsKind, OdsFormat>> = {
  trust: format('NHS trust', 3, /^[RT][A-Z0-9]{2}$/, "'R' or 'T' then 2 upper-case letters or digits"),
  site: format('trust site', 5, /^[RT][A-Z0-9]{4}$/, 'a trust code then 2 upper-case letters or digits'),
  gp_practice: format('GP practice', 6, /^[A-Z][0-9]{5}$/, 'an upper-case letter then 5 digits'),
  icb: format('ICB', 3, /^Q[A-Z0-9]{2}$/, "'Q' then 2 upper-case letters or digits"),
  sub_icb: format('sub-ICB location', 3, /^[0-9]{2}[A-Z]$/, '2 digits then an upper-case letter'),
};

const EMPTY = invalid('EMPTY', 'empty');

/** Validates an ODS code against the format for its organisation kind. Rules: EMPTY, LENGTH, FORMAT. */
export function validateOdsCode(value: string, kind: OdsKind): ValueCheck {
  if (value.length === 0) return EMPTY;
  const f = FORMATS[kind];
  if (value.length !== f.length) return f.length_;
  return f.pattern.test(value) ? VALID : f.format;
}
