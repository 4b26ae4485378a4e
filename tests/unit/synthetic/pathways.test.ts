import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PopulationConfigInput } from '../../../shared/synthetic/synthetic-config.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { day, generated } from './synthetic-fixture.js';

// Rates set high enough that 2,000 patients give tight estimates; background activity adds a little.
const RATES = {
  mhReferralAfterEmergencyDischarge30d: 0.3,
  imagingAfterAe7d: 0.4,
  communityReferralAfterAe30d: 0.15,
  prescriptionsAfterEmergencyDischarge90d: 0.6,
};
const CONFIG: PopulationConfigInput = { patients: 2000, seed: 21, rates: RATES, defects: { rate: 0.01 } };
const END = day('2025-03-31');

/** Days of rows per NHS number (clean rows only are passed in). */
function daysByPatient(rows: readonly SourceRow[], column: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const row of rows) {
    if (typeof row.nhs_number !== 'string' || typeof row[column] !== 'string') continue;
    const list = out.get(row.nhs_number) ?? [];
    list.push(day(row[column]));
    out.set(row.nhs_number, list);
  }
  return out;
}
const within = (days: readonly number[] | undefined, from: number, window: number): boolean =>
  (days ?? []).some((d) => d >= from && d <= from + window);

/** Measures the pathways from the rows (independently of the generator), on rows with no planted defect. */
function measure() {
  const { rows, report } = generated(CONFIG);
  const planted = new Set<string>();
  for (const tally of Object.values(report.defects))
    for (const keys of Object.values(tally.keys)) for (const k of keys ?? []) planted.add(k);
  const clean = <T extends SourceRow>(list: readonly T[], key: string): T[] =>
    list.filter((r) => !planted.has(String(r[key])));

  // A duplicated episode is an extra row; the spell it copies stays clean.
  const duplicates = new Set(report.defects.duplicate_row.keys.sus_apc_episode ?? []);
  const spells = new Map<string, SourceRow[]>();
  for (const row of rows.sus_apc_episode) {
    if (duplicates.has(String(row.episode_id))) continue;
    const id = String(row.hospital_provider_spell_number);
    spells.set(id, [...(spells.get(id) ?? []), row]);
  }
  const mh = daysByPatient(clean(rows.mhsds_referral, 'referral_id'), 'referral_received_date');
  const items = clean(rows.prescribing_item, 'item_id');
  const itemDays = daysByPatient(items, 'dispensing_date');
  const imaging = daysByPatient(clean(rows.dids_imaging_test, 'imaging_test_id'), 'test_date');
  const community = daysByPatient(clean(rows.csds_referral, 'referral_id'), 'referral_received_date');

  const m = {
    discharges: 0,
    withMh: 0,
    withRx: 0,
    completeDischarges: 0,
    completeWithMh: 0,
    ae: 0,
    aeImaging: 0,
    aeImagingCommunity: 0,
    completeAe: 0,
    completeAeImaging: 0,
    nicPence: 0,
  };
  // A spell whose spell row carries a defect (its HRG or price, its dates) is not clean either.
  const duplicateSpells = new Set(report.defects.duplicate_row.keys.sus_apc_spell ?? []);
  const defectiveSpells = new Set(
    rows.sus_apc_spell
      .filter((r) => planted.has(String(r.spell_id)) && !duplicateSpells.has(String(r.spell_id)))
      .map((r) => String(r.hospital_provider_spell_number)),
  );
  for (const [spellNumber, episodes] of spells) {
    if (defectiveSpells.has(spellNumber)) continue;
    if (episodes.some((e) => planted.has(String(e.episode_id)))) continue;
    const last = episodes[episodes.length - 1]!;
    if (!String(last.admission_method).startsWith('2') || last.discharge_date === null) continue;
    if (last.discharge_method === '4' || last.discharge_method === '5') continue;
    const nhs = String(last.nhs_number);
    const discharge = day(String(last.discharge_date));
    m.discharges++;
    const followed = within(mh.get(nhs), discharge, 30);
    if (followed) m.withMh++;
    if (within(itemDays.get(nhs), discharge, 90)) {
      m.withRx++;
      for (const item of items)
        if (
          item.nhs_number === nhs &&
          day(String(item.dispensing_date)) >= discharge &&
          day(String(item.dispensing_date)) <= discharge + 90
        )
          m.nicPence += Math.round(Number(item.nic_gbp) * 100);
    }
    if (discharge <= END - 30) {
      m.completeDischarges++;
      if (followed) m.completeWithMh++;
    }
  }
  for (const a of clean(rows.ecds_attendance, 'attendance_id')) {
    const nhs = String(a.nhs_number);
    const arrival = day(String(a.arrival_at).slice(0, 10)); // local date of arrival
    m.ae++;
    const img = within(imaging.get(nhs), arrival, 7);
    if (img) m.aeImaging++;
    // The funnel in time order: a referral on or after the first imaging day, within 30 days.
    const firstImaging = Math.min(
      ...(imaging.get(nhs) ?? []).filter((d) => d >= arrival && d <= arrival + 7),
    );
    if (img && (community.get(nhs) ?? []).some((d) => d >= firstImaging && d <= arrival + 30))
      m.aeImagingCommunity++;
    if (arrival <= END - 7) {
      m.completeAe++;
      if (img) m.completeAeImaging++;
    }
  }
  return { m, report };
}

test('the share of emergency discharges followed by an MH referral within 30 days matches the configured rate', () => {
  const { m } = measure();
  const share = m.completeWithMh / m.completeDischarges;
  const se = Math.sqrt((RATES.mhReferralAfterEmergencyDischarge30d * 0.7) / m.completeDischarges);
  assert.ok(m.completeDischarges > 300, `${m.completeDischarges} discharges`);
  // Background MH referrals can add a little on top of the configured rate, never take away.
  assert.ok(
    share >= RATES.mhReferralAfterEmergencyDischarge30d - 3 * se &&
      share <= RATES.mhReferralAfterEmergencyDischarge30d + 3 * se + 0.02,
    `share ${share.toFixed(3)} (se ${se.toFixed(3)})`,
  );
});

test('the share of A&E attendances followed by imaging within 7 days matches the configured rate', () => {
  const { m } = measure();
  const share = m.completeAeImaging / m.completeAe;
  const se = Math.sqrt((RATES.imagingAfterAe7d * 0.6) / m.completeAe);
  assert.ok(m.completeAe > 800, `${m.completeAe} attendances`);
  assert.ok(
    share >= RATES.imagingAfterAe7d - 3 * se && share <= RATES.imagingAfterAe7d + 3 * se + 0.03,
    `share ${share.toFixed(3)} (se ${se.toFixed(3)})`,
  );
});

test("the report's planted pathway counts equal the counts measured from the clean rows", () => {
  const { m, report } = measure();
  const p = report.pathways;
  assert.equal(p.emergencyDischarges, m.discharges);
  assert.equal(p.emergencyDischargesWithMhReferral30d, m.withMh);
  assert.equal(p.emergencyDischargesWithPrescription90d, m.withRx);
  assert.equal(Math.round(Number(p.prescriptionNicGbp90dAfterEmergencyDischarge) * 100), m.nicPence);
  assert.equal(p.aeAttendances, m.ae);
  assert.equal(p.aeAttendancesWithImaging7d, m.aeImaging);
  assert.equal(p.aeAttendancesWithImaging7dAndCommunityReferral30d, m.aeImagingCommunity);
});
