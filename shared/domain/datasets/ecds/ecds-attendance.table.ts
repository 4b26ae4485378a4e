import { VALID, invalid } from '../../nhs/value-check.js';
import type { RowRule } from '../contract-engine.js';
import {
  codeList,
  commissioner,
  knownOrganisation,
  notBefore,
  notFuture,
  ods,
  siteOfProvider,
  snomedConcept,
} from '../contract-rules.js';
import { col, nhsName, systemColumns, type TableDeclaration } from '../declaration.js';
import { bornBeforeActivity, personColumns } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';

/** An NCDR ECDS column (REFERENCE.md §3.2, V: NHSE SQL against tbl_Data_SUS_EC / EC_Core). */
const EC = (name: string) => nhsName(name, 'NCDR ECDS');
/** A field of the newer SUS ECDS model (REFERENCE.md §3.2, V: ICB dbt). */
const EC_MODEL = (name: string) => nhsName(name, 'SUS ECDS model (ICB dbt)');

const TIMESTAMPS_AFTER_ARRIVAL = [
  'initial_assessment_at',
  'seen_for_treatment_at',
  'decision_to_admit_at',
  'clinically_ready_at',
  'conclusion_at',
  'departure_at',
] as const;

const missingDestination = invalid(
  'MISSING',
  'is missing although the attendance is concluded (conclusion or departure time recorded)',
);
const concludedWithoutDestination: RowRule = {
  field: 'discharge_destination',
  rule: 'MISSING',
  fields: [],
  check: (row) =>
    row.discharge_destination === null && (row.departure_at != null || row.conclusion_at != null)
      ? missingDestination
      : VALID,
};

const snomed = (name: string, description: string, nhs: ReturnType<typeof nhsName>, index = false) =>
  col.varchar(name, 18, description, {
    nullable: true,
    nhs,
    rules: [snomedConcept],
    ...(index ? { dq: { index: true } } : {}),
  });
const timestamp = (name: string, description: string, nhs: ReturnType<typeof nhsName>) =>
  col.datetimeoffset(name, description, { nullable: true, nhs, rules: [notFuture] });

/**
 * ECDS attendance (`ecds_attendance`). Clinical fields are SNOMED CT concept ids; the seven
 * timestamps are datetimeoffset strings ('2026-01-02T10:00:00.000+00:00').
 */
export const ecdsAttendance: TableDeclaration = {
  table: 'ecds_attendance',
  dataset: 'ecds',
  description: 'ECDS: one row per emergency care attendance; clinical fields are SNOMED CT',
  key: ['attendance_id'],
  changeVersionColumn: 'change_version',
  providerColumn: 'provider_code',
  activityDateColumn: 'arrival_at',
  columns: [
    col.varchar('attendance_id', 20, 'The attendance record identifier', { nhs: EC('EC_Ident') }),
    col.varchar('provider_code', 5, 'ODS code of the provider (trust)', {
      nhs: EC('Der_Provider_Code'),
      rules: [ods('trust'), knownOrganisation],
    }),
    col.varchar('site_code', 5, 'ODS code of the site of the emergency care department', {
      nullable: true,
      nhs: EC('Der_Provider_Site_Code'),
      rules: [ods('site')],
      dq: { index: true },
    }),
    col.char('department_type', 2, 'Emergency care department type (01 Type 1 … 04 walk-in centre)', {
      nhs: EC('EC_Department_Type'),
      rules: [codeList('ecds_department_type')],
    }),
    col.char(
      'attendance_category',
      1,
      'Unplanned first, unplanned or planned follow-up, or X dead on arrival',
      {
        nullable: true,
        nhs: EC('EC_AttendanceCategory'),
        rules: [codeList('ecds_attendance_category')],
      },
    ),
    ...personColumns({ name: true, ethnicity: true }),
    col.varchar('commissioner_code', 5, 'The commissioner: a sub-ICB location or ICB code', {
      nullable: true,
      rules: [commissioner],
      dq: { index: true },
    }),
    col.varchar('arrival_mode', 18, 'How the patient arrived (SNOMED CT)', {
      nullable: true,
      nhs: EC('EC_Arrival_Mode_SNOMED_CT'),
      rules: [snomedConcept, codeList('ecds_arrival_mode')],
      dq: { index: true },
    }),
    col.varchar('acuity', 18, 'Triage acuity 1-5 (SNOMED CT)', {
      nullable: true,
      nhs: EC('EC_Acuity_SNOMED_CT'),
      rules: [snomedConcept, codeList('ecds_acuity')],
      dq: { index: true },
    }),
    snomed('chief_complaint', 'Chief complaint (SNOMED CT)', EC('EC_Chief_Complaint_SNOMED_CT'), true),
    snomed(
      'primary_diagnosis',
      'Primary diagnosis (SNOMED CT); the NCDR field lists all diagnoses, the first is the primary',
      EC('Der_EC_Diagnosis_All'),
      true,
    ),
    col.varchar('discharge_status', 18, 'Status of the attendance at discharge (SNOMED CT)', {
      nullable: true,
      nhs: EC('EC_Discharge_Status_SNOMED_CT'),
      rules: [snomedConcept, codeList('ecds_discharge_status')],
    }),
    col.varchar('discharge_destination', 18, 'Where the patient went on leaving the department (SNOMED CT)', {
      nullable: true,
      nhs: EC('Discharge_Destination_SNOMED_CT'),
      rules: [snomedConcept, codeList('ecds_discharge_destination')],
      dq: { index: true },
    }),
    snomed(
      'discharge_follow_up',
      'Follow-up arranged on discharge (SNOMED CT)',
      EC_MODEL('attendance_discharge_follow_up_code'),
    ),
    col.datetimeoffset('arrival_at', 'Arrival date and time, with its offset', {
      nhs: EC('Der_EC_Arrival_Date_Time'),
      rules: [notFuture],
    }),
    timestamp(
      'initial_assessment_at',
      'Initial assessment date and time',
      EC_MODEL('attendance_initial_assessment_date/time'),
    ),
    timestamp(
      'seen_for_treatment_at',
      'When first seen by a decision-making clinician',
      EC_MODEL('attendance_seen_for_treatment_date/time'),
    ),
    timestamp(
      'decision_to_admit_at',
      'Decision to admit date and time',
      EC('EC_Decision_To_Admit_Date / _Time'),
    ),
    timestamp(
      'clinically_ready_at',
      'When the patient was clinically ready to proceed (ECDS v4)',
      EC_MODEL('attendance_clinically_ready_to_proceed_timestamp'),
    ),
    timestamp(
      'conclusion_at',
      'Clinical conclusion date and time',
      EC_MODEL('attendance_conclusion_date/time'),
    ),
    timestamp('departure_at', 'Departure date and time', EC('EC_Departure_Date / EC_Departure_Time')),
    ...systemColumns,
  ],
  rowRules: [
    bornBeforeActivity('arrival_at', 'timestamp'),
    siteOfProvider('site_code', 'provider_code'),
    ...TIMESTAMPS_AFTER_ARRIVAL.map((f) =>
      notBefore(f, 'arrival_at', 'BEFORE_ARRIVAL', 'is before the arrival time', 'timestamp'),
    ),
    notBefore(
      'departure_at',
      'decision_to_admit_at',
      'BEFORE_DECISION_TO_ADMIT',
      'is before the decision to admit',
      'timestamp',
    ),
    concludedWithoutDestination,
  ],
  notes: [
    'One row per attendance; clinical fields are SNOMED CT concept ids (Verhoeff check digit, concept partition), the coded ones also checked against the ECDS lists in `reference/code-lists/ecds_*.csv`. Chief complaint, diagnosis and follow-up are checked as SNOMED CT concepts only (their ETOS refsets are not shipped).',
    "Within-row rules: each of initial assessment, seen for treatment, decision to admit, clinically ready, conclusion and departure `… .BEFORE_ARRIVAL`; `DEPARTURE_AT.BEFORE_DECISION_TO_ADMIT`; `DISCHARGE_DESTINATION.MISSING` when the attendance is concluded (conclusion or departure time recorded) but has no destination (the seed's assurance check); `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`; `SITE_CODE.NOT_PROVIDER_SITE`. Timestamps compare as instants across offsets. The 4-hour and 12-hour measures are derived downstream from `arrival_at`, `decision_to_admit_at` and `departure_at`.",
  ],
};

/** The wire-form zod schema of an `ecds_attendance` row, generated from the declaration. */
export const ecdsAttendanceSchema = wireSchemaOf(ecdsAttendance);
export type EcdsAttendance = WireRow;
