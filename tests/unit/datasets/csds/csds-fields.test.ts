import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadReferenceData } from '../../../../shared/adapters/local/reference-data.loader.js';
import { contractFor } from '../../../../shared/domain/datasets/contracts.js';
import type { SourceRow, SourceTableName } from '../../../../shared/domain/datasets/source-tables.js';
import { generated } from '../../synthetic/synthetic-fixture.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../clean-rows.js';

const reference = loadReferenceData();
const rulesOf = (table: SourceTableName, patch: SourceRow): string[] => {
  const result = contractFor(table, reference, { asOf: EXTRACT_DATE }).check({
    ...CLEAN_ROWS[table],
    ...patch,
  });
  return result.ok ? [] : result.failures.map((f) => f.rule);
};

const CASES: readonly {
  readonly name: string;
  readonly table: SourceTableName;
  readonly patch: SourceRow;
  readonly rules: readonly string[];
}[] = [
  {
    name: 'a referral closed on the day it was received',
    table: 'csds_referral',
    patch: { referral_closure_date: '2026-09-10', referral_closure_reason: '01' },
    rules: [],
  },
  {
    name: 'a referral closed the day before it was received',
    table: 'csds_referral',
    patch: { referral_closure_date: '2026-09-09' },
    rules: ['CSDS.REFERRAL_CLOSURE_DATE.BEFORE_REFERRAL'],
  },
  {
    name: 'a closure reason on a referral that is not closed',
    table: 'csds_referral',
    patch: { referral_closure_reason: '01' },
    rules: ['CSDS.REFERRAL_CLOSURE_REASON.WITHOUT_CLOSURE_DATE'],
  },
  {
    name: 'a closure date after the extract date',
    table: 'csds_referral',
    patch: { referral_closure_date: '2026-11-02' },
    rules: ['CSDS.REFERRAL_CLOSURE_DATE.FUTURE_DATE'],
  },
  {
    name: 'a primary reason for referral that is not two digits',
    table: 'csds_referral',
    patch: { primary_reason_for_referral: 'A1' },
    rules: ['CSDS.PRIMARY_REASON_FOR_REFERRAL.FORMAT'],
  },
  {
    name: 'a contact of 0 minutes (recorded, not a clinical contact by the NHSE proxy, still valid)',
    table: 'csds_care_contact',
    patch: { contact_duration_minutes: 0 },
    rules: [],
  },
  {
    name: 'a negative contact duration',
    table: 'csds_care_contact',
    patch: { contact_duration_minutes: -5 },
    rules: ['CSDS.CONTACT_DURATION_MINUTES.RANGE'],
  },
  {
    name: 'a contact duration sent as text',
    table: 'csds_care_contact',
    patch: { contact_duration_minutes: '30' },
    rules: ['CSDS.CONTACT_DURATION_MINUTES.TYPE'],
  },
  {
    name: 'a consultation medium that is not two digits',
    table: 'csds_care_contact',
    patch: { consultation_medium: 'F2F' },
    rules: ['CSDS.CONSULTATION_MEDIUM.LENGTH'],
  },
];

for (const c of CASES)
  test(`the CSDS contract on ${c.name}: ${c.rules.length === 0 ? 'accepted' : c.rules.join(', ')}`, () => {
    assert.deepEqual(rulesOf(c.table, c.patch), c.rules);
  });

test('generated referrals close when discharged and carry a reason; contacts carry a duration and medium when attended', () => {
  const { rows } = generated({ patients: 400, seed: 11 });
  const referrals = rows.csds_referral;
  const contacts = rows.csds_care_contact;
  assert.ok(referrals.length > 10 && contacts.length > 50);
  for (const r of referrals) {
    assert.equal(r.referral_closure_date, r.service_discharge_date, 'closed on discharge');
    assert.match(r.primary_reason_for_referral as string, /^[0-9]{2}$/);
    assert.equal(r.referral_closure_reason, null);
  }
  assert.ok(referrals.some((r) => r.referral_closure_date !== null));
  assert.ok(
    referrals.some((r) => r.referral_closure_date === null),
    'some referrals are still open',
  );
  const attended = new Set(['5', '6']);
  for (const c of contacts) {
    if (attended.has(c.attend_or_dna as string)) {
      assert.ok(typeof c.contact_duration_minutes === 'number' && c.contact_duration_minutes >= 10);
      assert.match(c.consultation_medium as string, /^[0-9]{2}$/);
    } else {
      assert.equal(c.contact_duration_minutes, null);
      assert.equal(c.consultation_medium, null);
    }
  }
  assert.ok(contacts.some((c) => c.consultation_medium !== null && c.consultation_medium !== '01'));
});
