import type { DatasetId, SourceTableName } from '../datasets/source-tables.js';
import { RULE_PREFIX, type RowRule } from './rule.js';
import { text } from './rule-builders.js';

/** Oldest age (whole years at the extract date) taken as plausible without a second look. */
export const MAX_PLAUSIBLE_AGE_YEARS = 115;

/**
 * `<PREFIX>.DATE_OF_BIRTH_IMPLAUSIBLE` (warn): a date of birth that makes the patient older than
 * MAX_PLAUSIBLE_AGE_YEARS at the extract date. Such values are nearly always keying errors or
 * system defaults (1900-01-01, a wrong century); the activity is real and counts, but its age
 * band and any linkage on date of birth are not to be trusted. Future dates of birth and dates of
 * birth after the activity are the row contract's (reject); an unreadable date is left to it too.
 */
export function implausibleDateOfBirthRule(dataset: DatasetId, tables: readonly SourceTableName[]): RowRule {
  return {
    scope: 'row',
    id: `${RULE_PREFIX[dataset]}.DATE_OF_BIRTH_IMPLAUSIBLE`,
    dataset,
    tables,
    fields: ['date_of_birth'],
    severity: 'warn',
    message: `date of birth makes the patient older than ${MAX_PLAUSIBLE_AGE_YEARS} years at the extract date`,
    rationale:
      'almost always a keying error or a system default (1900-01-01, a wrong century): the activity counts, its age band and linkage on date of birth are unreliable',
    check: (row, ctx) => {
      const dob = text(row, 'date_of_birth');
      if (dob === undefined || !/^\d{4}-\d{2}-\d{2}/.test(dob)) return undefined;
      const asOf = ctx.extractDate;
      const years = Number(asOf.slice(0, 4)) - Number(dob.slice(0, 4));
      // Whole years: one fewer when the birthday has not come round by the extract date.
      const age = asOf.slice(5, 10) < dob.slice(5, 10) ? years - 1 : years;
      return age > MAX_PLAUSIBLE_AGE_YEARS ? 'date_of_birth' : undefined;
    },
  };
}
