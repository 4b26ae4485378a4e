import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { ECDS_CHIEF_COMPLAINTS, ECDS_DIAGNOSES } from '../clinical-scenarios.js';
import type { AeAttendance } from '../patient-events.js';
import type { Rng } from '../prng.js';
import { londonDateTimeOffset } from '../synthetic-calendar.js';
import type { PatientRowContext } from './row-context.js';

/**
 * The `ecds_attendance` row of one A&E attendance: arrival mode, acuity, chief complaint,
 * diagnosis, discharge and the attendance's timestamps (Europe/London, with their offset). Draws
 * from `rng` in column order.
 */
export function ecdsAttendanceRow(rng: Rng, ctx: PatientRowContext, a: AeAttendance): SourceRow {
  const { patient, keys } = ctx;
  const ecds = ctx.catalogue.ecds;
  const ambulance = rng.chance(a.admitted ? 0.6 : a.departmentType === '03' ? 0.02 : 0.2);
  const streamed = !a.admitted && rng.chance(0.06);
  const destination = a.admitted
    ? ecds.destinationAdmitted
    : rng.chance(0.93)
      ? ecds.destinationHome
      : rng.pick(ecds.destinationOther);
  return {
    attendance_id: keys.next('ecds_attendance'),
    provider_code: a.provider.code,
    site_code: a.provider.sites.length > 0 ? rng.pick(a.provider.sites) : null,
    department_type: a.departmentType,
    attendance_category: rng.chance(0.93) ? '1' : rng.pick(['2', '3']),
    nhs_number: patient.nhsNumber,
    local_patient_id: ctx.localPatientId(a.provider.code),
    patient_name: patient.name,
    date_of_birth: ctx.dateOfBirth,
    sex: patient.sex,
    ethnic_category: patient.ethnicity,
    postcode: patient.address.postcode,
    gp_practice_code: patient.practice,
    commissioner_code: patient.area.commissionerCode,
    arrival_mode: rng.pick(ambulance ? ecds.arrivalModeAmbulance : ecds.arrivalModeOther),
    acuity: ecds.acuity[a.acuityLevel - 1] ?? ecds.acuity[ecds.acuity.length - 1] ?? null,
    chief_complaint: rng.pick(ECDS_CHIEF_COMPLAINTS),
    primary_diagnosis: rng.pick(ECDS_DIAGNOSES),
    discharge_status: streamed ? rng.pick(ecds.dischargeStatusOther) : ecds.dischargeStatusCompleted,
    discharge_destination: destination,
    discharge_follow_up: !a.admitted && rng.chance(0.3) ? ecds.followUpGp : null,
    arrival_at: londonDateTimeOffset(a.arrival),
    initial_assessment_at: londonDateTimeOffset(a.arrival + rng.int(2, 25)),
    seen_for_treatment_at: londonDateTimeOffset(a.seenAt),
    decision_to_admit_at: a.decisionToAdmitAt === null ? null : londonDateTimeOffset(a.decisionToAdmitAt),
    clinically_ready_at: a.admitted
      ? null
      : londonDateTimeOffset(Math.max(a.seenAt, a.departure - rng.int(5, 30))),
    conclusion_at: londonDateTimeOffset(Math.max(a.seenAt, a.departure - rng.int(0, 10))),
    departure_at: londonDateTimeOffset(a.departure),
    modified_at: ctx.modifiedAt(a.departureDay),
    change_version: keys.nextVersion('ecds_attendance'),
  };
}
