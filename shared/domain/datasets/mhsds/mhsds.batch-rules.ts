import type { Rule } from '../../validate/rule.js';
import {
  duplicateRowRule,
  missingNhsNumberRule,
  referralAfterContactRule,
  referralNotFoundRule,
} from '../../validate/rule-builders.js';
import { implausibleDateOfBirthRule } from '../../validate/date-of-birth-rule.js';

/**
 * MHSDS assurance rules for the referral, care contact, cluster, hospital spell and ward stay tables,
 * in one place. Field and
 * within-row checks (codes, discharge before referral, future dates, …) are the row contract's
 * (`MHSDS.<FIELD>.<RULE>`, reject).
 */

const dataset = 'mhsds';
const all = [
  'mhsds_referral',
  'mhsds_care_contact',
  'mhsds_cluster_assessment',
  'mhsds_hospital_spell',
  'mhsds_ward_stay',
] as const;
const children = ['mhsds_care_contact', 'mhsds_cluster_assessment'] as const;

export const MHSDS_RULES: readonly Rule[] = [
  referralNotFoundRule(dataset, children),
  referralAfterContactRule(dataset, 'mhsds_referral', 'mhsds_care_contact'),
  missingNhsNumberRule(dataset, ['mhsds_referral']),
  implausibleDateOfBirthRule(dataset, ['mhsds_referral']),
  duplicateRowRule(dataset, all),
];
