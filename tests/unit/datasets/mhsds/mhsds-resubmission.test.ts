import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareSubmissionIds,
  planMhsdsSubmission,
  type MhsdsSubmission,
} from '../../../../shared/domain/datasets/mhsds/mhsds-resubmission.js';
import type { SourceRow } from '../../../../shared/domain/datasets/source-tables.js';

/** The resubmission rule on rows in memory: what a submission replaces, and what it never touches. */
const TABLE = {
  key: ['care_contact_id'],
  dataColumns: ['care_contact_id', 'provider_code', 'uniq_month_id', 'uniq_submission_id', 'contact_date'],
};
const M = 1518; // September 2026
const contact = (
  id: string,
  provider: string,
  month: number,
  submission: string,
  date = '2026-09-10',
): SourceRow => ({
  care_contact_id: id,
  provider_code: provider,
  uniq_month_id: month,
  uniq_submission_id: submission,
  contact_date: date,
});
const submission = (provider: string, month: number, id: string, rows: SourceRow[]): MhsdsSubmission => ({
  table: 'mhsds_care_contact',
  providerCode: provider,
  uniqMonthId: month,
  uniqSubmissionId: id,
  rows,
});
const first = ['C1', 'C2', 'C3', 'C4'].map((id) => contact(id, 'RXT', M, '1518001'));

test('a resubmission with one record changed, one dropped and one added updates, deletes and inserts exactly those', () => {
  const resubmitted = [
    contact('C1', 'RXT', M, '1518002'),
    contact('C2', 'RXT', M, '1518002', '2026-09-12'), // changed
    contact('C4', 'RXT', M, '1518002'),
    contact('C5', 'RXT', M, '1518002'), // added; C3 dropped
  ];
  const plan = planMhsdsSubmission(TABLE, submission('RXT', M, '1518002', resubmitted), {
    scope: first,
    elsewhere: [],
  });
  assert.equal(plan.outcome, 'applied');
  assert.deepEqual(plan.deletes, [['C3']]);
  assert.deepEqual(
    plan.inserts.map((r) => r.care_contact_id),
    ['C5'],
  );
  // every kept record now carries the resubmission's id, so all kept records are updated
  assert.deepEqual(
    plan.updates.map((r) => [r.care_contact_id, r.uniq_submission_id, r.contact_date]),
    [
      ['C1', '1518002', '2026-09-10'],
      ['C2', '1518002', '2026-09-12'],
      ['C4', '1518002', '2026-09-10'],
    ],
  );
  assert.deepEqual(plan.replaces, ['1518001']);
  // applying the plan leaves exactly the resubmission's records for the provider-month
  const after = new Map(first.map((r) => [r.care_contact_id, r]));
  for (const k of plan.deletes) after.delete(k[0]);
  for (const r of [...plan.updates, ...plan.inserts]) after.set(r.care_contact_id, r);
  assert.deepEqual(
    [...after.values()].sort((a, b) => String(a.care_contact_id).localeCompare(String(b.care_contact_id))),
    resubmitted,
  );
});

test('replaying the same submission changes nothing; an earlier submission after a later one is stale', () => {
  const same = planMhsdsSubmission(TABLE, submission('RXT', M, '1518001', first), {
    scope: first,
    elsewhere: [],
  });
  assert.deepEqual(
    [same.outcome, same.inserts, same.updates, same.deletes, same.unchanged],
    ['applied', [], [], [], 4],
  );
  const later = first.map((r) => ({ ...r, uniq_submission_id: '1518002' }));
  const stale = planMhsdsSubmission(TABLE, submission('RXT', M, '1518001', first.slice(0, 1)), {
    scope: later,
    elsewhere: [],
  });
  assert.deepEqual([stale.outcome, stale.inserts, stale.updates, stale.deletes], ['stale', [], [], []]);
  // ids compare as whole numbers, not text: 999 < 1000
  assert.equal(compareSubmissionIds('999', '1000'), -1);
  const numeric = planMhsdsSubmission(
    TABLE,
    submission('RXT', M, '1000', [contact('C1', 'RXT', M, '1000')]),
    { scope: [contact('C1', 'RXT', M, '999')], elsewhere: [] },
  );
  assert.equal(numeric.outcome, 'applied');
});

test('an older month resubmitted after a newer month never touches the newer month', () => {
  // C1 was reported again in October (M + 1) and is held there; September is resubmitted
  const held = contact('C1', 'RXT', M + 1, '1519001', '2026-09-10');
  const plan = planMhsdsSubmission(
    TABLE,
    submission('RXT', M, '1518002', [contact('C1', 'RXT', M, '1518002'), contact('C9', 'RXT', M, '1518002')]),
    { scope: [], elsewhere: [held] },
  );
  assert.equal(plan.keptInLaterMonth, 1);
  assert.deepEqual(plan.updates, []);
  assert.deepEqual(plan.deletes, []);
  assert.deepEqual(
    plan.inserts.map((r) => r.care_contact_id),
    ['C9'],
  );
});

test('a record held for an earlier month moves to the submitted month; one held by another provider is refused', () => {
  const plan = planMhsdsSubmission(
    TABLE,
    submission('RXT', M, '1518001', [contact('C1', 'RXT', M, '1518001'), contact('C2', 'RXT', M, '1518001')]),
    { scope: [], elsewhere: [contact('C1', 'RXT', M - 1, '1517001'), contact('C2', 'RMY', M, '1518007')] },
  );
  assert.deepEqual(
    plan.updates.map((r) => [r.care_contact_id, r.uniq_month_id]),
    [['C1', M]],
  );
  assert.equal(plan.heldByOtherProvider, 1);
  assert.deepEqual(plan.inserts, []);
});

test('a submission must be one provider-month of one submission, each key once; the error names rows, not values', () => {
  const cases: [SourceRow[], RegExp][] = [
    [[contact('C1', 'RMY', M, '1518001')], /row 1: provider_code/],
    [[contact('C1', 'RXT', M + 1, '1518001')], /row 1: uniq_month_id/],
    [[contact('C1', 'RXT', M, '1518009')], /row 1: uniq_submission_id/],
    [
      [contact('C1', 'RXT', M, '1518001'), contact('C1', 'RXT', M, '1518001')],
      /row 2: the key of an earlier row/,
    ],
  ];
  for (const [rows, message] of cases) {
    assert.throws(
      () => planMhsdsSubmission(TABLE, submission('RXT', M, '1518001', rows), { scope: [], elsewhere: [] }),
      (e: Error & { code?: string }) =>
        e.code === 'INPUT_INVALID' && message.test(e.message) && !e.message.includes('C1'),
    );
  }
  assert.throws(
    () => planMhsdsSubmission(TABLE, submission('RXT', M, 'S1', []), { scope: [], elsewhere: [] }),
    {
      code: 'INPUT_INVALID',
    },
  );
});

test('an empty resubmission empties the provider-month and nothing else', () => {
  const plan = planMhsdsSubmission(TABLE, submission('RXT', M, '1518002', []), {
    scope: first,
    elsewhere: [],
  });
  assert.deepEqual(plan.deletes, [['C1'], ['C2'], ['C3'], ['C4']]);
  assert.deepEqual([plan.inserts, plan.updates], [[], []]);
});

test('a resubmission that emptied the month still counts: an earlier submission arriving after it is stale', () => {
  const late = planMhsdsSubmission(TABLE, submission('RXT', M, '1518001', first), {
    scope: [],
    elsewhere: [],
    latestApplied: '1518002',
  });
  assert.deepEqual([late.outcome, late.inserts], ['stale', []]);
  const next = planMhsdsSubmission(
    TABLE,
    submission('RXT', M, '1518003', [contact('C1', 'RXT', M, '1518003')]),
    {
      scope: [],
      elsewhere: [],
      latestApplied: '1518002',
    },
  );
  assert.equal(next.outcome, 'applied');
  assert.equal(next.inserts.length, 1);
});
