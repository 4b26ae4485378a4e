import type { Rule } from '../rule.js';
import {
  dateNotInFutureRule,
  dateOrderRule,
  duplicateRowRule,
  missingNhsNumberRule,
  referralAfterActivityRule,
  referralNotFoundRule,
} from '../rule-builders.js';

/** MHSDS assurance rules: every rule for the referral, care contact and cluster tables, in one place. */

const dataset = 'mhsds';
const all = ['mhsds_referral', 'mhsds_care_contact', 'mhsds_cluster_assessment'] as const;
const children = ['mhsds_care_contact', 'mhsds_cluster_assessment'] as const;

export const MHSDS_RULES: readonly Rule[] = [
  dateOrderRule({
    dataset,
    tables: ['mhsds_referral'],
    id: 'DISCHARGE_BEFORE_REFERRAL',
    earlier: 'referral_received_date',
    later: 'service_discharge_date',
    severity: 'reject',
    message: 'service discharge date is before the referral received date',
    rationale: 'a negative referral length breaks open-referral and caseload counts',
  }),
  referralNotFoundRule(dataset, children),
  referralAfterActivityRule(dataset, children),
  missingNhsNumberRule(dataset, ['mhsds_referral']),
  dateNotInFutureRule(dataset, all),
  duplicateRowRule(dataset, all),
];
