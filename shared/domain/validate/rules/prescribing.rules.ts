import type { Rule } from '../rule.js';
import { dateNotInFutureRule, duplicateRowRule, missingNhsNumberRule, text } from '../rule-builders.js';

/** Patient-level prescribing assurance rules: every rule for `prescribing_item`, in one place. */

const dataset = 'prescribing';
const tables = ['prescribing_item'] as const;

export const PRESCRIBING_RULES: readonly Rule[] = [
  {
    scope: 'row',
    id: 'PRESC.PROCESSING_MONTH_BEFORE_DISPENSING',
    dataset,
    tables,
    fields: ['processing_month', 'dispensing_date'],
    severity: 'warn',
    message: 'processing month is before the month the item was dispensed',
    check(row) {
      const month = text(row, 'processing_month');
      const dispensed = text(row, 'dispensing_date');
      if (month === undefined || dispensed === undefined) return undefined;
      return month < dispensed.slice(0, 7).replace('-', '') ? 'processing_month' : undefined;
    },
  },
  missingNhsNumberRule(dataset, tables),
  dateNotInFutureRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];
