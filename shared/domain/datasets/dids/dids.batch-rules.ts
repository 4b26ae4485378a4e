import type { Rule } from '../../validate/rule.js';
import { duplicateRowRule, missingNhsNumberRule } from '../../validate/rule-builders.js';
import { implausibleDateOfBirthRule } from '../../validate/date-of-birth-rule.js';

/**
 * DIDS assurance rules for `dids_imaging_test`, in one place. Date order (request ≤ received ≤ test
 * ≤ report: `DIDS.TEST_DATE.BEFORE_REQUEST`, …), codes (with the 183-day validity window) and
 * future dates are the row contract's (reject: DIDS requires the order, and waits would be
 * negative); the two modality checks are warnings set here.
 */

const dataset = 'dids';
const tables = ['dids_imaging_test'] as const;

export const DIDS_RULES: readonly Rule[] = [
  {
    scope: 'contract',
    id: 'DIDS.MODALITY.NICIP_MISMATCH',
    dataset,
    tables,
    fields: ['modality'],
    severity: 'warn',
    message: 'supplied modality is not the modality the reference maps the examination code to',
    rationale:
      'modality is derived from the NICIP code through the reference mapping (derived_modality), never taken as supplied; a disagreeing supplied value is a data-quality item, the examination stands',
  },
  {
    scope: 'contract',
    id: 'DIDS.DERIVED_MODALITY.NOT_DERIVED',
    dataset,
    tables,
    fields: ['derived_modality'],
    severity: 'warn',
    message: 'derived modality is not the reference mapping of the examination code',
    rationale:
      'the examination code stands and the modality is re-derived from it through the reference mapping; a stale or differently mapped value is reported, not quarantined',
  },
  missingNhsNumberRule(dataset, tables),
  implausibleDateOfBirthRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];
