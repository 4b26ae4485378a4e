import type { SourceRow, SourceTableName } from '../domain/datasets/source-tables.js';
import type { SyntheticPatient } from './synthetic-patient.js';

/** One hospital provider spell: its spell row, its episode rows (episode 1 first) and what the pathways need. */
export interface SpellActivity {
  /** The `sus_apc_spell` row. */
  readonly spellRow: SourceRow;
  /** The `sus_apc_episode` rows. */
  readonly rows: SourceRow[];
  readonly emergency: boolean;
  readonly died: boolean;
  readonly admissionDay: number;
  /** Null while the patient is still in hospital at the end of the period. */
  readonly dischargeDay: number | null;
  readonly highCost: boolean;
}
export interface AttendanceActivity {
  readonly row: SourceRow;
  /** Local (Europe/London) calendar day of arrival. */
  readonly arrivalDay: number;
  /** Arrival to departure in minutes. */
  readonly minutes: number;
}
export interface ImagingActivity {
  readonly row: SourceRow;
  readonly day: number;
}
export interface PrescriptionActivity {
  readonly row: SourceRow;
  readonly day: number;
  readonly nicPence: number;
}
export interface MhReferralActivity {
  readonly row: SourceRow;
  readonly day: number;
  readonly contacts: SourceRow[];
  readonly assessments: SourceRow[];
}
export interface CsdsReferralActivity {
  readonly row: SourceRow;
  readonly day: number;
  readonly dischargeDay: number | null;
  readonly contacts: SourceRow[];
}

/** Everything generated for one patient, before it is emitted (rows per table plus pathway structure). */
export interface PatientActivity {
  readonly patient: SyntheticPatient;
  readonly rows: Record<SourceTableName, SourceRow[]>;
  readonly spells: SpellActivity[];
  readonly attendances: AttendanceActivity[];
  readonly mhReferrals: MhReferralActivity[];
  readonly csdsReferrals: CsdsReferralActivity[];
  readonly prescriptions: PrescriptionActivity[];
  readonly imaging: ImagingActivity[];
}
