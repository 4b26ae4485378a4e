import type { Rule } from '../../validate/rule.js';
import { duplicateRowRule, missingNhsNumberRule } from '../../validate/rule-builders.js';
import { implausibleDateOfBirthRule } from '../../validate/date-of-birth-rule.js';

/**
 * Patient-level prescribing assurance rules for `prescribing_item`, in one place. Field and
 * within-row checks (BNF code, processing month, future dates, …) are the row contract's
 * (`PRESCRIBING.<FIELD>.<RULE>`, reject).
 */

const dataset = 'prescribing';
const tables = ['prescribing_item'] as const;

export const PRESCRIBING_RULES: readonly Rule[] = [
  missingNhsNumberRule(dataset, tables),
  implausibleDateOfBirthRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];
