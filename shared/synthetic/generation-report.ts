import { SOURCE_TABLE_NAMES, type SourceTableName } from '../domain/datasets/source-tables.js';
import { DEFECT_CLASSES, type DefectClass } from './defect-classes.js';

/** How many rows of one defect class were planted, per table, with their primary keys. */
export interface DefectTally {
  total: number;
  byTable: Partial<Record<SourceTableName, number>>;
  /** Primary keys of planted rows per table (capped by `defects.maxKeysPerClass`). */
  keys: Partial<Record<SourceTableName, string[]>>;
}

/**
 * Pathway counts measured on the clean part of the data (rows with no planted defect; both the
 * index event and the follow-up must be clean). Windows are inclusive calendar days, linked by NHS
 * number (one patient):
 * - MH referral within 30 days: discharge_date ≤ referral_received_date ≤ discharge_date + 30;
 * - prescriptions within 90 days: discharge_date ≤ dispensing_date ≤ discharge_date + 90;
 * - imaging within 7 days: arrival day ≤ test_date ≤ arrival day + 7 (arrival day = local date of `arrival_at`);
 * - community referral within 30 days: arrival day ≤ referral_received_date ≤ arrival day + 30.
 * An emergency discharge is one spell with admission method 2x, a discharge date and a discharge
 * method other than 4 (died) or 5 (stillbirth).
 */
export interface PathwayCounts {
  spells: number;
  episodes: number;
  emergencyDischarges: number;
  emergencyDischargesWithMhReferral30d: number;
  emergencyDischargesWithPrescription90d: number;
  /** Sum over those discharges of the NIC of items dispensed in their 90-day window (an item in two windows counts twice). */
  prescriptionNicGbp90dAfterEmergencyDischarge: string;
  aeAttendances: number;
  aeAttendancesWithImaging7d: number;
  /** Imaged within 7 days, then referred to community services (on or after the imaging day) within 30 days of arrival. */
  aeAttendancesWithImaging7dAndCommunityReferral30d: number;
  aeAttendancesWithCommunityReferral30d: number;
  /** Arrival to departure ≤ 240 minutes (the 4-hour standard). */
  aeDepartedWithin4h: number;
  /** Arrival to departure > 720 minutes. */
  aeOver12hInDepartment: number;
  highCostPatients: number;
  highCostPatientEmergencySpells: number;
  /** Discharged spells priced above the default high-cost threshold (DEFAULT_HIGH_COST_SPELL_GBP). */
  spellsAboveHighCostThreshold: number;
  /** Spells discharged alive followed by another emergency spell of the patient admitted on days 0..30. */
  emergencyReadmissions30d: number;
  /** Patients with at least N attendances in some 12 months (the arrival day and 364 before), N = 2..10. */
  frequentAeAttendersByMin: Record<string, number>;
  /** Open community referrals (received on or before, not discharged by) each month end, `YYYY-MM`. */
  communityCaseloadByMonthEnd: Record<string, number>;
}

/** What a generation run produced. Counts equal the rows actually emitted. */
export interface GenerationReport {
  seed: number;
  patients: number;
  startDate: string;
  endDate: string;
  catalogueSource: string;
  /** Rows emitted per table, including defective ones. */
  rows: Record<SourceTableName, number>;
  defects: Record<DefectClass, DefectTally>;
  /** Rows carrying a planted defect, per table (each defective row carries exactly one class). */
  defectiveRows: Record<SourceTableName, number>;
  pathways: PathwayCounts;
  /**
   * The planted trust mergers (reference successor columns): rows recorded under each predecessor
   * before its succession date, which the marts report under the successor.
   */
  mergers: { predecessor: string; successor: string; from: string; rows: number }[];
}

export function emptyTableCounts(): Record<SourceTableName, number> {
  return Object.fromEntries(SOURCE_TABLE_NAMES.map((t) => [t, 0])) as Record<SourceTableName, number>;
}

export function emptyDefectTallies(): Record<DefectClass, DefectTally> {
  return Object.fromEntries(DEFECT_CLASSES.map((c) => [c, { total: 0, byTable: {}, keys: {} }])) as Record<
    DefectClass,
    DefectTally
  >;
}

export function emptyPathwayCounts(): PathwayCounts {
  return {
    spells: 0,
    episodes: 0,
    emergencyDischarges: 0,
    emergencyDischargesWithMhReferral30d: 0,
    emergencyDischargesWithPrescription90d: 0,
    prescriptionNicGbp90dAfterEmergencyDischarge: '0.00',
    aeAttendances: 0,
    aeAttendancesWithImaging7d: 0,
    aeAttendancesWithImaging7dAndCommunityReferral30d: 0,
    aeAttendancesWithCommunityReferral30d: 0,
    aeDepartedWithin4h: 0,
    aeOver12hInDepartment: 0,
    highCostPatients: 0,
    highCostPatientEmergencySpells: 0,
    spellsAboveHighCostThreshold: 0,
    emergencyReadmissions30d: 0,
    frequentAeAttendersByMin: {},
    communityCaseloadByMonthEnd: {},
  };
}

/** Integer pence → decimal string with 2 places (`1234` → `'12.34'`). */
export function penceToGbp(pence: number): string {
  const sign = pence < 0 ? '-' : '';
  const abs = Math.abs(Math.round(pence));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Decimal string → integer pence (`'12.34'` → `1234`). */
export function gbpToPence(value: string): number {
  return Math.round(Number(value) * 100);
}
