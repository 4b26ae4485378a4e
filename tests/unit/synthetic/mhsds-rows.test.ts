import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contractFor } from '../../../shared/domain/datasets/contracts.js';
import { reportingPeriodOf, uniqMonthIdOfDate } from '../../../shared/domain/datasets/mhsds/uniq-month-id.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { generated, reference } from './synthetic-fixture.js';

/** The MHSDS row builder's invariants, on a clean population large enough to hit every branch. */
const { rows } = generated({ patients: 3_000, seed: 7, defects: { rate: 0 } });
const MHSDS = [
  'mhsds_referral',
  'mhsds_care_contact',
  'mhsds_cluster_assessment',
  'mhsds_hospital_spell',
  'mhsds_ward_stay',
] as const;
const ACTIVITY = {
  mhsds_referral: 'referral_received_date',
  mhsds_care_contact: 'contact_date',
  mhsds_cluster_assessment: 'assessment_date',
  mhsds_hospital_spell: 'spell_start_date',
  mhsds_ward_stay: 'ward_stay_start_date',
};

test('every MHSDS record is submitted for a month that holds its activity or a later one, from its first day', () => {
  for (const table of MHSDS) {
    assert.ok(rows[table].length > 5, `${table} has rows`);
    for (const row of rows[table]) {
      const activityMonth = uniqMonthIdOfDate(row[ACTIVITY[table]] as string);
      const month = row.uniq_month_id as number;
      assert.ok(month >= activityMonth, `${table} submitted before its activity`);
      assert.equal(row.record_start_date, reportingPeriodOf(month).start);
      assert.equal(row.record_end_date, null);
      assert.equal(row.uniq_submission_id, String(month * 1000 + 1));
    }
  }
});

test('a referral is reported in the month of its last event: rejection, discharge, or its last contact', () => {
  const byReferral = new Map<string, SourceRow[]>();
  for (const c of [...rows.mhsds_care_contact, ...rows.mhsds_cluster_assessment])
    byReferral.set(c.referral_id as string, [...(byReferral.get(c.referral_id as string) ?? []), c]);
  let rejected = 0;
  let discharged = 0;
  for (const r of rows.mhsds_referral) {
    const children = byReferral.get(r.referral_id as string) ?? [];
    const month = r.uniq_month_id as number;
    if (r.referral_rejection_date !== null) {
      rejected++;
      assert.equal(children.length, 0, 'a rejected referral has no contacts or assessments');
      assert.equal(r.service_discharge_date, null);
      assert.equal(month, uniqMonthIdOfDate(r.referral_rejection_date as string));
    } else if (r.service_discharge_date !== null) {
      discharged++;
      assert.equal(r.referral_closure_date, r.service_discharge_date, 'a discharge closes the referral');
      assert.equal(month, uniqMonthIdOfDate(r.service_discharge_date as string));
    }
    for (const c of children)
      assert.ok(month >= (c.uniq_month_id as number), 'the referral is reported until its last activity');
  }
  assert.ok(rejected > 0 && discharged > 0, `${rejected} rejected, ${discharged} discharged`);
});

test('attended contacts carry a duration of 15-90 minutes in 5-minute steps; contacts not attended carry none', () => {
  const attended = new Set(['5', '6']);
  let withDuration = 0;
  for (const c of rows.mhsds_care_contact) {
    const d = c.contact_duration_minutes;
    if (attended.has(c.attend_or_dna as string)) {
      assert.ok(typeof d === 'number' && d >= 15 && d <= 90 && d % 5 === 0, `duration ${String(d)}`);
      withDuration++;
    } else assert.equal(d, null, 'a contact not attended has no duration');
    assert.notEqual(c.consultation_medium, null);
  }
  assert.ok(withDuration > 0);
});

test('the clean MHSDS rows pass their row contracts (new fields and rules included)', () => {
  for (const table of MHSDS) {
    const contract = contractFor(table, reference, {});
    const failed = rows[table].map((r) => contract.check(r)).filter((r) => !r.ok);
    assert.deepEqual(failed.slice(0, 3), [], table);
  }
});

test("every ward stay is in exactly one spell, and a spell's ward stays tile it from admission to discharge", () => {
  const referrals = new Set(rows.mhsds_referral.map((r) => r.referral_id));
  const stays = new Map<string, SourceRow[]>();
  for (const w of rows.mhsds_ward_stay) {
    const id = w.hospital_spell_id as string;
    stays.set(id, [...(stays.get(id) ?? []), w]);
  }
  const spellIds = new Set(rows.mhsds_hospital_spell.map((s) => s.hospital_spell_id as string));
  for (const id of stays.keys()) assert.ok(spellIds.has(id), 'a ward stay names a spell that exists');
  let open = 0;
  let twoWards = 0;
  for (const spell of rows.mhsds_hospital_spell) {
    assert.ok(referrals.has(spell.referral_id), 'a spell comes under a referral of the population');
    const wards = (stays.get(spell.hospital_spell_id as string) ?? []).sort((a, b) =>
      String(a.ward_stay_start_date).localeCompare(String(b.ward_stay_start_date)),
    );
    assert.ok(wards.length >= 1 && wards.length <= 2, 'one or two ward stays');
    assert.equal(
      wards[0]!.ward_stay_start_date,
      spell.spell_start_date,
      'the first ward stay starts on admission',
    );
    for (let i = 1; i < wards.length; i++)
      assert.equal(wards[i]!.ward_stay_start_date, wards[i - 1]!.ward_stay_end_date, 'ward stays meet');
    assert.equal(
      wards.at(-1)!.ward_stay_end_date,
      spell.spell_discharge_date,
      'the last ends on discharge (or is open)',
    );
    assert.equal(wards.at(-1)!.provider_code, spell.provider_code);
    if (spell.spell_discharge_date === null) {
      open++;
      assert.equal(spell.discharge_destination, null);
      assert.equal(spell.discharge_method, null);
    } else {
      assert.ok(['19', '29'].includes(spell.discharge_destination as string));
      assert.ok(['1', '6'].includes(spell.discharge_method as string));
    }
    if (wards.length === 2) twoWards++;
  }
  assert.ok(rows.mhsds_hospital_spell.length > 10, `${rows.mhsds_hospital_spell.length} spells`);
  assert.ok(twoWards > 0, 'some spells move ward');
  assert.ok(open < rows.mhsds_hospital_spell.length, 'most spells end in the period');
});
