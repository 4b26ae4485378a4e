import type { Rule } from '../rule.js';
import { duplicateRowRule, missingNhsNumberRule } from '../rule-builders.js';
import { implausibleDateOfBirthRule } from '../date-of-birth-rule.js';

/**
 * DIDS assurance rules for `dids_imaging_test`, in one place. Date order (request ≤ received ≤ test
 * ≤ report: `DIDS.TEST_DATE.BEFORE_REQUEST`, …), codes and future dates are the row contract's
 * (reject: DIDS requires the order, and waits would be negative).
 */

const dataset = 'dids';
const tables = ['dids_imaging_test'] as const;

export const DIDS_RULES: readonly Rule[] = [
  missingNhsNumberRule(dataset, tables),
  implausibleDateOfBirthRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];
