import type { SourceRow } from '../domain/datasets/source-tables.js';
import type { PatientActivity } from './patient-activity.js';
import { DEFAULT_HIGH_COST_SPELL_GBP } from '../domain/pathways/careflow-pathways.js';
import { isoDate } from './synthetic-calendar.js';

/** One patient's contribution to the report's pathway counts (see `PathwayCounts` for the definitions). */
export interface PatientPathways {
  spells: number;
  episodes: number;
  emergencySpells: number;
  emergencyDischarges: number;
  emergencyDischargesWithMhReferral30d: number;
  emergencyDischargesWithPrescription90d: number;
  nicPence: number;
  aeAttendances: number;
  aeAttendancesWithImaging7d: number;
  aeAttendancesWithImaging7dAndCommunityReferral30d: number;
  aeAttendancesWithCommunityReferral30d: number;
  aeDepartedWithin4h: number;
  aeOver12hInDepartment: number;
  highCostPatient: boolean;
  spellsAboveHighCostThreshold: number;
  emergencyReadmissions30d: number;
  /** Most clean A&E attendances in any 12 months (arrival day and the 364 days before). */
  maxAttendances12m: number;
  /** Month (`YYYY-MM`) → open clean community referrals at that month end. */
  caseload: Map<string, number>;
}

/**
 * Measures one patient's pathways on the clean rows only (no planted defect on the index event
 * or on the follow-up). Pure: reads the activity and the defective set.
 */
export function measurePathways(
  activity: PatientActivity,
  defective: ReadonlySet<SourceRow>,
  startDay: number,
  endDay: number,
): PatientPathways {
  const clean = (row: SourceRow): boolean => !defective.has(row);
  const mhDays = activity.mhReferrals.filter((r) => clean(r.row)).map((r) => r.day);
  const items = activity.prescriptions.filter((p) => clean(p.row));
  const imagingDays = activity.imaging.filter((i) => clean(i.row)).map((i) => i.day);
  const communityDays = activity.csdsReferrals.filter((r) => clean(r.row)).map((r) => r.day);
  const within = (days: readonly number[], from: number, window: number): boolean =>
    days.some((d) => d >= from && d <= from + window);

  const m: PatientPathways = {
    spells: 0,
    episodes: 0,
    emergencySpells: 0,
    emergencyDischarges: 0,
    emergencyDischargesWithMhReferral30d: 0,
    emergencyDischargesWithPrescription90d: 0,
    nicPence: 0,
    aeAttendances: 0,
    aeAttendancesWithImaging7d: 0,
    aeAttendancesWithImaging7dAndCommunityReferral30d: 0,
    aeAttendancesWithCommunityReferral30d: 0,
    aeDepartedWithin4h: 0,
    aeOver12hInDepartment: 0,
    highCostPatient: activity.patient.highCost,
    spellsAboveHighCostThreshold: 0,
    emergencyReadmissions30d: 0,
    maxAttendances12m: 0,
    caseload: new Map(),
  };
  // The marts' definitions (docs/marts.md), measured on the clean spells and attendances.
  const cleanSpells = activity.spells.filter((s) => clean(s.spellRow) && s.rows.every(clean));
  for (const spell of cleanSpells) {
    const tariff = spell.spellRow.tariff_gbp;
    if (
      spell.dischargeDay !== null &&
      typeof tariff === 'string' &&
      Number(tariff) > DEFAULT_HIGH_COST_SPELL_GBP
    )
      m.spellsAboveHighCostThreshold++;
    if (spell.dischargeDay === null || spell.died) continue;
    const discharge = spell.dischargeDay;
    if (
      cleanSpells.some(
        (other) =>
          other !== spell &&
          other.emergency &&
          other.admissionDay >= discharge &&
          other.admissionDay <= discharge + 30,
      )
    )
      m.emergencyReadmissions30d++;
  }
  const arrivals = activity.attendances
    .filter((a) => clean(a.row))
    .map((a) => a.arrivalDay)
    .sort((a, b) => a - b);
  for (let i = 0, from = 0; i < arrivals.length; i++) {
    while (arrivals[from]! <= arrivals[i]! - 365) from++;
    m.maxAttendances12m = Math.max(m.maxAttendances12m, i - from + 1);
  }
  for (const spell of activity.spells) {
    if (!clean(spell.spellRow) || !spell.rows.every(clean)) continue;
    m.spells++;
    m.episodes += spell.rows.length;
    if (!spell.emergency) continue;
    m.emergencySpells++;
    if (spell.died || spell.dischargeDay === null) continue;
    const discharge = spell.dischargeDay;
    m.emergencyDischarges++;
    if (within(mhDays, discharge, 30)) m.emergencyDischargesWithMhReferral30d++;
    let nic = 0;
    let any = false;
    for (const item of items)
      if (item.day >= discharge && item.day <= discharge + 90) {
        any = true;
        nic += item.nicPence;
      }
    if (any) {
      m.emergencyDischargesWithPrescription90d++;
      m.nicPence += nic;
    }
  }
  for (const a of activity.attendances) {
    if (!clean(a.row)) continue;
    m.aeAttendances++;
    const imaging = within(imagingDays, a.arrivalDay, 7);
    const community = within(communityDays, a.arrivalDay, 30);
    if (imaging) m.aeAttendancesWithImaging7d++;
    if (community) m.aeAttendancesWithCommunityReferral30d++;
    // The funnel in time order: a referral on or after the day of the first imaging test.
    const firstImaging = Math.min(...imagingDays.filter((d) => d >= a.arrivalDay && d <= a.arrivalDay + 7));
    if (imaging && communityDays.some((d) => d >= firstImaging && d <= a.arrivalDay + 30))
      m.aeAttendancesWithImaging7dAndCommunityReferral30d++;
    if (a.minutes <= 240) m.aeDepartedWithin4h++;
    if (a.minutes > 720) m.aeOver12hInDepartment++;
  }
  for (const referral of activity.csdsReferrals) {
    if (!clean(referral.row)) continue;
    for (const monthEnd of monthEnds(startDay, endDay)) {
      if (monthEnd < referral.day) continue;
      if (referral.dischargeDay !== null && referral.dischargeDay <= monthEnd) break;
      const key = isoDate(monthEnd).slice(0, 7);
      m.caseload.set(key, (m.caseload.get(key) ?? 0) + 1);
    }
  }
  return m;
}

const monthEndCache = new Map<string, readonly number[]>();
/** Day numbers of every month end between two days (inclusive), ascending. */
export function monthEnds(startDay: number, endDay: number): readonly number[] {
  const cacheKey = `${startDay}:${endDay}`;
  let ends = monthEndCache.get(cacheKey);
  if (!ends) {
    const list: number[] = [];
    const start = new Date(startDay * 86_400_000);
    for (let y = start.getUTCFullYear(), mo = start.getUTCMonth(); ; mo++) {
      const end = Math.round(Date.UTC(y, mo + 1, 0) / 86_400_000);
      if (end > endDay) break;
      list.push(end);
    }
    ends = list;
    monthEndCache.set(cacheKey, ends);
  }
  return ends;
}
