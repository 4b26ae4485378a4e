import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadReferenceData } from '../../../../shared/adapters/local/reference-data.loader.js';
import { contractFor } from '../../../../shared/domain/datasets/contracts.js';
import { uniqMonthIdOfDate } from '../../../../shared/domain/datasets/mhsds/uniq-month-id.js';
import type { SourceRow, SourceTableName } from '../../../../shared/domain/datasets/source-tables.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../clean-rows.js';

/** The MHSDS submission, closure/rejection and contact fields, each rule at its boundary. */
const reference = loadReferenceData();
const MHSDS_TABLES = ['mhsds_referral', 'mhsds_care_contact', 'mhsds_cluster_assessment'] as const;
const ACTIVITY: Record<(typeof MHSDS_TABLES)[number], string> = {
  mhsds_referral: 'referral_received_date',
  mhsds_care_contact: 'contact_date',
  mhsds_cluster_assessment: 'assessment_date',
};

function rulesOf(table: SourceTableName, patch: SourceRow): string[] {
  const result = contractFor(table, reference, { asOf: EXTRACT_DATE }).check({
    ...CLEAN_ROWS[table],
    ...patch,
  });
  return result.ok ? [] : result.failures.map((f) => f.rule);
}

for (const table of MHSDS_TABLES) {
  const activity = ACTIVITY[table];
  const day = CLEAN_ROWS[table][activity] as string;
  const month = uniqMonthIdOfDate(day);

  test(`${table}: every record carries UniqMonthID, UniqSubmissionID and a record start date`, () => {
    for (const column of ['uniq_month_id', 'uniq_submission_id', 'record_start_date'])
      assert.ok(
        rulesOf(table, { [column]: null }).includes(`MHSDS.${column.toUpperCase()}.REQUIRED`),
        column,
      );
    assert.deepEqual(rulesOf(table, { uniq_month_id: 0 }), ['MHSDS.UNIQ_MONTH_ID.RANGE']);
    assert.deepEqual(rulesOf(table, { uniq_submission_id: 'S-1' }), ['MHSDS.UNIQ_SUBMISSION_ID.FORMAT']);
  });

  test(`${table}: a record reports activity up to the last day of its month, not after`, () => {
    const lastDayOfMonth = `${day.slice(0, 8)}${String(new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)), 0)).getUTCDate())}`;
    const base = { uniq_month_id: month, record_start_date: `${day.slice(0, 8)}01` };
    assert.deepEqual(rulesOf(table, { ...base, [activity]: lastDayOfMonth }), []);
    // reported in a later month (a referral still open): fine
    assert.deepEqual(rulesOf(table, { ...base, uniq_month_id: month + 1 }), []);
    // a month that ends before the activity: not
    assert.deepEqual(rulesOf(table, { ...base, uniq_month_id: month - 1, record_start_date: '2026-01-01' }), [
      'MHSDS.UNIQ_MONTH_ID.BEFORE_ACTIVITY',
    ]);
  });

  test(`${table}: the record end date is on or after its start`, () => {
    const start = '2026-09-01';
    assert.deepEqual(rulesOf(table, { record_start_date: start, record_end_date: start }), []);
    assert.deepEqual(rulesOf(table, { record_start_date: start, record_end_date: '2026-09-30' }), []);
    assert.deepEqual(rulesOf(table, { record_start_date: start, record_end_date: '2026-08-31' }), [
      'MHSDS.RECORD_END_DATE.BEFORE_RECORD_START',
    ]);
  });
}

test('mhsds_referral: closure and rejection fall on or after the referral date, never in the future', () => {
  const received = CLEAN_ROWS.mhsds_referral.referral_received_date as string; // 2026-09-10
  for (const column of ['referral_closure_date', 'referral_rejection_date']) {
    assert.deepEqual(rulesOf('mhsds_referral', { [column]: received }), [], `${column} on the day`);
    assert.deepEqual(rulesOf('mhsds_referral', { [column]: '2026-09-09' }), [
      `MHSDS.${column.toUpperCase()}.BEFORE_REFERRAL`,
    ]);
    assert.deepEqual(rulesOf('mhsds_referral', { [column]: '2026-11-02' }), [
      `MHSDS.${column.toUpperCase()}.FUTURE_DATE`,
    ]);
  }
  // the reasons are carried as supplied (no code list in the reference)
  assert.deepEqual(
    rulesOf('mhsds_referral', { referral_rejection_date: received, referral_rejection_reason: '02' }),
    [],
  );
  assert.deepEqual(rulesOf('mhsds_referral', { referral_closure_reason: '123' }), [
    'MHSDS.REFERRAL_CLOSURE_REASON.LENGTH',
  ]);
});

test('mhsds_care_contact: the contact duration is whole minutes from 0, and may be absent', () => {
  assert.deepEqual(rulesOf('mhsds_care_contact', { contact_duration_minutes: 0 }), []);
  assert.deepEqual(rulesOf('mhsds_care_contact', { contact_duration_minutes: null }), []);
  assert.deepEqual(rulesOf('mhsds_care_contact', { contact_duration_minutes: -1 }), [
    'MHSDS.CONTACT_DURATION_MINUTES.RANGE',
  ]);
  assert.deepEqual(rulesOf('mhsds_care_contact', { contact_duration_minutes: 12.5 }), [
    'MHSDS.CONTACT_DURATION_MINUTES.TYPE',
  ]);
});
