import { z } from 'zod';
import { VALID, invalid } from '../../nhs/value-check.js';
import type { RowRule, TableRules } from '../contract-engine.js';
import {
  codeList,
  commissioner,
  knownOrganisation,
  notBefore,
  notFuture,
  ods,
  personRules,
  siteOfProvider,
  snomedConcept,
} from '../contract-rules.js';
import { auditColumns, personColumns, wire } from '../wire-schema.js';

/**
 * ECDS attendance (`ecds_attendance`) in wire form. Clinical fields are SNOMED CT concept ids;
 * the seven timestamps are datetimeoffset strings ('2026-01-02T10:00:00.000+00:00').
 */
export const ecdsAttendanceSchema = z.object({
  attendance_id: wire.varchar(20),
  provider_code: wire.varchar(5),
  site_code: wire.varchar(5).nullable(),
  department_type: wire.char(2),
  attendance_category: wire.char(1).nullable(),
  ...personColumns,
  patient_name: wire.varchar(70).nullable(),
  ethnic_category: wire.varchar(2).nullable(),
  commissioner_code: wire.varchar(5).nullable(),
  arrival_mode: wire.varchar(18).nullable(),
  acuity: wire.varchar(18).nullable(),
  chief_complaint: wire.varchar(18).nullable(),
  primary_diagnosis: wire.varchar(18).nullable(),
  discharge_status: wire.varchar(18).nullable(),
  discharge_destination: wire.varchar(18).nullable(),
  discharge_follow_up: wire.varchar(18).nullable(),
  arrival_at: wire.datetimeoffset(),
  initial_assessment_at: wire.datetimeoffset().nullable(),
  seen_for_treatment_at: wire.datetimeoffset().nullable(),
  decision_to_admit_at: wire.datetimeoffset().nullable(),
  clinically_ready_at: wire.datetimeoffset().nullable(),
  conclusion_at: wire.datetimeoffset().nullable(),
  departure_at: wire.datetimeoffset().nullable(),
  ...auditColumns,
});
export type EcdsAttendance = z.infer<typeof ecdsAttendanceSchema>;

const person = personRules('arrival_at', 'timestamp');

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

/** Field and row rules for ECDS attendances (see docs/datasets/ecds.md). */
export const ecdsAttendanceRules: TableRules = {
  table: 'ecds_attendance',
  prefix: 'ECDS',
  datasetName: 'ECDS',
  fields: {
    provider_code: [ods('trust'), knownOrganisation],
    site_code: [ods('site')],
    department_type: [codeList('ecds_department_type')],
    attendance_category: [codeList('ecds_attendance_category')],
    ...person.fields,
    ...person.ethnicity,
    commissioner_code: [commissioner],
    arrival_mode: [snomedConcept, codeList('ecds_arrival_mode')],
    acuity: [snomedConcept, codeList('ecds_acuity')],
    chief_complaint: [snomedConcept],
    primary_diagnosis: [snomedConcept],
    discharge_status: [snomedConcept, codeList('ecds_discharge_status')],
    discharge_destination: [snomedConcept, codeList('ecds_discharge_destination')],
    discharge_follow_up: [snomedConcept],
    arrival_at: [notFuture],
    initial_assessment_at: [notFuture],
    seen_for_treatment_at: [notFuture],
    decision_to_admit_at: [notFuture],
    clinically_ready_at: [notFuture],
    conclusion_at: [notFuture],
    departure_at: [notFuture],
  },
  rows: [
    ...person.rows,
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
};
