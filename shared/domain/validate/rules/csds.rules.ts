import type { Rule } from '../rule.js';
import {
  dateNotInFutureRule,
  dateOrderRule,
  duplicateRowRule,
  missingNhsNumberRule,
  referralAfterActivityRule,
  referralNotFoundRule,
} from '../rule-builders.js';

/** CSDS assurance rules: every rule for the community referral and care contact tables, in one place. */

const dataset = 'csds';
const all = ['csds_referral', 'csds_care_contact'] as const;
const children = ['csds_care_contact'] as const;

export const CSDS_RULES: readonly Rule[] = [
  dateOrderRule({
    dataset,
    tables: ['csds_referral'],
    id: 'DISCHARGE_BEFORE_REFERRAL',
    earlier: 'referral_received_date',
    later: 'service_discharge_date',
    severity: 'reject',
    message: 'service discharge date is before the referral received date',
    rationale: 'a negative referral length breaks caseload counts',
  }),
  referralNotFoundRule(dataset, children),
  referralAfterActivityRule(dataset, children),
  missingNhsNumberRule(dataset, ['csds_referral']),
  dateNotInFutureRule(dataset, all),
  duplicateRowRule(dataset, all),
];
