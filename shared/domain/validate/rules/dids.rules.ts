import type { Rule } from '../rule.js';
import {
  dateNotInFutureRule,
  dateOrderRule,
  duplicateRowRule,
  missingNhsNumberRule,
} from '../rule-builders.js';

/** DIDS assurance rules: every rule for `dids_imaging_test`, in one place. */

const dataset = 'dids';
const tables = ['dids_imaging_test'] as const;

export const DIDS_RULES: readonly Rule[] = [
  dateOrderRule({
    dataset,
    tables,
    id: 'TEST_BEFORE_REQUEST',
    earlier: 'request_date',
    later: 'test_date',
    severity: 'reject',
    message: 'imaging test date is before the request date',
    rationale: 'DIDS requires request <= test; waiting times would be negative',
  }),
  dateOrderRule({
    dataset,
    tables,
    id: 'REQUEST_RECEIVED_BEFORE_REQUEST',
    earlier: 'request_date',
    later: 'request_received_date',
    severity: 'warn',
    message: 'request received date is before the request date',
  }),
  dateOrderRule({
    dataset,
    tables,
    id: 'TEST_BEFORE_REQUEST_RECEIVED',
    earlier: 'request_received_date',
    later: 'test_date',
    severity: 'warn',
    message: 'imaging test date is before the request received date',
  }),
  dateOrderRule({
    dataset,
    tables,
    id: 'REPORT_BEFORE_TEST',
    earlier: 'test_date',
    later: 'report_issue_date',
    severity: 'reject',
    message: 'report issue date is before the imaging test date',
    rationale: 'DIDS requires test <= report; reporting times would be negative',
  }),
  missingNhsNumberRule(dataset, tables),
  dateNotInFutureRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];
