import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareSubmissionIds,
  planMhsdsSubmission,
  type MhsdsSubmission,
} from '../../../../shared/domain/datasets/mhsds/mhsds-resubmission.js';
import type { SourceRow } from '../../../../shared/domain/datasets/source-tables.js';
import { createRng } from '../../../../shared/synthetic/prng.js';

/**
 * The resubmission rule over random histories: submissions of two providers for three months,
 * delivered in any order (late and replayed ones included), each planned against an in-memory
 * source and applied. After every step: nothing outside the provider-month moved unless the
 * submission carried it (and then only from an earlier month of the same provider, into this one);
 * a stale submission changed nothing; an applied one left the provider-month holding exactly its
 * records, less those held for a later month; and applying it again changes nothing.
 */
const TABLE = {
  key: ['care_contact_id'],
  dataColumns: ['care_contact_id', 'provider_code', 'uniq_month_id', 'uniq_submission_id', 'attend_or_dna'],
};
const PROVIDERS = ['RXT', 'RMY'];
const MONTHS = [1518, 1519, 1520];

const register = new Map<string, string>();
function apply(source: Map<string, SourceRow>, submission: MhsdsSubmission) {
  const scope = [...source.values()].filter(
    (r) => r.provider_code === submission.providerCode && r.uniq_month_id === submission.uniqMonthId,
  );
  const inScope = new Set(scope.map((r) => r.care_contact_id as string));
  const elsewhere = submission.rows
    .map((r) => source.get(r.care_contact_id as string))
    .filter((r): r is SourceRow => r !== undefined && !inScope.has(r.care_contact_id as string));
  const scopeKey = `${submission.providerCode}|${submission.uniqMonthId}`;
  const latestApplied = register.get(scopeKey);
  const plan = planMhsdsSubmission(TABLE, submission, {
    scope,
    elsewhere,
    ...(latestApplied === undefined ? {} : { latestApplied }),
  });
  if (plan.outcome === 'applied') {
    for (const [k] of plan.deletes) source.delete(k!);
    for (const r of [...plan.updates, ...plan.inserts]) source.set(r.care_contact_id as string, r);
    if (latestApplied === undefined || compareSubmissionIds(submission.uniqSubmissionId, latestApplied) > 0)
      register.set(scopeKey, submission.uniqSubmissionId);
  }
  return plan;
}

test('random submission histories keep every provider-month to its latest applied submission, and nothing else moves', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rng = createRng(seed);
    let counter = 1000;
    const made: MhsdsSubmission[] = [];
    for (let i = 0; i < 12; i++) {
      const provider = rng.pick(PROVIDERS);
      const month = rng.pick(MONTHS);
      const id = String(counter++);
      const rows: SourceRow[] = [];
      for (let k = 0; k < 6; k++)
        if (rng.chance(0.6))
          rows.push({
            care_contact_id: `${provider}-${k}`,
            provider_code: provider,
            uniq_month_id: month,
            uniq_submission_id: id,
            attend_or_dna: rng.pick(['5', '6', '3']),
          });
      made.push({
        table: 'mhsds_care_contact',
        providerCode: provider,
        uniqMonthId: month,
        uniqSubmissionId: id,
        rows,
      });
    }
    // delivery order: mostly in order, some late, some replayed
    const delivered = [...made];
    for (let i = 0; i < 4; i++) delivered.push(rng.pick(made));
    for (let i = delivered.length - 1; i > 0; i--)
      if (rng.chance(0.3)) {
        const j = rng.int(0, i);
        [delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!];
      }

    const source = new Map<string, SourceRow>();
    register.clear();
    const latestApplied = new Map<string, string>();
    for (const submission of delivered) {
      const scopeKey = `${submission.providerCode}|${submission.uniqMonthId}`;
      const before = new Map(source);
      const plan = apply(source, submission);
      const carried = new Set(submission.rows.map((r) => r.care_contact_id as string));
      const held = latestApplied.get(scopeKey);
      const heldLater = held !== undefined && compareSubmissionIds(held, submission.uniqSubmissionId) > 0;
      if (plan.outcome === 'stale') {
        assert.ok(heldLater, `seed ${seed}: stale only when a later submission holds the month`);
        assert.deepEqual(source, before, `seed ${seed}: a stale submission changes nothing`);
        continue;
      }
      assert.ok(
        !heldLater,
        `seed ${seed}: a later submission is never undone, even one that left the month empty`,
      );
      latestApplied.set(scopeKey, submission.uniqSubmissionId);
      // outside the scope: only carried keys may change, and only by moving from an earlier month
      for (const [k, row] of before) {
        const inScope =
          row.provider_code === submission.providerCode && row.uniq_month_id === submission.uniqMonthId;
        if (inScope) continue;
        if (
          !carried.has(k) ||
          row.provider_code !== submission.providerCode ||
          (row.uniq_month_id as number) > submission.uniqMonthId
        )
          assert.deepEqual(source.get(k), row, `seed ${seed}: ${k} outside the provider-month is untouched`);
      }
      // inside the scope: exactly the submission's rows, less those held for a later month
      const scopeNow = [...source.values()]
        .filter(
          (r) => r.provider_code === submission.providerCode && r.uniq_month_id === submission.uniqMonthId,
        )
        .map((r) => r.care_contact_id as string)
        .sort();
      const expected = submission.rows
        .map((r) => r.care_contact_id as string)
        .filter((k) => {
          const was = before.get(k);
          return !(
            was &&
            was.provider_code === submission.providerCode &&
            (was.uniq_month_id as number) > submission.uniqMonthId
          );
        })
        .sort();
      assert.deepEqual(scopeNow, expected, `seed ${seed}: the provider-month holds exactly the submission`);
      for (const k of expected) assert.equal(source.get(k)!.uniq_submission_id, submission.uniqSubmissionId);
      // idempotent
      const again = apply(source, submission);
      assert.deepEqual(
        [again.inserts, again.updates, again.deletes],
        [[], [], []],
        `seed ${seed}: a replay changes nothing`,
      );
    }
  }
});
