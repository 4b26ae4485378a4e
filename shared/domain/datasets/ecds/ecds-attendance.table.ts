import { VALID, invalid } from '../../nhs/value-check.js';
import type { RowRule } from '../contract-engine.js';
import {
  codeList,
  commissioner,
  knownOrganisation,
  minInt,
  notBefore,
  notFuture,
  ods,
  pattern,
  siteOfProvider,
  snomedConcept,
} from '../contract-rules.js';
import {
  col,
  nhsName,
  systemColumns,
  type ColumnDeclaration,
  type NhsFieldName,
  type TableDeclaration,
} from '../declaration.js';
import { bornBeforeActivity, personColumns } from '../person-columns.js';
import { wireSchemaOf, type WireRow } from '../wire-schema.js';
import { diagnosisQualifierList, qualifierPerDiagnosis, snomedConceptList } from './ecds-diagnoses.js';
import { ecdsWaitMeasures } from './ecds-wait-measures.js';

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

const snomed = (name: string, description: string, nhs: NhsFieldName | undefined, index = false) =>
  col.varchar(name, 18, description, {
    nullable: true,
    ...(nhs ? { nhs } : {}),
    rules: [snomedConcept],
    ...(index ? { dq: { index: true } } : {}),
  });

/** A nullable true/false column (the `col` builders have no bit column). */
const flag = (name: string, description: string, nhs?: NhsFieldName): ColumnDeclaration => ({
  name,
  type: 'bit',
  nullable: true,
  nhsName: nhs ?? null,
  description,
  rules: [],
});

const injuryAfterArrival = invalid('AFTER_ARRIVAL', 'is after the local date of arrival');
/** `INJURY_DATE.AFTER_ARRIVAL`: the injury happened on or before the day of arrival (local date). */
const injuryNotAfterArrival: RowRule = {
  field: 'injury_date',
  rule: 'AFTER_ARRIVAL',
  fields: ['injury_date', 'arrival_at'],
  check: (row) =>
    (row.injury_date as string) > (row.arrival_at as string).slice(0, 10) ? injuryAfterArrival : VALID,
};

/**
 * `DURATION_MINS.NOT_DERIVED`, `WITHIN_4_HOURS.NOT_DERIVED`, `OVER_12_HOURS.NOT_DERIVED`: the
 * derived measures must be what {@link ecdsWaitMeasures} computes from arrival and departure
 * (null when the departure is missing). A departure before arrival is left to `BEFORE_ARRIVAL`.
 */
const DERIVED_MEASURES = [
  ['duration_mins', 'durationMins', 'is not the minutes from arrival to departure'],
  [
    'within_4_hours',
    'within4Hours',
    'is not (duration under 240 minutes) as derived from arrival and departure',
  ],
  [
    'over_12_hours',
    'over12Hours',
    'is not (duration over 720 minutes) as derived from arrival and departure',
  ],
] as const;
const derivedMeasureRules: readonly RowRule[] = DERIVED_MEASURES.map(([field, measure, reason]) => {
  const fail = invalid('NOT_DERIVED', reason);
  return {
    field,
    rule: 'NOT_DERIVED',
    fields: ['arrival_at'],
    check: (row) => {
      const departure = row.departure_at ?? null;
      const derived = ecdsWaitMeasures(
        row.arrival_at as string,
        typeof departure === 'string' ? departure : null,
      );
      if (derived.durationMins === null && departure !== null) return VALID; // BEFORE_ARRIVAL's
      return (row[field] ?? null) === derived[measure] ? VALID : fail;
    },
  };
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
    flag(
      'is_arrival_planned',
      'Whether the arrival was planned (a booked or planned attendance)',
      EC('Arrival_Planned'),
    ),
    col.varchar('acuity', 18, 'Triage acuity 1-5 (SNOMED CT)', {
      nullable: true,
      nhs: EC('EC_Acuity_SNOMED_CT'),
      rules: [snomedConcept, codeList('ecds_acuity')],
      dq: { index: true },
    }),
    snomed('chief_complaint', 'Chief complaint (SNOMED CT)', EC('EC_Chief_Complaint_SNOMED_CT'), true),
    col.varchar('diagnoses', 400, 'Diagnoses (SNOMED CT), comma-separated, the first is the primary', {
      nullable: true,
      nhs: EC('Der_EC_Diagnosis_All'),
      rules: [snomedConceptList],
      dq: { index: true },
    }),
    col.varchar(
      'diagnosis_qualifiers',
      400,
      'One qualifier per diagnosis, same order: 410605003 confirmed or 415684004 suspected (SNOMED CT)',
      { nullable: true, rules: [diagnosisQualifierList] },
    ),
    col.date('injury_date', 'Date of the injury, for an attendance caused by an injury', {
      nullable: true,
      nhs: EC('EC_Injury_Date'),
      rules: [notFuture],
    }),
    col.char('injury_time', 5, "Local time of the injury, 'HH:MM'", {
      nullable: true,
      rules: [pattern(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, "is not a time 'HH:MM'")],
    }),
    snomed('injury_mechanism', 'How the injury happened (SNOMED CT)', undefined),
    snomed('injury_place_type', 'The kind of place where the injury happened (SNOMED CT)', undefined),
    snomed(
      'injury_intent',
      'Intent of the injury (SNOMED CT; 276853009 self-inflicted)',
      EC('EC_Injury_Intent_SNOMED_CT'),
    ),
    snomed(
      'injury_activity_status',
      'What the patient was doing when injured: work, education, leisure … (SNOMED CT)',
      undefined,
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
    col.int('duration_mins', 'Derived: whole minutes from arrival to departure (null without a departure)', {
      nullable: true,
      nhs: EC('Der_EC_Duration'),
      rules: [minInt(0)],
    }),
    flag('within_4_hours', 'Derived: departed within the 4-hour standard (duration under 240 minutes)'),
    flag(
      'over_12_hours',
      'Derived: in the department over 12 hours from arrival (duration over 720 minutes)',
    ),
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
    qualifierPerDiagnosis,
    injuryNotAfterArrival,
    ...derivedMeasureRules,
  ],
  notes: [
    'One row per attendance; clinical fields are SNOMED CT concept ids (Verhoeff check digit, concept partition), the coded ones also checked against the ECDS lists in `reference/code-lists/ecds_*.csv`. Chief complaint, diagnoses, the injury fields and follow-up are checked as SNOMED CT concepts only (their ETOS refsets are not shipped).',
    "**Diagnoses.** `diagnoses` is the attendance's diagnosis list as NCDR's `Der_EC_Diagnosis_All` holds it: SNOMED CT concept ids separated by single commas, the first is the primary. `diagnosis_qualifiers` gives one qualifier per diagnosis in the same order, 410605003 confirmed or 415684004 suspected (`reference/code-lists/ecds_diagnosis_qualifier.csv`); `DIAGNOSIS_QUALIFIERS.COUNT_MISMATCH` rejects a qualifier list of another length. How the national extract attaches the qualifier to its code is not in the reference, so the qualifier column has no NHS name (unverified). `ecdsDiagnoses` (`shared/domain/datasets/ecds/ecds-diagnoses.ts`) pairs them.",
    '**Injury.** `injury_date` (`EC_Injury_Date`) and `injury_intent` (`EC_Injury_Intent_SNOMED_CT`, 276853009 self-inflicted) are named by the reference; `injury_time`, `injury_mechanism`, `injury_place_type` and `injury_activity_status` are ECDS items whose field names and code lists the reference does not give (unverified: format checks only). `INJURY_DATE.AFTER_ARRIVAL` rejects an injury dated after the local date of arrival.',
    "**Source and derived columns.** Every column comes from the source extract except three measures **derived** from `arrival_at` and `departure_at` by `ecdsWaitMeasures` (`shared/domain/datasets/ecds/ecds-wait-measures.ts`, REFERENCE.md §3.5): `duration_mins` (whole minutes, seconds truncated; NCDR carries it as `Der_EC_Duration`), `within_4_hours` (duration < 240, NHS England's `Der_EC_Duration < 240`: exactly 240 minutes is not within) and `over_12_hours` (duration > 720: exactly 720 is not over). Timestamps compare as instants, so a stay across midnight or a clock change counts elapsed minutes. All three are null without a departure; a departure before arrival is quarantined (`DEPARTURE_AT.BEFORE_ARRIVAL`). A supplied value that differs from the derivation fails `<MEASURE>.NOT_DERIVED` (a warning: the timestamps stand, the measure is re-derived from them).",
    "Within-row rules: each of initial assessment, seen for treatment, decision to admit, clinically ready, conclusion and departure `… .BEFORE_ARRIVAL`; `DEPARTURE_AT.BEFORE_DECISION_TO_ADMIT`; `DISCHARGE_DESTINATION.MISSING` when the attendance is concluded (conclusion or departure time recorded) but has no destination (the seed's assurance check); `DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`; `SITE_CODE.NOT_PROVIDER_SITE`. Timestamps compare as instants across offsets. The 12-hour trolley wait (decision to admit to admission) is not derived: it comes from the A&E SitRep, not ECDS.",
  ],
};

/** The wire-form zod schema of an `ecds_attendance` row, generated from the declaration. */
export const ecdsAttendanceSchema = wireSchemaOf(ecdsAttendance);
export type EcdsAttendance = WireRow;
