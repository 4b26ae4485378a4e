import type { Rule } from '../../validate/rule.js';
import {
  duplicateRowRule,
  missingNhsNumberRule,
  referralAfterContactRule,
  referralNotFoundRule,
} from '../../validate/rule-builders.js';
import { implausibleDateOfBirthRule } from '../../validate/date-of-birth-rule.js';

/**
 * CSDS assurance rules for the community referral and care contact tables, in one place. Field and
 * within-row checks are the row contract's (`CSDS.<FIELD>.<RULE>`, reject).
 */

const dataset = 'csds';
const all = ['csds_referral', 'csds_care_contact'] as const;
const children = ['csds_care_contact'] as const;

export const CSDS_RULES: readonly Rule[] = [
  referralNotFoundRule(dataset, children),
  referralAfterContactRule(dataset, 'csds_referral', 'csds_care_contact'),
  missingNhsNumberRule(dataset, ['csds_referral']),
  implausibleDateOfBirthRule(dataset, ['csds_referral']),
  duplicateRowRule(dataset, all),
];
