import { VALID, invalid } from '../../nhs/value-check.js';
import type { RowRule } from '../contract-engine.js';
import { minInt, notBefore, pattern } from '../contract-rules.js';
import { col, nhsName, type ColumnDeclaration } from '../declaration.js';
import { reportingPeriodOf } from './uniq-month-id.js';

/**
 * The submission columns every MHSDS table carries (REFERENCE.md §5.1, V: "Records are keyed by
 * `UniqMonthID` …, `UniqSubmissionID`, and `RecordStartDate`/`RecordEndDate` for SCD-style
 * history"). They place a record in its provider's monthly submission, which is what a
 * resubmission replaces (docs/adr/0010-mhsds-resubmission.md).
 */
export function submissionColumns(): ColumnDeclaration[] {
  return [
    col.int(
      'uniq_month_id',
      'The reporting month the record was submitted for (1429 = April 2019; one more per month)',
      { nhs: nhsName('UniqMonthID', 'MHSDS'), rules: [minInt(1)] },
    ),
    col.varchar(
      'uniq_submission_id',
      20,
      'The submission that carried the record (a later submission of a provider-month replaces an earlier one)',
      {
        nhs: nhsName('UniqSubmissionID', 'MHSDS'),
        rules: [pattern(/^[0-9]{1,20}$/, 'is not a whole-number submission identifier')],
      },
    ),
    col.date('record_start_date', 'Start of the period the record version applies to', {
      nhs: nhsName('RecordStartDate', 'MHSDS'),
    }),
    col.date('record_end_date', 'End of the period the record version applies to (none while it applies)', {
      nullable: true,
      nhs: nhsName('RecordEndDate', 'MHSDS'),
    }),
  ];
}

/** The row rules of the submission columns: record dates in order, the activity within the month. */
export function submissionRowRules(activityDateColumn: string): RowRule[] {
  return [
    notBefore(
      'record_end_date',
      'record_start_date',
      'BEFORE_RECORD_START',
      'is before the record start date',
    ),
    activityInReportingPeriod(activityDateColumn),
  ];
}

/**
 * The activity a record reports happened by the end of the month it was submitted for: a record
 * of UniqMonthID M cannot carry an activity date after M's last day (a pipeline rule, R; a record
 * can report an earlier activity, e.g. a referral still open). Reported against `uniq_month_id`.
 */
function activityInReportingPeriod(activityDateColumn: string): RowRule {
  const fail = invalid('BEFORE_ACTIVITY', 'is a reporting month that ends before the activity date');
  return {
    field: 'uniq_month_id',
    rule: 'BEFORE_ACTIVITY',
    fields: ['uniq_month_id', activityDateColumn],
    check: (row) => {
      const id = row.uniq_month_id as number;
      if (!Number.isInteger(id) || id < 1) return VALID;
      return (row[activityDateColumn] as string).slice(0, 10) > reportingPeriodOf(id).end ? fail : VALID;
    },
  };
}
